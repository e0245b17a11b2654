#!/usr/bin/env bash
# Builds the benchmarks and runs every one of them (about 16 minutes on 2 cores), writing JSON results and logs
# to benchmarks/target/results/, then prints the ratios the README's table reports.
#   benchmarks/run-all.sh           full run (Java 17, plus RewrapBenchmark on Java 25 when installed)
#   benchmarks/run-all.sh --short   every benchmark once on tiny inputs: proof that they run (under 2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl core,barbican-connector,ontap-rest,benchmarks -am package -DskipTests
out=benchmarks/target/results
jar=benchmarks/target/benchmarks.jar
java25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
mkdir -p "$out"

if [[ "${1:-}" == "--short" ]]; then
  java -cp "$jar" dev.kmsengine.ShortRun "$out/short.json" | tee "$out/short.log"
  benchmarks/rest-load.sh --short
  exit 0
fi

java -jar "$jar" RewrapBenchmark -prof gc -rf json -rff "$out/rewrap-java17.json" | tee "$out/rewrap-java17.log"
if [[ -x "$java25" ]]; then
  java -jar "$jar" RewrapBenchmark -jvm "$java25" -prof gc -rf json -rff "$out/rewrap-java25.json" \
    | tee "$out/rewrap-java25.log"
fi
java -jar "$jar" RekeyBenchmark -prof gc -rf json -rff "$out/rekey.json" | tee "$out/rekey.log"
java -jar "$jar" RekeyScalingBenchmark -rf json -rff "$out/scaling.json" | tee "$out/scaling.log"
java -jar "$jar" RestoreBenchmark -rf json -rff "$out/restore.json" | tee "$out/restore.log"
java -jar "$jar" FetchContentionBenchmark -rf json -rff "$out/fetch.json" | tee "$out/fetch.log"
python3 benchmarks/summarize.py "$out"
# The REST server under wrk, against nginx serving the same bytes (installs Debian's wrk and nginx if absent).
benchmarks/rest-load.sh
