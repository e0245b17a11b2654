#!/bin/bash
# Interleaved short runs of the old (before issue 15) and new jars, same box, same settings.
set -u
for round in 1 2; do
  for v in old new; do
    java -jar /tmp/i15-bench-$v.jar RewrapBenchmark -p variant=engine -f 1 -wi 3 -i 5 -w 1 -r 1 -rf json -rff rewrap-$v-$round.json > rewrap-$v-$round.log 2>&1
    java -jar /tmp/i15-bench-$v.jar RekeyScalingBenchmark -f 1 -wi 3 -i 8 -rf json -rff scaling-$v-$round.json > scaling-$v-$round.log 2>&1
  done
done
echo done > finished
