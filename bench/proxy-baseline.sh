#!/usr/bin/env bash
# Throughput baseline: the same wrk load against a local nginx "Claude API" directly, through nginx
# as a plain reverse proxy, and through jitgw (JWT verification against a local issuer whose keys
# nginx serves, and the built-in policy; no masking or audit yet). Run by hand, not by CI:
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

# A local OIDC issuer: an RSA key made with openssl, its JWKS and discovery document served by
# nginx, and one RS256 token (valid 55 minutes) signed with openssl.
issuer="http://127.0.0.1:$upstream_port/idp"
openssl genrsa -out "$work/idp.pem" 2048 2>/dev/null
mkdir -p "$work/idp/.well-known"
python3 - "$work" "$issuer" <<'PY'
import base64, json, subprocess, sys, time
work, issuer = sys.argv[1], sys.argv[2]
def b64(data): return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
modulus = subprocess.check_output(["openssl", "rsa", "-in", f"{work}/idp.pem", "-noout", "-modulus"]).decode().strip().split("=", 1)[1]
n = bytes.fromhex(modulus)
jwk = {"kty": "RSA", "kid": "bench", "alg": "RS256", "use": "sig", "n": b64(n), "e": b64((65537).to_bytes(3, "big"))}
open(f"{work}/idp/jwks.json", "w").write(json.dumps({"keys": [jwk]}))
open(f"{work}/idp/.well-known/openid-configuration", "w").write(json.dumps({"issuer": issuer, "jwks_uri": issuer + "/jwks.json"}))
now = int(time.time())
header = b64(json.dumps({"alg": "RS256", "kid": "bench", "typ": "JWT"}).encode())
claims = b64(json.dumps({"iss": issuer, "sub": "bench", "aud": "jitgw", "iat": now, "exp": now + 3300, "groups": ["eng"]}).encode())
signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{work}/idp.pem"], input=f"{header}.{claims}".encode(), capture_output=True, check=True).stdout
open(f"{work}/token", "w").write(f"{header}.{claims}.{b64(signature)}")
PY

chmod a+x "$work" && chmod -R a+rX "$work/idp"  # nginx workers run unprivileged
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
    location /idp/ {
      alias $work/idp/;
      default_type application/json;
    }
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

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.headers["authorization"] = "Bearer $(cat "$work/token")"
wrk.body = '{"model":"claude-bench","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}'
LUA

"$root/bin/jitgw" --version >/dev/null
ANTHROPIC_API_KEY=sk-bench JITGW_UPSTREAM_URL="http://127.0.0.1:$upstream_port" \
  JITGW_OIDC_ISSUER="$issuer" JITGW_DATA_DIR="$work/data" \
  JITGW_LOG_LEVEL=WARN java ${JAVA_OPTS:-} -jar "$root/gateway-server/target/jitgw.jar" serve \
  --listen "127.0.0.1:$gateway_port" --admin-listen "127.0.0.1:$admin_port" \
  > "$work/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$admin_port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

curl -s -o "$work/probe.txt" -w "probe through jitgw: %{http_code}\n" -H "authorization: Bearer $(cat "$work/token")" -H "content-type: application/json" -d "{\"model\":\"claude-bench\",\"max_tokens\":8,\"messages\":[]}" "http://127.0.0.1:$gateway_port/v1/messages"; cat "$work/probe.txt"; echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(java -version 2>&1 | head -1)"
echo "load: wrk -t2 -c$connections -d$duration --latency, POST /v1/messages (JSON, 230-byte response)"
# Warm up the JIT before measuring: C2 needs tens of thousands of exchanges.
wrk -t2 -c"$connections" -d20s -s "$work/post.lua" "http://127.0.0.1:$gateway_port/v1/messages" >/dev/null
for target in "nginx-direct http://127.0.0.1:$upstream_port" \
  "nginx-proxy http://127.0.0.1:$nginx_proxy_port" "jitgw http://127.0.0.1:$gateway_port"; do
  set -- $target
  echo "== $1"
  wrk -t2 -c"$connections" -d"$duration" --latency -s "$work/post.lua" "$2/v1/messages" \
    | grep -E "Requests/sec|^ +Latency |^ +50%|^ +99%|Non-2xx|Socket errors"
done
