#!/usr/bin/env bash
# GDB's `monitor accel ...` against trainvp (docs/accelerator.md "Debug access"): with the core halted at the
# entry point, gdb-multiarch in batch mode lists the monitor commands, writes bytes into the weight buffer
# through the accelerator's debug socket, reads them back, prints the registers and gets a usage error.
#   gdb-monitor.sh TRAINVP SCENARIO ELF
set -u
trainvp=$1 scenario=$2 elf=$3
work=$(mktemp -d)
sim_pid=
cleanup() {
    [ -n "$sim_pid" ] && { kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; }
    rm -rf "$work"
}
trap cleanup EXIT
command -v gdb-multiarch >/dev/null || { echo "gdb-monitor: gdb-multiarch not found" >&2; exit 1; }
. "$(dirname "$0")/gdb-common.sh"
start_trainvp "$trainvp" "$scenario" "$elf"

timeout 60 gdb-multiarch -q -batch -nx -ex "set pagination off" -ex "set confirm off" \
    -ex "set architecture riscv:rv32" -ex "target remote 127.0.0.1:$port" \
    -ex "monitor help" \
    -ex "monitor accel write weight_buffer 0x40 0102a0ff" \
    -ex "monitor accel read weight 0x3e 8" \
    -ex "monitor accel read gradient 131070 4" \
    -ex "monitor accel regs" \
    -ex "monitor accel read nowhere 0 4" \
    -ex "kill" "$elf" >"$work/gdb.out" 2>&1
gdb_status=$?
stop_trainvp
echo "---- gdb-multiarch (exit $gdb_status)"
cat "$work/gdb.out"
echo "---- trainvp (exit $sim_status)"
cat "$work/sim.out"

failures=0
expect() {
    grep -qE -- "$1" "$work/gdb.out" || { echo "gdb-monitor: missing from GDB's output: $1" >&2; failures=$((failures + 1)); }
}
expect '^  accel read BUFFER OFFSET LENGTH \| accel write BUFFER OFFSET HEXBYTES \| accel regs'
expect '^wrote 4 bytes$'
expect '^0x0000003e: 00 00 01 02 a0 ff 00 00$'
expect '^0x0001fffe: 00 00$'
expect '^\(2 bytes past the end of the buffer\)$'
expect '^0x000 ID: 0x54564131$'
expect '^0x014 CAP_WBUF_BYTES: 0x00020000$'
expect "^error: no buffer 'nowhere' \(weight, activation or gradient\)$"
[ "$gdb_status" -eq 0 ] || { echo "gdb-monitor: gdb-multiarch exited $gdb_status" >&2; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] && echo "gdb-monitor: all checks passed"
exit $((failures > 0))
