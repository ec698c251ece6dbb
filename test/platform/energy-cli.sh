#!/usr/bin/env bash
# The energy model end to end through `trainvp run` on a tiny training run (scenarios/quick.yaml, 64 + 32
# images): the report's energy and area sections are deterministic; `--set energy.<entry>` changes exactly the
# modules that use the entry; leakage grows with simulated time and with area; the `energy` section works in a
# scenario file, in --dump-config and back; bad energy keys fail before the simulation naming the key.
# usage: energy-cli.sh TRAINVP ROOT WORK_DIR
set -u
trainvp=$1 root=$2 work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
[ -f "$root/data/mnist/train-images-idx3-ubyte" ] ||
    { echo "FAIL: $root/data/mnist missing (run scripts/fetch-mnist.sh)"; exit 1; }
scenario=$root/scenarios/quick.yaml
small=(--set data.train_limit=64 --set data.test_limit=32 --no-progress)

fail() {
    echo "FAIL: $*"
    exit 1
}

# run NAME ARGS...: a run of the tiny job writing NAME.json, its stderr in NAME.err.
run() {
    local name=$1
    shift
    "$trainvp" run "$scenario" "${small[@]}" --report "$name.json" --weights "$name.bin" "$@" \
        >"$name.out" 2>"$name.err"
    local status=$?
    [ "$status" = 0 ] || { tail -5 "$name.err"; fail "run $name exited with $status"; }
}

run base
run again
run dram --set energy.dram.ddr4.read=40
run cpu --set energy.cpu.instruction_overhead=140
run special --set energy.vector.special_function_fmas=12
run leak --set energy.leakage.per_area=25.2
run node --set energy.technology=28nm
run longer --set data.train_limit=128
run bigger --set hardware.gradient_buffer.size=256KiB

grep -q "^  energy (45nm) " base.err || fail "the summary has no energy line"
grep -q "^  area  " base.err || fail "the summary has no area line"

python3 - <<'PY' || exit 1
import json, sys

def load(name):
    return json.load(open(name + ".json"))

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

base, again = load("base"), load("again")
for section in ("energy", "area"):
    if json.dumps(base[section], sort_keys=True) != json.dumps(again[section], sort_keys=True):
        fail("the %s section differs between two runs of the same inputs" % section)
e = base["energy"]
if not (e["total_pj"] > 0 and e["dynamic_pj"] > 0 and e["leakage_pj"] > 0):
    fail("empty energy totals: %r" % {k: e[k] for k in ("total_pj", "dynamic_pj", "leakage_pj")})
if abs(e["total_pj"] - sum(e["by_module"].values())) > 1e-9 * e["total_pj"]:
    fail("by_module does not add up to total_pj")
if abs(e["average_power_w"] - e["total_pj"] * 1e-12 / e["simulated_time_s"]) > 1e-9 * e["average_power_w"]:
    fail("average_power_w is not total / simulated time")
if e["images_trained"] != 64 or abs(e["per_image_pj"] * 64 - e["total_pj"]) > 1e-6 * e["total_pj"]:
    fail("per_image_pj is not total / 64 trained images")
if abs(e["tops_per_watt"] - 2 * e["macs"] / e["total_pj"]) > 1e-9 * e["tops_per_watt"]:
    fail("tops_per_watt is not 2 x MACs / pJ")
if not e["by_layer_phase"] or any(r["dynamic_pj"] <= 0 for r in e["by_layer_phase"] if r["phase"] == "forward"):
    fail("no energy per layer x phase")
a = base["area"]
if not (a["total_mm2"] > a["inference_only"]["total_mm2"] > 0 and a["training_overhead_pct"] > 0):
    fail("area: training array not larger than the inference-only one: %r" % a)

def changed_modules(name):
    other = load(name)["energy"]["by_module"]
    return sorted(m for m, v in e["by_module"].items() if v != other[m])

# Each entry reaches exactly the modules priced with it (dynamic energy; leakage depends on area only).
for run, expect in (("dram", ["dram"]), ("cpu", ["cpu"]), ("special", ["vector_unit"])):
    got = changed_modules(run)
    if got != expect:
        fail("--set for %s changed %s, expected %s" % (run, got, expect))
    if json.dumps(load(run)["area"], sort_keys=True) != json.dumps(a, sort_keys=True):
        fail("--set for %s changed the area" % run)

# Leakage per area: leakage doubles, dynamic energy stays, off-chip and area-less modules stay.
leak = load("leak")["energy"]
if leak["dynamic_pj"] != e["dynamic_pj"]:
    fail("leakage.per_area changed the dynamic energy")
if abs(leak["leakage_pj"] - 2 * e["leakage_pj"]) > 1e-9 * leak["leakage_pj"]:
    fail("doubling leakage.per_area did not double leakage: %g vs %g" % (leak["leakage_pj"], e["leakage_pj"]))
onchip = sorted(m for m, v in a["by_module"].items() if v > 0)
if changed_modules("leak") != onchip:
    fail("leakage.per_area changed %s, expected the modules with area %s" % (changed_modules("leak"), onchip))

# 28 nm: every on-chip module cheaper, DRAM (off chip) the same, area smaller.
node = load("node")
if node["energy"]["technology"] != "28nm":
    fail("technology is %r" % node["energy"]["technology"])
for m, v in e["by_module"].items():
    w = node["energy"]["by_module"][m]
    if m == "dram" and w != v:
        fail("28nm changed the DRAM energy")
    if m != "dram" and v > 0 and not w < v:
        fail("28nm did not lower %s: %g vs %g" % (m, w, v))
if not node["area"]["total_mm2"] < a["total_mm2"]:
    fail("28nm did not shrink the area")

# Leakage grows with simulated time (same area) and with area.
longer = load("longer")
if not (longer["energy"]["simulated_time_s"] > e["simulated_time_s"] and longer["energy"]["leakage_pj"] > e["leakage_pj"]):
    fail("a longer run did not leak more")
for r in (base, longer):
    want = r["area"]["leakage_w"] * r["energy"]["simulated_time_s"] * 1e12
    if abs(r["energy"]["leakage_pj"] - want) > 1e-9 * want:
        fail("leakage_pj is not leakage_w x simulated time")
bigger = load("bigger")
if not (bigger["area"]["total_mm2"] > a["total_mm2"] and bigger["area"]["leakage_w"] > a["leakage_w"]):
    fail("a larger gradient buffer did not add area and leakage")
PY

# The energy section in a scenario file, in the dump, and the dump read back.
{ cat "$scenario"; printf 'energy:\n  technology: 28nm\n  dram:\n    ddr4:\n      read: 40\n'; } >file.yaml
sed -i "s|^firmware: .*|firmware: $(dirname "$trainvp")/sw/apps/train.elf|; s|dir: ../data/mnist|dir: $root/data/mnist|" file.yaml
"$trainvp" run file.yaml "${small[@]}" --dump-config >dump.yaml 2>dump.err || fail "--dump-config failed"
grep -q "^  technology: 28nm" dump.yaml || fail "the dump does not show energy.technology: 28nm"
grep -qE "^      read: 40( |$)" dump.yaml || fail "the dump does not show energy.dram.ddr4.read: 40"
"$trainvp" run file.yaml "${small[@]}" --report file.json --weights file.bin >/dev/null 2>&1 || fail "file.yaml run failed"
"$trainvp" run dump.yaml --no-progress --report dump.json --weights dump.bin >/dev/null 2>&1 || fail "dump.yaml run failed"
python3 - <<'PY' || exit 1
import json, sys
f, d, node = (json.load(open(n + ".json")) for n in ("file", "dump", "node"))
if f["energy"]["technology"] != "28nm":
    sys.exit(print("FAIL: the scenario file's energy.technology was not used") or 1)
if not f["energy"]["by_module"]["dram"] > node["energy"]["by_module"]["dram"]:
    sys.exit(print("FAIL: the scenario file's energy.dram.ddr4.read was not used") or 1)
if json.dumps(f["energy"], sort_keys=True) != json.dumps(d["energy"], sort_keys=True):
    sys.exit(print("FAIL: the dumped configuration gives another energy section") or 1)
PY

# A table file next to the scenario: used by name, and the dump names it by absolute path (a dumped scenario
# runs from any directory, as a sweep point's does).
sed 's/^name: 45nm/name: mytech/' "$root/models/energy/tech/45nm.yaml" >mytech.yaml
sed 's/^  technology: 28nm/  technology: mytech.yaml/' file.yaml >tech.yaml
"$trainvp" run tech.yaml "${small[@]}" --dump-config >tech-dump.yaml 2>&1 || fail "tech.yaml --dump-config failed"
grep -q "^  technology: $PWD/mytech.yaml" tech-dump.yaml || fail "the dump does not name the table file by absolute path"
"$trainvp" run tech.yaml "${small[@]}" --report tech.json --weights tech.bin >/dev/null 2>&1 || fail "tech.yaml run failed"
python3 -c 'import json, sys; sys.exit(json.load(open("tech.json"))["energy"]["technology"] != "mytech")' ||
    fail "the scenario's table file was not used"

# Bad energy keys: exit 2, one line naming the key, before the simulation (no report written).
check_bad() {
    local key=$1
    shift
    rm -f bad.json
    "$trainvp" run "$scenario" "${small[@]}" --report bad.json "$@" >bad.out 2>bad.err
    local status=$?
    [ "$status" = 2 ] || fail "$* exited with $status, expected 2"
    [ "$(wc -l <bad.err)" = 1 ] || { cat bad.err; fail "$*: not one line"; }
    grep -q "key '$key'" bad.err || { cat bad.err; fail "$*: the message does not name $key"; }
    [ ! -e bad.json ] || fail "$*: a report was written"
}
check_bad energy.technology --set energy.technology=missing-table.yaml
check_bad energy.technology --set energy.technology=3nm
check_bad energy.register.energy --set energy.register.energy=-1
check_bad energy.register.energy --set energy.register.energy=many
check_bad energy.dram_kind --set energy.dram_kind=hbm3
check_bad energy.pe_operand_format --set energy.pe_operand_format=fy16
echo "energy-cli: all checks passed"
