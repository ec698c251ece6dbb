#!/usr/bin/env bash
# Firmware that cannot run must end the run quickly with one clear message, never loop or flood stderr:
#  - an ELF whose entry point lies outside its code: exit 2, one line naming the file and the address;
#  - a CPU trapping to an unmapped trap vector forever: exit 123, "CPU stuck: ...", a few stderr lines.
# Both runs are bounded by --max-sim-time, so without those checks they end (with 124), not hang.
# usage: guest-faults.sh TRAINVP REPO_ROOT FIRMWARE_DIR WORK_DIR
set -u
trainvp=$1 root=$2 fw=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
failures=0 checks=0
fail() {
    echo "FAIL $1"
    sed 's/^/    /' "$work/err" | head -n 20
    failures=$((failures + 1))
}

# hello.elf with e_entry (bytes 24..27, little-endian) set to 0x12345678.
checks=$((checks + 1))
cp "$fw/apps/hello.elf" "$work/bad-entry.elf"
printf '\x78\x56\x34\x12' | dd of="$work/bad-entry.elf" bs=1 seek=24 conv=notrunc status=none
"$trainvp" run "$root/scenarios/hello.yaml" --firmware "$work/bad-entry.elf" --max-sim-time 10ms \
    >"$work/out" 2>"$work/err"
rc=$? lines=$(wc -l <"$work/err")
if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || [ -s "$work/out" ] ||
    ! grep -qE "bad-entry\.elf: entry point 0x12345678 is outside every executable \(PF_X\) PT_LOAD segment" "$work/err"; then
    fail "bad entry point: exit $rc, $lines stderr lines; expected exit 2 and one line naming the file and address"
fi

# A trap vector in unmapped memory: the CPU-stuck detection ends the run; repeated warnings are summarised.
checks=$((checks + 1))
"$trainvp" run "$root/scenarios/firmware-test.yaml" --firmware "$fw/tests/stuck_trap.elf" --max-sim-time 10ms \
    --report "$work/report.json" >"$work/out" 2>"$work/err"
rc=$? lines=$(wc -l <"$work/err")
if [ $rc -ne 123 ] || [ "$lines" -gt 25 ] || ! grep -q "stuck_trap: mtvec = 0x40000000" "$work/out" ||
    ! grep -qE "^trainvp: error: CPU stuck: instruction access fault \(trap cause 1\) at pc 0x40000000 repeated 1000 times without progress \(mtval 0x40000000, mtvec 0x40000000\)$" "$work/err" ||
    ! grep -q "(this warning repeated 1000 times" "$work/err"; then
    fail "stuck CPU: exit $rc, $lines stderr lines; expected exit 123, the CPU stuck line and at most 25 lines"
fi
checks=$((checks + 1))
if ! grep -q '"ended_by": "cpu stuck"' "$work/report.json" || ! grep -q '"status": 123' "$work/report.json"; then
    echo "FAIL stuck CPU: the report does not say how the run ended"
    failures=$((failures + 1))
fi

echo "$((checks - failures)) passed, $failures failed"
[ $failures -eq 0 ] && [ $checks -gt 0 ]
