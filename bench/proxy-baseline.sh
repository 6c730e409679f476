#!/usr/bin/env bash
# Throughput baseline: the same wrk load against a local nginx "Claude API" directly, through nginx
# as a plain reverse proxy, and through jitgw (plain proxying today: no identity, policy, masking
# or audit yet). Run by hand, not by CI:
#   bench/proxy-baseline.sh [DURATION] [CONNECTIONS]
# Needs nginx and wrk (Debian packages) and a built jar (bin/jitgw builds it).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
duration="${1:-20s}"
connections="${2:-32}"
work="$(mktemp -d)"
upstream_port=18090
nginx_proxy_port=18091
gateway_port=18080
admin_port=19090

cleanup() {
  [[ -n "${gateway_pid:-}" ]] && kill "$gateway_pid" 2>/dev/null || true
  [[ -f "$work/nginx.pid" ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$upstream_port;
    location = /v1/messages {
      default_type application/json;
      return 200 '{"id":"msg_bench","type":"message","role":"assistant","model":"claude-bench","content":[{"type":"text","text":"Hello from nginx, the benchmark upstream."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":9}}';
    }
  }
  upstream claude { server 127.0.0.1:$upstream_port; keepalive 64; }
  server {
    listen 127.0.0.1:$nginx_proxy_port;
    location /v1/ {
      proxy_pass http://claude;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header x-api-key sk-bench;
    }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.headers["x-api-key"] = "caller-credential"
wrk.body = '{"model":"claude-bench","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}'
LUA

"$root/bin/jitgw" --version >/dev/null
ANTHROPIC_API_KEY=sk-bench JITGW_UPSTREAM_URL="http://127.0.0.1:$upstream_port" \
  JITGW_LOG_LEVEL=WARN java ${JAVA_OPTS:-} -jar "$root/gateway-server/target/jitgw.jar" serve \
  --listen "127.0.0.1:$gateway_port" --admin-listen "127.0.0.1:$admin_port" \
  > "$work/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$admin_port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(java -version 2>&1 | head -1)"
echo "load: wrk -t2 -c$connections -d$duration --latency, POST /v1/messages (JSON, 230-byte response)"
# Warm up the JIT before measuring: C2 needs tens of thousands of exchanges.
wrk -t2 -c"$connections" -d20s -s "$work/post.lua" "http://127.0.0.1:$gateway_port/v1/messages" >/dev/null
for target in "nginx-direct http://127.0.0.1:$upstream_port" \
  "nginx-proxy http://127.0.0.1:$nginx_proxy_port" "jitgw http://127.0.0.1:$gateway_port"; do
  set -- $target
  echo "== $1"
  wrk -t2 -c"$connections" -d"$duration" --latency -s "$work/post.lua" "$2/v1/messages" \
    | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
done
