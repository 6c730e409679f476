#!/usr/bin/env python3
"""The client side of bench/holds.sh: N concurrent held requests against a running `jitgw demo`.

Standard library only. Each held request is its own connection (`Connection: close`, so its answer
ends with the connection); bodies differ, so each opens its own approval. Heap figures are read from
the gateway with jcmd after a forced full GC.
"""

import argparse
import asyncio
import http.client
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

HOST = "127.0.0.1"


def mint(issuer_port, user):
    data = urllib.parse.urlencode({"user": user, "ttl": "1h"}).encode()
    with urllib.request.urlopen(f"http://{HOST}:{issuer_port}/demo/token", data, timeout=30) as r:
        return r.read().decode().strip()


def heap_used_kib(pid):
    """Forces a full GC in the gateway, then returns the heap in use (KiB)."""
    subprocess.run(["jcmd", str(pid), "GC.run"], check=True, capture_output=True, timeout=120)
    info = subprocess.run(
        ["jcmd", str(pid), "GC.heap_info"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    match = re.search(r"heap\s+total \d+K, used (\d+)K", info)
    if not match:
        sys.exit("cannot read the heap from jcmd GC.heap_info:\n" + info)
    return int(match.group(1))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class Admin:
    """The admin API, one keep-alive connection per thread."""

    def __init__(self, port, token):
        self.port = port
        self.token = token

    def call(self, method, path, body=None, conn=None):
        own = conn is None
        conn = conn or http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"authorization": "Bearer " + self.token}
        if body is not None:
            headers["content-type"] = "application/json"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if own:
            conn.close()
        return response.status, payload

    def pending_ids(self):
        ids, before = [], None
        while True:
            path = "/api/approvals?state=pending&limit=1000" + (f"&before={before}" if before else "")
            status, payload = self.call("GET", path)
            if status != 200:
                sys.exit(f"GET {path}: {status} {payload[:300]!r}")
            page = json.loads(payload)
            ids.extend(a["id"] for a in page["approvals"])
            before = page.get("next")
            if not before:
                return ids

    def decide_all(self, decisions, threads=8):
        """decisions: (id, verb) pairs; returns the statuses seen, counted."""

        def work(chunk):
            conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            seen = {}
            for approval_id, verb in chunk:
                status, _ = self.call(
                    "POST", f"/api/approvals/{approval_id}/{verb}", {"reason": "benchmark"}, conn
                )
                seen[status] = seen.get(status, 0) + 1
            conn.close()
            return seen

        chunks = [decisions[i::threads] for i in range(threads)]
        total = {}
        with ThreadPoolExecutor(threads) as pool:
            for seen in pool.map(work, chunks):
                for status, count in seen.items():
                    total[status] = total.get(status, 0) + count
        return total


async def held_request(port, token, model, text, connect_gate, opened):
    body = json.dumps(
        {"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": text}]}
    ).encode()
    head = (
        f"POST /v1/messages HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\nConnection: close\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode()
    async with connect_gate:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(head + body)
        await writer.drain()
    opened.append(1)
    try:
        answer = await reader.read()  # until the gateway closes: the answer is complete
    finally:
        writer.close()
    if not answer:
        return "no answer", b""
    status = answer.split(b" ", 2)[1].decode()
    code = re.search(rb'"error_code":"([a-z_]+)"', answer)
    return status, (code.group(1).decode() if code else "")


async def wait_pending(admin, count, deadline_s):
    start = time.monotonic()
    while True:
        ids = await asyncio.to_thread(admin.pending_ids)
        if len(ids) >= count:
            return ids
        if time.monotonic() - start > deadline_s:
            sys.exit(f"only {len(ids)} of {count} approvals pending after {deadline_s} s")
        await asyncio.sleep(1)


def tally(results):
    counts = {}
    for result in results:
        key = result if isinstance(result, tuple) else ("exception", type(result).__name__)
        counts[key] = counts.get(key, 0) + 1
    return counts


def readyz(admin_port):
    with urllib.request.urlopen(f"http://{HOST}:{admin_port}/readyz", timeout=30) as r:
        return r.status


async def batch(args, token, model, prefix, count):
    gate = asyncio.Semaphore(200)  # connects in flight: stay under the listen backlog
    opened = []
    tasks = [
        asyncio.create_task(held_request(args.port, token, model, f"{prefix} {i}", gate, opened))
        for i in range(count)
    ]
    return tasks, opened


async def main():
    parser = argparse.ArgumentParser()
    for name in ("--n", "--pid", "--port", "--admin-port", "--issuer-port"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()

    dev = mint(args.issuer_port, "dev")
    admin = Admin(args.admin_port, mint(args.issuer_port, "approver"))
    model = "claude-sonnet-4-5"

    # Warm-up: the hold, approve, deny and forward paths run once before the baseline.
    warm, _ = await batch(args, dev, model, "warm-up request", 200)
    ids = await wait_pending(admin, 200, 120)
    decisions = [(i, "approve" if k % 2 else "deny") for k, i in enumerate(ids)]
    print("warm-up decisions:", admin.decide_all(decisions))
    print("warm-up answers:", tally(await asyncio.gather(*warm, return_exceptions=True)))

    before = heap_used_kib(args.pid)
    rss_before = rss_kib(args.pid)
    print(f"baseline after GC: heap used {before} KiB, RSS {rss_before} KiB")

    started = time.monotonic()
    tasks, opened = await batch(args, dev, model, "held request", args.n)
    ids = await wait_pending(admin, args.n, 600)
    print(
        f"{len(ids)} approvals pending, {len(opened)} connections open,"
        f" {time.monotonic() - started:.1f} s after the first connect"
    )
    after = heap_used_kib(args.pid)
    rss_after = rss_kib(args.pid)
    per = (after - before) * 1024 / args.n
    print(f"with {args.n} held, after GC: heap used {after} KiB, RSS {rss_after} KiB")
    print(f"heap per held request: {per:,.0f} bytes; RSS per held request:"
          f" {(rss_after - rss_before) * 1024 / args.n:,.0f} bytes")
    print(f"holds that would fit in 1 GiB at this rate (less the baseline): "
          f"{int((1024 * 1024 - before) * 1024 / per):,}")
    histogram = subprocess.run(
        ["jcmd", str(args.pid), "GC.class_histogram"], capture_output=True, text=True, timeout=120
    ).stdout
    with open(f"{args.work}/histogram.txt", "w") as out:
        out.write(histogram)
    print("top of the class histogram (instances, bytes, class):")
    for line in histogram.splitlines()[3:18]:
        print("  " + line.strip())

    print("readyz while holding:", readyz(args.admin_port))
    answered_early = sum(1 for t in tasks if t.done())
    print("requests answered before any decision:", answered_early)

    # Decide them all: every 100th approved (forwarded to the simulated upstream), the rest denied.
    decisions = [(i, "approve" if k % 100 == 0 else "deny") for k, i in enumerate(ids)]
    started = time.monotonic()
    print("decisions:", admin.decide_all(decisions),
          f"in {time.monotonic() - started:.1f} s")
    done, not_done = await asyncio.wait(tasks, timeout=300)
    print("answers:", tally([t.result() if not t.exception() else t.exception() for t in done]),
          "still waiting:", len(not_done))

    # Expiry: a small batch on a rule with a 10 s timeout, nobody decides.
    expiring, _ = await batch(args, dev, "claude-bench-expire", "expiring request", 100)
    done, not_done = await asyncio.wait(expiring, timeout=120)
    print("expiry answers:",
          tally([t.result() if not t.exception() else t.exception() for t in done]),
          "still waiting:", len(not_done))
    print("pending left:", len(admin.pending_ids()), "readyz:", readyz(args.admin_port))
    print("heap after the holds ended, after GC:", heap_used_kib(args.pid), "KiB")


if __name__ == "__main__":
    asyncio.run(main())
