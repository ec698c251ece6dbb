#!/usr/bin/env python3
"""Accelerator cycles per layer and phase of two `trainvp run --report` files, side by side.

usage: bench/accel-cycles-diff.py BEFORE.json AFTER.json [--max-rel R]

Prints every (layer, opcode) with its cycles before and after and the relative change, then the totals
(training.accelerator.per_layer and the top-level accelerator.total). Exit status 1 when some entry differs
by more than R (default: any difference), 2 for unreadable input.
"""
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("accel-cycles-diff: %s: %s" % (path, e), file=sys.stderr)
        sys.exit(2)


def per_phase(report):
    out = {}
    for layer in report["training"]["accelerator"]["per_layer"]:
        for opcode, s in layer["opcodes"].items():
            out[(layer["id"], layer["name"], opcode)] = s["cycles"]
    return out


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    max_rel = 0.0
    if "--max-rel" in argv:
        max_rel = float(argv[argv.index("--max-rel") + 1])
        args = [a for a in args if a != argv[argv.index("--max-rel") + 1]]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    a, b = load(args[0]), load(args[1])
    pa, pb = per_phase(a), per_phase(b)
    worst = 0.0
    print("%-5s %-10s %-14s %14s %14s %9s" % ("layer", "name", "opcode", "before", "after", "change"))
    for key in sorted(set(pa) | set(pb)):
        ca, cb = pa.get(key, 0), pb.get(key, 0)
        rel = (cb - ca) / ca if ca else (0.0 if cb == 0 else float("inf"))
        worst = max(worst, abs(rel))
        print("%-5s %-10s %-14s %14d %14d %+8.3f%%" % (key[0], key[1], key[2], ca, cb, 100 * rel))
    ta, tb = a["accelerator"]["total"]["cycles"], b["accelerator"]["total"]["cycles"]
    print("%-31s %14d %14d %+8.3f%%" % ("total", ta, tb, 100 * (tb - ta) / ta))
    wa, wb = a["training"]["weights"].get("fnv1a64"), b["training"]["weights"].get("fnv1a64")
    print("final weights fnv1a64: %s -> %s (%s)" % (wa, wb, "same" if wa == wb else "DIFFERENT"))
    return 0 if worst <= max_rel and wa == wb else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
