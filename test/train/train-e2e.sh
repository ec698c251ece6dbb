#!/usr/bin/env bash
# One end-to-end training test: `trainvp run scenarios/quick.yaml` (LeNet-5, 512 training / 256 test MNIST
# images, 1 epoch) with the training firmware.
# usage: train-e2e.sh CASE TRAINVP REPORT_COMPARE TRAIN_ELF ROOT WORK_DIR
#   golden_fx16 | golden_fp32 | golden_fx12_sr | golden_mlp_momentum: --check-golden must report identical
#   determinism: two runs give the same report.json (wall aside), weights and console output
#   incomplete: a firmware that exits 0 without training (hello.elf) makes trainvp fail with a message
#   buffer_size | dram_bandwidth: a smaller activation buffer / lower DRAM bandwidth changes the cycles and
#   the simulated time, not the results or the weights
#   dma_dmi: DMA bursts on the bus (hardware.dma.dmi false) instead of through the DRAM's DMI pointer give
#   the same report (times, counters, energy), weights and console output
#   buffer_too_small: a buffer no tile of a layer fits is refused before the simulation (exit 2, one line
#   naming the key, the layer, the phase and the size needed); so is a job larger than ram.size
#   dump_reproduces: a run of --dump-config's output (saved elsewhere) gives the report of the original run
#   lr_decay: a step schedule (lr halved every epoch) is --check-golden identical over 3 epochs; the first
#   epoch equals a run without it, the later ones differ; bad schedules are refused naming the key
set -u
case=$1 trainvp=$2 compare=$3 elf=$4 root=$5 work=$6
scenario=$root/scenarios/quick.yaml
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
[ -f "$root/data/mnist/train-images-idx3-ubyte" ] ||
    { echo "FAIL: $root/data/mnist missing (run scripts/fetch-mnist.sh)"; exit 1; }

# run DIR ARGS...: trainvp run in DIR (report.json and final-weights.bin land there); echoes the exit status.
run() {
    local dir=$1
    shift
    mkdir -p "$dir"
    (cd "$dir" && "$trainvp" run "$scenario" --firmware "$elf" --no-progress "$@" >stdout 2>stderr)
    local rc=$?
    [ "$rc" -eq 0 ] || { echo "FAIL: trainvp run $* exited $rc"; tail -20 "$dir/stderr"; }
    return $rc
}

formats() {  # every role but the master weights in format $1
    local f=$1
    echo --set "network.formats.weights=$f" --set "network.formats.activations=$f" \
        --set "network.formats.errors=$f" --set "network.formats.weight_grads=$f"
}

check_golden() {
    run a --check-golden "$@" || exit 1
    grep -q "^check-golden: identical ([1-9][0-9]* tensors, [1-9][0-9]* values, 1 epoch)" a/stderr ||
        { echo "FAIL: no 'check-golden: identical' line"; cat a/stderr; exit 1; }
    [ -s a/report.json ] && [ -s a/final-weights.bin ] || { echo "FAIL: report.json or final-weights.bin missing"; exit 1; }
    grep "^check-golden" a/stderr
    echo "PASS"
}

case $case in
    golden_fx16) check_golden ;;
    golden_fp32) check_golden $(formats fp32) ;;
    golden_fx12_sr) check_golden $(formats fx12:sr) ;;
    golden_mlp_momentum)
        check_golden --set network.preset=mlp --set training.momentum=0.9 --set training.weight_decay=0.0005 ;;
    determinism)
        run a && run b || exit 1
        "$compare" same a/report.json b/report.json || exit 1
        cmp a/final-weights.bin b/final-weights.bin || { echo "FAIL: weights files differ"; exit 1; }
        cmp a/stdout b/stdout || { echo "FAIL: console output differs"; exit 1; }
        echo "PASS" ;;
    dma_dmi)
        run a && run b --set hardware.dma.dmi=false || exit 1
        "$compare" speed a/report.json b/report.json || exit 1
        [ "$("$compare" get b/report.json /config/hardware/dma/dmi)" = false ] || { echo "FAIL: dmi not off"; exit 1; }
        cmp a/final-weights.bin b/final-weights.bin || { echo "FAIL: weights files differ"; exit 1; }
        cmp a/stdout b/stdout || { echo "FAIL: console output differs"; exit 1; }
        echo "PASS" ;;
    buffer_size)
        run a && run b --set hardware.activation_buffer.size=8KiB --set hardware.gradient_buffer.size=8KiB || exit 1
        "$compare" timing a/report.json b/report.json || exit 1
        cmp a/final-weights.bin b/final-weights.bin || { echo "FAIL: weights files differ"; exit 1; }
        echo "PASS" ;;
    dram_bandwidth)
        run a && run b --set ram.bytes_per_ns=1.6 || exit 1
        "$compare" timing a/report.json b/report.json || exit 1
        cmp a/final-weights.bin b/final-weights.bin || { echo "FAIL: weights files differ"; exit 1; }
        echo "PASS" ;;
    buffer_too_small)
        # expect_refusal SCENARIO PATTERN ARGS...: exit 2, one stderr line matching PATTERN, nothing on stdout.
        expect_refusal() {
            local scn=$1 pattern=$2
            shift 2
            "$trainvp" run "$scn" --firmware "$elf" --no-progress "$@" >out 2>err
            local rc=$?
            if [ $rc -ne 2 ] || [ "$(wc -l <err)" -ne 1 ] || ! grep -qE -- "$pattern" err || [ -s out ]; then
                echo "FAIL: $*: exit $rc, expected 2 and one line matching /$pattern/"; cat err out; exit 1
            fi
            cat err
        }
        expect_refusal "$scenario" "^trainvp: error: --set: key 'hardware\.activation_buffer\.size': 1KiB is too small for layer conv1, phase forward \(CONV_FWD on 32 samples\): the activation buffer needs at least 6272 B .*--set hardware\.activation_buffer\.size=7KiB$" \
            --set hardware.activation_buffer.size=1KiB
        expect_refusal "$scenario" "^trainvp: error: --set: key 'hardware\.gradient_buffer\.size': 1KiB is too small for layer conv2, phase backward_data \(CONV_BWD_DATA on 32 samples\): the gradient buffer needs at least [0-9]+ B" \
            --set hardware.gradient_buffer.size=1KiB
        # Set in the file: the file and the line.
        sed 's/activation_buffer: {size: 128KiB/activation_buffer: {size: 2KiB/' "$scenario" >small.yaml
        expect_refusal small.yaml "^trainvp: error: small\.yaml:19: key 'hardware\.activation_buffer\.size': 2KiB is too small for layer conv1, phase forward" \
            --set "data.dir=$root/data/mnist"
        expect_refusal "$scenario" "^trainvp: error: --set: key 'ram\.size': 17MiB is too small for the training job: it needs 20 MiB" \
            --set ram.size=17MiB
        echo "PASS" ;;
    dump_reproduces)
        # A changed format and batch on the preset scenario; then a changed layer on its dump.
        sets=(--set network.formats.weights=fx12:sr --set network.input.format=fx12 --set training.batch=16)
        mkdir -p elsewhere
        "$trainvp" run "$scenario" "${sets[@]}" --dump-config >elsewhere/d1.yaml || { echo "FAIL: dump"; exit 1; }
        run a "${sets[@]}" || exit 1
        (cd elsewhere && "$trainvp" run d1.yaml --firmware "$elf" --no-progress >stdout 2>stderr) ||
            { echo "FAIL: run of the dump"; cat elsewhere/stderr; exit 1; }
        "$compare" reproduced a/report.json elsewhere/report.json || exit 1
        layer=(--set network.layers.6.out=64 --set 'network.layers.0.formats={errors: bf16}')
        (cd elsewhere && "$trainvp" run d1.yaml "${layer[@]}" --dump-config >d2.yaml) || { echo "FAIL: dump 2"; exit 1; }
        mkdir -p b c
        (cd b && "$trainvp" run ../elsewhere/d1.yaml "${layer[@]}" --firmware "$elf" --no-progress >stdout 2>stderr) &&
            (cd c && "$trainvp" run ../elsewhere/d2.yaml --firmware "$elf" --no-progress >stdout 2>stderr) ||
            { echo "FAIL: runs with the changed layer"; exit 1; }
        "$compare" reproduced b/report.json c/report.json || exit 1
        grep -q "{type: fc, out: 64, bias: true}" elsewhere/d2.yaml || { echo "FAIL: the changed layer is not in the dump"; exit 1; }
        ! "$compare" reproduced a/report.json b/report.json >/dev/null ||
            { echo "FAIL: the changed layer did not change the run"; exit 1; }
        echo "PASS" ;;
    lr_decay)
        few=(--set training.epochs=3 --set data.train_limit=128 --set data.test_limit=64 --set network.preset=mlp)
        run a --check-golden "${few[@]}" --set training.lr_decay.every=1 --set training.lr_decay.factor=0.5 || exit 1
        grep -q "^check-golden: identical ([1-9][0-9]* tensors, [1-9][0-9]* values, 3 epochs)" a/stderr ||
            { echo "FAIL: no 'check-golden: identical' line"; cat a/stderr; exit 1; }
        run b "${few[@]}" || exit 1
        /usr/bin/python3 - a/report.json b/report.json <<'PY' || exit 1
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a, b = a["training"], b["training"]
assert a["hyperparameters"]["lr_decay"] == {"every": 1, "factor": 0.5}, a["hyperparameters"]
assert "lr_decay" not in b["hyperparameters"], b["hyperparameters"]
ea, eb = a["epochs"], b["epochs"]
assert ea[0] == eb[0], "epoch 1 trains with lr in both runs"
assert ea[1] != eb[1] and ea[2] != eb[2], "epochs 2 and 3 train with lr/2 and lr/4"
PY
        for bad in "training.lr_decay.factor=1.5:key 'training.lr_decay.factor'" \
                   "training.lr_decay.every=0:key 'training.lr_decay.every'"; do
            "$trainvp" run "$scenario" --no-progress --set "${bad%%:*}" --set training.lr_decay.factor=0.5 \
                --set training.lr_decay.every=2 --set "${bad%%:*}" >out 2>err
            rc=$?
            [ $rc -eq 2 ] && grep -qF -- "${bad#*:}" err || { echo "FAIL: ${bad%%:*}: exit $rc"; cat err; exit 1; }
            cat err
        done
        "$trainvp" run "$scenario" --no-progress --set training.lr_decay.every=2 >out 2>err
        [ $? -eq 2 ] && grep -qF "give both every (epochs) and factor" err || { echo "FAIL: lr_decay without factor"; cat err; exit 1; }
        echo "PASS" ;;
    incomplete)
        mkdir -p a
        (cd a && "$trainvp" run "$scenario" --firmware "$(dirname "$elf")/hello.elf" --no-progress >stdout 2>stderr)
        rc=$?
        [ "$rc" -eq 1 ] || { echo "FAIL: exit $rc, expected 1"; cat a/stderr; exit 1; }
        grep -q "exited 0 but training is incomplete (0 of 1 epoch," a/stderr || { echo "FAIL: no message"; cat a/stderr; exit 1; }
        [ ! -e a/final-weights.bin ] || { echo "FAIL: weights written for an incomplete run"; exit 1; }
        grep -q '"completed": false' a/report.json || { echo "FAIL: report does not say incomplete"; exit 1; }
        echo "PASS" ;;
    *) echo "train-e2e.sh: unknown case '$case'"; exit 2 ;;
esac
