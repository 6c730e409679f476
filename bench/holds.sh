#!/usr/bin/env bash
# Approval holds: heap per held request, and how many holds fit in a 1 GiB heap (issue 7).
#
# Starts `jitgw demo` (development issuer, simulated upstream) with -Xmx1g and a policy that holds
# every request for approval, then bench/holds_client.py opens N concurrent held requests with
# distinct bodies, waits until the gateway lists N pending approvals, forces a GC in the gateway
# before and after and reads the heap in use (jcmd), checks /readyz, and finally decides them all
# (a few approved, the rest denied) and lets a small second batch expire, checking every caller
# got its answer. Run by hand, not by CI; results go to docs/benchmarks.md.
#
# usage: bench/holds.sh [N]            N held requests, default 10000
#        HEAP=512m bench/holds.sh 5000 another -Xmx
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/gateway-server/target/jitgw.jar"
n="${1:-10000}"
heap="${HEAP:-1g}"

if [[ ! -f "$jar" ]]; then
  echo "building $jar ..." >&2
  (cd "$root" && mvn -B -q package -DskipTests -pl gateway-server -am) >&2
fi

# The client holds N sockets and the gateway N more: both need the descriptors.
hard="$(ulimit -Hn)"
if [[ "$hard" != unlimited && "$hard" -lt $((n + 1000)) ]]; then
  echo "ulimit -Hn is $hard; $n held requests need at least $((n + 1000)) descriptors" >&2
  exit 2
fi
ulimit -n "$hard"

work="$(mktemp -d /tmp/jitgw-holds.XXXXXX)"
cat >"$work/policy.yaml" <<'EOF'
version: 1
rules:
  - name: bench-expires
    when: request.model == "claude-bench-expire"
    approve: {approvers: [security], timeout: 10s}
  - name: hold-everything
    when: "true"
    approve: {approvers: [security], timeout: 30m}
EOF

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
port="$(free_port)"
admin_port="$(free_port)"
issuer_port="$(free_port)"

echo "gateway: java -Xmx$heap -jar $jar demo --policy $work/policy.yaml (log: $work/gateway.log)"
env -u ANTHROPIC_API_KEY java "-Xmx$heap" -jar "$jar" demo \
  --policy "$work/policy.yaml" --data-dir "$work/data" \
  --port "$port" --admin-port "$admin_port" --issuer-port "$issuer_port" \
  >"$work/gateway.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$admin_port/readyz" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the gateway exited:" >&2
    cat "$work/gateway.log" >&2
    exit 1
  fi
  sleep 0.5
done

python3 "$root/bench/holds_client.py" \
  --n "$n" --pid "$pid" --port "$port" --admin-port "$admin_port" \
  --issuer-port "$issuer_port" --work "$work"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr)," \
  "$(java -version 2>&1 | head -1)"
echo "files: $work"
