#!/bin/sh
# Public top-level types in the packages core's module-info exports (unqualified exports only).
cd "${1:-.}/core/src/main/java" || exit 1
for p in $(sed -n 's/^ *exports \([a-z.]*\);/\1/p' module-info.java); do
  for f in $(echo "$p" | tr . /)/*.java; do
    grep -qE '^public (final |abstract |sealed |non-sealed )*(class|interface|enum|record|@interface) ' "$f" && echo "$p.$(basename "$f" .java)"
  done
done
