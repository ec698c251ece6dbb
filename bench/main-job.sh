#!/usr/bin/env bash
# The main job's cost against the golden model: `trainvp run scenarios/lenet-mnist.yaml` (CPU, bus, DRAM,
# accelerator timing and the firmware) and `trainvp golden` on the same scenario, seed and data, each run
# once; prints both wall times, their processor times and the ratios. Target: platform within 1.15x of golden
# (processor time on a quiet machine, median of three runs).
# usage: bench/main-job.sh [BUILD_DIR] [EPOCHS]   (default: build, 1 -- one epoch keeps it short; the ratio
#        per epoch is what matters, both commands load the same data and evaluate the test set each epoch)
# Processor time (user + sys) is the fairer figure on a shared machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "main-job.sh: build directory '${1:-build}' not found" >&2; exit 1; }
epochs=${2:-1}
trainvp=$build/trainvp
[ -x "$trainvp" ] || { echo "main-job.sh: $trainvp not found: build first" >&2; exit 1; }
cd "$root"
[ -f data/mnist/train-images-idx3-ubyte ] || bash scripts/fetch-mnist.sh
scenario=scenarios/lenet-mnist.yaml
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# measure NAME COMMAND...: runs COMMAND, logs to $out/NAME.log, leaves "wall cpu" in $out/NAME.time.
measure() {
    local name=$1
    shift
    local TIMEFORMAT="%R %U %S"
    { time "$@" >"$out/$name.log" 2>&1; } 2>"$out/$name.raw" || { cat "$out/$name.log" >&2; exit 1; }
    awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$out/$name.raw" >"$out/$name.time"
}

measure platform "$trainvp" run "$scenario" --set "training.epochs=$epochs" --no-progress \
    --report "$out/report.json" --weights "$out/platform.bin"
measure golden "$trainvp" golden "$scenario" --set "training.epochs=$epochs" --no-progress \
    --out "$out/golden.json" --weights "$out/golden.bin"

read -r pw pc <"$out/platform.time"
read -r gw gc <"$out/golden.time"
same=$(cmp -s "$out/platform.bin" "$out/golden.bin" && echo identical || echo DIFFERENT)
python3 - "$out/report.json" "$pw" "$pc" "$gw" "$gc" "$epochs" "$same" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
pw, pc, gw, gc = map(float, sys.argv[2:6])
epochs, same = sys.argv[6], sys.argv[7]
t = r["training"]
acc = 100.0 * t["final_test_accuracy"]
print("main job: scenarios/lenet-mnist.yaml, %s epoch(s), %d training images, test accuracy %.2f%%"
      % (epochs, t["images"]["trained"], acc))
print("  platform  %7.2f s wall  %7.2f s cpu   (simulated %.3f s, %.1f MIPS)"
      % (pw, pc, r["simulated_time_s"], r["cpu"]["instructions"] / pw / 1e6))
print("  golden    %7.2f s wall  %7.2f s cpu" % (gw, gc))
print("  ratio     %7.2fx wall  %7.2fx cpu   (target <= 1.15x: %s)"
      % (pw / gw, pc / gc, "met" if pc / gc <= 1.15 else "NOT met"))
print("  final weights platform vs golden: %s" % same)
PY
