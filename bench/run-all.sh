#!/usr/bin/env bash
# Runs every benchmark and prints its figures. usage: bench/run-all.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/iss-mips "$here"/golden-speed.sh "$here"/main-job.sh "$here"/timing-models.sh "$here"/sweep.sh "$here"/trace.sh \
    "$here"/energy-papers.sh "$here"/eta.sh; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" "$build"
done
