#!/usr/bin/env bash
# Compute cycles of LeNet-5 (forward and backward, batch 1) under TrainVP's native array model and SCALE-Sim v2's,
# on 8 x 8, 16 x 16 and 32 x 32 arrays, and the Verilated RTL array's simulation speed next to the C++ models';
# then the RTL array inside the platform (hardware.array.model: rtl) against the native PE array on
# test/train/timing-tiny.yaml on 64 images: the simulation's wall time, median of RUNS runs each, run alternately.
# usage: bench/timing-models.sh [BUILD_DIR] [RUNS]   (default: build, 3; builds bench_timing_models there first)
set -euo pipefail
build=${1:-build}
runs=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$build/build.ninja" ] && [ ! -f "$build/Makefile" ]; then
    echo "timing-models: $build is not a configured build directory (run make build first)" >&2
    exit 1
fi
cmake --build "$build" --target bench_timing_models -j 2 >/dev/null
"$build/bench/bench_timing_models"

trainvp=$(cd "$build" && pwd)/trainvp
elf=$(cd "$build" && pwd)/sw/apps/train.elf
if [ ! -x "$trainvp" ] || [ ! -f "$elf" ] || [ ! -f "$root/data/mnist/train-images-idx3-ubyte" ]; then
    echo "(co-simulation skipped: needs $build/trainvp, the firmware and data/mnist)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# wall DIR ARGS...: seconds of one trainvp run of the tiny scenario (its report's wall time)
wall() {
    local dir=$work/$1
    shift
    mkdir -p "$dir"
    (cd "$dir" && "$trainvp" run "$root/test/train/timing-tiny.yaml" --firmware "$elf" --no-progress -q \
        --set data.train_limit=64 --set data.test_limit=16 "$@" >/dev/null 2>&1)
    python3 -c "import json; print(json.load(open('$dir/report.json'))['wall']['seconds'])"
}
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo
echo "RTL co-simulation: test/train/timing-tiny.yaml (conv + fc, batch 1) on 64 training and 16 test images,"
echo "4 x 4 array; wall time of the simulation (report.json wall.seconds), median of $runs runs"
printf "%-4s %14s %14s %8s  %s\n" "df" "native wall s" "rtl wall s" "rtl/nat" "accelerator cycles (native = rtl)"
for df in os ws; do
    : >"$work/n" && : >"$work/r"
    for _ in $(seq "$runs"); do
        wall n-$df --set hardware.array.dataflow=$df >>"$work/n"
        wall r-$df --set hardware.array.dataflow=$df --set hardware.array.model=rtl >>"$work/r"
    done
    cn=$(python3 -c "import json; print(json.load(open('$work/n-$df/report.json'))['accelerator']['total']['cycles'])")
    cr=$(python3 -c "import json; print(json.load(open('$work/r-$df/report.json'))['accelerator']['total']['cycles'])")
    n=$(median <"$work/n") r=$(median <"$work/r")
    printf "%-4s %14.3f %14.3f %8.1f  %s\n" "$df" "$n" "$r" "$(echo "$r / $n" | bc -l)" \
        "$cn $([ "$cn" = "$cr" ] && echo '=' || echo '!=') $cr"
done
