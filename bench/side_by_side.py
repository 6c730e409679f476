#!/usr/bin/env python3
"""Helpers of bench/side-by-side.sh (standard library only).

  issuer WORK ISSUER             RSA key, JWKS and discovery document of a local OIDC issuer, and
                                 one RS256 token (valid 55 minutes) in WORK/token
  fixtures WORK REQUEST.json     the upstream's JSON message and 200-event SSE file, and the
                                 streaming variant of the request body
  hold HOST PORT N STATUS HOLD   opens N concurrent streams through the gateway, writes STATUS
                                 (JSON) once they are open, keeps them HOLD seconds, counts the
                                 ones still alive, writes STATUS again and exits
  ttfb FILE                      median, p99 and mean of the seconds in FILE (one a line), in ms
  metrics-delta BEFORE AFTER     what jitgw's /metrics say about the exchanges between two
                                 scrapes: mean time from request read to request sent upstream,
                                 mean and p50/p99 wait for the durable audit record within it,
                                 mean upstream response-head time, heap and direct memory
  jfr-summary SAMPLES.txt         where the samples of `jfr print --events jdk.ExecutionSample`
                                 fall: by thread, by part of the pipeline, hottest frames
  report RESULTS.jsonl MD PNG    the Markdown tables and the chart
"""
import asyncio
import base64
import json
import os
import struct
import subprocess
import sys
import time
import zlib


# --- issuer -----------------------------------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issuer(work, iss):
    subprocess.run(["openssl", "genrsa", "-out", f"{work}/idp.pem", "2048"], check=True,
                   capture_output=True)
    os.makedirs(f"{work}/idp/.well-known", exist_ok=True)
    modulus = subprocess.check_output(
        ["openssl", "rsa", "-in", f"{work}/idp.pem", "-noout", "-modulus"]).decode().strip()
    n = bytes.fromhex(modulus.split("=", 1)[1])
    jwk = {"kty": "RSA", "kid": "bench", "alg": "RS256", "use": "sig", "n": b64url(n),
           "e": b64url((65537).to_bytes(3, "big"))}
    with open(f"{work}/idp/jwks.json", "w") as f:
        json.dump({"keys": [jwk]}, f)
    with open(f"{work}/idp/.well-known/openid-configuration", "w") as f:
        json.dump({"issuer": iss, "jwks_uri": iss + "/jwks.json"}, f)
    now = int(time.time())
    header = b64url(json.dumps({"alg": "RS256", "kid": "bench", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({
        "iss": iss, "sub": "bench-user", "aud": "jitgw", "iat": now, "exp": now + 3300,
        "groups": ["eng", "bench"], "purpose": "side-by-side benchmark"}).encode())
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", f"{work}/idp.pem"],
        input=f"{header}.{claims}".encode(), capture_output=True, check=True).stdout
    with open(f"{work}/token", "w") as f:
        f.write(f"{header}.{claims}.{b64url(signature)}")


# --- fixtures ---------------------------------------------------------------------------------

ANSWER = ("The image pull backoff on payments-api staging comes from the registry pull secret: "
          "it was rotated at 07:00 UTC and the staging namespace still holds the old one. "
          "Runbook PLAT-114 section 3 covers the rotation; apply the new secret with the "
          "platform CLI, restart the deployment, and watch the rollout until all pods are ready. ")


def sse_event(name, data):
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def fixtures(work, request_path):
    os.makedirs(f"{work}/upstream", exist_ok=True)
    message = {"id": "msg_01BenchSideBySide", "type": "message", "role": "assistant",
               "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": ANSWER.strip()}],
               "stop_reason": "end_turn", "stop_sequence": None,
               "usage": {"input_tokens": 412, "output_tokens": 78}}
    with open(f"{work}/upstream/message.json", "w") as f:
        json.dump(message, f, separators=(",", ":"))
    # 200 events: message_start, content_block_start, 195 deltas, content_block_stop,
    # message_delta, message_stop.
    words = (ANSWER * 8).split(" ")
    events = [sse_event("message_start", {"type": "message_start", "message": {
        **{k: v for k, v in message.items() if k not in ("content", "usage", "stop_reason")},
        "content": [], "stop_reason": None, "usage": {"input_tokens": 412, "output_tokens": 1}}}),
        sse_event("content_block_start", {"type": "content_block_start", "index": 0,
                                          "content_block": {"type": "text", "text": ""}})]
    for i in range(195):
        text = words[i] + " "
        events.append(sse_event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                        "delta": {"type": "text_delta", "text": text}}))
    events.append(sse_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(sse_event("message_delta", {"type": "message_delta",
                                              "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                              "usage": {"output_tokens": 195}}))
    events.append(sse_event("message_stop", {"type": "message_stop"}))
    assert len(events) == 200
    with open(f"{work}/upstream/sse.txt", "w") as f:
        f.write("".join(events))
    with open(request_path) as f:
        body = json.load(f)
    with open(f"{work}/request.json", "w") as f:
        json.dump(body, f, separators=(",", ":"))
    body["stream"] = True
    with open(f"{work}/request-stream.json", "w") as f:
        json.dump(body, f, separators=(",", ":"))


# --- slow upstream ----------------------------------------------------------------------------

# --- hold client ------------------------------------------------------------------------------

async def hold(host, port, n, status_path, hold_seconds):
    token = open(os.environ["BENCH_TOKEN_FILE"]).read().strip()
    body = open(os.environ["BENCH_BODY"], "rb").read()
    request = (f"POST /v1/messages HTTP/1.1\r\nhost: {host}:{port}\r\n"
               f"authorization: Bearer {token}\r\ncontent-type: application/json\r\n"
               f"anthropic-version: 2023-06-01\r\ncontent-length: {len(body)}\r\n\r\n"
               ).encode() + body
    opening = asyncio.Semaphore(int(os.environ.get("BENCH_OPEN_CONCURRENCY", "200")))
    stop = asyncio.Event()
    failures = {}
    open_count = 0
    alive = {}  # connection number -> time of last bytes

    def fail(reason):
        failures[reason] = failures.get(reason, 0) + 1

    async def stream(i):
        nonlocal open_count
        writer = None
        try:
            async with opening:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 60)
                writer.write(request)
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
                status = head.split(b" ", 2)[1].decode()
                if status != "200":
                    fail("status " + status)
                    return
                seen = b""
                while b"message_start" not in seen:
                    data = await asyncio.wait_for(reader.read(4096), 60)
                    if not data:
                        fail("closed before message_start")
                        return
                    seen += data
            open_count += 1
            alive[i] = time.monotonic()
            while not stop.is_set():
                data = await reader.read(4096)
                if not data:
                    alive.pop(i, None)
                    return
                alive[i] = time.monotonic()
        except asyncio.TimeoutError:
            fail("timeout")
        except (OSError, asyncio.IncompleteReadError, IndexError) as e:
            fail(type(e).__name__ + (f" errno {e.errno}" if getattr(e, "errno", None) else ""))
        finally:
            if writer is not None:
                writer.close()

    started = time.monotonic()
    tasks = [asyncio.create_task(stream(i)) for i in range(n)]
    # Wait until every stream is open or has failed.
    while open_count + sum(failures.values()) < n:
        await asyncio.sleep(0.2)
    open_seconds = time.monotonic() - started

    def write_status(phase):
        with open(status_path + ".tmp", "w") as f:
            json.dump({"phase": phase, "requested": n, "opened": open_count,
                       "alive": len(alive), "failures": failures,
                       "open_seconds": round(open_seconds, 1)}, f)
        os.replace(status_path + ".tmp", status_path)

    write_status("open")
    await asyncio.sleep(hold_seconds)
    # Alive: still connected and received a ping within the last two intervals (the upstream
    # pings every few seconds).
    now = time.monotonic()
    fresh = [t for t in alive.values() if now - t < 2 * float(os.environ.get("BENCH_PING", "5")) + 1]
    alive_count = len(fresh)
    write_status("held")
    with open(status_path) as f:
        result = json.load(f)
    result["alive_with_recent_ping"] = alive_count
    with open(status_path, "w") as f:
        json.dump(result, f)
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# --- ttfb -------------------------------------------------------------------------------------

def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def ttfb(path):
    values = [float(line) * 1000 for line in open(path) if line.strip()]
    print(json.dumps({"n": len(values), "median_ms": round(percentile(values, 50), 3),
                      "p99_ms": round(percentile(values, 99), 3),
                      "mean_ms": round(sum(values) / len(values), 3)}))


# --- metrics --------------------------------------------------------------------------------

def scrape(path):
    values = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        try:
            values[name] = float(value)
        except ValueError:
            pass
    return values


def metrics_delta(before_path, after_path):
    before, after = scrape(before_path), scrape(after_path)

    def delta(name):
        return after.get(name, 0.0) - before.get(name, 0.0)

    out = {}
    for key, name in (("added", "jitgw_gateway_added_seconds"),
                      ("audit_wait", "jitgw_audit_request_record_seconds"),
                      ("upstream_head", "jitgw_upstream_response_head_seconds")):
        count = delta(name + "_count")
        out[key + "_mean_ms"] = round(1000 * delta(name + "_sum") / count, 3) if count else None
    prefix = 'jitgw_audit_request_record_seconds_bucket{le="'
    buckets = sorted((float(k[len(prefix):-2]), delta(k)) for k in after
                     if k.startswith(prefix) and not k.endswith('"+Inf"}'))
    total = delta('jitgw_audit_request_record_seconds_count')
    for q in (50, 99):
        # The upper bound of the first bucket holding the q-th percentile.
        bound = next((le for le, n in buckets if total and n >= q / 100 * total), None)
        out[f"audit_wait_p{q}_ms"] = round(1000 * bound, 3) if bound is not None else None
    out["heap_used_mib"] = round(sum(v for k, v in after.items()
                                     if k.startswith('jvm_memory_used_bytes{area="heap"')) / 2**20, 1)
    out["heap_committed_mib"] = round(sum(
        v for k, v in after.items()
        if k.startswith('jvm_memory_committed_bytes{area="heap"')) / 2**20, 1)
    out["direct_mib"] = round(after.get('jvm_buffer_memory_used_bytes{id="direct"}', 0) / 2**20, 1)
    print(json.dumps(out))


# --- profile --------------------------------------------------------------------------------

# The part of the pipeline a sample belongs to: the frame nearest the top of its stack that one
# of these markers matches (checked in this order), so JDK code counts for its caller.
PARTS = [
    ("policy: CEL evaluation", ("dev.cel.",)),
    ("policy: other", ("dev.jitgw.policy.rules",)),
    ("masking", ("dev.jitgw.policy.masking",)),
    ("limits and budgets", ("dev.jitgw.policy.limits",)),
    ("identity (JWT)", ("dev.jitgw.policy.identity",)),
    ("audit: records and RocksDB", ("dev.jitgw.audit", "org.rocksdb")),
    ("request summary parsing", ("RequestSummaryParser",)),
    ("SSE framing", ("dev.jitgw.core.sse", "Sse")),
    ("gateway handlers (dataplane, upstream)", ("dev.jitgw.server",)),
    ("Netty I/O and HTTP codec", ("io.netty",)),
]


def jfr_summary(path):
    import collections
    import re
    samples, stack, thread, inside = [], [], "", False
    for line in open(path):
        s = line.strip()
        if s.startswith("sampledThread = "):
            thread = re.sub(r"\s*\(javaThreadId.*", "", s.split("=", 1)[1].strip()).strip('"')
            thread = re.sub(r"-\d+$", "-N", thread)
        elif s.startswith("stackTrace = ["):
            stack, inside = [], True
        elif inside and s.startswith("]"):
            samples.append((thread, stack))
            inside = False
        elif inside and s and s != "...":
            stack.append(re.sub(r"\s+line:.*", "", s))
    total = len(samples) or 1
    print(f"{len(samples)} execution samples (JFR, Java code on CPU)")
    print("\nby thread:")
    for name, n in collections.Counter(t for t, _ in samples).most_common(12):
        print(f"{100 * n / total:5.1f}%  {name}")
    print("\nby part of the pipeline (the topmost frame of jitgw, CEL, RocksDB or Netty code):")
    parts = collections.Counter()
    for _, st in samples:
        part = next((name for f in st for name, markers in PARTS
                     if any(m in f for m in markers)), "other (JDK, JIT, GC, JFR)")
        parts[part] += 1
    for name, n in parts.most_common():
        print(f"{100 * n / total:5.1f}%  {name}")
    print("\ntop frames (self time):")
    for frame, n in collections.Counter(st[0] for _, st in samples if st).most_common(25):
        print(f"{100 * n / total:5.1f}%  {frame}")
    print("\nframes on the stack (inclusive; jitgw, CEL, RocksDB, Jackson):")
    inclusive = collections.Counter()
    for _, st in samples:
        for frame in set(f for f in st if f.startswith(
                ("dev.jitgw", "dev.cel", "org.rocksdb", "com.fasterxml"))):
            inclusive[frame] += 1
    for frame, n in inclusive.most_common(40):
        print(f"{100 * n / total:5.1f}%  {frame}")


# --- report -----------------------------------------------------------------------------------

TARGET_NAMES = {"direct": "upstream direct", "nginx": "nginx proxy", "jitgw": "jitgw"}
LOAD_NAMES = {"json": "JSON", "sse": "SSE, 200 events"}


def fmt_int(x):
    return f"{x:,.0f}"


def fmt_ms(x):
    return f"{x:.2f} ms" if x < 10 else f"{x:.1f} ms"


def report(results_path, md_path, png_path):
    rows = [json.loads(line) for line in open(results_path) if line.strip()]
    meta = {}
    for r in rows:
        if r["kind"] == "meta":
            meta.update(r)
    wrk = [r for r in rows if r["kind"] == "wrk"]
    ttfbs = {r["target"]: r for r in rows if r["kind"] == "ttfb"}
    streams = next((r for r in rows if r["kind"] == "streams"), None)
    out = []
    w = out.append
    w(f"Run {meta.get('date', '?')}: `{meta.get('command', '?')}`")
    w("")
    w(f"- Machine: {meta.get('nproc')} cores ({meta.get('cpu')}), {meta.get('memory')}, "
      f"{meta.get('kernel')}; {meta.get('jdk')}; nginx {meta.get('nginx')}; {meta.get('wrk')}")
    w(f"- Disk under the audit log: {meta.get('fsync_ms')} ms per synced 1 KiB write "
      f"(`dd oflag=dsync`) at the start")
    w(f"- Load average at the start: {meta.get('loadavg_start')}; at the end: "
      f"{meta.get('loadavg_end', '?')}")
    w(f"- Load: `wrk -t{meta.get('threads')} -c32|256 -d{meta.get('duration')} --latency` after "
      f"{meta.get('warmup')} of warm-up through jitgw; jitgw commit {meta.get('commit')}")
    w("")
    for load in ("json", "sse"):
        if not any(r["load"] == load for r in wrk):
            continue
        w(f"**{LOAD_NAMES[load]}** (`POST /v1/messages`)")
        w("")
        # jitgw's own timers: request read whole -> sent upstream, and the wait for the durable
        # request record within it.
        w("| connections | target | requests/s | p50 | p99 | errors | "
          "jitgw: read → sent upstream (mean) | audit wait (mean, p99 bucket) |")
        w("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in wrk:
            if r["load"] != load:
                continue
            errors = sum(r[k] for k in r if k.startswith("errors_"))
            extra = "| |"
            if r.get("added_mean_ms") is not None:
                extra = (f"| {r['added_mean_ms']:.2f} ms | {r['audit_wait_mean_ms']:.2f} ms, "
                         f"≤ {r['audit_wait_p99_ms']} ms |")
            w(f"| {r['connections']} | {TARGET_NAMES[r['target']]} | {fmt_int(r['rps'])} | "
              f"{fmt_ms(r['p50_ms'])} | {fmt_ms(r['p99_ms'])} | {errors} {extra}")
        w("")
    if wrk:
        w("**jitgw / nginx proxy**")
        w("")
        w("| load | connections | requests/s ratio | p99 ratio |")
        w("| --- | ---: | ---: | ---: |")
    ratios = []
    for load in ("json", "sse"):
        for c in sorted({r["connections"] for r in wrk}):
            g = next((r for r in wrk if (r["load"], r["connections"], r["target"]) == (load, c, "jitgw")), None)
            n = next((r for r in wrk if (r["load"], r["connections"], r["target"]) == (load, c, "nginx")), None)
            if g and n:
                rr, pr = g["rps"] / n["rps"], g["p99_ms"] / n["p99_ms"]
                ratios.append((load, c, rr, pr))
                w(f"| {LOAD_NAMES[load]} | {c} | {rr:.2f}× | {pr:.2f}× |")
    if wrk:
        w("")
    if ttfbs:
        n = next(iter(ttfbs.values()))["n"]
        w(f"**Streaming time to first byte** ({n} sequential streaming requests over one "
          f"keep-alive connection, `curl -w '%{{time_starttransfer}}'`)")
        w("")
        w("| target | median | p99 | mean | jitgw: audit wait (mean) |")
        w("| --- | ---: | ---: | ---: | ---: |")
        for t in ("direct", "nginx", "jitgw"):
            if t in ttfbs:
                r = ttfbs[t]
                audit = f"{r['audit_wait_mean_ms']:.3f} ms" if r.get("audit_wait_mean_ms") else ""
                w(f"| {TARGET_NAMES[t]} | {r['median_ms']:.3f} ms | {r['p99_ms']:.3f} ms | "
                  f"{r['mean_ms']:.3f} ms | {audit} |")
        w("")
    if streams:
        protocol = streams.get("protocol", "http/1.1")
        w("**Concurrent open SSE streams through jitgw** (upstream: bench/HoldUpstream.java, which "
          f"keeps each stream open and pings every {streams['ping_seconds']} s; "
          f"`upstream.protocol: {protocol}`"
          + (f", {fmt_int(streams['upstream_connections'])} upstream connections while held"
             if streams.get("upstream_connections") is not None else "") + ")")
        w("")
        w("| requested | opened | alive after hold | RSS before | RSS with streams open | "
          "per stream | heap used / committed | jitgw fds | fd limit |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        per = streams.get("rss_per_stream_kib")
        w(f"| {fmt_int(streams['requested'])} | {fmt_int(streams['opened'])} | "
          f"{fmt_int(streams['alive_with_recent_ping'])} | {streams['rss_before_mib']:.0f} MiB | "
          f"{streams['rss_held_mib']:.0f} MiB | {per:.1f} KiB | {streams['heap_used_mib']:.0f} / {streams['heap_committed_mib']:.0f} MiB | "
          f"{fmt_int(streams['fds_held'])} | {fmt_int(streams['fd_limit'])} |" if per is not None else
          f"| {streams['requested']} | {streams['opened']} | - | - | - | - | - | - | - |")
        if streams.get("failures"):
            w("")
            w(f"Failures while opening: {json.dumps(streams['failures'])}.")
        w("")
    # Goals
    w("**Goals**")
    w("")
    w("| goal | measured | holds |")
    w("| --- | --- | --- |")
    if ratios:
        worst_rps = min(ratios, key=lambda x: x[2])
        worst_p99 = max(ratios, key=lambda x: x[3])
        json_r = [x for x in ratios if x[0] == "json"]
        wr = min(json_r, key=lambda x: x[2]) if json_r else worst_rps
        wp = max(json_r, key=lambda x: x[3]) if json_r else worst_p99
        w(f"| jitgw ≥ 0.6× nginx requests/s (JSON) | lowest {wr[2]:.2f}× (c{wr[1]}) | "
          f"{'yes' if wr[2] >= 0.6 else 'no'} |")
        w(f"| jitgw p99 ≤ 2× nginx's (JSON) | highest {wp[3]:.2f}× (c{wp[1]}) | "
          f"{'yes' if wp[3] <= 2 else 'no'} |")
        sr = [x for x in ratios if x[0] == "sse"]
        if sr:
            a = min(sr, key=lambda x: x[2])
            b = max(sr, key=lambda x: x[3])
            w(f"| the same for SSE (not a stated goal) | requests/s lowest {a[2]:.2f}×, p99 highest "
              f"{b[3]:.2f}× | {'yes' if a[2] >= 0.6 and b[3] <= 2 else 'no'} |")
    if "jitgw" in ttfbs and "nginx" in ttfbs:
        d = ttfbs["jitgw"]["median_ms"] - ttfbs["nginx"]["median_ms"]
        d99 = ttfbs["jitgw"]["p99_ms"] - ttfbs["nginx"]["p99_ms"]
        w(f"| streaming TTFB within 1 ms of nginx | median +{d:.3f} ms, p99 +{d99:.3f} ms | "
          f"{'yes' if d <= 1 else 'no'} (median){'' if d99 <= 1 else '; p99 no'} |")
    if streams and streams.get("rss_per_stream_kib") is not None:
        held = streams["alive_with_recent_ping"]
        ok = held >= 10000 and streams["rss_held_mib"] < 1024
        w(f"| ≥ 10,000 concurrent SSE streams, RSS < 1 GiB | {fmt_int(held)} streams held, RSS "
          f"{streams['rss_held_mib']:.0f} MiB | {'yes' if ok else 'no'} |")
    w("")
    text = "\n".join(out)
    with open(md_path, "w") as f:
        f.write(text)
    print(text)
    if wrk:
        chart(wrk, png_path, meta)


# A 5x7 bitmap font for the chart's labels (upper case; lower case is drawn as upper case).
FONT = {
    "A": "01110 10001 10001 11111 10001 10001 10001", "B": "11110 10001 10001 11110 10001 10001 11110",
    "C": "01110 10001 10000 10000 10000 10001 01110", "D": "11110 10001 10001 10001 10001 10001 11110",
    "E": "11111 10000 10000 11110 10000 10000 11111", "F": "11111 10000 10000 11110 10000 10000 10000",
    "G": "01110 10001 10000 10111 10001 10001 01111", "H": "10001 10001 10001 11111 10001 10001 10001",
    "I": "01110 00100 00100 00100 00100 00100 01110", "J": "00111 00010 00010 00010 00010 10010 01100",
    "K": "10001 10010 10100 11000 10100 10010 10001", "L": "10000 10000 10000 10000 10000 10000 11111",
    "M": "10001 11011 10101 10101 10001 10001 10001", "N": "10001 11001 10101 10011 10001 10001 10001",
    "O": "01110 10001 10001 10001 10001 10001 01110", "P": "11110 10001 10001 11110 10000 10000 10000",
    "Q": "01110 10001 10001 10001 10101 10010 01101", "R": "11110 10001 10001 11110 10100 10010 10001",
    "S": "01111 10000 10000 01110 00001 00001 11110", "T": "11111 00100 00100 00100 00100 00100 00100",
    "U": "10001 10001 10001 10001 10001 10001 01110", "V": "10001 10001 10001 10001 10001 01010 00100",
    "W": "10001 10001 10001 10101 10101 10101 01010", "X": "10001 10001 01010 00100 01010 10001 10001",
    "Y": "10001 10001 01010 00100 00100 00100 00100", "Z": "11111 00001 00010 00100 01000 10000 11111",
    "0": "01110 10001 10011 10101 11001 10001 01110", "1": "00100 01100 00100 00100 00100 00100 01110",
    "2": "01110 10001 00001 00010 00100 01000 11111", "3": "11111 00010 00100 00010 00001 10001 01110",
    "4": "00010 00110 01010 10010 11111 00010 00010", "5": "11111 10000 11110 00001 00001 10001 01110",
    "6": "00110 01000 10000 11110 10001 10001 01110", "7": "11111 00001 00010 00100 01000 01000 01000",
    "8": "01110 10001 10001 01110 10001 10001 01110", "9": "01110 10001 10001 01111 00001 00010 01100",
    " ": "00000 00000 00000 00000 00000 00000 00000", ".": "00000 00000 00000 00000 00000 01100 01100",
    ",": "00000 00000 00000 00000 01100 00100 01000", "-": "00000 00000 00000 11111 00000 00000 00000",
    "/": "00001 00001 00010 00100 01000 10000 10000", "(": "00010 00100 01000 01000 01000 00100 00010",
    ")": "01000 00100 00010 00010 00010 00100 01000", ":": "00000 01100 01100 00000 01100 01100 00000",
    "=": "00000 00000 11111 00000 11111 00000 00000", "%": "11000 11001 00010 00100 01000 10011 00011",
    "_": "00000 00000 00000 00000 00000 00000 11111", "?": "01110 10001 00001 00010 00100 00000 00100",
}
COLORS = {"direct": (150, 150, 150), "nginx": (0, 150, 57), "jitgw": (210, 105, 30)}


class Canvas:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.pixels = bytearray(b"\xff" * (width * height * 3))

    def rect(self, x0, y0, x1, y1, color):
        for y in range(max(0, y0), min(self.height, y1)):
            row = y * self.width * 3
            for x in range(max(0, x0), min(self.width, x1)):
                self.pixels[row + 3 * x:row + 3 * x + 3] = bytes(color)

    def text(self, x, y, s, scale=2, color=(0, 0, 0)):
        for ch in s.upper():
            rows = FONT.get(ch, FONT["?"]).split()
            for ry, bits in enumerate(rows):
                for rx, bit in enumerate(bits):
                    if bit == "1":
                        self.rect(x + rx * scale, y + ry * scale, x + (rx + 1) * scale,
                                  y + (ry + 1) * scale, color)
            x += 6 * scale
        return x

    @staticmethod
    def text_width(s, scale=2):
        return len(s) * 6 * scale

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(self.pixels[y * self.width * 3:(y + 1) * self.width * 3])
                       for y in range(self.height))

        def chunk_(kind, data):
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))

        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk_(b"IHDR", struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)))
            f.write(chunk_(b"IDAT", zlib.compress(raw, 9)))
            f.write(chunk_(b"IEND", b""))


def chart(wrk, path, meta):
    """Two panels of horizontal bars, one bar per configuration: requests/s and p99."""
    label_w, bar_w, row_h, bar_h = 330, 520, 26, 18
    width = label_w + bar_w + 150
    panels = [("requests per second (higher is better)", "rps", fmt_int),
              ("p99 latency, ms (lower is better)", "p99_ms", lambda v: f"{v:.2f}")]
    height = 60 + len(panels) * (40 + len(wrk) * row_h + 20) + 30
    c = Canvas(width, height)
    c.text(16, 14, "jitgw side by side with nginx, " + str(meta.get("nproc", "?")) + " cores, "
           + str(meta.get("date", ""))[:10], scale=2)
    y = 50
    for title, key, fmt in panels:
        c.text(16, y, title, scale=2, color=(60, 60, 60))
        y += 30
        top = max(r[key] for r in wrk) or 1
        for r in wrk:
            label = f"{r['load']} c{r['connections']} {TARGET_NAMES[r['target']]}"
            c.text(label_w - 10 - Canvas.text_width(label), y + 3, label)
            length = max(1, int(bar_w * r[key] / top))
            c.rect(label_w, y, label_w + length, y + bar_h, COLORS[r["target"]])
            c.text(label_w + length + 8, y + 3, fmt(r[key]))
            y += row_h
        c.rect(label_w - 1, y - len(wrk) * row_h - 4, label_w, y, (0, 0, 0))
        y += 20
    x = 16
    for t in ("direct", "nginx", "jitgw"):
        c.rect(x, y + 2, x + 14, y + 16, COLORS[t])
        x = c.text(x + 20, y + 3, TARGET_NAMES[t]) + 24
    c.png(path)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "issuer":
        issuer(*args)
    elif cmd == "fixtures":
        fixtures(*args)
    elif cmd == "hold":
        asyncio.run(hold(args[0], int(args[1]), int(args[2]), args[3], float(args[4])))
    elif cmd == "ttfb":
        ttfb(args[0])
    elif cmd == "jfr-summary":
        jfr_summary(args[0])
    elif cmd == "metrics-delta":
        metrics_delta(*args)
    elif cmd == "report":
        report(*args)
    else:
        sys.exit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main()
