#!/usr/bin/env bash
# Runs the firmware guide's GDB session against trainvp: starts `trainvp run --gdb PORT` on a free loopback
# port, drives it with gdb-multiarch in batch mode (session.gdb) and checks what GDB printed.
#   gdb-session.sh TRAINVP SCENARIO ELF SESSION.gdb [GUIDE.md]
# With GUIDE.md, the transcript there (the fenced block after the "gdb-session transcript" marker) must show
# exactly these commands and, apart from what only interactive GDB prints and the addresses, this output.
# Bounded: each process runs under `timeout`, and the simulator is killed on every exit path.
set -u
trainvp=$1 scenario=$2 elf=$3 session=$4 guide=${5:-}
work=$(mktemp -d)
sim_pid=
cleanup() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null
        wait "$sim_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

command -v gdb-multiarch >/dev/null || { echo "gdb-session: gdb-multiarch not found" >&2; exit 1; }

. "$(dirname "$0")/gdb-common.sh"
start_trainvp "$trainvp" "$scenario" "$elf"

timeout 60 gdb-multiarch -q -batch -nx \
    -ex "set pagination off" -ex "set confirm off" -ex "set architecture riscv:rv32" \
    -ex "set filename-display basename" -ex "target remote 127.0.0.1:$port" -x "$session" "$elf" >"$work/gdb.out" 2>&1
gdb_status=$?
# GDB is done, so the simulator has ended or will not: give it 10 s, then stop it.
stop_trainvp

echo "---- gdb-multiarch (exit $gdb_status)"
cat "$work/gdb.out"
echo "---- trainvp (exit $sim_status)"
cat "$work/sim.out"

failures=0
expect() {
    if ! grep -qE -- "$1" "$work/gdb.out"; then
        echo "gdb-session: missing from GDB's output: $1" >&2
        failures=$((failures + 1))
    fi
}
expect '^_start \(\) at crt0\.c:170$'
expect '^Breakpoint 1 at 0x[0-9a-f]+: file gdb_target\.c, line 9\.$'
expect '^Breakpoint 1, accumulate \(step=1\) at gdb_target\.c:9$'
expect '^#1  0x[0-9a-f]+ in main \(\) at gdb_target\.c:15$'
expect '^\$1 = 1$'
expect '^10[[:space:]]+total = sum;$'
expect '^11[[:space:]]+return sum;$'
expect '^\$2 = 1$'
expect '^Hardware watchpoint 2: total$'
expect '^Breakpoint 1, accumulate \(step=2\) at gdb_target\.c:9$'
expect '^Old value = 1$'
expect '^New value = 3$'
expect '^Old value = 3$'
expect '^New value = 6$'
expect '^accumulate \(step=3\) at gdb_target\.c:11$'
expect '^\[Inferior 1 \(Remote target\) exited with code 06\]$'
if [ "$gdb_status" -ne 0 ]; then echo "gdb-session: gdb-multiarch exited $gdb_status" >&2; failures=$((failures + 1)); fi
if [ "$sim_status" -ne 6 ]; then echo "gdb-session: trainvp exited $sim_status, expected 6" >&2; failures=$((failures + 1)); fi
if ! grep -q "gdb_target: total 6" "$work/sim.out"; then
    echo "gdb-session: the firmware's output is missing" >&2
    failures=$((failures + 1))
fi
# The watchpoint must report the stop right after the store: the line after `total = sum;`.
if ! grep -A4 '^New value = 3$' "$work/gdb.out" | grep -qE '^11[[:space:]]+return sum;$'; then
    echo "gdb-session: the watchpoint did not stop after the writing line" >&2
    failures=$((failures + 1))
fi
if [ -n "$guide" ]; then
    awk '/<!-- gdb-session transcript/ {m = 1; next}
         m == 1 && /^```$/ {m = 2; next}
         m == 2 && /^```$/ {exit}
         m == 2 {print}' "$guide" >"$work/guide.txt"
    {
        echo "set architecture riscv:rv32"
        echo "set filename-display basename"
        echo "target remote 127.0.0.1:PORT"
        grep -vE '^(#|$)' "$session"
        echo "quit"
    } >"$work/commands.txt"
    sed -n 's/^(gdb) //p' "$work/guide.txt" | sed -E 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/' >"$work/guide-commands.txt"
    if ! diff -u "$work/commands.txt" "$work/guide-commands.txt"; then
        echo "gdb-session: the guide's commands differ from the session's (diff above)" >&2
        failures=$((failures + 1))
    fi
    normalise() { sed -E 's/0x[0-9a-f]+/0xADDR/g'; }
    grep -vE '^(\$ gdb-multiarch|\(gdb\) |Continuing\.$|Reading symbols from |Remote debugging using )' "$work/guide.txt" |
        normalise >"$work/guide-output.txt"
    normalise <"$work/gdb.out" >"$work/gdb-output.txt"
    if ! diff -u "$work/gdb-output.txt" "$work/guide-output.txt"; then
        echo "gdb-session: the guide's transcript differs from GDB's output (diff above)" >&2
        failures=$((failures + 1))
    fi
fi

[ "$failures" -eq 0 ] && echo "gdb-session: all checks passed"
exit $((failures > 0))
