#!/usr/bin/env bash
# The timing models end to end (docs/accelerator-timing.md, docs/accelerator.md "Putting a customer's RTL into
# TrainVP"), on test/train/timing-tiny.yaml (one conv, one fc, batch 1, 4 x 4 array, 4 training images).
# usage: timing-models-e2e.sh CASE TRAINVP TRAIN_ELF ROOT WORK_DIR
#   scalesim_os | scalesim_ws | scalesim_is: hardware.timing.model=scalesim gives every GEMM descriptor SCALE-Sim
#       v2's cycles for its GEMM (timing_models_check.py computes them from the published formula) and the
#       same weights as the native model, bit for bit
#   rtl_os | rtl_ws: hardware.array.model=rtl (the Verilated 4 x 4 array computes every GEMM tile) gives the
#       native run's weights bit for bit and its accelerator statistics, cycles included, exactly
#   rtl_refusals: formats and sizes the RTL array cannot run are refused before simulation (exit 2, one line)
#   estimate: trainvp estimate of LeNet-5 on 16 x 16, batch 1: the SCALE-Sim column equals SCALE-Sim v2's own
#       report (test/accel_timing/data/scalesim-v2-lenet5-16x16.csv) for every forward layer and dataflow;
#       --report writes the same figures as JSON; errors exit 2 with one line
set -u
case=$1 trainvp=$2 elf=$3 root=$4 work=$5
scenario=$root/test/train/timing-tiny.yaml
check=$root/test/train/timing_models_check.py
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }

run() {  # run DIR ARGS...: trainvp run of the tiny scenario in DIR
    local dir=$1
    shift
    mkdir -p "$dir"
    (cd "$dir" && "$trainvp" run "$scenario" --firmware "$elf" --no-progress "$@" >stdout 2>stderr) ||
        { tail -5 "$dir/stderr"; fail "trainvp run $* exited $?"; }
}

# expect_refusal TEXT ARGS...: trainvp run exits 2 before simulating, with exactly one line containing TEXT
expect_refusal() {
    local text=$1
    shift
    "$trainvp" run "$scenario" --firmware "$elf" --no-progress "$@" >out 2>err
    local rc=$?
    [ "$rc" -eq 2 ] || { cat err; fail "$* exited $rc, expected 2"; }
    [ "$(wc -l <err)" -eq 1 ] || { cat err; fail "$*: more than one line"; }
    grep -qF -- "$text" err || { cat err; fail "$*: no '$text'"; }
    [ ! -e report.json ] || fail "$*: a report was written"
    cat err
}

case $case in
scalesim_os | scalesim_ws | scalesim_is)
    df=${case#scalesim_}
    run native --set hardware.array.dataflow="$df"
    run scalesim --set hardware.array.dataflow="$df" --set hardware.timing.model=scalesim
    python3 "$check" scalesim native/report.json scalesim/report.json "$df" || fail "cycles"
    cmp native/final-weights.bin scalesim/final-weights.bin || fail "weights differ"
    cmp <(grep -v '^  ' native/stdout) <(grep -v '^  ' scalesim/stdout) >/dev/null ||
        { diff native/stdout scalesim/stdout; fail "console output differs"; }
    echo PASS ;;
rtl_os | rtl_ws)
    df=${case#rtl_}
    # The RTL array runs the compact GEMMs of conv1's stride-2 weight gradient: the array that skips the
    # stride zeros (docs/accelerator-timing.md "Stride zeros").
    run native --set hardware.array.dataflow="$df" --set hardware.array.skip_stride_zeros=true
    run rtl --set hardware.array.dataflow="$df" --set hardware.array.model=rtl --log-level info \
        --set hardware.array.skip_stride_zeros=true
    grep -E "soc.accel.pe_array: the RTL array ran [1-9][0-9]* GEMMs in [1-9][0-9]* cycles" rtl/stderr ||
        { cat rtl/stderr; fail "the RTL array did not run"; }
    python3 "$check" same_accel native/report.json rtl/report.json || fail "statistics differ"
    cmp native/final-weights.bin rtl/final-weights.bin || fail "weights differ"
    python3 - rtl/report.json <<'PY' || fail "the report does not say the RTL array ran"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["config"]["hardware"]["array"]["model"] == "rtl"
PY
    echo PASS ;;
rtl_refusals)
    expect_refusal "key 'hardware.array.model': rtl: layer conv1 weights: fp32 is not an integer format" \
        --set hardware.array.model=rtl --set network.formats.weights=fp32
    expect_refusal "key 'hardware.array.model': rtl: layer fc1 weights: fx24.16 has 24 bits; the RTL array's operands have 16" \
        --set hardware.array.model=rtl --set network.layers.3.formats.weights=fx24.16
    expect_refusal "key 'hardware.array.model': rtl: the network input: bf16 is not an integer format" \
        --set hardware.array.model=rtl --set network.input.format=bf16
    expect_refusal "key 'hardware.array.model': rtl: the RTL array is Verilated for" \
        --set hardware.array.model=rtl --set hardware.array.rows=5 --set hardware.array.skip_stride_zeros=true
    expect_refusal "key 'hardware.array.model': rtl: layer conv1 has stride 2: the RTL array runs its backward passes without the stride zeros; set hardware.array.skip_stride_zeros: true" \
        --set hardware.array.model=rtl
    expect_refusal "key 'hardware.array.model': 'verilog': expected native or rtl" --set hardware.array.model=verilog
    expect_refusal "key 'hardware.timing.model': 'scale-sim': expected native or scalesim" \
        --set hardware.timing.model=scale-sim
    expect_refusal "scalesim takes SCALE-Sim v2's closed-form cycles" \
        --set hardware.timing.model=scalesim --set hardware.fidelity=cycle
    echo PASS ;;
estimate)
    lenet=$root/scenarios/lenet5-fx16.yaml
    csv=$root/test/accel_timing/data/scalesim-v2-lenet5-16x16.csv
    for df in os ws is; do
        "$trainvp" estimate "$lenet" --set training.batch=1 --set hardware.array.rows=16 \
            --set hardware.array.cols=16 --set hardware.array.dataflow=$df --report $df.json >$df.txt 2>err ||
            { cat err; fail "estimate $df exited $?"; }
        col=$(head -20 "$csv" | grep '^layer,' | tr , '\n' | grep -n "^${df}_cycles$" | cut -d: -f1)
        n=0
        while IFS=, read -r layer _ _ _ _ _ _ _ rest; do
            want=$(echo "$layer,$rest" | cut -d, -f$((col - 7)))
            got=$(awk -v l="$layer" '$1 == l && $2 == "forward" { gsub(",", "", $(NF-1)); print $(NF-1) }' $df.txt)
            [ "$got" = "$want" ] || fail "$df $layer forward: estimate says '$got', SCALE-Sim v2 $want"
            jgot=$(python3 -c "import json,sys; j=json.load(open('$df.json'))['estimate']
print([r['scalesim'] for r in j['layers'] if r['layer']=='$layer' and r['phase']=='forward'][0])")
            [ "$jgot" = "$want" ] || fail "$df $layer forward: --report says $jgot, SCALE-Sim v2 $want"
            n=$((n + 1))
        done < <(grep -v '^#' "$csv" | tail -n +2)
        [ "$n" -eq 5 ] || fail "$df: $n layers compared, expected 5"
    done
    # Hand check (docs/accelerator-timing.md): conv1 forward, os, 16 x 16: 2 * 49 * 6 + 784 + 49 * 23 = 2,499.
    grep -q '^conv1 *forward *6 x 784 x 25 *2,499 *2,694 *0.928$' os.txt || { cat os.txt; fail "conv1 os line"; }
    "$trainvp" estimate "$root/scenarios/hello.yaml" >out 2>err
    [ $? -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "needs a training scenario" err || { cat err; fail "hello.yaml"; }
    "$trainvp" estimate "$lenet" --set hardware.array.dataflow=xs >out 2>err
    [ $? -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "key 'hardware.array.dataflow'" err || { cat err; fail "bad dataflow"; }
    "$trainvp" estimate >out 2>err
    [ $? -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] || { cat err; fail "no scenario"; }
    echo PASS ;;
*)
    fail "unknown case $case" ;;
esac
