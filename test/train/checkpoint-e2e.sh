#!/usr/bin/env bash
# Checkpoints and resuming (docs/user-guide.md "Checkpoints and resuming"), end to end on scenarios/quick.yaml
# cut to 2 epochs of 6 steps (192 training and 64 test images).
# usage: checkpoint-e2e.sh CASE TRAINVP REPORT_COMPARE TRAIN_ELF ROOT WORK_DIR
#   kill_steps: a run checkpointing every 5 steps is killed with SIGKILL once a checkpoint exists; resumed
#       (checkpointing on to the same file) it ends with the report and weights of a run never interrupted
#   kill_epoch: the same at epoch granularity
#   no_perturb: a run that checkpoints after every step reports exactly what a run without checkpoints does
#   refusals: another scenario, a golden checkpoint, a truncated or damaged file, another firmware build are
#       refused before any simulation (exit 2, one line naming the file and the reason); a firmware that
#       differs only outside its loaded segments is the same firmware
#   int8_resume: network.formats.scheme int8 (tracked scales) resumed from a mid-epoch checkpoint ends with
#       the report and weights of an uninterrupted run, both identical to the golden model
#   int8_graph_resume: the same for a residual graph whose add reads the shortcut first (norm and add scales
#       tracked, the branch's error replanned into a copy): the job in DRAM holds the replanned errors too
#   golden: trainvp golden resumed mid-epoch and from an epoch checkpoint ends with the golden.json (wall
#       fields aside) and weights of an uninterrupted golden run; run and golden checkpoints do not mix
set -u
case=$1 trainvp=$2 compare=$3 elf=$4 root=$5 work=$6
scenario=$root/scenarios/quick.yaml
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
[ -f "$root/data/mnist/train-images-idx3-ubyte" ] ||
    { echo "FAIL: $root/data/mnist missing (run scripts/fetch-mnist.sh)"; exit 1; }
sizes=(--set training.epochs=2 --set data.train_limit=192 --set data.test_limit=64)
common=(--firmware "$elf" --no-progress "${sizes[@]}")

fail() {
    echo "FAIL: $*"
    exit 1
}

# run DIR ARGS...: trainvp run in DIR; fails the test unless it exits 0.
run() {
    local dir=$1
    shift
    mkdir -p "$dir"
    (cd "$dir" && "$trainvp" run "$scenario" "${common[@]}" "$@" >stdout 2>stderr)
    local rc=$?
    [ "$rc" -eq 0 ] || { tail -20 "$dir/stderr"; fail "trainvp run $* exited $rc"; }
}

# same A B: identical reports (wall fields aside) and weights files.
same() {
    "$compare" same "$1/report.json" "$2/report.json" || fail "reports of $1 and $2 differ"
    cmp "$1/final-weights.bin" "$2/final-weights.bin" || fail "weights of $1 and $2 differ"
}

# kill_after_checkpoint DIR ARGS...: starts trainvp run in DIR and kills it with SIGKILL as soon as
# DIR/ck.bin exists (it may have finished by then on a fast machine: the last checkpoint is still one
# before the end of the run).
kill_after_checkpoint() {
    local dir=$1
    shift
    mkdir -p "$dir"
    (cd "$dir" && exec "$trainvp" run "$scenario" "${common[@]}" "$@" >stdout 2>stderr) &
    local pid=$! waited=0
    while [ ! -f "$dir/ck.bin" ] && kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30000 ]; do
        sleep 0.01
        waited=$((waited + 1))
    done
    if kill -9 "$pid" 2>/dev/null; then echo "killed the run after its first checkpoint"; fi
    wait "$pid" 2>/dev/null
    [ -f "$dir/ck.bin" ] || fail "no checkpoint written"
    "$trainvp" checkpoint-info "$dir/ck.bin" >"$dir/info" || fail "the checkpoint left by the killed run is bad"
    grep -E "^(steps_done|epochs_done):" "$dir/info"
}

# expect_refusal NAME PATTERN -- COMMAND...: exit 2, one stderr line matching PATTERN, no outputs written.
expect_refusal() {
    local name=$1 pattern=$2
    shift 3
    mkdir -p "r-$name"
    (cd "r-$name" && "$@" >stdout 2>stderr)
    local rc=$?
    [ $rc -eq 2 ] || { cat "r-$name/stderr"; fail "$name: exit $rc, expected 2"; }
    [ "$(wc -l <"r-$name/stderr")" -eq 1 ] || { cat "r-$name/stderr"; fail "$name: more than one line"; }
    grep -qE -- "$pattern" "r-$name/stderr" || { cat "r-$name/stderr"; fail "$name: no line matching /$pattern/"; }
    [ ! -e "r-$name/report.json" ] && [ ! -e "r-$name/final-weights.bin" ] || fail "$name: wrote outputs"
    echo "refused ($name): $(cat "r-$name/stderr")"
}

# resumed_like_golden EVERY LAST ARGS...: a run checked against the golden model (ref), one that saves a
# checkpoint every EVERY steps (a; the last at step LAST) and one resumed from it (b) checked against the
# golden model too; b's report must equal ref's.
resumed_like_golden() {
    local every=$1 last=$2
    shift 2
    run ref "$@" --check-golden
    grep -q "^check-golden: identical" ref/stderr || fail "ref: check-golden not identical"
    run a "$@" --checkpoint ck.bin --checkpoint-every "$every"
    grep -q "^steps_done: $last$" <("$trainvp" checkpoint-info a/ck.bin) || fail "no step-$last checkpoint"
    run b "$@" --resume ../a/ck.bin --check-golden
    grep -q "^trainvp: resumed from ../a/ck.bin: " b/stderr || fail "no 'resumed' line"
    grep -q "^check-golden: identical" b/stderr || fail "resumed run: check-golden not identical"
    same ref b
}

case $case in
    kill_steps)
        run ref
        kill_after_checkpoint a --checkpoint ck.bin --checkpoint-every 5
        grep -q "^steps_done: [1-9]" a/info || fail "checkpoint holds no steps"
        run b --resume ../a/ck.bin --checkpoint ../a/ck.bin --checkpoint-every 5
        grep -q "^trainvp: resumed from ../a/ck.bin: " b/stderr || fail "no 'resumed' line"
        same ref b
        grep -q "^steps_done: 10$" <("$trainvp" checkpoint-info a/ck.bin) || fail "checkpointing did not go on"
        echo "PASS" ;;
    kill_epoch)
        run ref
        kill_after_checkpoint a --checkpoint ck.bin --checkpoint-every epoch
        grep -q "^epochs_done: [12]$" a/info || fail "not an epoch checkpoint"
        run b --resume ../a/ck.bin
        same ref b
        echo "PASS" ;;
    no_perturb)
        run ref
        run a --checkpoint ck.bin --checkpoint-every 1 --log-level info
        [ "$(grep -c "info: checkpoint: saved ck.bin" a/stderr)" -eq 12 ] || fail "expected 12 checkpoints"
        ! grep -q "skipped" a/stderr || fail "a checkpoint was skipped"
        same ref a
        cmp ref/stdout a/stdout || fail "console output differs"
        echo "PASS" ;;
    refusals)
        run a --checkpoint ck.bin --checkpoint-every 4
        ck=$work/a/ck.bin
        size=$(stat -c %s "$ck")
        head -c $((size / 2)) "$ck" >half.bin
        cp "$ck" damaged.bin
        printf '\x5a' | dd of=damaged.bin bs=1 seek=$((size / 3)) conv=notrunc status=none
        # Another build: one byte of the code changed. One byte of the .comment section (not loaded) changed:
        # the same firmware.
        cp "$elf" other.elf
        code_offset=$(readelf -lW "$elf" | awk '$1 == "LOAD" && / E / { print $2; exit }')
        printf '\x13' | dd of=other.elf bs=1 seek=$((code_offset + 64)) conv=notrunc status=none
        cmp -s "$elf" other.elf && fail "other.elf is unchanged"
        cp "$elf" comment.elf
        comment_offset=$(readelf -SW "$elf" | grep ' \.comment ' | sed 's/.*\.comment *//' | awk '{ print $3 }')
        [ -n "$comment_offset" ] || fail "no .comment section in $elf"
        printf 'X' | dd of=comment.elf bs=1 seek=$((16#$comment_offset + 2)) conv=notrunc status=none
        cmp -s "$elf" comment.elf && fail "comment.elf is unchanged"
        (cd "$work/a" && "$trainvp" golden "$scenario" "${sizes[@]}" --no-progress --checkpoint g.bin \
            --checkpoint-every 10 >/dev/null 2>&1) || fail "golden run failed"
        expect_refusal scenario "ck\.bin: made for scenario 'quick' \(config hash [0-9a-f]{16}\), this run's is 'quick' \(config hash [0-9a-f]{16}\): the scenario or its --set options differ" -- \
            "$trainvp" run "$scenario" "${common[@]}" --set training.lr=0.05 --resume "$ck"
        expect_refusal epochs "ck\.bin: made for scenario" -- \
            "$trainvp" run "$scenario" "${common[@]}" --set training.epochs=3 --resume "$ck"
        expect_refusal hardware "ck\.bin: made for scenario" -- \
            "$trainvp" run "$scenario" "${common[@]}" --set hardware.array.rows=8 --resume "$ck"
        expect_refusal firmware "ck\.bin: made by another firmware build" -- \
            "$trainvp" run "$scenario" --no-progress "${sizes[@]}" --firmware "$work/other.elf" --resume "$ck"
        expect_refusal truncated "half\.bin: truncated at byte $((size / 2)) of $size" -- \
            "$trainvp" run "$scenario" "${common[@]}" --resume "$work/half.bin"
        expect_refusal damaged "damaged\.bin: checksum mismatch: the file is damaged" -- \
            "$trainvp" run "$scenario" "${common[@]}" --resume "$work/damaged.bin"
        expect_refusal not-checkpoint "quick\.yaml: not a TrainVP checkpoint" -- \
            "$trainvp" run "$scenario" "${common[@]}" --resume "$scenario"
        expect_refusal missing "nothere\.bin: cannot read checkpoint" -- \
            "$trainvp" run "$scenario" "${common[@]}" --resume "$work/nothere.bin"
        expect_refusal golden-to-run "g\.bin: a golden checkpoint \(from trainvp golden\); trainvp run resumes only from a run checkpoint" -- \
            "$trainvp" run "$scenario" "${common[@]}" --resume "$work/a/g.bin"
        expect_refusal run-to-golden "ck\.bin: a run checkpoint \(from trainvp run\); trainvp golden resumes only from a golden checkpoint" -- \
            "$trainvp" golden "$scenario" "${sizes[@]}" --no-progress --resume "$ck"
        expect_refusal every-alone "--checkpoint-every needs --checkpoint FILE" -- \
            "$trainvp" run "$scenario" "${common[@]}" --checkpoint-every 3
        expect_refusal every-zero "--checkpoint-every '0': expected 'epoch' or a number of steps" -- \
            "$trainvp" run "$scenario" "${common[@]}" --checkpoint x.bin --checkpoint-every 0
        expect_refusal every-junk "--checkpoint-every 'often': expected 'epoch' or a number of steps" -- \
            "$trainvp" run "$scenario" "${common[@]}" --checkpoint x.bin --checkpoint-every often
        expect_refusal no-dir "--checkpoint $work/none/ck\.bin: directory $work/none does not exist" -- \
            "$trainvp" run "$scenario" "${common[@]}" --checkpoint "$work/none/ck.bin"
        expect_refusal not-training "hello\.yaml: --checkpoint and --resume need a training scenario" -- \
            "$trainvp" run "$root/scenarios/hello.yaml" --checkpoint x.bin
        # Bytes outside the loaded segments do not make another firmware.
        mkdir -p b
        (cd b && "$trainvp" run "$scenario" --no-progress "${sizes[@]}" --firmware "$work/comment.elf" \
            --resume ../a/ck.bin >stdout 2>stderr) || { cat b/stderr; fail "comment.elf was refused"; }
        grep -q "resumed from" b/stderr || fail "no 'resumed' line"
        echo "PASS" ;;
    int8_resume)
        # int8 with tracked scales: the scales live in the job in DRAM, so a run resumed mid-epoch picks up
        # the scales of its checkpoint and ends where an uninterrupted run (and the golden model) ends.
        resumed_like_golden 5 10 --set network.formats.scheme=int8  # the last checkpoint in epoch 2
        grep -q '"weights": "int8@' ref/report.json || fail "no int8 weights in the report"
        echo "PASS" ;;
    int8_graph_resume)
        cat >s.yaml <<YAML
network:
  input: {channels: 1, rows: 28, cols: 28}
  layers:
    - {name: stem, type: conv, out_channels: 4, kernel: 3, pad: 1, bias: false}
    - {name: stem_norm, type: norm, groups: 2, gradient: fixed}
    - {name: r0, type: relu}
    - {name: a, type: conv, out_channels: 4, kernel: 3, pad: 1, input: r0}
    - {name: a_norm, type: norm, groups: 4}
    - {name: sum, type: add, inputs: [r0, a_norm]}
    - {name: r1, type: relu}
    - {name: gap, type: global_avgpool}
    - {name: out, type: fc, out: 10}
  formats: {scheme: int8}
training: {epochs: 2, batch: 16, lr: 0.05, momentum: 0.9}
data: {kind: mnist, dir: $root/data/mnist}
YAML
        scenario=$work/s.yaml
        resumed_like_golden 7 21  # the last checkpoint in epoch 2
        grep -q '"activations": "int8@' ref/report.json || fail "no int8 activations in the report"
        echo "PASS" ;;
    golden)
        g() { (cd "$1" && "$trainvp" golden "$scenario" "${sizes[@]}" --no-progress --weights w.bin \
            "${@:2}" >stdout 2>stderr) || { cat "$1/stderr"; fail "golden $* failed"; }; }
        mkdir -p ref a b c d
        g ref
        g a --checkpoint ck.bin --checkpoint-every 5  # the last at step 10, in the middle of epoch 2
        grep -q "^steps_done: 10$" <("$trainvp" checkpoint-info a/ck.bin) || fail "no step-10 checkpoint"
        g b --resume ../a/ck.bin
        grep -q "^resumed  ../a/ck.bin: 1 epoch done, step 10" b/stdout || fail "no 'resumed' line"
        g c --checkpoint ck.bin  # at each epoch's end
        g d --resume ../c/ck.bin
        cmp ref/w.bin a/w.bin && cmp ref/w.bin b/w.bin && cmp ref/w.bin d/w.bin || fail "weights differ"
        for x in a b d; do
            "$compare" golden ref/golden.json $x/golden.json || fail "golden.json of $x differs"
        done
        echo "PASS" ;;
    *) echo "checkpoint-e2e.sh: unknown case '$case'"; exit 2 ;;
esac
