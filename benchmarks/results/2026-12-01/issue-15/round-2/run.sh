#!/bin/bash
# Interleaved short runs of the jar before this round of issue 15 (a47e089, `old`) and after it (`new`), same box,
# same settings, back to back; the load average is logged before each run. ignoreLock: another engineer's JMH run held
# /tmp/jmh.lock for its whole duration; both jars ran under the same contention.
set -u
cd "$(dirname "$0")"
for round in ${ROUNDS:-1 2}; do
  for v in old new; do
    echo "$(date -u +%H:%M:%S) rewrap $v $round $(cut -d' ' -f1-3 /proc/loadavg)" >> load.txt
    java -Djmh.ignoreLock=true -jar /tmp/bench-$v.jar RewrapBenchmark -p variant=engine -f 1 -wi 3 -i 5 -w 1 -r 1 \
      -rf json -rff rewrap-$v-$round.json > rewrap-$v-$round.log 2>&1
    echo "$(date -u +%H:%M:%S) scaling $v $round $(cut -d' ' -f1-3 /proc/loadavg)" >> load.txt
    java -Djmh.ignoreLock=true -jar /tmp/bench-$v.jar RekeyScalingBenchmark -f 1 -wi 3 -i 8 \
      -rf json -rff scaling-$v-$round.json > scaling-$v-$round.log 2>&1
  done
done
echo "$(date -u +%H:%M:%S) done $(cut -d' ' -f1-3 /proc/loadavg)" >> load.txt
