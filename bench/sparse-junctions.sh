#!/usr/bin/env bash
# The sparse junction-pipelined engine (Dey et al.) trained through the firmware on the platform: accuracy
# against density (fully connected and three sparse densities) and bit width (10, 12, 16), the complexity
# reduction, clocks per sample and simulated engine time per epoch, and bank-conflict stalls clash-free against
# random, and energy per training sample from the energy model (45 nm table). Every run is `trainvp run scenarios/sparse-mlp-mnist.yaml --check-golden` with --set overrides, so
# every figure is the engine's and bit-identical to the golden trainer's. Prints Markdown tables
# (docs/papers.md "Dey et al.").
# usage: bench/sparse-junctions.sh [BUILD_DIR] [EPOCHS] [JOBS]
#   SEEDS="1 2 3"   seeds (connectivity and initial weights); the table shows the mean and the range
#   ETAPOS=4,4,5    learning-rate code per epoch (eta = 2^-(etapos-1)), the last one repeats
set -euo pipefail
build=${1:-build}
epochs=${2:-3}
jobs=${3:-2}
seeds=${SEEDS:-1 2 3}
etapos=${ETAPOS:-4,4,5}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake --build "$build" >/dev/null
bash scripts/fetch-mnist.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scenario=scenarios/sparse-mlp-mnist.yaml

# name|--set overrides (on top of the FPGA configuration: 1024-64-32, fo 4/16, z 128/32, 10-bit 2.7, forwarded)
configs=(
    "FPGA: fo 4/16, z 128/32, 10-bit (2.7)|"
    "same, 12-bit (3.8)|sparse.bits=12 sparse.int_bits=3"
    "same, 16-bit (5.10)|sparse.bits=16 sparse.int_bits=5"
    "fo 8/16, z 256/32, 10-bit|sparse.fanout=8,16 sparse.z=256,32"
    "fo 16/16, z 512/32, 10-bit|sparse.fanout=16,16 sparse.z=512,32"
    "fully connected, z 1024/32, 10-bit|sparse.fanout=64,32 sparse.z=1024,32"
    "fully connected, z 1024/32, 16-bit|sparse.fanout=64,32 sparse.z=1024,32 sparse.bits=16 sparse.int_bits=5"
    "random pattern (not clash-free), 10-bit|sparse.connectivity=random"
    "delta_hazard rtl (the RTL as written), 10-bit|sparse.delta_hazard=rtl"
)

run_one() {  # run_one INDEX SEED
    local i=$1 seed=$2 sets=() kv
    IFS='|' read -r _ overrides <<<"${configs[$i]}"
    for kv in $overrides; do sets+=(--set "$kv"); done
    ./"$build"/trainvp run "$scenario" "${sets[@]}" --set sparse.seed="$seed" --set sparse.epochs="$epochs" \
        --set sparse.etapos="$etapos" --set sparse.descriptor_samples=8000 --check-golden \
        --report "$work/r-$i-$seed.json" >"$work/out-$i-$seed" 2>"$work/err-$i-$seed" ||
        { echo "run $i seed $seed failed:" >&2; tail -3 "$work/err-$i-$seed" >&2; return 1; }
}
export -f run_one
export build scenario epochs etapos work
export configs_text="$(printf '%s\n' "${configs[@]}")"
for i in "${!configs[@]}"; do for s in $seeds; do echo "$i $s"; done; done |
    xargs -P "$jobs" -n 2 bash -c 'mapfile -t configs <<<"$configs_text"; run_one "$0" "$1"'

python3 - "$work" "$epochs" "${configs[@]}" <<'PY'
import json, sys, glob, statistics
work, epochs, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print(f"Engine on MNIST (8,000 training and 2,000 test images, {epochs} epochs, one SPARSE_TRAIN per epoch), "
      "every run --check-golden identical:\n")
print("| configuration | weights | FC / sparse | clocks per sample | test accuracy % (mean, range) | "
      "train % (last epoch) | stall clocks per sample | bank conflicts per sample | lost BP sums per sample | "
      "engine ms per epoch |")
print("|---|---|---|---|---|---|---|---|---|---|")
for i, c in enumerate(configs):
    name = c.split("|")[0]
    runs = [json.load(open(f)) for f in sorted(glob.glob(f"{work}/r-{i}-*.json"))]
    if not runs:
        continue
    t = [r["training"] for r in runs]
    assert all(r.get("check_golden", {}).get("identical") for r in t), name
    last = [x["epochs"][-1] for x in t]
    acc = [100 * e["test_accuracy"] for e in last]
    tr = [100 * e["train_accuracy"] for e in last]
    n = last[0]["train_count"]
    cyc = sorted({x["clocks_per_junction_cycle"] for x in t})
    stall = statistics.mean(e["stall_clocks"] / n for e in last)
    conf = statistics.mean(e["bank_conflicts"] / n for e in last)
    lost = statistics.mean(e["lost_sums"] / n for e in last)
    ms = statistics.mean(1e3 * e["engine_time_s"] for e in last)
    print(f"| {name} | {t[0]['weights']} | {t[0]['dense_weights'] / t[0]['weights']:.1f}x | "
          f"{'/'.join(map(str, cyc))} | {statistics.mean(acc):.2f} ({min(acc):.2f}-{max(acc):.2f}) | "
          f"{statistics.mean(tr):.2f} | {stall:.1f} | {conf:.1f} | {lost:.0f} | {ms:.2f} |")
print()
print("Energy per training sample (energy model, 45 nm table; docs/energy.md \"The sparse engine\"): the engine's "
      "dynamic energy (training and the test passes), the same with its leakage while busy, the same with its "
      "leakage over the whole run, and the whole platform's energy per training sample (CPU, DMA, DRAM, the idle "
      "PE array and buffers' leakage included):\n")
print("| configuration | engine area mm2 | engine dynamic nJ/sample | engine nJ/sample while busy | "
      "engine nJ/sample over the run | platform uJ/sample |")
print("|---|---|---|---|---|---|")
for i, c in enumerate(configs):
    runs = [json.load(open(f)) for f in sorted(glob.glob(f"{work}/r-{i}-*.json"))]
    if not runs:
        continue
    se = [r["energy"]["sparse_engine"] for r in runs]
    n = [r["energy"]["images_trained"] for r in runs]
    dyn = statistics.mean(x["dynamic_pj"] / k for x, k in zip(se, n))
    busy = statistics.mean(x["busy_per_sample_pj"] for x in se)
    run_ = statistics.mean(x["per_sample_pj"] for x in se)
    plat = statistics.mean(r["energy"]["per_image_pj"] for r in runs)
    print(f"| {c.split('|')[0]} | {se[0]['area_mm2']:.4f} | {dyn * 1e-3:.2f} | {busy * 1e-3:.2f} | "
          f"{run_ * 1e-3:.2f} | {plat * 1e-6:.3f} |")
fpga = json.load(open(sorted(glob.glob(f"{work}/r-0-*.json"))[0]))["training"]
cpc, hz = fpga["clocks_per_junction_cycle"], fpga["engine_clock_hz"]
print()
print(f"Timing of the FPGA configuration: {cpc} clocks per junction cycle = {cpc / hz * 1e6:.2f} us per sample "
      f"at {hz / 1e6:g} MHz; an epoch of the RTL test bench's 12,544 samples in one descriptor takes "
      f"{12544 + 4} junction cycles = {(12544 + 4) * cpc} clocks = {(12544 + 4) * cpc / hz * 1e3:.2f} ms; "
      f"the 8,000-image epoch measured: {fpga['epochs'][-1]['engine_clocks']} clocks = "
      f"{fpga['epochs'][-1]['engine_time_s'] * 1e3:.2f} ms.")
PY
