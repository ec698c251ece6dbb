#!/usr/bin/env bash
# A sweep through a real Slurm: a single-node cluster from Debian's slurm-wlm and munge (controller and node
# daemon on this machine, config, state and sockets in a temporary directory), then the same sweep with the
# local backend; the gathered results must equal point by point (wall-clock fields aside), and every report.
# Every daemon is started here and stopped here, by PID, on any exit. Without root or the packages the test
# fails and says what is missing: it never skips.
# usage: slurm-e2e.sh TRAINVP SWEEP_COMPARE REPORT_COMPARE ROOT WORK_DIR
set -u
trainvp=$1 compare=$2 report_compare=$3 root=$4 work=$5
sweep=$root/scenarios/sweeps/quick-shape.yaml

fail() { echo "FAIL: $*"; exit 1; }

missing=()
[ "$(id -u)" -eq 0 ] || missing+=("root (slurmd and the munge key need it)")
for tool in munged mungekey slurmctld slurmd sbatch squeue sinfo scancel; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "FAIL: cannot start a Slurm cluster here; missing: ${missing[*]}"
    echo "      (scripts/install-deps.sh installs slurm-wlm and munge; the test runs as root)"
    exit 1
fi
[ -f "$root/data/mnist/train-images-idx3-ubyte" ] || fail "$root/data/mnist missing (run scripts/fetch-mnist.sh)"

rm -rf "$work" && mkdir -p "$work" || exit 2
# munged insists that every directory above its socket is searchable by all and not writable by others.
state=$(mktemp -d /tmp/trainvp-slurm.XXXXXX) || exit 2
chmod 755 "$state"
mkdir -p "$state/munge" "$state/ctld" "$state/spool" "$state/log"
chmod 755 "$state/munge"
pids=()

stop_cluster() {
    # Jobs first (only this private controller's), then the daemons this script started, by PID.
    if [ -n "${SLURM_CONF:-}" ] && [ ${#pids[@]} -ge 2 ]; then
        for job in $(squeue -h -o %A 2>/dev/null | sort -u); do scancel "$job" 2>/dev/null; done
    fi
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$state"
}
trap stop_cluster EXIT

# Two free TCP ports on the loopback for the controller and the node daemon.
free_port() {
    local port
    for _ in $(seq 200); do
        port=$((20000 + RANDOM % 20000))
        [ "$port" != "${1:-}" ] || continue
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
    done
    return 1
}
ctld_port=$(free_port) && slurmd_port=$(free_port "$ctld_port") || fail "no free port"

mungekey --create --keyfile="$state/munge/munge.key" >/dev/null 2>&1 ||
    dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$state/munge/munge.key"
munged --foreground --socket="$state/munge/socket" --pid-file="$state/munge/munged.pid" \
    --log-file="$state/log/munged.log" --seed-file="$state/munge/seed" --key-file="$state/munge/munge.key" \
    >"$state/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$state/munge/socket" ] && break; sleep 0.1; done
[ -S "$state/munge/socket" ] || { cat "$state/log/munged.out" "$state/log/munged.log"; fail "munged did not start"; }

node=trainvp-test-node
cat >"$state/slurm.conf" <<EOF
ClusterName=trainvptest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$state/munge/socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=600
NodeName=$node NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1024 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$state/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$state/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N "$node" -f "$SLURM_CONF" >"$state/log/slurmd.out" 2>&1 &
pids+=($!)

show_logs() {
    for f in "$state"/log/*; do echo "--- $f"; tail -20 "$f"; done
}
ready=
for _ in $(seq 100); do
    if [ "$(sinfo -h -n "$node" -o %T 2>/dev/null)" = idle ]; then ready=1; break; fi
    sleep 0.2
done
[ -n "$ready" ] || { show_logs; fail "the Slurm node did not become idle"; }
echo "slurm: single-node cluster up (controller port $ctld_port, node $node)"

cd "$work" || exit 2
"$trainvp" sweep "$sweep" --backend slurm --partition test --time 5 --array-max 2 --poll 1 --no-progress \
    --out slurm >slurm.stdout 2>slurm.stderr
rc=$?
cat slurm.stderr
[ "$rc" -eq 0 ] || { show_logs; cat slurm/slurm/*.out 2>/dev/null; fail "the Slurm sweep exited $rc"; }
grep -q "submitted 4 point(s) as Slurm job [0-9]" slurm.stderr || fail "no submission line"
grep -q -- "--array=0-3%2" slurm/slurm/jobs.json || fail "jobs.json does not record --array=0-3%2"
ls slurm/slurm/*_0.out >/dev/null 2>&1 || fail "no per-task Slurm output file"

"$trainvp" sweep "$sweep" -j 2 --no-progress --out local >local.stdout 2>local.stderr ||
    { cat local.stderr; fail "the local sweep failed"; }

"$compare" same-results slurm/results.json local/results.json || fail "Slurm and local results differ"
for d in local/points/*/; do
    name=$(basename "$d")
    "$report_compare" same "slurm/points/$name/report.json" "local/points/$name/report.json" >/dev/null ||
        fail "report.json of $name differs between Slurm and local"
done

# --resume through Slurm submits only the missing points: remove one point's status and run again.
rm slurm/points/0002-*/status.json
"$trainvp" sweep "$sweep" --backend slurm --partition test --poll 1 --no-progress --resume --out slurm \
    >resume.stdout 2>resume.stderr || { cat resume.stderr; fail "the resumed Slurm sweep failed"; }
grep -q "submitted 1 point(s)" resume.stderr || { cat resume.stderr; fail "--resume did not submit one point"; }
[ "$(tail -1 slurm/slurm/jobs.json | tr -d ' ')" != "" ] || fail "jobs.json empty"
grep -q -- '"--array=2"' slurm/slurm/jobs.json || grep -q -- '"array": "2"' slurm/slurm/jobs.json ||
    fail "the resumed submission was not --array=2"
"$compare" same-results slurm/results.json local/results.json || fail "results differ after --resume"

# --no-wait returns once submitted; --gather collects once the array has left the queue.
"$trainvp" sweep "$sweep" --backend slurm --partition test --no-wait --no-progress --out nowait \
    >nowait.stdout 2>nowait.stderr || { cat nowait.stderr; fail "--no-wait failed"; }
grep -q "not waiting: .* --gather --out" nowait.stderr || { cat nowait.stderr; fail "no --gather hint"; }
job=$(sed -n 's/.*"job": "\([0-9]*\)".*/\1/p' nowait/slurm/jobs.json)
[ -n "$job" ] || fail "no job id in jobs.json"
for _ in $(seq 300); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 0.2; done
"$trainvp" sweep "$sweep" --gather --out nowait 2>gather.stderr || { cat gather.stderr; fail "--gather failed"; }
"$compare" same-results nowait/results.json local/results.json || fail "gathered results differ"
echo "PASS"
