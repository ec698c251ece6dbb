#!/usr/bin/env bash
# Native (golden) training speed of LeNet-5 on the 8,000-image MNIST split, fp32 and 16-bit fixed point:
# one epoch each (batch 32, forward + backward + update), single-threaded. Target: fp32 epoch < 2 s.
# usage: bench/golden-speed.sh [BUILD_DIR] [EPOCHS]   (default: build, 1)
# Prints wall and processor seconds per epoch and images/s; processor time is the fairer figure on a
# shared machine.
set -euo pipefail
source "$(dirname "$0")/golden-common.sh"
epochs=${2:-1}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for cfg in fp32 fx16; do
    "${golden[@]}" "scenarios/lenet5-$cfg.yaml" --set "training.epochs=$epochs" --out "$out/$cfg.json" >"$out/$cfg.log" 2>&1 ||
        { cat "$out/$cfg.log" >&2; exit 1; }
    python3 - "$out/$cfg.json" "$cfg" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
e = j["epochs"]
n = j["data"]["train"]["count"]
wall = sum(x["seconds"] for x in e) / len(e)
cpu = sum(x["cpu_seconds"] for x in e) / len(e)
note = "  (target < 2 s: %s)" % ("met" if wall < 2.0 else "NOT met") if sys.argv[2] == "fp32" else ""
print("lenet5-%s: %d images/epoch, %.2f s wall, %.2f s cpu per epoch, %.0f images/s%s"
      % (sys.argv[2], n, wall, cpu, n / wall, note))
PY
done
