#!/usr/bin/env bash
# NeuroFlix end to end (issue 13): the brick PE on the platform against the golden model, inference runs, the
# hardware.array.pe keys, and the iso-area sizing of the bf16 baseline. Small jobs: scenarios/quick.yaml.
# usage: neuroflix-e2e.sh CASE TRAINVP NEUROFLIX_MODEL TRAIN_ELF ROOT WORK_DIR
#   golden_bricks | golden_bricks_ws: NeuroFlix formats (fx8 weights/activations, fp16 errors) on brick PEs,
#     --check-golden identical (ws with small buffers: the reduction is split over tiles)
#   inference: weights trained on the platform, then training.mode=inference: --check-golden identical, and
#     the accuracy equals `trainvp golden`'s forward pass on the same weights
#   config: the pe keys in --dump-config, --set, and refusals before the simulation (exit 2, one line)
#   iso_area: lenet-mnist-bf16.yaml is within one PE row of lenet-mnist-neuroflix.yaml's array area; 16 rows is not
set -u
case=$1 trainvp=$2 model=$3 elf=$4 root=$5 work=$6
scenario=$root/scenarios/quick.yaml
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
[ -f "$root/data/mnist/train-images-idx3-ubyte" ] ||
    { echo "FAIL: $root/data/mnist missing (run scripts/fetch-mnist.sh)"; exit 1; }
nf=(--set hardware.array.pe.kind=bricks --set network.formats.weights=fx8 --set network.formats.activations=fx8
    --set network.formats.errors=fp16 --set network.formats.weight_grads=fp32)

run() {  # run DIR ARGS...
    local dir=$1
    shift
    mkdir -p "$dir"
    (cd "$dir" && "$trainvp" run "$scenario" --firmware "$elf" --no-progress "$@" >stdout 2>stderr)
    local rc=$?
    [ "$rc" -eq 0 ] || { echo "FAIL: trainvp run $* exited $rc"; tail -20 "$dir/stderr"; }
    return $rc
}

expect_refusal() {  # expect_refusal PATTERN ARGS...: exit 2, one stderr line matching PATTERN
    local pattern=$1
    shift
    "$trainvp" run "$scenario" --firmware "$elf" --no-progress "$@" >out 2>err
    local rc=$?
    if [ $rc -ne 2 ] || [ "$(wc -l <err)" -ne 1 ] || ! grep -qE -- "$pattern" err; then
        echo "FAIL: $*: exit $rc, expected 2 and one line matching /$pattern/"; cat err out; exit 1
    fi
    cat err
}

case $case in
    golden_bricks|golden_bricks_ws)
        extra=()
        [ "$case" = golden_bricks_ws ] && extra=(--set hardware.array.dataflow=ws
            --set hardware.activation_buffer.size=8KiB --set hardware.gradient_buffer.size=8KiB)
        run a "${nf[@]}" "${extra[@]}" --check-golden || exit 1
        grep -q "^check-golden: identical ([1-9][0-9]* tensors, [1-9][0-9]* values, 1 epoch)" a/stderr ||
            { echo "FAIL: no 'check-golden: identical' line"; cat a/stderr; exit 1; }
        grep -q "brick PE" a/stdout a/stderr 2>/dev/null || true
        # The brick arithmetic is not the uniform PE's: the same job on uniform PEs ends with other weights.
        run b "${nf[@]}" "${extra[@]}" --set hardware.array.pe.kind=uniform || exit 1
        ! cmp -s a/final-weights.bin b/final-weights.bin || { echo "FAIL: bricks and uniform gave the same weights"; exit 1; }
        # The report prices the brick PE's three actions (no uniform MAC): every product on bricks, and one
        # combination per GEMM result and brick, so fewer combinations than brick accumulations.
        /usr/bin/python3 - a/report.json <<'PY' || exit 1
import json, sys
acts = {}
for a in json.load(open(sys.argv[1]))["energy"]["actions"]:
    if a["module"] == "pe_array":
        acts[a["action"].split("{")[0]] = acts.get(a["action"].split("{")[0], 0) + a["count"]
ok = all(acts.get(k, 0) > 0 for k in ("brick_product", "brick_acc", "brick_combine")) and \
    "mac" not in acts and "acc_add" not in acts and acts["brick_combine"] < acts["brick_acc"]
print("pe_array actions:", acts)
sys.exit(0 if ok else 1)
PY
        grep "^check-golden" a/stderr
        echo "PASS" ;;
    inference)
        run a "${nf[@]}" || exit 1
        run b "${nf[@]}" --set training.mode=inference --set training.weights=../a/final-weights.bin --check-golden || exit 1
        grep -q "^check-golden: identical (inference: [0-9]* of 256 test images correct, same loss)" b/stderr ||
            { echo "FAIL: no inference check-golden line"; cat b/stderr; exit 1; }
        "$trainvp" golden "$scenario" --no-progress "${nf[@]}" --set training.mode=inference \
            --set training.weights=a/final-weights.bin --out g.json >g.out || { echo "FAIL: golden inference"; exit 1; }
        python3 - b/report.json g.json a/report.json <<'PY' || exit 1
import json, sys
run, gold, train = (json.load(open(p)) for p in sys.argv[1:4])
t = run["training"]
assert t["mode"] == "inference", t["mode"]
assert t["images"]["trained"] == 0 and t["images"]["evaluated"] == 256, t["images"]
assert t["inference"]["test_accuracy"] == gold["final"]["test_accuracy"], (t["inference"], gold["final"])
# the test pass of the training run used the same final weights: same accuracy
assert t["inference"]["test_accuracy"] == train["training"]["final_test_accuracy"]
assert t["inference"]["simulated_images_per_second"] > 0
assert t["accelerator"]["cycles"] < train["training"]["accelerator"]["cycles"]
print("accuracy", t["inference"]["test_accuracy"])
PY
        expect_refusal "training.weights.*network's weights file has 493648 bytes" --set training.mode=inference \
            --set training.weights=g.json
        echo "PASS" ;;
    config)
        "$trainvp" run "$scenario" --dump-config --set hardware.array.pe.kind=bricks --set hardware.array.pe.brick_bits=2 >dump.yaml ||
            { echo "FAIL: dump"; exit 1; }
        grep -qE "kind: bricks" dump.yaml && grep -qE "brick_bits: 2" dump.yaml && grep -qE "float_max: fp16" dump.yaml &&
            grep -qE "brick_acc_bits: 48" dump.yaml || { echo "FAIL: pe keys not in --dump-config"; grep -n "pe" dump.yaml; exit 1; }
        expect_refusal "hardware\.array\.pe\.kind.*expected uniform or bricks" --set hardware.array.pe.kind=fused
        expect_refusal "hardware\.array\.pe\.brick_acc_bits.*at least 38" --set hardware.array.pe.kind=bricks \
            --set hardware.array.pe.brick_acc_bits=30
        expect_refusal "hardware\.array\.pe\.float_max.*fp16, fp8e4m3 or fp8e5m2" --set hardware.array.pe.float_max=bf16
        expect_refusal "layer 0 'conv1' \(conv\): weight gradient: .*not bf16 by fx8" "${nf[@]}" --set network.formats.errors=bf16
        expect_refusal "hardware\.fidelity.*uniform PE only" "${nf[@]}" --set hardware.fidelity=cycle
        echo "PASS" ;;
    iso_area)
        "$model" check-iso-area "$root/scenarios/lenet-mnist-neuroflix.yaml" "$root/scenarios/lenet-mnist-bf16.yaml" ||
            { echo "FAIL: the bf16 baseline is not iso-area"; exit 1; }
        sed 's/^    rows: 13 .*/    rows: 16/' "$root/scenarios/lenet-mnist-bf16.yaml" >bf16-16.yaml
        sed -i "s|\.\./data/mnist|$root/data/mnist|" bf16-16.yaml
        ! "$model" check-iso-area "$root/scenarios/lenet-mnist-neuroflix.yaml" bf16-16.yaml 2>/dev/null ||
            { echo "FAIL: a 16-row bf16 array passed as iso-area"; exit 1; }
        echo "PASS" ;;
    *) echo "neuroflix-e2e.sh: unknown case '$case'"; exit 2 ;;
esac
