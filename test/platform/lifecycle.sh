#!/usr/bin/env bash
# The lifecycle of a `trainvp run`: signals, output files, the progress line and the summary.
# usage: lifecycle.sh CASE TRAINVP REPORT_COMPARE BUILD_DIR ROOT WORK_DIR
#   sigint | sigterm: the first signal stops a training run at a step boundary: exit 130 / 143, one
#       "interrupted at epoch E step S" line, report.json (completed false, the finished epochs, exit
#       ended_by "interrupted") and the weights after the steps done
#   second_signal: a second signal ends the process at once (no report)
#   interrupt_plain: a non-training run stops at the next CPU quantum, "interrupted at simulated time T"
#   sigkill: killed mid-run, no output file is half-written (each is absent or its previous version)
#   write_failure: an output that cannot be written at the end does not keep the others from being
#       written; the run says so and exits 74
#   progress_bar: on a 60-column terminal every redraw of the progress line fits, and an interrupt clears it
#   summary_width: every line a training run prints on stderr fits in 100 columns
#   golden_sigint: `trainvp golden` stops after the step in progress: exit 130, "interrupted at epoch E step
#       S", golden.json (completed false, the finished epochs) and the weights after the steps done
#   golden_write_failure: golden's weights cannot be written: golden.json still is, naming the failure; exit 74
# Waits poll with a generous timeout (no sleeps that assume a speed): the machine may be slow and loaded.
set -u
# Job control: without it a script's background jobs start with SIGINT ignored, and trainvp leaves an
# ignored signal ignored.
set -m
case=$1 trainvp=$2 compare=$3 build=$4 root=$5 work=$6
scenario=$root/scenarios/quick.yaml
elf=$build/sw/apps/train.elf
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
[ -f "$root/data/mnist/train-images-idx3-ubyte" ] ||
    { echo "FAIL: $root/data/mnist missing (run scripts/fetch-mnist.sh)"; exit 1; }

fail() {
    echo "FAIL $case: $*"
    for f in stderr stdout; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
    exit 1
}

# wait_for SECONDS PID CONDITION...: polls every 0.05 s until CONDITION succeeds; false on timeout or
# when process PID has ended first.
wait_for() {
    local limit=$(($1 * 20)) pid=$2 i=0
    shift 2
    until "$@"; do
        i=$((i + 1))
        [ $i -ge $limit ] && return 1
        kill -0 "$pid" 2>/dev/null || { "$@"; return; }
        sleep 0.05
    done
}

# wait_exit PID: the exit status of background job PID. With job control `wait` also returns when the job
# is stopped (SIGSTOP); wait again until it has ended.
wait_exit() {
    local rc
    while :; do
        wait "$1"
        rc=$?
        kill -0 "$1" 2>/dev/null || return $rc
    done
}

# A training run long enough to interrupt: many epochs of the quick scenario, no simulated-time limit.
long_training=(run "$scenario" --firmware "$elf" --set training.epochs=50 --max-sim-time 1000s)

# get KEY: a value of report.json (exits the test when the report is missing or not JSON).
get() {
    "$compare" get report.json "$1" || fail "report.json: no $1"
}

signal_case() {
    local sig=$1 status=$2
    "$trainvp" "${long_training[@]}" >stdout 2>stderr &
    local pid=$!
    # At least one epoch finished: the report must hold it.
    wait_for 300 $pid grep -q "^trainvp: epoch 1/50" stderr || { kill -KILL $pid; fail "no epoch line"; }
    kill -"$sig" $pid
    wait_exit $pid
    local rc=$?
    [ $rc -eq "$status" ] || fail "exit status $rc, expected $status"
    grep -qE "^trainvp: interrupted at epoch [0-9]+ step [0-9]+ of 16 \(SIG$sig\)$" stderr ||
        fail "no 'interrupted at epoch E step S' line"
    [ "$(get /training/completed)" = false ] || fail "report says completed"
    [ "$(get /exit/ended_by)" = interrupted ] || fail "exit.ended_by is not 'interrupted'"
    [ "$(get /exit/signal)" = "SIG$sig" ] || fail "exit.signal is not SIG$sig"
    [ "$(get /exit/status)" = "$status" ] || fail "exit.status is not $status"
    [ "$(get /training/interrupted/at_step_boundary)" = true ] || fail "not stopped at a step boundary"
    local epochs steps
    epochs=$(get /training/firmware_status/epochs_done)
    steps=$(get /training/firmware_status/steps_done)
    [ "$epochs" -ge 1 ] && [ "$epochs" -lt 50 ] || fail "epochs_done $epochs"
    get /training/epochs/$((epochs - 1))/test_accuracy >/dev/null
    "$compare" get report.json /training/epochs/$epochs >/dev/null 2>&1 && fail "an unfinished epoch in the report"
    # The weights after the steps done, complete (the size of every parameter and master copy).
    [ "$(get /training/weights/steps_done)" = "$steps" ] || fail "weights not after $steps steps"
    [ "$(stat -c %s final-weights.bin)" = "$(get /training/weights/bytes)" ] || fail "weights file size"
    ls -a | grep -qE '\.(tmp|partial)$' && fail "temporary files left: $(ls -a)"
    echo "PASS: SIG$sig -> exit $rc, $(grep '^trainvp: interrupted' stderr | cut -c10-), epochs_done $epochs in the report"
}

case $case in
    sigint) signal_case INT 130 ;;
    sigterm) signal_case TERM 143 ;;
    second_signal)
        "$trainvp" "${long_training[@]}" >stdout 2>stderr &
        pid=$!
        wait_for 300 $pid grep -q "^trainvp: epoch 1/50" stderr || { kill -KILL $pid; fail "no epoch line"; }
        # Both signals arrive before the process runs on: the second finds the first already taken.
        kill -STOP $pid
        kill -INT $pid
        kill -TERM $pid
        kill -CONT $pid
        wait_exit $pid
        rc=$?
        [ $rc -eq 130 ] || [ $rc -eq 143 ] || fail "exit status $rc, expected death by SIGINT or SIGTERM"
        grep -q "interrupted" stderr && fail "the second signal did not end the process at once"
        [ -e report.json ] && fail "a report was written after the second signal"
        echo "PASS: second signal -> killed at once (exit $rc), no report" ;;
    interrupt_plain)
        # The ISS benchmark firmware computes for seconds and prints only at its end.
        "$trainvp" run "$root/scenarios/firmware-test.yaml" --firmware "$build/sw/bench/iss-mips.elf" \
            --report report.json >stdout 2>stderr &
        pid=$!
        # The handler is installed when the simulation starts: SigCgt shows SIGINT (bit 1) caught.
        caught() { [ $(( 0x$(sed -n 's/^SigCgt:\s*//p' /proc/$pid/status 2>/dev/null || echo 0) & 2 )) -ne 0 ]; }
        wait_for 300 $pid caught || { kill -KILL $pid; fail "SIGINT handler never installed"; }
        kill -INT $pid
        wait_exit $pid
        rc=$?
        [ $rc -eq 130 ] || fail "exit status $rc, expected 130"
        grep -qE "^trainvp: interrupted at simulated time [0-9.]+ s \(SIGINT\)$" stderr || fail "no interrupted line"
        [ "$(get /exit/ended_by)" = interrupted ] || fail "exit.ended_by is not 'interrupted'"
        grep -q "checksum" stdout && fail "the firmware ran to its end"
        echo "PASS: $(grep '^trainvp: interrupted' stderr | cut -c10-)" ;;
    sigkill)
        # The previous complete versions: after SIGKILL each output is absent or still exactly this.
        for f in report.json final-weights.bin trace.txt uart.txt; do echo "previous $f" >"$f"; cp "$f" "$f.orig"; done
        "$trainvp" "${long_training[@]}" --trace-insn trace.txt --set uart.output=uart.txt \
            >stdout 2>stderr &
        pid=$!
        # The firmware's first console line is out: the UART and trace files are being written.
        wait_for 300 $pid grep -qs "^train: " uart.txt.partial uart.txt || { kill -KILL $pid; fail "no console output"; }
        kill -KILL $pid
        wait $pid
        for f in report.json final-weights.bin trace.txt uart.txt; do
            [ ! -e "$f" ] || cmp -s "$f" "$f.orig" || fail "$f is not its previous version after SIGKILL"
        done
        [ -s trace.txt.partial ] && [ -s uart.txt.partial ] || fail "no partial trace or UART file: not mid-run?"
        echo "PASS: after SIGKILL mid-run the outputs are their previous versions ($(wc -l <trace.txt.partial) trace lines in flight)" ;;
    write_failure)
        mkdir -p gone
        "$trainvp" run "$scenario" --firmware "$elf" --set training.epochs=5 \
            --weights gone/w.bin --set uart.output=uart.txt >stdout 2>stderr &
        pid=$!
        wait_for 300 $pid grep -q "^trainvp: epoch 1/5" stderr || { kill -KILL $pid; fail "no epoch line"; }
        # The weights directory disappears while the run is stopped, after the start-up checks passed.
        kill -STOP $pid || fail "the run ended before it could be stopped"
        rm -rf gone
        kill -CONT $pid
        wait_exit $pid
        rc=$?
        [ $rc -eq 74 ] || fail "exit status $rc, expected 74"
        [ "$(grep -c "^trainvp: error: --weights not written: gone/w.bin: " stderr)" -eq 1 ] ||
            fail "no one-line error naming the weights file"
        grep -q "^  final weights           not written" stderr || fail "the summary does not say so"
        [ "$(get /training/completed)" = true ] || fail "the report is missing or incomplete"
        get /training/weights/error | grep -q "gone/w.bin" || fail "the report does not name the failed file"
        get /output_errors/0 | grep -q "^--weights not written" || fail "no output_errors in the report"
        grep -q "^train: done" uart.txt || fail "the UART output was not written"
        echo "PASS: weights failed (exit 74), report.json and uart.txt written" ;;
    golden_sigint)
        "$trainvp" golden "$scenario" --set training.epochs=50 --no-progress --out g.json --weights g.bin \
            >stdout 2>stderr &
        pid=$!
        wait_for 300 $pid grep -q "^epoch 1/50" stdout || { kill -KILL $pid; fail "no epoch line"; }
        kill -INT $pid
        wait_exit $pid
        rc=$?
        [ $rc -eq 130 ] || fail "exit status $rc, expected 130"
        grep -qE "^trainvp: interrupted at epoch [0-9]+ step [0-9]+ of 16 \(SIGINT\)$" stderr ||
            fail "no 'interrupted at epoch E step S' line"
        [ "$("$compare" get g.json /completed)" = false ] || fail "golden.json missing or says completed"
        [ "$("$compare" get g.json /interrupted/signal)" = SIGINT ] || fail "golden.json: no interrupted.signal"
        steps=$("$compare" get g.json /interrupted/steps_done)
        [ "$("$compare" get g.json /weights/steps_done)" = "$steps" ] || fail "weights not after $steps steps"
        [ "$(stat -c %s g.bin)" = "$("$compare" get g.json /weights/bytes)" ] || fail "weights file size"
        echo "PASS: golden SIGINT -> exit 130, $(grep '^trainvp: interrupted' stderr | cut -c10-)" ;;
    golden_write_failure)
        mkdir -p gone
        "$trainvp" golden "$scenario" --set training.epochs=40 --no-progress --out g.json --weights gone/w.bin \
            >stdout 2>stderr &
        pid=$!
        wait_for 300 $pid grep -q "^epoch 1/40" stdout || { kill -KILL $pid; fail "no epoch line"; }
        kill -STOP $pid || fail "the run ended before it could be stopped"
        rm -rf gone
        kill -CONT $pid
        wait_exit $pid
        rc=$?
        [ $rc -eq 74 ] || fail "exit status $rc, expected 74"
        [ "$(grep -c "^trainvp: error: --weights not written: gone/w.bin: " stderr)" -eq 1 ] ||
            fail "no one-line error naming the weights file"
        [ "$("$compare" get g.json /completed)" = true ] || fail "golden.json missing or incomplete"
        "$compare" get g.json /weights/error | grep -q "gone/w.bin" || fail "golden.json does not name the file"
        echo "PASS: golden weights failed (exit 74), golden.json written" ;;
    progress_bar)
        command -v script >/dev/null || { echo "SKIP: no script(1) for a pseudo-terminal"; exit 0; }
        # script(1) gives trainvp a 60-column pseudo-terminal; pid holds trainvp's process id.
        script -qfec "stty cols 60 rows 24; echo \$\$ >pid; exec '$trainvp' ${long_training[*]} -q" typescript \
            >/dev/null 2>&1 &
        spid=$!
        # A whole epoch of redraws, then some.
        wait_for 300 $spid grep -aq "epoch 2/50  step [1-9]" typescript || { kill -KILL $spid; fail "no progress line"; }
        kill -INT "$(cat pid)"
        wait $spid
        # Every redraw starts with CR, erase-line; split the terminal output there.
        tr '\r' '\n' <typescript | sed 's/\x1b\[K//' >lines
        long=$(awk '/^epoch / && length($0) >= 60' lines | head -3)
        [ -z "$long" ] || fail "progress lines of 60 or more columns on a 60-column terminal: $long"
        grep -qE "^epoch [0-9]+/50  step [0-9]+/16  [0-9]+% ETA [0-9hms-]+" lines || fail "no progress line with ETA"
        # The interrupt message starts on a cleared line, right after the last redraw.
        # The interrupt message starts a line, or follows the erase that removed the last redraw.
        grep -qaP '^(.*\r\x1b\[K)?trainvp: interrupted at epoch' typescript || fail "the bar was not cleared"
        echo "PASS: $(grep -c '^epoch' lines) redraws within 59 columns, cleared before the interrupted line" ;;
    summary_width)
        "$trainvp" run "$scenario" --firmware "$elf" --check-golden >stdout 2>stderr || fail "run failed"
        long=$(awk 'length($0) > 100 { print length($0) ": " $0 }' stderr)
        [ -z "$long" ] || fail "stderr lines over 100 columns: $long"
        # One epoch, not "1 epochs".
        grep -q "^trainvp: 1 epoch of 16 steps (batch 32)$" stderr || fail "no '1 epoch of 16 steps' line"
        grep -q "^check-golden: identical (.*, 1 epoch)$" stderr || fail "no check-golden line"
        grep -qE "(^|[^0-9])1 (epochs|steps|layers)" stderr && fail "a plural after 1"
        echo "PASS: $(wc -l <stderr) stderr lines, all within 100 columns" ;;
    *) echo "lifecycle.sh: unknown case '$case'"; exit 2 ;;
esac
