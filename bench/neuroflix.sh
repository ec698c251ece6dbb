#!/usr/bin/env bash
# NeuroFlix against its bf16 baseline (issue 13, docs/papers.md "NeuroFlix"): LeNet-5 on MNIST, one training epoch
# and inference over the test set, on
#   neuroflix    scenarios/lenet-mnist-neuroflix.yaml (16 x 16 brick PEs, fx8 weights/activations, fp16 errors)
#   bf16-iso     scenarios/lenet-mnist-bf16.yaml      (13 x 16 bf16 PEs: the same PE-array area)
#   bf16-16x16   the same with 16 rows                (the same PE count)
# Cycles, time at the accelerator clock, energy and area (bench/neuroflix_model.cpp: the energy library priced
# with the run's counters), accuracy, and the ratios next to the paper's. Then a sweep of brick widths and
# fixed-point widths (cycles only; inference over the test set and training on 1,024 images).
# Simulated cycles are deterministic, so every figure comes from one run (no medians needed).
# usage: bench/neuroflix.sh [BUILD_DIR]    (default build; data from scripts/fetch-mnist.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
trainvp=$build/trainvp
model=$build/bench/neuroflix_model
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
[ -x "$trainvp" ] && [ -x "$model" ] || { echo "neuroflix: build trainvp and neuroflix_model first (make build)" >&2; exit 1; }
[ -f "$root/data/mnist/train-images-idx3-ubyte" ] || { echo "neuroflix: run scripts/fetch-mnist.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

nf=$root/scenarios/lenet-mnist-neuroflix.yaml
bf=$root/scenarios/lenet-mnist-bf16.yaml

# run NAME SCENARIO ARGS...: one training epoch, then inference with its final weights. Leaves
# $work/NAME/{train,infer}.json and prints nothing.
run() {
    local name=$1 scn=$2
    shift 2
    mkdir -p "$work/$name"
    (cd "$work/$name" &&
        "$trainvp" run "$scn" --no-progress --quiet --set training.epochs=1 "$@" --report train.json \
            --weights w.bin >train.out 2>&1 &&
        "$trainvp" run "$scn" --no-progress --quiet "$@" --set training.mode=inference \
            --set training.weights=w.bin --report infer.json --weights w-infer.bin >infer.out 2>&1) ||
        { echo "neuroflix: run $name failed:" >&2; tail -5 "$work/$name"/*.out >&2; exit 1; }
}

field() {  # field REPORT PYTHON-EXPRESSION-ON-r
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}

energy_uj() {  # energy_uj NAME SCENARIO PHASE ARGS...: total energy; the breakdown goes to $work/NAME/PHASE.energy
    local name=$1 scn=$2 phase=$3
    shift 3
    "$model" energy "$scn" "$work/$name/$phase.json" "$@" >"$work/$name/$phase.energy"
    awk '{print $2}' "$work/$name/$phase.energy"
}

area_mm2() {
    local scn=$1
    shift
    "$model" area "$scn" "$@" | awk '{for (i = 1; i <= NF; ++i) if ($i == "accelerator_mm2") print $(i + 1)}'
}

declare -A TC TE IC IE ACC TACC AREA
configs=(neuroflix bf16-iso bf16-16x16)
declare -A SCN=([neuroflix]=$nf [bf16-iso]=$bf [bf16-16x16]=$bf)
declare -A ARGS=([neuroflix]="" [bf16-iso]="" [bf16-16x16]="--set hardware.array.rows=16")
for c in "${configs[@]}"; do
    # shellcheck disable=SC2086
    run "$c" "${SCN[$c]}" ${ARGS[$c]}
    TC[$c]=$(field "$work/$c/train.json" 'r["training"]["accelerator"]["cycles"]')
    IC[$c]=$(field "$work/$c/infer.json" 'r["training"]["accelerator"]["cycles"]')
    TACC[$c]=$(field "$work/$c/train.json" 'r["training"]["final_test_accuracy"]*100')
    ACC[$c]=$(field "$work/$c/infer.json" 'r["training"]["inference"]["test_accuracy"]*100')
    # shellcheck disable=SC2086
    TE[$c]=$(energy_uj "$c" "${SCN[$c]}" train ${ARGS[$c]})
    # shellcheck disable=SC2086
    IE[$c]=$(energy_uj "$c" "${SCN[$c]}" infer ${ARGS[$c]})
    # shellcheck disable=SC2086
    AREA[$c]=$(area_mm2 "${SCN[$c]}" ${ARGS[$c]})
done

clock=500e6
echo "LeNet-5 on MNIST (8,000 training / 2,000 test images), accelerator at 500 MHz, 45 nm energy/area model"
printf '%-11s %6s %12s %9s %10s %12s %9s %10s %8s %9s\n' config area_mm2 train_cycles train_ms train_uJ \
    infer_cycles infer_ms infer_uJ test_acc infer_acc
for c in "${configs[@]}"; do
    awk -v c="$c" -v a="${AREA[$c]}" -v tc="${TC[$c]}" -v te="${TE[$c]}" -v ic="${IC[$c]}" -v ie="${IE[$c]}" \
        -v ta="${TACC[$c]}" -v ia="${ACC[$c]}" -v f="$clock" \
        'BEGIN { printf "%-11s %6.3f %12d %9.2f %10.1f %12d %9.2f %10.1f %7.2f%% %8.2f%%\n",
                 c, a, tc, tc / f * 1e3, te, ic, ic / f * 1e3, ie, ta, ia }'
done
echo
echo "Energy by part (uJ; PE array = multiplies and accumulations, SRAM = buffer words, DRAM = bytes, leakage over the"
echo "simulated time including the host CPU's share)"
for c in "${configs[@]}"; do
    for phase in train infer; do
        printf '%-11s %-6s %s\n' "$c" "$phase" "$(cat "$work/$c/$phase.energy")"
    done
done
echo
echo "NeuroFlix vs bf16 (speed = bf16 cycles / NeuroFlix cycles; energy efficiency = bf16 energy / NeuroFlix energy)"
printf '%-11s %14s %14s %14s %14s\n' baseline train_speed train_energy infer_speed infer_energy
for c in bf16-iso bf16-16x16; do
    awk -v c="$c" -v tb="${TC[$c]}" -v tn="${TC[neuroflix]}" -v eb="${TE[$c]}" -v en="${TE[neuroflix]}" \
        -v ib="${IC[$c]}" -v in_="${IC[neuroflix]}" -v jb="${IE[$c]}" -v jn="${IE[neuroflix]}" \
        'BEGIN { printf "%-11s %13.2fx %13.2fx %13.2fx %13.2fx\n", c, tb / tn, eb / en, ib / in_, jb / jn }'
done
printf '%-11s %13.1fx %13.1fx %13.1fx %13.1fx\n' "paper" 1.2 2.0 3.6 4.5

echo
echo "Sweep (cycles; NeuroFlix PE array 16 x 16; training on 1,024 images, inference over the 2,000 test images)"
printf '%-28s %14s %14s %14s\n' "brick PE, weights/acts" train_cycles infer_cycles "bricks/product fw,bw"
for bb in 2:16 4:4 8:1; do
    b=${bb%%:*} n=${bb##*:}
    for fx in fx4 fx6 fx8; do
        name=sweep-b$b-$fx
        set_args=(--set hardware.array.pe.brick_bits="$b" --set hardware.array.pe.bricks="$n"
            --set hardware.array.pe.brick_acc_bits=$((2 * b + 30))
            --set network.formats.weights="$fx" --set network.formats.activations="$fx" --set data.train_limit=1024)
        run "$name" "$nf" "${set_args[@]}"
        tcyc=$(field "$work/$name/train.json" 'r["training"]["accelerator"]["cycles"]')
        icyc=$(field "$work/$name/infer.json" 'r["training"]["accelerator"]["cycles"]')
        w=${fx#fx}
        fw=$(( ((w + b - 1) / b) * ((w + b - 1) / b) ))
        bw=$(( ((w + b - 1) / b) * ((11 + b - 1) / b) ))
        printf '%-28s %14d %14d %14s\n' "b=$b x $n, $fx" "$tcyc" "$icyc" "$fw,$bw"
    done
done
name=sweep-bf16
run "$name" "$bf" --set hardware.array.rows=16 --set data.train_limit=1024
printf '%-28s %14d %14d %14s\n' "bf16 uniform 16 x 16" "$(field "$work/$name/train.json" 'r["training"]["accelerator"]["cycles"]')" \
    "$(field "$work/$name/infer.json" 'r["training"]["accelerator"]["cycles"]')" "1,1"
