#!/usr/bin/env bash
# Test accuracy of LeNet-5 (MNIST 8,000/2,000, batch 32, lr 0.1) with every tensor role - weights,
# activations, errors, weight gradients and the updated (master) weights - in N-bit fixed point, N = 8..21,
# fraction bits per layer by the default rule, rounding to nearest even and stochastic rounding.
# usage: bench/accuracy-table.sh [BUILD_DIR] [EPOCHS] [JOBS]   (default: build, 10, 2)
# Prints a Markdown table (docs/numerics.md). Runs 28 trainings; JOBS of them at a time.
set -euo pipefail
source "$(dirname "$0")/golden-common.sh"
epochs=${2:-10}
jobs=${3:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
runs=()
for bits in $(seq 8 21); do for r in rne sr; do runs+=("$bits $r"); done; done
export out epochs
# xargs appends "BITS ROUNDING" to the golden command line given after the script.
printf '%s\n' "${runs[@]}" | xargs -P "$jobs" -L 1 bash -c '
    bits=${@: -2:1} r=${@: -1}
    cmd=("${@:1:$#-2}")
    sets=()
    for role in weights activations errors weight_grads master_weights; do
        sets+=(--set "network.formats.$role=fx$bits:$r")
    done
    "${cmd[@]}" scenarios/lenet5-fp32.yaml "${sets[@]}" --set "training.epochs=$epochs" \
        --out "$out/$bits-$r.json" >"$out/$bits-$r.log" 2>&1 || { echo "fx$bits:$r failed:" >&2; tail -3 "$out/$bits-$r.log" >&2; }
' _ "${golden[@]}"
"${golden[@]}" scenarios/lenet5-fp32.yaml --set "training.epochs=$epochs" --out "$out/fp32.json" >"$out/fp32.log" 2>&1
python3 - "$out" "$epochs" <<'PY'
import json, os, sys
d, epochs = sys.argv[1], sys.argv[2]
def acc(name):
    p = os.path.join(d, name + ".json")
    if not os.path.exists(p): return "failed"
    return "%.2f %%" % (100 * json.load(open(p))["final"]["test_accuracy"])
def underflow(name):
    p = os.path.join(d, name + ".json")
    if not os.path.exists(p): return "-"
    s = json.load(open(p))["saturation"]
    stats = [v for l in s["layers"].values() for k, v in l.items() if k != "accumulator"]
    values = sum(v["values"] for v in stats)
    sat = sum(v["saturated"] for v in stats)
    zero = sum(v["underflow_to_zero"] for v in stats)
    return "%.3g %% / %.3g %%" % (100.0 * sat / max(values, 1), 100.0 * zero / max(values, 1))
print("fp32 reference: %s test accuracy after %s epochs\n" % (acc("fp32"), epochs))
print("| bits | nearest even | stochastic | rne: saturated / flushed to zero |")
print("| ---: | ---: | ---: | ---: |")
for b in range(8, 22):
    print("| %d | %s | %s | %s |" % (b, acc("%d-rne" % b), acc("%d-sr" % b), underflow("%d-rne" % b)))
PY
