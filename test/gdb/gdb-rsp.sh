#!/usr/bin/env bash
# Raw remote-protocol checks of `trainvp run --gdb` that GDB's batch mode cannot script: Ctrl-C (0x03) while
# the firmware runs, kill, detach, and a connection closed under a halted core. Talks RSP through bash's
# /dev/tcp, so it needs nothing but bash and coreutils.
#   gdb-rsp.sh TRAINVP SCENARIO LONG_ELF SHORT_ELF
# LONG_ELF must run for seconds (it is interrupted); SHORT_ELF must exit 6 when left to run.
set -u
trainvp=$1 scenario=$2 long_elf=$3 short_elf=$4
work=$(mktemp -d)
sim_pid=
failures=0
cleanup() {
    exec 3>&- 2>/dev/null
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null
        wait "$sim_pid" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "gdb-rsp: $*" >&2
    failures=$((failures + 1))
}

# Starts trainvp on a free random port and connects fd 3 to it.
start() {
    local elf=$1 candidate
    for _ in 1 2 3 4 5 6 7 8; do
        candidate=$(shuf -i 49152-60999 -n 1)
        timeout 60 "$trainvp" run "$scenario" --firmware "$elf" --gdb "$candidate" -q >"$work/sim.out" 2>&1 &
        sim_pid=$!
        for _ in $(seq 100); do
            grep -q "waiting for GDB" "$work/sim.out" && break
            kill -0 "$sim_pid" 2>/dev/null || break
            sleep 0.1
        done
        if grep -q "waiting for GDB on 127.0.0.1:$candidate" "$work/sim.out"; then
            exec 3<>"/dev/tcp/127.0.0.1/$candidate" && return 0
        fi
        kill "$sim_pid" 2>/dev/null
        wait "$sim_pid" 2>/dev/null
        sim_pid=
    done
    echo "gdb-rsp: could not start trainvp" >&2
    cat "$work/sim.out" >&2
    exit 1
}

# Waits (bounded) for trainvp to end; its exit status goes to $status.
finish() {
    timeout 20 tail --pid="$sim_pid" -f /dev/null 2>/dev/null || kill "$sim_pid" 2>/dev/null
    wait "$sim_pid"
    status=$?
    sim_pid=
}

send() {
    local payload=$1 sum=0 i
    for ((i = 0; i < ${#payload}; i++)); do
        sum=$(((sum + $(printf '%d' "'${payload:i:1}")) % 256))
    done
    printf '$%s#%02x' "$payload" "$sum" >&3
}

# Reads the next packet from the stub into $reply (skipping acknowledgements) and acknowledges it.
receive() {
    local chunk cs
    reply=
    IFS= read -r -t 10 -d '#' -u 3 chunk || { fail "no reply from the stub"; return 1; }
    IFS= read -r -t 5 -n 2 -u 3 cs || { fail "truncated reply"; return 1; }
    reply=${chunk#*\$}
    printf '+' >&3
}

expect_reply() {
    receive || return
    [ "$reply" = "$1" ] || fail "expected reply '$1', got '$reply' ($2)"
}

echo "== Ctrl-C while running, then kill"
start "$long_elf"
send '?'
expect_reply 'T05thread:1;' "halted at the entry point"
send 'c'
sleep 0.3
printf '\003' >&3
expect_reply 'T02thread:1;' "Ctrl-C halts with SIGINT"
send 'p20'
receive && [ "${#reply}" -eq 8 ] || fail "pc after the interrupt: '$reply'"
send 'k'
finish
cat "$work/sim.out"
[ "$status" -eq 0 ] || fail "trainvp exited $status after kill, expected 0"
grep -q "run killed by GDB" "$work/sim.out" || fail "no 'run killed by GDB' message"

echo "== detach: the firmware runs on to its exit"
start "$short_elf"
send 'Z0,80000000,2'
expect_reply 'OK' "breakpoint inserted"
send 'D'
expect_reply 'OK' "detach"
exec 3>&-
finish
cat "$work/sim.out"
[ "$status" -eq 6 ] || fail "trainvp exited $status after detach, expected 6"

echo "== malformed packets get errors, a closed connection detaches"
start "$short_elf"
send 'm80000000'
expect_reply 'E01' "m without a length"
send 'Gzz'
expect_reply 'E01' "G with a bad register block"
printf '$g#00' >&3  # bad checksum: the stub asks for a resend with '-'
IFS= read -r -t 5 -n 1 -u 3 nak
[ "$nak" = "-" ] || fail "bad checksum answered '$nak', expected '-'"
exec 3>&-
finish
cat "$work/sim.out"
[ "$status" -eq 6 ] || fail "trainvp exited $status after the connection closed, expected 6"
grep -q "GDB connection closed" "$work/sim.out" || fail "no warning about the closed connection"

[ "$failures" -eq 0 ] && echo "gdb-rsp: all checks passed"
exit $((failures > 0))
