#!/usr/bin/env bash
# `trainvp sweep` end to end on this machine, with small sweeps of the quick scenario (64-512 images).
# usage: sweep-e2e.sh CASE TRAINVP SWEEP_COMPARE REPORT_COMPARE ROOT WORK_DIR
#   local        4 points with -j 2: every point's files, results.csv, the point's scenario.yaml alone
#                reproduces its report, -j 1 gives the same results, --gather rebuilds them
#   dry_run      --dry-run lists the points and the constraint's drops, writes nothing
#   failing      a point that fails is recorded with its error, the others still run, exit 1
#   resume       a sweep killed (SIGKILL) mid-way: --resume keeps the points with status.json, reruns the
#                half-run one and the rest; results equal an uninterrupted sweep
#   interrupt    Ctrl-C (SIGINT): running points are stopped and left without status.json, exit 130;
#                --resume finishes them
#   progress     on a 40-column terminal: one progress line redrawn within 39 columns, a failed point's line
#                and the summary each on a line of their own
#   golden       command: golden; the report's accuracy columns
#   estimate     command: estimate over the dataflows: trainvp estimate's figures as columns, equal to its own
#   errors       bad sweep files and options: exit 2, one message naming the file, line and key, nothing run
set -u
case=$1 trainvp=$2 compare=$3 report_compare=$4 root=$5 work=$6
quick=$root/scenarios/quick.yaml

fail() { echo "FAIL: $*"; exit 1; }
[ -f "$root/data/mnist/train-images-idx3-ubyte" ] || fail "$root/data/mnist missing (run scripts/fetch-mnist.sh)"
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2

# sweep_file NAME TRAIN_LIMIT [EXTRA...]: a sweep of the quick scenario over the array's rows and columns.
sweep_file() {
    local name=$1 limit=$2
    shift 2
    {
        echo "name: $name"
        echo "base: $quick"
        echo "set: {data.train_limit: $limit, data.test_limit: 64}"
        echo "axes:"
        echo "  - {key: hardware.array.rows, name: rows, values: [8, 16]}"
        echo "  - {key: hardware.array.cols, name: cols, values: [8, 16]}"
        for line in "$@"; do echo "$line"; done
    } >"$name.yaml"
}

# The PIDs of processes working in DIR (a killed sweep's points stop by themselves; the test waits for them).
procs_in() {
    local p
    for p in /proc/[0-9]*; do
        case "$(readlink "$p/cwd" 2>/dev/null)" in "$1"*) echo "${p#/proc/}" ;; esac
    done
}
wait_gone() {
    for _ in $(seq 100); do [ -z "$(procs_in "$1")" ] && return 0; sleep 0.1; done
    fail "processes still running in $1: $(procs_in "$1")"
}

expect_error() {  # expect_error 'MESSAGE' ARGS...: exit 2 and MESSAGE as the one line on stderr
    local msg=$1
    shift
    "$trainvp" sweep "$@" >out 2>err
    local rc=$?
    [ "$rc" -eq 2 ] || { cat err; fail "trainvp sweep $*: exit $rc, expected 2"; }
    grep -qF -- "$msg" err || { cat err; fail "trainvp sweep $*: no '$msg'"; }
    [ "$(wc -l <err)" -eq 1 ] || { cat err; fail "trainvp sweep $*: more than one line on stderr"; }
}

case $case in
local)
    sweep_file s 64
    "$trainvp" sweep s.yaml -j 2 --no-progress >out 2>err || { cat err; fail "sweep exited $?"; }
    grep -q "^sweep s: 4 points: 4 ok, 0 failed, 0 not run$" err || { cat err; fail "no summary line"; }
    for d in 0000-rows=8,cols=8 0001-rows=8,cols=16 0002-rows=16,cols=8 0003-rows=16,cols=16; do
        for f in scenario.yaml cmd log report.json status.json; do
            [ -s "sweep-s/points/$d/$f" ] || fail "sweep-s/points/$d/$f missing"
        done
        grep -q '"exit_code": 0' "sweep-s/points/$d/status.json" || fail "$d: status.json"
    done
    [ "$(wc -l <sweep-s/results.csv)" -eq 5 ] || fail "results.csv has not 5 lines"
    head -1 sweep-s/results.csv | grep -q "^point,dir,hardware.array.rows,hardware.array.cols,status,exit_code,error,simulated_time_s,accel.cycles,accel.cycles.forward," ||
        fail "results.csv header: $(head -1 sweep-s/results.csv)"
    grep -q '^3,"0003-rows=16,cols=16",16,16,ok,0,,' sweep-s/results.csv || fail "row of point 3"
    # The four shapes take different numbers of cycles.
    [ "$(cut -d, -f10 sweep-s/results.csv | sort -u | wc -l)" -eq 5 ] || fail "accel.cycles not distinct per point"
    # The point's scenario.yaml alone reproduces its report, from another directory.
    mkdir alone && cp "sweep-s/points/0002-rows=16,cols=8/scenario.yaml" alone/ &&
        (cd alone && "$trainvp" run scenario.yaml --report report.json >log 2>&1) || fail "scenario.yaml alone did not run"
    (cd "sweep-s/points/0002-rows=16,cols=8" && "$report_compare" same report.json "$work/alone/report.json") ||
        fail "scenario.yaml alone gives another report"
    # The cmd file is the exact command.
    rm -rf again && cp -r "sweep-s/points/0001-rows=8,cols=16" again && mv again/report.json again/first.json
    sed "s|sweep-s/points/0001-rows=8,cols=16|again|" again/cmd >again/cmd2
    bash again/cmd2 >/dev/null 2>&1 || fail "cmd did not run"
    "$report_compare" same again/first.json again/report.json >/dev/null || fail "cmd gives another report"
    # -j 1 gives the same results, and --gather rebuilds them.
    "$trainvp" sweep s.yaml -j 1 --no-progress --out serial 2>err || { cat err; fail "-j 1 sweep failed"; }
    "$compare" same-results sweep-s/results.json serial/results.json || fail "-j 1 and -j 2 differ"
    cp sweep-s/results.csv before.csv && rm sweep-s/results.csv sweep-s/results.json
    "$trainvp" sweep s.yaml --gather 2>err || { cat err; fail "--gather failed"; }
    cmp -s before.csv sweep-s/results.csv || fail "--gather rebuilt another results.csv"
    # A sweep directory is not run over without --resume.
    expect_error "holds a sweep already: --resume continues it" s.yaml
    echo PASS ;;
dry_run)
    sweep_file s 64 'constraints: ["rows * cols <= 128"]'
    "$trainvp" sweep s.yaml --dry-run >out 2>err || { cat err; fail "--dry-run exited $?"; }
    cat out
    grep -q "^sweep s (s.yaml): 3 points, product 4, 1 dropped by constraints; each: trainvp run$" out ||
        fail "no plan line"
    grep -q "^  0002-rows=16,cols=8  *--set hardware.array.rows=16 --set hardware.array.cols=8$" out || fail "no point line"
    grep -q "^every point: --set data.train_limit=64 --set data.test_limit=64$" out || fail "no every-point line"
    grep -q "rows=16,cols=16" out && fail "the dropped point is listed"
    [ ! -e sweep-s ] || fail "--dry-run wrote the sweep directory"
    echo PASS ;;
failing)
    # A simulated-time limit too short to finish: the point exits 124, the sweep goes on.
    cat >f.yaml <<EOF
base: $quick
set: {data.train_limit: 64, data.test_limit: 64}
axes:
  - {key: sim.max_time, name: limit, values: [10s, 1us, 5s]}
EOF
    "$trainvp" sweep f.yaml -j 2 --no-progress >out 2>err
    rc=$?
    cat err
    [ "$rc" -eq 1 ] || fail "exit $rc, expected 1"
    grep -q "^sweep: point 0001-limit=1us failed (exit 124): trainvp: error: simulated-time limit 1us reached" err ||
        fail "no failure line"
    grep -q "^sweep f: 3 points: 2 ok, 1 failed, 0 not run$" err || fail "no summary"
    grep -q '^1,0001-limit=1us,1us,failed,124,trainvp: error: simulated-time limit 1us reached' sweep-f/results.csv ||
        fail "results.csv row of the failed point"
    grep -q '^2,0002-limit=5s,5s,ok,0,' sweep-f/results.csv || fail "the point after the failure did not run"
    # --resume keeps a failed point; --retry-failed runs it again.
    "$trainvp" sweep f.yaml --resume --no-progress 2>err
    grep -q "(3 kept from an earlier run)" err || { cat err; fail "--resume did not keep the 3 points"; }
    "$trainvp" sweep f.yaml --resume --retry-failed --no-progress 2>err
    grep -q "(2 kept from an earlier run)" err || { cat err; fail "--retry-failed kept the failed point"; }
    echo PASS ;;
resume)
    sweep_file r 512
    "$trainvp" sweep r.yaml -j 1 --no-progress --out reference 2>err || { cat err; fail "reference sweep failed"; }
    "$trainvp" sweep r.yaml -j 1 --no-progress --out killed >out 2>err &
    pid=$!
    for _ in $(seq 300); do
        [ -n "$(ls killed/points/*/status.json 2>/dev/null)" ] && break
        sleep 0.05
    done
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    wait_gone "$work/killed"
    done_before=$(ls killed/points/*/status.json 2>/dev/null | wc -l)
    [ "$done_before" -ge 1 ] && [ "$done_before" -lt 4 ] || fail "$done_before points finished before the kill"
    mkdir -p saved && for s in killed/points/*/status.json; do cp "$s" "saved/$(basename "$(dirname "$s")").json"; done
    # A point the kill interrupted has a directory but no status.json.
    half=$(for d in killed/points/*/; do [ -e "$d/status.json" ] || echo "$d"; done | head -1)
    [ -n "$half" ] && [ -s "$half/scenario.yaml" ] || fail "no prepared point without status.json"
    "$trainvp" sweep r.yaml --resume --no-progress --out killed 2>err || { cat err; fail "--resume failed"; }
    grep -q "^sweep r: 4 points: 4 ok, 0 failed, 0 not run ($done_before kept from an earlier run)$" err ||
        { cat err; fail "resume summary"; }
    for s in saved/*.json; do
        cmp -s "$s" "killed/points/$(basename "$s" .json)/status.json" || fail "$(basename "$s" .json) was run again"
    done
    "$compare" same-results reference/results.json killed/results.json || fail "resumed results differ"
    echo PASS ;;
interrupt)
    sweep_file i 512
    "$trainvp" sweep i.yaml -j 2 --no-progress >out 2>err &
    pid=$!
    for _ in $(seq 300); do
        [ "$(ls sweep-i/points/*/log 2>/dev/null | wc -l)" -ge 2 ] && break
        sleep 0.05
    done
    sleep 0.2
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    cat err
    [ "$rc" -eq 130 ] || fail "exit $rc, expected 130"
    grep -q "^sweep: stopping: 2 running point(s) asked to stop" err || fail "no stopping line"
    grep -q "^sweep: interrupted (SIGINT): --resume runs the points left$" err || fail "no interrupted line"
    [ -z "$(procs_in "$work/sweep-i")" ] || fail "points still running after the sweep exited"
    missing=$(grep -c ',missing,' sweep-i/results.csv)
    [ "$missing" -ge 2 ] || fail "$missing points missing in results.csv, expected at least the 2 stopped"
    # A stopped point's report says SIGTERM, unless the point had already finished its run and written a
    # complete report (exit status 0) when the signal reached it during teardown: it too is run again.
    for d in sweep-i/points/*/; do
        if [ ! -e "$d/status.json" ] && [ -e "$d/report.json" ]; then
            grep -q '"signal": "SIGTERM"' "$d/report.json" ||
                /usr/bin/python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["exit"]["status"] != 0)' \
                    "$d/report.json" || fail "$d: an interrupted point's report does not say SIGTERM"
        fi
    done
    "$trainvp" sweep i.yaml --resume --no-progress 2>err || { cat err; fail "--resume after SIGINT failed"; }
    grep -q "^sweep i: 4 points: 4 ok, 0 failed, 0 not run" err || { cat err; fail "resume summary"; }
    echo PASS ;;
progress)
    cat >p.yaml <<EOF
base: $quick
set: {data.train_limit: 64, data.test_limit: 64}
axes:
  - {key: sim.max_time, name: limit, values: [10s, 1us, 5s, 6s]}
EOF
    script -qfec "stty cols 40 rows 24; exec '$trainvp' sweep p.yaml -j 2" typescript >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 1 ] || { cat -v typescript; fail "exit $rc, expected 1"; }
    # Every redraw starts with CR, erase-line; split the terminal output there.
    tr '\r' '\n' <typescript | sed 's/\x1b\[K//' >lines
    long=$(awk '/^sweep [0-9]/ && length($0) >= 40' lines | head -3)
    [ -z "$long" ] || fail "progress lines of 40 or more columns on a 40-column terminal: $long"
    grep -qE "^sweep [0-4]/4 done  [01] failed  [0-2] running$" lines || { cat lines; fail "no progress line"; }
    grep -qaP '^(.*\r\x1b\[K)?sweep: point 0001-limit=1us failed \(exit 124\)' typescript ||
        fail "the failed point's line does not start on a cleared line"
    grep -qaP '^(.*\r\x1b\[K)?sweep p: 4 points: 3 ok, 1 failed, 0 not run' typescript ||
        fail "the summary does not start on a cleared line"
    echo "PASS: $(grep -c '^sweep [0-9]' lines) redraws within 39 columns" ;;
golden)
    cat >g.yaml <<EOF
base: $quick
command: golden
set: {data.train_limit: 64, data.test_limit: 64}
axes:
  - {key: training.lr, values: [0.05, 0.1]}
EOF
    "$trainvp" sweep g.yaml --no-progress 2>err || { cat err; fail "golden sweep failed"; }
    head -1 sweep-g/results.csv | grep -q "train.final_test_accuracy,train.final_test_loss,train.final_train_accuracy,train.final_train_loss" ||
        fail "no accuracy columns: $(head -1 sweep-g/results.csv)"
    grep -q "golden scenario.yaml --out report.json --no-progress" sweep-g/points/0000-lr=0.05/cmd || fail "golden cmd"
    [ "$(cut -d, -f9 sweep-g/results.csv | sort -u | wc -l)" -eq 3 ] || fail "the learning rates give the same loss"
    echo PASS ;;
estimate)
    printf 'name: est\nbase: %s\ncommand: estimate\naxes:\n  - {key: hardware.array.dataflow, name: df, values: [os, ws, is]}\n' \
        "$quick" >est.yaml
    "$trainvp" sweep est.yaml -j 2 --no-progress >out 2>err || { cat out err; fail "estimate sweep exited $?"; }
    head -1 sweep-est/results.csv | grep -q "estimate.forward.native,estimate.forward.ratio,estimate.forward.scalesim" ||
        fail "no estimate columns: $(head -1 sweep-est/results.csv)"
    [ "$(grep -c ',ok,' sweep-est/results.csv)" -eq 3 ] || { cat sweep-est/results.csv; fail "3 ok points"; }
    grep -q "estimate scenario.yaml --report report.json" sweep-est/points/0000-df=os/cmd || fail "estimate cmd"
    for df in os ws is; do  # each point's columns are the figures trainvp estimate gives for that dataflow
        "$trainvp" estimate "$quick" --set hardware.array.dataflow=$df --report $df.json >/dev/null || fail "estimate $df"
        python3 - sweep-est/results.json $df.json $df <<'PY' || fail "results of $df differ from trainvp estimate's"
import json, sys
rows = json.load(open(sys.argv[1]))["points"]
row = [r for r in rows if r["hardware.array.dataflow"] == sys.argv[3]][0]
assert row["status"] == "ok", row
want = json.load(open(sys.argv[2]))["estimate"]["total"]
n = 0
for phase, figs in want.items():
    for k, v in figs.items():
        assert row["estimate.%s.%s" % (phase, k)] == v, (phase, k, row)
        n += 1
assert n == 12, n
PY
    done
    echo PASS ;;
errors)
    sweep_file ok 64
    expect_error "x.yaml: cannot open sweep file" x.yaml
    printf 'base: %s\naxes:\n  - {key: hardware.array.rows, values: [8, 0]}\n' "$quick" >zero.yaml
    expect_error "zero.yaml:3: point 0001-rows=0: --set: key 'hardware.array.rows': 0 is out of range" zero.yaml
    printf 'base: %s\naxes:\n  - {key: hardware.array.rows, vals: [8]}\n' "$quick" >typo.yaml
    expect_error "typo.yaml:3: key 'axes[0].vals': unknown key (expected key, name, values, range, log2_range)" typo.yaml
    printf 'base: %s\noptions: [--no-progress, --bogus]\n' "$quick" >opt.yaml
    expect_error "opt.yaml:2: key 'options': trainvp run refuses them: trainvp: unrecognised option '--bogus'" opt.yaml
    # Options are checked from a point's directory: a relative file that exists only here is refused.
    touch here.elf
    printf 'base: %s\noptions: [--firmware, here.elf]\n' "$quick" >rel.yaml
    expect_error "rel.yaml:2: key 'options': trainvp run refuses them: trainvp: error: --firmware here.elf: No such file or directory" rel.yaml
    printf 'base: %s\naxes:\n  - {key: hardware.array.rows, values: [8]}\nconstraints: ["rows >= 16"]\n' "$quick" >none.yaml
    expect_error "none.yaml: no point is left: the constraints drop all 1" none.yaml
    expect_error "--jobs 0: at least one point runs at a time" ok.yaml -j 0
    expect_error "--backend 'ssh': expected local or slurm" ok.yaml --backend ssh
    expect_error "Slurm options (--partition, ...) need --backend slurm" ok.yaml --partition x
    expect_error "--retry-failed goes with --resume" ok.yaml --retry-failed
    expect_error "missing SWEEP.yaml" --dry-run
    mkdir -p notsweep && touch notsweep/x
    expect_error "notsweep exists and is not a sweep directory" ok.yaml --out notsweep
    ls -d sweep-* >/dev/null 2>&1 && fail "an error left a sweep directory"
    echo PASS ;;
*) echo "sweep-e2e.sh: unknown case '$case'"; exit 2 ;;
esac
