#!/usr/bin/env bash
# Runs JMH benchmarks that live beside a module's tests (src/test/java, *Benchmark). By hand:
#   bench/jmh.sh MODULE [PATTERN] [JMH OPTIONS...]
#   bench/jmh.sh gateway-policy TokenVerifierBenchmark -f 1 -wi 3 -i 5
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module="${1:?module, e.g. gateway-policy}"
shift
cd "$root"
mvn -B -q install -DskipTests -Dspotless.check.skip=true >&2
mvn -B -q -pl "$module" test-compile dependency:build-classpath -Dspotless.check.skip=true \
  -Dmdep.outputFile=target/jmh-classpath.txt -Dmdep.includeScope=test >&2
cp="$module/target/test-classes:$module/target/classes:$(cat "$module/target/jmh-classpath.txt")"
exec java -cp "$cp" org.openjdk.jmh.Main "$@"
