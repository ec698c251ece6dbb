#!/usr/bin/env python3
"""The HTML reports in a real browser (docs/exploration.md "The HTML report").

usage: check_html.py TRAINVP ROOT WORK_DIR

Makes a run page (`trainvp run scenarios/quick.yaml --html`) and a sweep page (`trainvp sweep
scenarios/sweeps/quick-shape.yaml`, report.html), loads each in headless Chromium and checks, in the DOM
as it is after the page's scripts ran: the page finished rendering, no script error and no console message,
and the plot elements, counted against what report.json and results.csv say (computed apart from the page).
It takes a screenshot of each into WORK_DIR (a test artifact in the build tree, not committed).
Without Chromium on PATH it skips (exit 77, which ctest reports as skipped) and says what to install.
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

from viz_checks import Checks

check = Checks("check_html")
trainvp, root, work = check.trainvp, check.root, check.work


browser = shutil.which("chromium") or shutil.which("chromium-browser")
if not browser:
    print("SKIP: no chromium on PATH: install Debian's chromium (scripts/install-deps.sh) to run this test")
    sys.exit(77)


class Dom(HTMLParser):
    """The elements of a dumped DOM: (tag, attributes, text inside) in document order."""

    def __init__(self, text):
        super().__init__()
        self.elements, self.stack = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        e = [tag, dict(attrs), ""]
        self.elements.append(e)
        if tag not in ("meta", "br", "input", "img", "link"):
            self.stack.append(e)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        for e in self.stack:
            e[2] += data

    def find(self, tag=None, cls=None, **attrs):
        out = []
        for t, a, text in self.elements:
            if tag and t != tag:
                continue
            if cls and cls not in a.get("class", "").split():
                continue
            if all(a.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append((t, a, text))
        return out


def load(page, fragment="", shot=None):
    """The DOM of PAGE after its scripts ran, and Chromium's log of the page's console."""
    url = "file://" + page + fragment
    common = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
              "--user-data-dir=" + os.path.join(work, "chromium-profile")]
    p = subprocess.run(common + ["--enable-logging=stderr", "--v=0", "--dump-dom", url], capture_output=True,
                       text=True, timeout=120)
    check(p.returncode == 0, f"chromium --dump-dom {url}: exit {p.returncode}\n{p.stderr[-2000:]}")
    console = [l for l in p.stderr.splitlines() if re.search(r":CONSOLE[:(]", l) or "Uncaught" in l]
    check(not console, f"{url}: console messages:\n" + "\n".join(console))
    dom = Dom(p.stdout)
    html = dom.find("html")
    check(html and "data-js-errors" not in html[0][1], f"{url}: script errors: {html and html[0][1]}")
    body = dom.find("body")
    check(body and body[0][1].get("data-rendered") == "yes", f"{url}: the page's scripts ran to the end")
    if shot:
        path = os.path.join(work, shot)
        s = subprocess.run(common + ["--window-size=1200,1600", "--screenshot=" + path, url], capture_output=True,
                           text=True, timeout=120)
        check(s.returncode == 0 and os.path.getsize(path) > 10000, f"screenshot {path}")
        check(open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"{path} is a PNG")
    return dom


check.fresh_work_dir()

# --- a run ---
p = subprocess.run([trainvp, "run", os.path.join(root, "scenarios/quick.yaml"), "--no-progress", "-q", "--html",
                    "run.html", "--report", "report.json"], cwd=work, capture_output=True, text=True)
check(p.returncode == 0, f"trainvp run --html: exit {p.returncode}\n{p.stderr}")
report = json.load(open(os.path.join(work, "report.json")))
page = os.path.join(work, "run.html")
text = open(page).read()
check(not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "the page loads nothing from a network")
dom = load(page, shot="run.png")
steps = report["training"]["loss_curve"]["per_step"]
check(len(dom.find("circle", "marker")) >= len(steps), "a marker a step of the loss curve")
check(dom.find("svg", id="loss-per-step") and dom.find("svg", id="accuracy-per-epoch"), "loss and accuracy plots")
for series in ("train accuracy", "test accuracy", "train loss", "test loss", "training loss"):
    check(dom.find("path", "series", data_series=series), f"a line for {series}")
# One bar segment for every layer and phase with cycles, as report.json counts them.
want = set()
for layer in report["training"]["accelerator"]["per_layer"]:
    for op in layer["opcodes"].values():
        if op["cycles"] > 0:
            want.add((layer["name"], op["phase"]))
bars = {(a["data-layer"], a["data-phase"]) for _, a, _ in dom.find("rect", "bar")}
check(bars == want, f"stacked bars by layer and phase: {sorted(bars ^ want)} differ")
check(dom.find(id="no-energy") or dom.find("svg", id="energy-by-layer"), "energy bars or the note that there is none")
# The first step's timeline: every training phase on the controller's lane, tiles, DMA, CPU and buffers.
timeline = dom.find("svg", id="step-timeline")
check(timeline, "the step timeline")
slices = dom.find("rect", "slice")
phases = {a.get("data-phase") for _, a, _ in slices if a["data-track"] == "controller"}
check({"forward", "backward_data", "weight_grad", "update", "loss"} <= phases, f"phases on the timeline: {phases}")
update_bars = [a for _, a, _ in slices if a.get("data-phase") == "update"]
layers_with_weights = [l for l in report["training"]["accelerator"]["per_layer"] if "SGD_UPDATE" in l["opcodes"]]
# One SGD step updates each layer with weights (and its bias) once: the updates of one step, not more.
per_step = sum(l["opcodes"]["SGD_UPDATE"]["descriptors"] for l in layers_with_weights) // len(steps)
check(len(update_bars) == per_step, f"{len(update_bars)} update descriptors on the timeline, {per_step} a step")
for track in ("cpu", "dma", "pe_array", "vector_unit"):
    check(any(a["data-track"] == track for _, a, _ in slices), f"{track} lane has slices")
check(len(dom.find("path", "counter")) == 3, "an occupancy line a buffer")

# --- a sweep ---
p = subprocess.run([trainvp, "sweep", os.path.join(root, "scenarios/sweeps/quick-shape.yaml"), "-j", "2", "-o",
                    "sweep"], cwd=work, capture_output=True, text=True)
check(p.returncode == 0, f"trainvp sweep: exit {p.returncode}\n{p.stderr}")
page = os.path.join(work, "sweep/report.html")
# The page again from the finished directory alone: the same bytes.
first = open(page, "rb").read()
os.remove(page)
p = subprocess.run([trainvp, "sweep", "--gather", "-o", "sweep"], cwd=work, capture_output=True, text=True)
check(p.returncode == 0 and open(page, "rb").read() == first, f"--gather -o DIR rewrites report.html\n{p.stderr}")
rows = list(csv.DictReader(open(os.path.join(work, "sweep/results.csv"))))
columns = next(csv.reader(open(os.path.join(work, "sweep/results.csv"))))


def front(xcol, ycol):
    """The points no other beats in both (lower is better), from results.csv."""
    pts = [(float(r[xcol]) if xcol != "PEs" else int(r["hardware.array.rows"]) * int(r["hardware.array.cols"]),
            float(r[ycol]) if ycol != "PEs" else int(r["hardware.array.rows"]) * int(r["hardware.array.cols"]),
            r["point"]) for r in rows if r["status"] == "ok"]
    return sorted(int(p) for x, y, p in pts
                  if not any(a <= x and b <= y and (a < x or b < y) for a, b, _ in pts))


for x, y in (("simulated_time_s", "PEs"), ("accel.cycles", "dram.read_bytes")):
    dom = load(page, f"#x={x}&y={y}", shot="sweep.png" if y == "PEs" else None)
    points = dom.find("circle", "point")
    check(len(points) == len(rows), f"a circle a point: {len(points)}")
    marked = sorted(int(a["data-point"]) for _, a, _ in dom.find("circle", "pareto"))
    check(marked == front(x, y), f"Pareto front of {x} x {y}: page {marked}, results.csv {front(x, y)}")
    listed = dom.find(id="pareto-list")[0][1]["data-points"]
    check(listed == ",".join(map(str, marked)), f"the front listed: {listed}")
    check(dom.find("polyline", "pareto-front"), "the front's line")
    check(dom.find("select", id="x-figure") and dom.find("select", id="y-figure"), "the figures' selects")
    options = [text for t, _, text in dom.elements if t == "option"]
    check(x in options and y in options, f"{x} and {y} among the figures offered")
# The table, sorted by a column through the page's own click handler.
dom = load(page, "#sort=-simulated_time_s")
heads = [text for _, a, text in dom.find("th", "sortable")]
check("PEs" in heads and set(heads) - {"PEs"} == set(columns) - {"host"}, f"table columns {heads}")
table_rows = []
for tag, a, text in dom.elements:
    if tag == "tr":
        table_rows.append([])
    elif tag == "td":
        table_rows[-1].append(text)
table_rows = [r for r in table_rows if len(r) == len(heads)]  # not the summary table
check(len(table_rows) == len(rows), f"a table row a point: {len(table_rows)}")
col = heads.index("simulated_time_s")
shown = [float(r[col]) for r in table_rows]
check(shown == sorted(shown, reverse=True), f"rows sorted by simulated_time_s, descending: {shown}")
by_point = {r["point"]: float(r["simulated_time_s"]) for r in rows}
order = [r[heads.index("point")] for r in table_rows]
check(order == sorted(by_point, key=lambda k: -by_point[k]), f"point order {order}")
sorted_th = [a for _, a, _ in dom.find("th", "sorted-desc")]
check(len(sorted_th) == 1 and sorted_th[0]["data-column"] == "simulated_time_s", "the sorted column marked")
check.done(f"; screenshots in {work}")
