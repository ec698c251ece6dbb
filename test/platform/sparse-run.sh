#!/usr/bin/env bash
# The sparse engine through `trainvp run`: the training firmware trains the FPGA network of
# scenarios/sparse-mlp-mnist.yaml on 300 MNIST images and --check-golden finds the golden trainer's weights
# and predictions, in both delta-hazard modes and with a random pattern; clocks per junction cycle and engine
# clocks derived by hand; the sparse.* keys in --dump-config and their errors (exit 2, one line naming the key);
# two runs give the same report.
# usage: sparse-run.sh TRAINVP ROOT WORKDIR
set -u
trainvp=$1 root=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
scenario=$root/scenarios/sparse-mlp-mnist.yaml
small=(--set sparse.train_limit=300 --set sparse.test_limit=100 --set sparse.epochs=2 --set sparse.etapos=4,5
       --set sparse.descriptor_samples=128 --set sparse.data_dir=$root/data/mnist)
failures=0 checks=0
check() {  # check NAME CONDITION...
    local name=$1
    shift
    checks=$((checks + 1))
    if ! "$@"; then
        echo "FAIL $name"
        failures=$((failures + 1))
    fi
}
json() {  # json FILE EXPR: a value of the report
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1"
}

# Forwarded (the default): bit-identical to the golden trainer. 300 samples in descriptors of 128, 128 and 44
# take (128+4) + (128+4) + (44+4) = 312 junction cycles of 32 + 2 + 2 = 36 clocks: 11232 clocks per epoch.
"$trainvp" run "$scenario" "${small[@]}" --check-golden --report fwd.json >fwd.out 2>fwd.err
check "forwarded run exits 0" [ $? -eq 0 ]
check "forwarded check-golden identical" grep -q "check-golden: identical" fwd.err
check "36 clocks per junction cycle" [ "$(json fwd.json 'r["training"]["clocks_per_junction_cycle"]')" = 36 ]
check "11232 engine clocks per epoch" [ "$(json fwd.json 'r["training"]["epochs"][1]["engine_clocks"]')" = 11232 ]
check "no stalls clash-free" [ "$(json fwd.json 'r["training"]["epochs"][0]["stall_clocks"]')" = 0 ]
check "no lost sums forwarded" [ "$(json fwd.json 'r["training"]["epochs"][0]["lost_sums"]')" = 0 ]
check "firmware prints epochs" grep -q "train: epoch 2/2 etapos 5" fwd.out
acc=$(json fwd.json 'r["training"]["epochs"][1]["test_accuracy"]')
check "it learns (test accuracy $acc, chance 0.1)" python3 -c "import sys; sys.exit(0 if $acc > 0.25 else 1)"

# rtl: the hardware as written loses BP partial sums; still bit-identical to the golden model in that mode.
"$trainvp" run "$scenario" "${small[@]}" --set sparse.delta_hazard=rtl --check-golden --report rtl.json >/dev/null 2>rtl.err
check "rtl run exits 0" [ $? -eq 0 ]
check "rtl check-golden identical" grep -q "check-golden: identical" rtl.err
check "rtl loses sums" [ "$(json rtl.json 'r["training"]["epochs"][0]["lost_sums"] > 0')" = True ]

# A random pattern: bank conflicts stall every junction cycle.
"$trainvp" run "$scenario" "${small[@]}" --set sparse.connectivity=random --check-golden --report rnd.json >/dev/null 2>rnd.err
check "random run exits 0" [ $? -eq 0 ]
check "random check-golden identical" grep -q "check-golden: identical" rnd.err
check "random stalls" [ "$(json rnd.json 'r["training"]["epochs"][0]["stall_clocks"] > 0')" = True ]
check "random conflicts" [ "$(json rnd.json 'r["training"]["epochs"][0]["bank_conflicts"] > 0')" = True ]
check "random cycle longer" [ "$(json rnd.json 'r["training"]["clocks_per_junction_cycle"] > 36')" = True ]

# Determinism: a second run gives the same report (wall clock aside).
"$trainvp" run "$scenario" "${small[@]}" --report fwd2.json >/dev/null 2>&1
check "deterministic report" [ "$(json fwd.json 'r["training"]["parameter_digest"]')" = "$(json fwd2.json 'r["training"]["parameter_digest"]')" ]
check "same simulated time" [ "$(json fwd.json 'r["simulated_time_s"]')" = "$(json fwd2.json 'r["simulated_time_s"]')" ]
# Energy: the engine is a module of the report's energy and area; energy per sample is the run's total over the
# samples trained; two runs give identical sections; an override of a table entry the engine prices with moves
# the engine's multiplies to the hand price (10x10 between the w8 and w32 anchors, 0.4 and 3.1 pJ).
check "engine in energy" [ "$(json fwd.json '"sparse_engine" in r["energy"]["by_module"] and r["area"]["by_module"]["sparse_engine"] > 0')" = True ]
check "per sample = total / 600 trained" [ "$(json fwd.json 'abs(r["energy"]["per_image_pj"] * 600 / r["energy"]["total_pj"] - 1) < 1e-12')" = True ]
check "summary prints energy per sample" grep -q "energy per sample .* uJ trained; sparse engine" fwd.err
check "identical energy sections" [ "$(json fwd.json 'json.dumps([r["energy"], r["area"]], sort_keys=True)')" = "$(json fwd2.json 'json.dumps([r["energy"], r["area"]], sort_keys=True)')" ]
"$trainvp" run "$scenario" "${small[@]}" --set energy.arithmetic.int_mult.energy.w8=0.4 --report mult.json >/dev/null 2>&1
check "override run exits 0" [ $? -eq 0 ]
mult() {  # mult FILE: count and pJ of the engine's 10-bit multiplies
    json "$1" '[(a["count"], a["pj"]) for a in r["energy"]["actions"] if a["module"] == "sparse_engine" and a["action"] == "mult{10}"][0]'
}
check "override moves the engine's multiplies to the hand price" python3 -c "
(n, pj), (n0, pj0) = $(mult mult.json), $(mult fwd.json)
hand = 0.4 + (100 - 64) / (1024 - 64) * (3.1 - 0.4)
assert n == n0 and abs(pj / (n * hand) - 1) < 1e-12 and pj > pj0"

# The keys: in --dump-config, and each bad value refused before simulation with one line naming the key.
"$trainvp" run "$scenario" --dump-config >dump.yaml 2>&1
for key in neurons fanout z bits int_bits activation proctime input_bits connectivity interleaver_type dither \
           zero_starts seed delta_hazard epochs etapos descriptor_samples; do
    check "dump has sparse.$key" grep -q "^  $key:" dump.yaml
done
check "dump has the engine clock" grep -A1 -q "^  sparse_engine:" dump.yaml
bad() {  # bad NAME KEY=VALUE EXPECTED-TEXT [MORE --set ARGUMENTS]
    "$trainvp" run "$scenario" --set "$2" "${@:4}" >bad.out 2>bad.err
    local rc=$?
    check "$1: exit 2 (got $rc)" [ $rc -eq 2 ]
    check "$1: one line" [ "$(wc -l <bad.err)" -eq 1 ]
    check "$1: names $3" grep -q "$3" bad.err
}
bad "z not a power of two" sparse.z=100,32 "sparse.z\[0\]"
bad "etapos above frac+1" sparse.etapos=4,9 "sparse.etapos"
bad "width out of range" sparse.bits=99 "sparse.bits"
bad "unknown hazard" sparse.delta_hazard=maybe "sparse.delta_hazard"
bad "unequal weight clocks" sparse.fanout=8,16 "sparse.fanout\|sparse.z"
bad "too few outputs for 10 classes" sparse.neurons=1024,64,8 "sparse.neurons" --set sparse.fanout=4,4 \
    --set sparse.z=128,8 --set sparse.data_dir=$root/data/mnist
echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ] && [ "$checks" -gt 0 ]
