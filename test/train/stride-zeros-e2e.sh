#!/usr/bin/env bash
# Stride-aware zero skipping end to end (hardware.array.skip_stride_zeros; docs/accelerator-timing.md "Stride
# zeros"), on test/train/stride-zeros.yaml (conv layers of stride 1, 2 and 3, batch 4, 8 training images).
# usage: stride-zeros-e2e.sh CASE TRAINVP TRAIN_ELF ROOT WORK_DIR
#   compare: the key off and on give the same weights and loss curve, bit for bit; stride_zeros_check.py
#       computes the zero MACs of the stride-2 and stride-3 layers' backward passes from their shapes and
#       checks both reports against them (fewer MACs and compute cycles exactly there, nowhere else); the
#       summary says what was executed or skipped
#   config: the key in --dump-config (default false), through --set and in a sweep; refused with
#       hardware.timing.model scalesim, and a value that is not a boolean, before simulation
set -u
case=$1 trainvp=$2 elf=$3 root=$4 work=$5
scenario=$root/test/train/stride-zeros.yaml
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }

run() {  # run DIR ARGS...: trainvp run of the scenario in DIR
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
compare)
    run dense
    run skip --set hardware.array.skip_stride_zeros=true --html run.html
    cmp dense/final-weights.bin skip/final-weights.bin || fail "weights differ"
    python3 "$root/test/train/stride_zeros_check.py" dense/report.json skip/report.json || fail "stride zeros"
    grep -q "^  stride zeros  *executed .* compute cycles (skip_stride_zeros: off)$" dense/stderr ||
        { cat dense/stderr; fail "dense summary"; }
    grep -q "^  stride zeros  *skipped .* compute cycles (skip_stride_zeros: on)$" skip/stderr ||
        { cat skip/stderr; fail "skip summary"; }
    grep -q "^    conv3  *bwd-data 88.9% MACs .*; wgrad 88.9% MACs" skip/stderr || { cat skip/stderr; fail "conv3 line"; }
    grep -qE "^    (conv1|fc1) +(bwd-data|wgrad)" skip/stderr && fail "a stride-1 or fc layer listed with stride zeros"
    grep -qE '<th class="text">stride zeros</th><td>skipped [0-9.]+ M MACs \([0-9.]+%\), [0-9.]+ k compute cycles \([0-9.]+%\)' \
        skip/run.html || { grep -o "stride zeros.\{0,120\}" skip/run.html; fail "HTML summary row"; }
    # The training results on the console are the same: only the accelerator's figures differ.
    cmp <(grep -v '^  ' dense/stdout) <(grep -v '^  ' skip/stdout) >/dev/null ||
        { diff dense/stdout skip/stdout; fail "console output differs"; }
    echo PASS ;;
config)
    "$trainvp" run "$scenario" --dump-config >dump 2>err || { cat err; fail "--dump-config exited $?"; }
    grep -qE "^ +skip_stride_zeros: false( |$)" dump || { grep skip dump; fail "default not false"; }
    "$trainvp" run "$scenario" --dump-config --set hardware.array.skip_stride_zeros=true >dump 2>err ||
        { cat err; fail "--dump-config --set exited $?"; }
    grep -qE "^ +skip_stride_zeros: true( |$)" dump || { grep skip dump; fail "--set not shown"; }
    expect_refusal "SCALE-Sim v2 models a dense array without zero skipping" \
        --set hardware.array.skip_stride_zeros=true --set hardware.timing.model=scalesim
    expect_refusal "key 'hardware.array.skip_stride_zeros'" --set hardware.array.skip_stride_zeros=maybe
    cat >sweep.yaml <<YAML
name: stride-zeros-sweep
base: $scenario
set: {firmware: $elf}
axes:
  - {key: hardware.array.skip_stride_zeros, name: skip, values: [false, true]}
YAML
    "$trainvp" sweep sweep.yaml --out sweep --no-progress -j 1 >sweep.out 2>sweep.err ||
        { cat sweep.err; fail "sweep exited $?"; }
    python3 - sweep <<'PY' || fail "sweep results"
import glob, json, sys
reports = sorted(glob.glob(sys.argv[1] + "/**/report.json", recursive=True))
assert len(reports) == 2, reports
got = {}
for p in reports:
    r = json.load(open(p))
    got[r["config"]["hardware"]["array"]["skip_stride_zeros"]] = r["training"]["accelerator"]
assert set(got) == {False, True}, got.keys()
assert got[True]["macs"] < got[False]["macs"], (got[True]["macs"], got[False]["macs"])
assert got[True]["stride_zeros"]["skipped"] and not got[False]["stride_zeros"]["skipped"]
print("sweep: MACs", got[False]["macs"], "->", got[True]["macs"])
PY
    echo PASS ;;
*)
    fail "unknown case $case" ;;
esac
