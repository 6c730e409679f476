#!/usr/bin/env bash
# Compares the masking benchmark of two commits in one JVM, rep by rep, so both see the same noise
# (docs/benchmarks.md, masking, third pass). By hand, not by CI:
#   bench/paired.sh BEFORE AFTER [METHOD] [DELTA_CHARS] [PROFILE] [REPS]
#   bench/paired.sh 129cb27 HEAD sse 80 secrets+pii 900
# Each commit's gateway-policy classes are compiled in a temporary worktree (never installed);
# the benchmark class and dependencies come from this checkout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
before="${1:?commit before}"
after="${2:?commit after}"
method="${3:-sse}"
delta="${4:-80}"
profile="${5:-secrets+pii}"
reps="${6:-600}"
work="$(mktemp -d)"
cleanup() {
  git -C "$root" worktree remove --force "$work/before" >/dev/null 2>&1 || true
  git -C "$root" worktree remove --force "$work/after" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$root"
mvn -B -q -pl gateway-policy test-compile dependency:build-classpath -Dspotless.check.skip=true \
  -Dmdep.outputFile=target/jmh-classpath.txt -Dmdep.includeScope=test >&2
for side in before after; do
  rev="$before"
  [ "$side" = after ] && rev="$after"
  git worktree add -q --detach "$work/$side" "$rev"
  (cd "$work/$side" && mvn -B -q -pl gateway-policy compile -Dspotless.check.skip=true >&2)
done
javac -d "$work" bench/Paired.java
java -Ddeps="$(cat gateway-policy/target/jmh-classpath.txt)" \
  -Dtests="$root/gateway-policy/target/test-classes" -cp "$work" Paired \
  "$method" "$delta" "$profile" "$reps" \
  "$work/before/gateway-policy/target/classes" "$work/after/gateway-policy/target/classes"
