#!/usr/bin/env bash
# Compute cycles of LeNet-5 (forward and backward, batch 1) under TrainVP's native array model and SCALE-Sim v2's,
# on 8 x 8, 16 x 16 and 32 x 32 arrays, and the Verilated RTL array's simulation speed next to the C++ models'.
# usage: bench/timing-models.sh [BUILD_DIR]   (default: build; builds bench_timing_models there first)
set -euo pipefail
build=${1:-build}
if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
    echo "timing-models: $build is not a configured build directory (run make build first)" >&2
    exit 1
fi
cmake --build "$build" --target bench_timing_models -j 2 >/dev/null
"$build/bench/bench_timing_models"
