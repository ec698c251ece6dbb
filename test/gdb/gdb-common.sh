# Sourced by the gdb-multiarch tests: start_trainvp TRAINVP SCENARIO ELF starts `trainvp run --gdb PORT` on a
# free loopback port (trainvp refuses a busy one with "cannot listen", so a few are tried), with its output
# in $work/sim.out; sets $port and $sim_pid or exits 1. stop_trainvp waits up to 10 s for it to end, then
# stops it, and sets $sim_status. The caller owns $work and kills $sim_pid on exit.
start_trainvp() {
    local trainvp=$1 scenario=$2 elf=$3 candidate attempt
    port=
    for attempt in 1 2 3 4 5 6 7 8; do
        candidate=$(shuf -i 49152-60999 -n 1)
        timeout 60 "$trainvp" run "$scenario" --firmware "$elf" --gdb "$candidate" >"$work/sim.out" 2>&1 &
        sim_pid=$!
        for _ in $(seq 100); do  # up to 10 s for the "waiting for GDB" line
            grep -q "waiting for GDB on 127.0.0.1:$candidate" "$work/sim.out" && break
            kill -0 "$sim_pid" 2>/dev/null || break
            sleep 0.1
        done
        if grep -q "waiting for GDB on 127.0.0.1:$candidate" "$work/sim.out"; then
            port=$candidate
            return 0
        fi
        wait "$sim_pid" 2>/dev/null
        sim_pid=
        grep -q "cannot listen" "$work/sim.out" || { cat "$work/sim.out"; echo "trainvp did not start" >&2; exit 1; }
    done
    echo "no free port found" >&2
    exit 1
}

stop_trainvp() {
    timeout 10 tail --pid="$sim_pid" -f /dev/null 2>/dev/null || kill "$sim_pid" 2>/dev/null
    wait "$sim_pid"
    sim_status=$?
    sim_pid=
}
