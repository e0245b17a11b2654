#!/usr/bin/env bash
# Builds the benchmarks and runs every one of them (about 20 minutes on 2 cores, then the REST load test), writing JSON results and logs
# to benchmarks/target/results/, then prints the ratios the README's table reports and redraws its charts
# (benchmarks/charts/*.svg, plain SVG written by summarize.py: no plotting library).
#   benchmarks/run-all.sh           normal run (Java 17, plus the rewrap benchmarks on Java 25 when installed)
#   benchmarks/run-all.sh --full    the normal run, then 10M volumes: rekey (memory and durable), the interleaved
#                                   rekeys and start-up, each beside its 1M in the same JMH run, on a 14 GB heap
#                                   (well over an hour: building a durable 10M-volume store alone takes minutes)
#   benchmarks/run-all.sh --short   every benchmark once on tiny inputs: proof that they run (under 2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl core,barbican-connector,ontap-rest,benchmarks -am package -DskipTests
out=benchmarks/target/results
jar=benchmarks/target/benchmarks.jar
java25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
# The 10M-volume runs: a 10M-volume SVM takes about 4.4 GB in memory, and its rekey stages a second generation.
big_heap=(-jvmArgsAppend "-Xmx14g -XX:+UseG1GC")
mkdir -p "$out"

if [[ "${1:-}" == "--short" ]]; then
  java -cp "$jar" dev.kmsengine.benchmarks.ShortRun "$out/short.json" | tee "$out/short.log"
  benchmarks/rest-load.sh --short
  exit 0
fi

# The interleaved rounds give the ratios, robust to a loaded host, after 10 x 2 s of warm-up (with 3 warm-up
# iterations the engine once read 0.87x instead of ~0.5x); RewrapBenchmark gives each variant's B/op and its own
# ns/op, and stays short: 10 variants and benchmarks at 15 s each, on two JDKs.
rewrap=(RewrapBenchmark -wi 10 -w 1s -i 5 -r 1s -prof gc)
interleaved=(RewrapInterleavedBenchmark -wi 10 -w 2s -i 20 -r 1s)
java -jar "$jar" "${rewrap[@]}" -rf json -rff "$out/rewrap-java17.json" | tee "$out/rewrap-java17.log"
java -jar "$jar" "${interleaved[@]}" -rf json -rff "$out/interleaved-java17.json" | tee "$out/interleaved-java17.log"
if [[ -x "$java25" ]]; then
  # ACCP loads a native library: Java 22+ warns unless native access is granted.
  on25=(-jvm "$java25" -jvmArgsAppend "-Xmx3g -XX:+UseG1GC --enable-native-access=ALL-UNNAMED")
  java -jar "$jar" "${rewrap[@]}" "${on25[@]}" -rf json -rff "$out/rewrap-java25.json" | tee "$out/rewrap-java25.log"
  java -jar "$jar" "${interleaved[@]}" "${on25[@]}" -rf json -rff "$out/interleaved-java25.json" \
    | tee "$out/interleaved-java25.log"
fi
java -jar "$jar" RekeyBenchmark -prof gc -rf json -rff "$out/rekey.json" | tee "$out/rekey.log"
java -jar "$jar" RekeyScalingBenchmark -rf json -rff "$out/scaling.json" | tee "$out/scaling.log"
java -jar "$jar" RestoreBenchmark -rf json -rff "$out/restore.json" | tee "$out/restore.log"
java -jar "$jar" FetchContentionBenchmark -rf json -rff "$out/fetch.json" | tee "$out/fetch.log"
java -jar "$jar" StartupBenchmark -rf json -rff "$out/startup.json" | tee "$out/startup.log"

if [[ "${1:-}" == "--full" ]]; then
  # Fewer shots at 10M: each is ten times longer, so the JIT is warm after the first, and the whole stays in hours.
  java -jar "$jar" RekeyBenchmark -p volumes=1000000,10000000 -wi 2 -i 3 -prof gc "${big_heap[@]}" \
    -rf json -rff "$out/rekey-scale.json" | tee "$out/rekey-scale.log"
  java -jar "$jar" RekeyScalingBenchmark -p volumes=1000000,10000000 -wi 2 -i 5 "${big_heap[@]}" \
    -rf json -rff "$out/scaling-scale.json" | tee "$out/scaling-scale.log"
  java -jar "$jar" StartupBenchmark -p volumes=1000000,10000000 -wi 1 -i 3 "${big_heap[@]}" \
    -rf json -rff "$out/startup-scale.json" | tee "$out/startup-scale.log"
fi
python3 benchmarks/summarize.py "$out" --charts benchmarks/charts
# The REST server under wrk, against nginx serving the same bytes (installs Debian's wrk and nginx if absent).
benchmarks/rest-load.sh
