#!/usr/bin/env bash
# Regenerates the pictures in docs/ from their Graphviz sources (needs `dot`: apt-get install graphviz).
set -euo pipefail
cd "$(dirname "$0")"
for src in *.dot; do
  dot -Tsvg "$src" -o "${src%.dot}.svg"
  dot -Tpng -Gdpi=110 "$src" -o "${src%.dot}.png"
done
