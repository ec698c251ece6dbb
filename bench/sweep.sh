#!/usr/bin/env bash
# The sweep machinery's speed (docs/exploration.md): a 16-point sweep of the main job
# (scenarios/lenet-mnist.yaml: array rows 8/16 x cols 8/16 x dataflow os/ws x double buffering on/off), one
# epoch, run with -j 1 and with -j 2, then the same 16 points as plain `trainvp run`s one after the other.
# Prints the wall and processor times, the speed-up of -j 2 (target >= 1.8x on 2 cores) and the sweep's
# overhead per point against the plain runs; checks that -j 1 and -j 2 give the same results.
# usage: bench/sweep.sh [BUILD_DIR] [TRAIN_IMAGES] [TEST_IMAGES]
#        (default: build, 2000, 500 -- a quarter of the main job's 8,000 training images keeps a point near
#        a second; the figures per point are what matter)
# The machine's load average is printed before and after: on a shared machine the speed-up says little.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "sweep.sh: build directory '${1:-build}' not found" >&2; exit 1; }
train=${2:-2000}
test=${3:-500}
trainvp=$build/trainvp
[ -x "$trainvp" ] || { echo "sweep.sh: $trainvp not found: build first" >&2; exit 1; }
cd "$root"
[ -f data/mnist/train-images-idx3-ubyte ] || bash scripts/fetch-mnist.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cat >"$out/bench16.yaml" <<EOF
name: bench16
base: $root/scenarios/lenet-mnist.yaml
set: {training.epochs: 1, data.train_limit: $train, data.test_limit: $test}
axes:
  - {key: hardware.array.rows, name: rows, values: [8, 16]}
  - {key: hardware.array.cols, name: cols, values: [8, 16]}
  - {key: hardware.array.dataflow, name: dataflow, values: [os, ws]}
  - {key: hardware.double_buffering, name: db, values: [true, false]}
EOF

# measure NAME COMMAND...: runs COMMAND, logs to $out/NAME.log, leaves "wall cpu" in $out/NAME.time.
measure() {
    local name=$1
    shift
    local TIMEFORMAT="%R %U %S"
    { time "$@" >"$out/$name.log" 2>&1; } 2>"$out/$name.raw" || { cat "$out/$name.log" >&2; exit 1; }
    awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$out/$name.raw" >"$out/$name.time"
}

plain_runs() {  # the sweep's points as plain trainvp runs, one after the other, from copies of scenario.yaml
    local d
    for d in j1/points/*/; do
        mkdir -p "plain/$(basename "$d")"
        cp "$d/scenario.yaml" "plain/$(basename "$d")/"
        (cd "plain/$(basename "$d")" && "$trainvp" run scenario.yaml --report report.json) || return 1
    done
}

cd "$out"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
measure j1 "$trainvp" sweep bench16.yaml -j 1 --no-progress --out j1
measure j2 "$trainvp" sweep bench16.yaml -j 2 --no-progress --out j2
measure plain plain_runs
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$out" "$train" "$test" "$(nproc)" "$load_before" "$load_after" <<'PY'
import json, sys
out, train, test, cores, load_before, load_after = sys.argv[1:7]
def times(name):
    wall, cpu = open(f"{out}/{name}.time").read().split()
    return float(wall), float(cpu)
def results(name):
    r = json.load(open(f"{out}/{name}/results.json"))
    skip = {"wall_s", "report.wall_s", "host"}
    return [{k: v for k, v in p.items() if k not in skip} for p in r["points"]], r["summary"]
def point_walls(name):
    return sum(p["wall_s"] for p in json.load(open(f"{out}/{name}/results.json"))["points"])
j1w, j1c = times("j1")
j2w, j2c = times("j2")
pw, pc = times("plain")
r1, s1 = results("j1")
r2, s2 = results("j2")
n = len(r1)
print(f"sweep: 16 points of scenarios/lenet-mnist.yaml, 1 epoch, {train} training / {test} test images,"
      f" {cores} cores, load average {load_before} before, {load_after} after")
print(f"  -j 1          {j1w:7.2f} s wall  {j1c:7.2f} s cpu   ({j1w / n:.2f} s a point)")
print(f"  -j 2          {j2w:7.2f} s wall  {j2c:7.2f} s cpu")
print(f"  speed-up      {j1w / j2w:7.2f}x        (target >= 1.8x on 2 cores: {'met' if j1w / j2w >= 1.8 else 'NOT met'})")
print(f"  plain runs    {pw:7.2f} s wall  {pc:7.2f} s cpu   (the same points, trainvp run one after another)")
print(f"  overhead      {(j1w - pw) / n * 1000:7.1f} ms wall a point, {(j1c - pc) / n * 1000:.1f} ms cpu a point"
      f" (-j 1 sweep against the plain runs: planning, checks, point files, results)")
inside = point_walls("j1")
print(f"  machinery     {(j1w - inside) / n * 1000:7.1f} ms wall a point (-j 1 sweep less the wall time of its"
      f" point processes, {inside:.2f} s: the same, measured within one run)")
print(f"  points        {s1['ok']} ok, {s1['failed']} failed; -j 1 and -j 2 results "
      f"{'identical' if r1 == r2 else 'DIFFERENT'}")
PY
