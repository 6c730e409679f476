#!/usr/bin/env bash
# Side-by-side benchmark (issue 9): jitgw with its whole pipeline against nginx as a plain reverse
# proxy, on this machine, in one run. Run by hand, not by CI:
#
#   bench/side-by-side.sh                       # the full measurement (about 9 minutes)
#   DURATION=3s WARMUP=3s STREAMS=500 HOLD=5 TTFB_REQUESTS=50 bench/side-by-side.sh   # smoke
#   PHASES=load TARGETS=jitgw LOADS=json CONNECTIONS=32 TOP=1 bench/side-by-side.sh   # one case,
#       with jitgw's per-thread CPU (top -H) in $OUT/top.log; WARMUP=0 skips the warm-up
#   PHASES=serve bench/side-by-side.sh          # start everything and leave it running (for perf
#       or JFR by hand); prints the ports and a wrk command line; Ctrl-C stops it
#
# What runs:
#   - nginx as the "Claude API" (1 worker): POST /v1/messages answers a 552-byte Messages JSON
#     body, or, with the header x-bench-stream: 1, a static 200-event SSE file
#     (text/event-stream); it also serves the JWKS of a local OIDC issuer (openssl-made RSA key).
#   - nginx as a plain keep-alive reverse proxy in front of it (worker_processes auto, one
#     worker per core, like jitgw's one event loop per core; buffering off for SSE responses via
#     X-Accel-Buffering: no, as an SSE-aware proxy is configured).
#   - jitgw (gateway-server/target/jitgw.jar serve) in front of it with the whole pipeline: RS256
#     JWT verification against that issuer, bench/policy-20-rules.yaml (20 CEL rules; the request
#     falls through 19 to an allow with mask: [secrets, pii] and limits), masking of every
#     response, durable audit (the default; data dir under a temp dir).
#   - wrk with bench/wrk-messages.lua (POST of bench/messages-request.json, 1.6 KB), 32 and 256
#     connections, for JSON and SSE, against the upstream directly, nginx and jitgw.
#   - streaming time to first byte: TTFB_REQUESTS sequential streaming requests over one
#     keep-alive connection with curl, through each target.
#   - STREAMS concurrent SSE streams held open through a fresh jitgw whose upstream
#     (bench/HoldUpstream.java) keeps every stream open (a ping every PING seconds); jitgw's VmRSS
#     from /proc before and while they are open. STREAMS_PROTOCOL=h2 (the default): jitgw runs
#     with upstream.protocol: h2 and the upstream allows 256 streams per connection, as an HTTP/2
#     API edge does, so each stream holds one descriptor in jitgw (the caller's); http/1.1: each
#     holds two, and 10,000 streams need an open-files limit above 20,000 (ulimit -Hn). The
#     report names the limit and the streams refused.
#   - optional (PROFILE=1): a JFR recording of jitgw under the 256-connection JSON load after
#     the measurements, summarised into the hottest frames.
#
# Results: a Markdown report on stdout and in $OUT/side-by-side.md, the chart $OUT/side-by-side.png,
# raw results $OUT/results.jsonl and every wrk report in $OUT/wrk.log.
# Needs nginx, wrk, curl, openssl, python3 (standard library only) and a JDK 17.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${DURATION:-20s}"
WARMUP="${WARMUP:-60s}"  # per load; C2 was still compiling 45 s into a 20 s + 20 s warm-up
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32 256}"
TTFB_REQUESTS="${TTFB_REQUESTS:-500}"
STREAMS="${STREAMS:-10000}"
STREAMS_PROTOCOL="${STREAMS_PROTOCOL:-h2}"  # upstream.protocol for the streams phase: h2 or http/1.1
HOLD="${HOLD:-20}"
PING="${PING:-5}"
PROFILE="${PROFILE:-0}"
PROFILE_DURATION="${PROFILE_DURATION:-30s}"
PHASES="${PHASES:-load ttfb streams}"  # a subset runs only those phases
TARGETS="${TARGETS:-direct nginx jitgw}"  # a subset measures only those targets
LOADS="${LOADS:-json sse}"  # a subset runs only those loads
TOP="${TOP:-0}"  # 1: per-thread CPU of jitgw (top -H) during each of its load runs, in $OUT/top.log
OUT="${OUT:-$root/target/side-by-side}"
jar="${JITGW_JAR:-$root/gateway-server/target/jitgw.jar}"

upstream_port=18090
nginx_port=18091
gateway_port=18080
admin_port=19090
slow_port=18095

for tool in nginx wrk curl openssl python3 java; do
  command -v "$tool" >/dev/null || { echo "side-by-side: $tool not found" >&2; exit 1; }
done
if [[ ! -f "$jar" ]]; then
  echo "side-by-side: building $jar" >&2
  (cd "$root" && mvn -o -B -q package -DskipTests -pl gateway-server -am) >&2
fi
# 10,000 streams need 20,000+ descriptors in jitgw (caller and upstream side of each).
ulimit -n "$(ulimit -Hn)"

work="$(mktemp -d /tmp/jitgw-side-by-side.XXXXXX)"
mkdir -p "$OUT"
results="$OUT/results.jsonl"
: > "$results"
: > "$OUT/wrk.log"
helper="$root/bench/side_by_side.py"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for conf in upstream proxy; do
    [[ -f "$work/nginx-$conf.pid" ]] && kill "$(cat "$work/nginx-$conf.pid")" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  [[ -f "$work/gateway.log" ]] && cp "$work/gateway.log" "$OUT/gateway.log"
  rm -rf "$work"
}
trap cleanup EXIT

# One JSON object per line into results.jsonl; values given as key=value (numbers stay numbers).
record() {
  python3 -c 'import json,sys
d={}
for kv in sys.argv[1:]:
    k,v=kv.split("=",1)
    try: d[k]=json.loads(v)
    except ValueError: d[k]=v
print(json.dumps(d))' "$@" >> "$results"
}

# What one synced write costs on the disk under the audit log: the floor of every exchange's
# wait for its durable audit record.
fsync_ms="$(dd if=/dev/zero of="$work/fsync-probe" bs=1k count=300 oflag=dsync 2>&1 \
  | awk '/copied/ {printf "%.3f", $(NF-3) * 1000 / 300}')"
rm -f "$work/fsync-probe"
# The effective settings, so that the report names a command that repeats the run.
command_line="$(for v in DURATION WARMUP STREAMS HOLD TTFB_REQUESTS PROFILE; do
  printf '%s=%s ' "$v" "${!v}"; done)"
[[ "$PHASES" != "load ttfb streams" ]] && command_line+="PHASES='$PHASES' "
[[ "$TARGETS" != "direct nginx jitgw" ]] && command_line+="TARGETS='$TARGETS' "
[[ "$LOADS" != "json sse" ]] && command_line+="LOADS='$LOADS' "
[[ "$CONNECTIONS" != "32 256" ]] && command_line+="CONNECTIONS='$CONNECTIONS' "
[[ "$STREAMS_PROTOCOL" != h2 ]] && command_line+="STREAMS_PROTOCOL='$STREAMS_PROTOCOL' "
[[ -n "${JAVA_OPTS:-}" ]] && command_line+="JAVA_OPTS='$JAVA_OPTS' "
command_line+="bench/side-by-side.sh"
record kind=meta "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "command=$command_line" \
  "nproc=$(nproc)" "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" \
  "memory=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)" \
  "kernel=$(uname -sr)" "jdk=$(java -version 2>&1 | head -1)" \
  "nginx=$(nginx -v 2>&1 | sed 's/.*nginx\///')" "wrk=$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)" \
  "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)" "threads=$THREADS" "duration=$DURATION" \
  "warmup=$WARMUP" "fsync_ms=$fsync_ms" "commit=$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- . 2>/dev/null || echo '+changes')"

# --- fixtures: issuer, token, upstream responses, request bodies ------------------------------
issuer="http://127.0.0.1:$upstream_port/idp"
python3 "$helper" issuer "$work" "$issuer"
python3 "$helper" fixtures "$work" "$root/bench/messages-request.json"
token="$(cat "$work/token")"
chmod a+x "$work" && chmod -R a+rX "$work/idp" "$work/upstream"  # nginx workers run unprivileged

# --- nginx: the upstream, and the reverse proxy ----------------------------------------------
cat > "$work/nginx-upstream.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 20000;
pid $work/nginx-upstream.pid;
error_log $work/nginx-upstream.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$upstream_port backlog=4096;
    location /idp/ {
      alias $work/idp/;
      default_type application/json;
    }
    location = /v1/messages {
      if (\$http_x_bench_stream) { rewrite ^ /sse.txt last; }
      default_type application/json;
      return 200 '$(cat "$work/upstream/message.json")';
    }
    # The static module refuses POST with 405; error_page turns that into the file with 200.
    location = /sse.txt {
      internal;
      root $work/upstream;
      types { }
      default_type text/event-stream;
      add_header cache-control no-cache;
      add_header x-accel-buffering no;
      error_page 405 =200 \$uri;
    }
  }
}
CONF
cat > "$work/nginx-proxy.conf" <<CONF
worker_processes auto;
worker_rlimit_nofile 20000;
pid $work/nginx-proxy.pid;
error_log $work/nginx-proxy.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream claude { server 127.0.0.1:$upstream_port; keepalive 1024; }
  server {
    listen 127.0.0.1:$nginx_port backlog=4096;
    location /v1/ {
      proxy_pass http://claude;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header x-api-key sk-bench;
    }
  }
}
CONF
nginx -c "$work/nginx-upstream.conf" -p "$work"
nginx -c "$work/nginx-proxy.conf" -p "$work"

# --- jitgw ----------------------------------------------------------------------------------
gateway_pid=""
start_gateway() {  # $1: upstream URL, $2: data dir
  ANTHROPIC_API_KEY=sk-bench JITGW_UPSTREAM_URL="$1" JITGW_OIDC_ISSUER="$issuer" \
    JITGW_POLICY_FILE="$root/bench/policy-20-rules.yaml" JITGW_DATA_DIR="$2" \
    JITGW_LOG_LEVEL=WARN java ${JAVA_OPTS:-} -jar "$jar" serve \
    --listen "127.0.0.1:$gateway_port" --admin-listen "127.0.0.1:$admin_port" \
    >> "$work/gateway.log" 2>&1 &
  gateway_pid=$!
  pids+=("$gateway_pid")
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$admin_port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$gateway_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "side-by-side: jitgw did not become ready; its log:" >&2
  cat "$work/gateway.log" >&2
  exit 1
}
stop_gateway() {
  kill "$gateway_pid" 2>/dev/null || true
  wait "$gateway_pid" 2>/dev/null || true
}
start_gateway "http://127.0.0.1:$upstream_port" "$work/data"

targets=()
for name in $TARGETS; do
  case "$name" in
    direct) targets+=("direct http://127.0.0.1:$upstream_port") ;;
    nginx) targets+=("nginx http://127.0.0.1:$nginx_port") ;;
    jitgw) targets+=("jitgw http://127.0.0.1:$gateway_port") ;;
    *) echo "side-by-side: unknown target $name (expected: direct nginx jitgw)" >&2; exit 1 ;;
  esac
done

# Check every target answers both loads before measuring anything.
for target in "${targets[@]}"; do
  set -- $target
  for body in request request-stream; do
    hdr=(); [[ "$body" == request-stream ]] && hdr=(-H "x-bench-stream: 1")
    code="$(curl -s -o "$work/probe" -w '%{http_code} %{content_type}' -X POST \
      -H "authorization: Bearer $token" -H "content-type: application/json" \
      -H "anthropic-version: 2023-06-01" "${hdr[@]}" --data-binary "@$work/$body.json" "$2/v1/messages")"
    cp "$work/probe" "$OUT/probe-$1-$body.txt"
    events="$(grep -c '^event:' "$work/probe" || true)"
    echo "probe $1 $body: $code, $(wc -c < "$work/probe") bytes, $events events" >&2
    if [[ "$code" != 200* ]] || { [[ "$body" == request-stream ]] && (( events < 200 )); }; then
      echo "side-by-side: probe of $1 failed:" >&2; head -c 600 "$work/probe" >&2; echo >&2
      tail -20 "$work/gateway.log" >&2; exit 1
    fi
  done
done

scrape() { curl -fs "http://127.0.0.1:$admin_port/metrics" > "$1" || : > "$1"; }

run_wrk() {  # $1 load (json|sse), $2 target, $3 url, $4 connections, $5 duration; prints RESULT
  local body="$work/request.json" stream=0
  [[ "$1" == sse ]] && body="$work/request-stream.json" && stream=1
  BENCH_BODY="$body" BENCH_TOKEN="$token" BENCH_STREAM="$stream" \
    wrk -t"$THREADS" -c"$4" -d"$5" --latency -s "$root/bench/wrk-messages.lua" "$3/v1/messages" \
    > "$work/wrk.out"
  { echo "== $1 $2 c$4 $5"; cat "$work/wrk.out"; } >> "$OUT/wrk.log"
  grep '^RESULT ' "$work/wrk.out" | cut -d' ' -f2-
}

has_phase() { [[ " $PHASES " == *" $1 "* ]]; }

if has_phase serve; then
  # Leave everything running for profiling by hand (perf, JFR, async load); Ctrl-C stops it.
  cat >&2 <<SERVE
serve: jitgw pid $gateway_pid on http://127.0.0.1:$gateway_port (admin $admin_port), nginx proxy on
  http://127.0.0.1:$nginx_port, upstream on http://127.0.0.1:$upstream_port; fixtures in $work
  load: BENCH_BODY=$work/request.json BENCH_TOKEN=\$(cat $work/token) BENCH_STREAM=0 \\
        wrk -t2 -c32 -d20s --latency -s $root/bench/wrk-messages.lua http://127.0.0.1:$gateway_port/v1/messages
SERVE
  while kill -0 "$gateway_pid" 2>/dev/null; do sleep 5; done
fi

if has_phase load; then
# Warm up: C2 needs tens of thousands of exchanges; nginx needs nothing but gets a few seconds.
echo "warm-up: $WARMUP JSON and $WARMUP SSE through jitgw" >&2
if [[ "$WARMUP" != 0 ]]; then
  run_wrk json jitgw "http://127.0.0.1:$gateway_port" 256 "$WARMUP" >/dev/null
  run_wrk sse jitgw "http://127.0.0.1:$gateway_port" 32 "$WARMUP" >/dev/null
  run_wrk json nginx "http://127.0.0.1:$nginx_port" 32 3s >/dev/null
fi

for load in $LOADS; do
  for c in $CONNECTIONS; do
    for target in "${targets[@]}"; do
      set -- $target
      sleep 2
      scrape "$work/metrics-before"
      top_pid=""
      if [[ "$TOP" == 1 && "$1" == jitgw ]]; then
        { echo "== $load $1 c$c"; top -H -b -d 5 -n 3 -p "$gateway_pid" | grep -A12 '^ *PID'; } \
          >> "$OUT/top.log" &
        top_pid=$!
      fi
      line="$(run_wrk "$load" "$1" "$2" "$c" "$DURATION")"
      [[ -n "$top_pid" ]] && wait "$top_pid"
      scrape "$work/metrics-after"
      gw='{}'
      [[ "$1" == jitgw ]] && gw="$(python3 "$helper" metrics-delta "$work/metrics-before" "$work/metrics-after")"
      echo "$load c$c $1: $line $gw" >&2
      python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(json.loads(sys.argv[5])); d.update(kind="wrk", load=sys.argv[2], target=sys.argv[3], connections=int(sys.argv[4])); print(json.dumps(d))' \
        "$line" "$load" "$1" "$c" "$gw" >> "$results"
    done
  done
done

fi

# --- streaming time to first byte -------------------------------------------------------------
has_phase ttfb && for target in "${targets[@]}"; do
  set -- $target
  {
    for _ in $(seq 1 "$TTFB_REQUESTS"); do
      printf 'url = "%s/v1/messages"\noutput = "/dev/null"\n' "$2"
    done
  } > "$work/ttfb.curl"
  scrape "$work/metrics-before"
  curl -s -K "$work/ttfb.curl" -X POST -H "authorization: Bearer $token" \
    -H "content-type: application/json" -H "anthropic-version: 2023-06-01" \
    -H "x-bench-stream: 1" --data-binary "@$work/request-stream.json" \
    -w '%{time_starttransfer}\n' > "$work/ttfb-$1.txt"
  scrape "$work/metrics-after"
  line="$(python3 "$helper" ttfb "$work/ttfb-$1.txt")"
  gw='{}'
  [[ "$1" == jitgw ]] && gw="$(python3 "$helper" metrics-delta "$work/metrics-before" "$work/metrics-after")"
  echo "ttfb $1: $line $gw" >&2
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(json.loads(sys.argv[3])); d.update(kind="ttfb", target=sys.argv[2]); print(json.dumps(d))' \
    "$line" "$1" "$gw" >> "$results"
done

# --- optional profile under the 256-connection JSON load --------------------------------------
if [[ "$PROFILE" == 1 ]]; then
  echo "profile: JFR during $PROFILE_DURATION of JSON load, 256 connections" >&2
  jcmd "$gateway_pid" JFR.start name=bench settings=profile filename="$OUT/jitgw.jfr" >/dev/null
  run_wrk json jitgw "http://127.0.0.1:$gateway_port" 256 "$PROFILE_DURATION" >/dev/null
  jcmd "$gateway_pid" JFR.stop name=bench >/dev/null
  jfr print --stack-depth 64 --events jdk.ExecutionSample "$OUT/jitgw.jfr" > "$work/samples.txt"
  python3 "$helper" jfr-summary "$work/samples.txt" > "$OUT/profile.txt"
  echo "profile: $OUT/profile.txt" >&2
fi
stop_gateway

# --- concurrent open SSE streams through a fresh jitgw ----------------------------------------
if has_phase streams; then
hold_protocol=h1
[[ "$STREAMS_PROTOCOL" == h2 ]] && hold_protocol=h2
java -cp "$jar" "$root/bench/HoldUpstream.java" "$slow_port" "$PING" "$hold_protocol" \
  >> "$work/hold-upstream.log" 2>&1 &
pids+=("$!")
until grep -q 'hold upstream on' "$work/hold-upstream.log" 2>/dev/null; do sleep 0.2; done
printf 'upstream:\n  protocol: %s\n' "$STREAMS_PROTOCOL" > "$work/streams.yaml"
export JITGW_CONFIG="$work/streams.yaml"
start_gateway "http://127.0.0.1:$slow_port" "$work/data-streams"
unset JITGW_CONFIG
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$gateway_pid/status"; }
sleep 3
rss_before="$(rss_kib)"
echo "streams: opening $STREAMS streams through jitgw (RSS before: $((rss_before / 1024)) MiB)" >&2
BENCH_TOKEN_FILE="$work/token" BENCH_BODY="$work/request-stream.json" BENCH_PING="$PING" \
  python3 "$helper" hold 127.0.0.1 "$gateway_port" "$STREAMS" "$work/hold.json" "$HOLD" \
  >> "$work/hold.log" 2>&1 &
hold_pid=$!
pids+=("$hold_pid")
until [[ -f "$work/hold.json" ]] || ! kill -0 "$hold_pid" 2>/dev/null; do sleep 0.5; done
rss_held=0
fds_held=0
upstream_held=0
for _ in $(seq 1 $((HOLD > 4 ? HOLD - 3 : 1))); do  # the largest RSS while the streams are open
  kill -0 "$hold_pid" 2>/dev/null || break
  r="$(rss_kib)"; (( r > rss_held )) && rss_held="$r"
  f="$(ls "/proc/$gateway_pid/fd" | wc -l)"; (( f > fds_held )) && fds_held="$f"
  u="$(ss -Htn state established "( dport = :$slow_port )" | wc -l)"
  (( u > upstream_held )) && upstream_held="$u"
  sleep 1
done
scrape "$work/metrics-held"
cp "$work/metrics-held" "$OUT/metrics-streams-held.txt"
jcmd "$gateway_pid" GC.heap_info > "$OUT/heap-streams-held.txt" 2>&1 || true
wait "$hold_pid" || { echo "side-by-side: the stream client failed:" >&2; cat "$work/hold.log" >&2; }
fd_limit="$(awk '/Max open files/ {print $4}' "/proc/$gateway_pid/limits")"
python3 - "$work/hold.json" "$rss_before" "$rss_held" "$fds_held" "$fd_limit" "$PING" \
  "$(python3 "$helper" metrics-delta /dev/null "$work/metrics-held")" "$STREAMS_PROTOCOL" \
  "$upstream_held" >> "$results" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
m = json.loads(sys.argv[7])
h.update(heap_used_mib=m["heap_used_mib"], heap_committed_mib=m["heap_committed_mib"],
         direct_mib=m["direct_mib"])
before, held = int(sys.argv[2]), int(sys.argv[3])
h.update(kind="streams", rss_before_mib=before / 1024, rss_held_mib=held / 1024,
         rss_per_stream_kib=(held - before) / h["opened"] if h["opened"] else None,
         fds_held=int(sys.argv[4]), fd_limit=int(sys.argv[5]), ping_seconds=float(sys.argv[6]),
         protocol=sys.argv[8], upstream_connections=int(sys.argv[9]))
print(json.dumps(h))
PY
echo "streams: $(tail -1 "$results")" >&2
stop_gateway
fi

record kind=meta "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$helper" report "$results" "$OUT/side-by-side.md" "$OUT/side-by-side.png"
echo >&2
echo "report: $OUT/side-by-side.md, chart: $OUT/side-by-side.png" >&2
