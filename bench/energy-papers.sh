#!/usr/bin/env bash
# The energy model beside the papers (docs/energy.md "The papers beside the model", docs/papers.md "TaxoNN"):
# LeNet-5 on MNIST (scenarios/lenet-mnist.yaml, one epoch on TRAIN training and TEST test images) trained on
# the platform with every tensor role but the fp32 master weights in N-bit fixed point, the PE multipliers built
# for N bits (energy.pe_operand_format=fxN), N = 13..21, and in fp32, fx12 and fx8.
#   1. TaxoNN's comparison: area of the training-capable array and of the same array built for inference only,
#      and the power of both on the same forward passes, for every width, beside the paper's overheads;
#   2. energy per training step (batch 32) and per inference, per format.
# Nothing is fitted: the technology table is the built-in 45 nm one, whatever the gap.
# usage: bench/energy-papers.sh [BUILD_DIR] [TRAIN] [TEST] [JOBS]   (default: build, 512, 128, 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "energy-papers: build directory '${1:-build}' not found" >&2; exit 1; }
train=${2:-512}
test=${3:-128}
jobs=${4:-2}
trainvp=$build/trainvp
[ -x "$trainvp" ] || { echo "energy-papers: $trainvp not found: build first" >&2; exit 1; }
cd "$root"
[ -f data/mnist/train-images-idx3-ubyte ] || bash scripts/fetch-mnist.sh >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

runs=()
for bits in $(seq 13 21) 12 8; do runs+=("fx$bits"); done
runs+=(fp32)
export out train test trainvp
printf '%s\n' "${runs[@]}" | xargs -P "$jobs" -I{} bash -c '
    f={}
    acc=fx48
    [ "$f" = fp32 ] && acc=fp32
    sets=()
    for role in weights activations errors weight_grads; do sets+=(--set "network.formats.$role=$f"); done
    "$trainvp" run scenarios/lenet-mnist.yaml "${sets[@]}" --set network.formats.master_weights=fp32 \
        --set energy.pe_operand_format=$f --set energy.pe_accumulator_format=$acc \
        --set training.epochs=1 --set data.train_limit=$train --set data.test_limit=$test \
        --report "$out/$f.json" --weights "$out/$f.bin" --quiet --no-progress >"$out/$f.log" 2>&1 ||
        { echo "energy-papers: $f failed:" >&2; tail -3 "$out/$f.log" >&2; exit 1; }
'
python3 - "$out" "$train" "$test" <<'PY'
import json, os, sys
d, train, test = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def rep(f): return json.load(open(os.path.join(d, f + ".json")))
# TaxoNN, ISCAS 2020, slide tables (research/papers.md 1.7): overheads of TaxoNN over Eyeriss by width.
paper_area = {21: 8.3, 20: 9.2, 19: 9.1, 18: 8.6, 17: 10.0, 16: 10.8, 15: 8.8, 14: 9.8, 13: 10.5}
paper_power = {21: 6.5, 20: 6.7, 19: 6.2, 18: 7.9, 17: 6.5, 16: 5.2, 15: 4.3, 14: 6.5, 13: 7.7}
r0 = rep("fx16")
print("LeNet-5 / MNIST, %d training + %d test images, one epoch, batch 32, technology %s, array %dx%d"
      % (train, test, r0["energy"]["technology"], r0["config"]["hardware"]["array"]["rows"],
         r0["config"]["hardware"]["array"]["cols"]))
print()
print("TaxoNN comparison: training-capable array vs the same array built for inference only")
print("(power: the run's forward passes and loss priced on both, dynamic + leakage over their time)")
print()
print("| bits | PE array mm2 train / inf | PE area overhead | accel area overhead | TaxoNN area overhead "
      "| PE power overhead | accel power overhead | TaxoNN power overhead |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
sums = [0.0] * 6
for b in range(21, 12, -1):
    r = rep("fx%d" % b)
    a, inf = r["area"], r["energy"]["inference_only"]
    pe_t = a["by_module"]["pe_array"]
    pe_i = a["inference_only"]["by_module"]["pe_array"]
    row = [a["pe_array_training_overhead_pct"], a["training_overhead_pct"], paper_area[b],
           inf["pe_array_power_overhead_pct"], inf["power_overhead_pct"], paper_power[b]]
    sums = [s + v for s, v in zip(sums, row)]
    print("| %d | %.4f / %.4f | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.1f %% |"
          % ((b, pe_t, pe_i) + tuple(row)))
avg = [s / 9 for s in sums]
print("| avg | | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.1f %% | %.1f %% |"
      % tuple(avg))
print()
print("Energy per training step (batch 32) and per inference")
print("(step: the run's energy - CPU, leakage and DRAM included - less its test-set forward passes, per step;")
print(" inference: forward passes and loss on the inference-only array, per image)")
print()
print("| format | steps | per step mJ | per step, accelerator dynamic mJ | PE array share | DRAM share "
      "| per inference uJ | TOPS/W (run) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for f in ["fp32", "fx16", "fx12", "fx8"]:
    r = rep(f)
    e = r["energy"]
    inf = e["inference_only"]
    trained = e["images_trained"]
    evaluated = inf["images"] - trained
    steps = r["training"]["firmware_status"]["steps_done"]
    fwd = inf["training_array"]
    test_share = fwd["total_pj"] * evaluated / max(inf["images"], 1)
    step_pj = (e["total_pj"] - test_share) / max(steps, 1)
    # Accelerator dynamic energy of the training phases only (every layer x phase but the test passes'
    # forward share), per step.
    dyn = sum(row["dynamic_pj"] for row in e["by_layer_phase"])
    fwd_dyn = fwd["dynamic_pj"]
    dyn_step = (dyn - fwd_dyn * evaluated / max(inf["images"], 1)) / max(steps, 1)
    total = e["total_pj"]
    print("| %s | %d | %.3f | %.3f | %.1f %% | %.1f %% | %.1f | %.4f |"
          % (f, steps, step_pj * 1e-9, dyn_step * 1e-9, 100 * e["by_module"]["pe_array"] / total,
             100 * e["by_module"]["dram"] / total, inf["per_inference_pj"] * 1e-6, e["tops_per_watt"]))
PY
