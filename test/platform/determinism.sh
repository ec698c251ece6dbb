#!/usr/bin/env bash
# The same firmware and scenario give identical output, instret, mcycle, simulated time and --report JSON
# (wall-clock fields aside) on every run.
# usage: determinism.sh TRAINVP SCENARIO ELF...
set -u
trainvp=$1 scenario=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0 checks=0
for elf in "$@"; do
    for run in 1 2 3; do
        "$trainvp" run "$scenario" --firmware "$elf" --report "$work/report$run.json" >"$work/out$run" 2>"$work/err$run"
        # The report minus its wall-clock fields.
        sed '/"wall": {/,/}/d' "$work/report$run.json" >>"$work/out$run"
        echo "exit $?" >>"$work/out$run"
        # Everything but the wall-clock line must match.
        grep -v "wall time" "$work/err$run" >"$work/summary$run"
    done
    for run in 2 3; do
        checks=$((checks + 1))
        if ! cmp -s "$work/out1" "$work/out$run" || ! cmp -s "$work/summary1" "$work/summary$run"; then
            echo "FAIL $(basename "$elf"): run $run differs from run 1"
            diff "$work/out1" "$work/out$run" | head -5
            diff "$work/summary1" "$work/summary$run" | head -5
            failures=$((failures + 1))
        fi
    done
    grep -q "instructions" "$work/summary1" || { echo "FAIL $(basename "$elf"): no run summary"; failures=$((failures + 1)); }
done
echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ] && [ "$checks" -gt 0 ]
