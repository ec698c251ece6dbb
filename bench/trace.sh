#!/usr/bin/env bash
# What recording timelines costs (docs/user-guide.md "Timelines and the HTML report"): the main job
# (scenarios/lenet-mnist.yaml, one epoch) with no recording, with --html (the first step kept), with
# --trace (everything) and with --trace and a 1 ms --trace-window, each run ROUNDS times, interleaved so
# that a change in the machine's load hits every case alike. With REF_TRAINVP (a trainvp built without the
# recording hooks, e.g. from the commit before them) it also runs that one: "off" against it is what the
# hooks cost when recording is off, the figure that must be nil.
# Prints the median wall and processor (user + sys) times and each case against "off".
# usage: bench/trace.sh [BUILD_DIR] [ROUNDS] [REF_TRAINVP]     (default: build, 5, none)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "trace.sh: build directory '${1:-build}' not found" >&2; exit 1; }
rounds=${2:-5}
ref=${3:-}
trainvp=$build/trainvp
firmware=$build/sw/apps/train.elf
[ -x "$trainvp" ] && [ -f "$firmware" ] || { echo "trace.sh: $trainvp or $firmware not found: build first" >&2; exit 1; }
[ -z "$ref" ] || [ -x "$ref" ] || { echo "trace.sh: REF_TRAINVP $ref is not an executable" >&2; exit 1; }
cd "$root"
[ -f data/mnist/train-images-idx3-ubyte ] || bash scripts/fetch-mnist.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

cases=(off html trace window)
[ -n "$ref" ] && cases=(ref "${cases[@]}")
run_case() {  # run_case NAME ROUND: one run, "wall cpu" appended to $out/NAME.times
    local name=$1 round=$2 bin=$trainvp extra=()
    case $name in
        ref) bin=$ref ;;
        html) extra=(--html "$out/run.html") ;;
        trace) extra=(--trace "$out/trace.json") ;;
        window) extra=(--trace "$out/window.json" --trace-window 50ms:51ms) ;;
    esac
    local TIMEFORMAT="%R %U %S"
    { time "$bin" run scenarios/lenet-mnist.yaml --firmware "$firmware" --set training.epochs=1 \
        --set data.train_limit=2000 --set data.test_limit=500 --report "$out/$name-$round.json" \
        --weights "$out/w.bin" --no-progress -q "${extra[@]}" >/dev/null 2>"$out/$name.log"; } 2>"$out/t.raw" ||
        { cat "$out/$name.log" >&2; exit 1; }
    awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$out/t.raw" >>"$out/$name.times"
}
for round in $(seq 1 "$rounds"); do
    for name in "${cases[@]}"; do run_case "$name" "$round"; done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$out" "$rounds" "$load_before" "$load_after" "${cases[@]}" <<'PY'
import json, os, statistics, sys
out, rounds, before, after, *cases = sys.argv[1:]
med = {}
for c in cases:
    rows = [list(map(float, l.split())) for l in open(f"{out}/{c}.times")]
    med[c] = (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))
# Recording never changes what is simulated: the reports agree but for wall time.
def core(c):
    r = json.load(open(f"{out}/{c}-1.json"))
    r.pop("wall")
    r["training"].pop("wall", None)
    return r
same = all(core(c) == core("off") for c in cases)
size = {c: os.path.getsize(f) for c, f in (("html", f"{out}/run.html"), ("trace", f"{out}/trace.json"),
                                           ("window", f"{out}/window.json"))}
print(f"trace: scenarios/lenet-mnist.yaml, 1 epoch, 2000 training / 500 test images, median of {rounds} runs,"
      f" load average {before} before, {after} after")
label = {"ref": "no hooks (REF)", "off": "off", "html": "--html", "trace": "--trace",
         "window": "--trace, 1 ms window"}
ow, oc = med["off"]
for c in cases:
    w, p = med[c]
    extra = f"   {size[c] / 1e6:6.2f} MB written" if c in size else ""
    print(f"  {label[c]:22s} {w:6.2f} s wall {p:6.2f} s cpu   {(w / ow - 1) * 100:+6.1f}% wall {(p / oc - 1) * 100:+6.1f}% cpu"
          f" against off{extra}")
print(f"  reports of every case identical but for wall time: {'yes' if same else 'NO'}")
PY
