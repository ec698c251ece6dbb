#!/usr/bin/env python3
"""--trace and --vcd of `trainvp run` end to end (docs/user-guide.md "Timelines and the HTML report").

usage: check_trace.py TRAINVP ROOT WORK_DIR

One run of scenarios/quick.yaml (512 images, one epoch) with --trace, --vcd and --report. The trace must be
trace-event JSON as chrome://tracing and Perfetto read it, and must agree with the report, which is computed
apart from it (the controller's statistics): every descriptor once on the controller's track, its duration
in accelerator cycles summing per layer and opcode to the report's cycles, the report's last descriptors at
their exact start and end; the CPU's WFI sleeps summing to its time asleep and one instant per interrupt
taken; every tile and DMA slice inside its descriptor. The VCD must rise `busy` only where a descriptor
starts; a track's slices never overlap. Then: a window keeps only what overlaps it, the same run gives the
same bytes (the --html page too), and bad options fail before the simulation with exit 2 and nothing
written.
"""
import bisect
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict

from viz_checks import Checks

check = Checks("check_trace")
trainvp, root, work = check.trainvp, check.root, check.work


def run(*args, expect=0):
    p = subprocess.run([trainvp, "run", os.path.join(root, "scenarios/quick.yaml"), "--no-progress", "-q",
                        *args], cwd=work, capture_output=True, text=True)
    check(p.returncode == expect, f"trainvp run {' '.join(args)}: exit {p.returncode}, wanted {expect}\n{p.stderr}")
    return p


def ps(us_text):  # trace timestamps are microseconds written to the picosecond
    whole, _, frac = us_text.partition(".")
    return int(whole) * 1000000 + int((frac + "000000")[:6])


def load_trace(path):
    text = open(path).read()
    doc = json.loads(text)
    # Exact picoseconds from the text itself (json floats would round).
    stamps = re.findall(r'"ts":([0-9.]+)(?:,"dur":([0-9.]+))?', text)
    return doc, stamps


check.fresh_work_dir()

run("--trace", "t.json", "--vcd", "s.vcd", "--report", "r.json", "--html", "p.html")
report = json.load(open(os.path.join(work, "r.json")))
doc, stamps = load_trace(os.path.join(work, "t.json"))

# --- structure: what chrome://tracing and Perfetto's JSON importer need ---
check(isinstance(doc, dict) and isinstance(doc.get("traceEvents"), list), "a traceEvents array")
events = doc["traceEvents"]
check(len(stamps) == len(events), "every event has a ts")
for e, (ts, dur) in zip(events, stamps):
    check(e["ph"] in ("X", "i", "C", "M"), f"known phase {e['ph']}")
    check(isinstance(e["name"], str) and e["pid"] == 1, f"name and pid of {e}")
    e["ts_ps"] = ps(ts)
    if e["ph"] == "X":
        check("tid" in e and dur != "", f"a slice has a track and a duration: {e}")
        e["end_ps"] = e["ts_ps"] + ps(dur)
    if e["ph"] == "C":
        check(isinstance(e["args"].get("bytes"), float), f"a counter has a value: {e}")
names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
check(sorted(names.values()) == sorted(["CPU", "accelerator controller", "DMA", "PE array", "vector unit"]),
      f"one named track a module: {names}")
tid = {v: k for k, v in names.items()}
counters = {e["name"] for e in events if e["ph"] == "C"}
check(counters == {"weight_buffer bytes", "activation_buffer bytes", "gradient_buffer bytes"},
      f"a counter a buffer: {counters}")

# Slices on one track never overlap (the viewers draw a track's slices as a stack of nested spans).
for track, t in tid.items():
    spans_on = sorted((e["ts_ps"], e["end_ps"]) for e in events if e["ph"] == "X" and e["tid"] == t)
    for (s0, e0), (s1, e1) in zip(spans_on, spans_on[1:]):
        check(s1 >= e0, f"{track}: slice at {s1} starts before the one at {s0} ends ({e0})")

# --- every descriptor, with the right duration ---
acc = report["accelerator"]
period_ps = round(1e12 / acc["config"]["clock_hz"])
descs = [e for e in events if e["ph"] == "X" and e["tid"] == tid["accelerator controller"]]
check(len(descs) == acc["total"]["descriptors"], f"{len(descs)} descriptors on the track, report: "
      f"{acc['total']['descriptors']}")
check(sorted(e["args"]["sequence"] for e in descs) == list(range(len(descs))), "each descriptor once")
count, cycles = Counter(), Counter()
for e in descs:
    key = (str(e["args"]["layer"]), e["args"]["opcode"])
    count[key] += 1
    cycles[key] += math.ceil((e["end_ps"] - e["ts_ps"]) / period_ps - 1e-9)
want_count = {(l, op): s["descriptors"] for l, ops in acc["per_layer"].items() for op, s in ops.items()}
want_cycles = {(l, op): s["cycles"] for l, ops in acc["per_layer"].items() for op, s in ops.items()}
check(dict(count) == want_count, "descriptors by layer and opcode equal the report's")
check(dict(cycles) == want_cycles, "cycles by layer and opcode (durations / clock period) equal the report's")
by_seq = {e["args"]["sequence"]: e for e in descs}
for d in acc["descriptors"]:  # the report's history: the last descriptors with their times
    e = by_seq[d["sequence"]]
    check(abs(e["ts_ps"] - d["start_ns"] * 1000) <= 1 and abs(e["end_ps"] - d["end_ns"] * 1000) <= 1,
          f"descriptor {d['sequence']} at {d['start_ns']}..{d['end_ns']} ns, trace {e['ts_ps']}..{e['end_ps']} ps")
    check(e["args"]["opcode"] == d["opcode"] and e["args"]["layer"] == d["layer"], f"descriptor {d['sequence']}")
phases = {e["args"]["phase"] for e in descs}
check({"forward", "backward_data", "weight_grad", "update", "loss"} <= phases, f"training phases: {phases}")

# --- tiles and DMA inside their descriptor ---
spans = sorted((e["ts_ps"], e["end_ps"]) for e in descs)
starts = [s for s, _ in spans]
for track in ("PE array", "vector unit", "DMA"):
    slices = [e for e in events if e["ph"] == "X" and e["tid"] == tid[track]]
    check(slices, f"{track} has slices")
    for e in slices:
        i = bisect.bisect_right(starts, e["ts_ps"]) - 1
        check(i >= 0 and spans[i][0] <= e["ts_ps"] and e["end_ps"] <= spans[i][1],
              f"{track} slice {e['name']} at {e['ts_ps']}..{e['end_ps']} inside a descriptor")
tiles = sum(s["tiles"] for ops in acc["per_layer"].values() for s in ops.values())
units = [e for e in events if e["ph"] == "X" and e["tid"] in (tid["PE array"], tid["vector unit"])]
check(len(units) == tiles, f"one compute slice a tile: {len(units)}, report {tiles} tiles")
fetches = [e for e in events if e["ph"] == "X" and e["name"] == "fetch descriptor"]
check(len(fetches) == len(descs), "one descriptor fetch a descriptor")

# --- the CPU ---
cpu = report["cpu"]
wfi = [e for e in events if e["ph"] == "X" and e["tid"] == tid["CPU"] and e["name"] == "WFI"]
asleep_ps = sum(e["end_ps"] - e["ts_ps"] for e in wfi)
check(len(wfi) == cpu["wfi_sleeps"], f"{len(wfi)} WFI slices, report {cpu['wfi_sleeps']} sleeps")
check(abs(asleep_ps - cpu["asleep_s"] * 1e12) <= len(wfi), f"WFI total {asleep_ps} ps, report {cpu['asleep_s']} s")
irqs = [e for e in events if e["ph"] == "i" and e["tid"] == tid["CPU"]]
check(len(irqs) == cpu["interrupts_taken"], f"{len(irqs)} interrupt instants, report {cpu['interrupts_taken']}")

# --- the VCD: busy rises where a descriptor starts ---
vcd = open(os.path.join(work, "s.vcd")).read()
head, _, body = vcd.partition("$enddefinitions")
ids = dict((name, ident) for ident, name in re.findall(r"\$var wire\s+\d+\s+(\S+)\s+(\S+)", head))
check({"busy", "irq_status", "irq_accel", "irq_timer", "irq_external"} <= set(ids), f"VCD signals {sorted(ids)}")
check("$date" not in head, "no $date: the file is reproducible")
t, last, rises, times = 0, None, [], []
for line in body.split("\n"):
    if line.startswith("#"):
        t = int(line[1:])
        times.append(t)
    elif line[1:] == ids["busy"]:
        if line[0] == "1" and last != "1":
            rises.append(t)
        last = line[0]
check(times == sorted(times), "VCD times in order")
check(rises and set(rises) <= set(starts), f"{len(rises)} rises of busy, each at a descriptor's start")

# --- a window keeps what overlaps it ---
lo, hi = starts[len(starts) // 2], starts[len(starts) // 2] + 200_000_000  # 200 us from a descriptor
run("--trace", "w.json", "--vcd", "w.vcd", "--report", "r2.json", "--trace-window", f"{lo}ps:{hi}ps")
wdoc, wstamps = load_trace(os.path.join(work, "w.json"))
wev = wdoc["traceEvents"]
kept = 0
for e, (ts, dur) in zip(wev, wstamps):
    if e["ph"] == "X":
        kept += 1
        check(ps(ts) <= hi and ps(ts) + ps(dur) >= lo, f"windowed slice {e['name']} overlaps {lo}..{hi}")
    if e["ph"] in ("i", "C"):
        check(lo <= ps(ts) <= hi, f"windowed {e['ph']} {e['name']} inside {lo}..{hi}")
want = sum(1 for e in events if e["ph"] == "X" and e["ts_ps"] <= hi and e["end_ps"] >= lo)
check(kept == want and 0 < kept < len(events) / 4, f"window kept {kept} slices, overlapping ones: {want}")
wbody = open(os.path.join(work, "w.vcd")).read().partition("$enddefinitions")[2]
wtimes = [int(x) for x in re.findall(r"^#(\d+)$", wbody, re.M)]
check(wtimes and wtimes[0] == lo and all(lo <= x <= hi for x in wtimes), "VCD window: values at START, then changes")

# --- deterministic ---
run("--trace", "t2.json", "--vcd", "s2.vcd", "--report", "r3.json", "--html", "p2.html")
for a, b in (("t.json", "t2.json"), ("s.vcd", "s2.vcd"), ("p.html", "p2.html")):
    check(open(os.path.join(work, a), "rb").read() == open(os.path.join(work, b), "rb").read(), f"{a} == {b}")

# --- bad options: exit 2 before the simulation, nothing written ---
for args, msg in ((["--trace", "no/such/dir/t.json"], "--trace no/such/dir/t.json"),
                  (["--vcd", "."], "--vcd ."),
                  (["--trace", "x.json", "--trace-window", "3ms:1ms"], "END must come after START"),
                  (["--trace", "x.json", "--trace-window", "soon"], "expected START:END"),
                  (["--trace-window", "1ms:2ms"], "needs --trace or --vcd")):
    p = run(*args, "--report", "bad.json", expect=2)
    check(msg in p.stderr and p.stderr.count("\n") == 1, f"{args}: one line naming it: {p.stderr!r}")
    check(not os.path.exists(os.path.join(work, "bad.json")) and not os.path.exists(os.path.join(work, "x.json")),
          f"{args}: nothing written")
check(not [f for f in os.listdir(work) if ".partial" in f or ".tmp" in f], "no temporary files left")
check.done()
