#!/usr/bin/env bash
# Graphs on the platform (issue 15 items 1 and 2): `trainvp run --check-golden` through the training
# firmware must be bit-identical to the golden network (weights, errors and statistics) on
#   residual: a residual block with range group norm layers (backward with s fixed, and the default
#       projection); r0 is read by conv a and by the add
#   twice: a layer read by two convs whose errors are summed (SUM2 of two conv input errors), and a
#       concat-free fan-out of a norm layer (backward through the range) with a global average pooling
#   resnet8: the resnet8 preset on a few hundred Fashion-MNIST images (Debian's dataset-fashion-mnist)
#   concat: a concat of two conv branches of 3 and 5 channels, the first in bf16 with stochastic rounding,
#       the second in fp32: the second branch's values round into bf16 per sample with the golden element
#       indices (DMA_COPY's sr_index_base), its error slice is widened back into fp32 (a COPY); r0 is read
#       by both branches (SUM2), and a 1-input concat copies a whole batch at once
#   int8_residual, int8_twice, int8_resnet8: the same with network.formats.scheme int8 (tracked per-tensor
#       scales, docs/numerics.md "8-bit training"): the firmware tracks the norm and add layers' scales
#       and the summed errors' scales as the golden model does, final scales included; the report shows
#       int8 formats, and the norm layers' outputs were stored in more than one scale (the scales moved)
# usage: graph-platform-e2e.sh CASE TRAINVP TRAIN_ELF ROOT WORK_DIR
set -u
case=$1 trainvp=$2 elf=$3 root=$4 work=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }
mnist="dir: $root/data/mnist, train_limit: 64, test_limit: 32"
extra=()
case $case in int8_*)
    extra=(--set network.formats.scheme=int8)
    case=${case#int8_}
    int8=1
    ;;
*) int8=0 ;;
esac

case $case in
residual)
    cat >s.yaml <<YAML
network:
  input: {channels: 1, rows: 28, cols: 28}
  layers:
    - {name: stem, type: conv, out_channels: 4, kernel: 3, pad: 1, bias: false}
    - {name: stem_norm, type: norm, groups: 2, gradient: fixed}
    - {name: r0, type: relu}
    - {name: a, type: conv, out_channels: 4, kernel: 3, pad: 1, input: r0}
    - {name: a_norm, type: norm, groups: 4}
    - {name: sum, type: add, inputs: [a_norm, r0]}
    - {name: r1, type: relu}
    - {name: gap, type: global_avgpool}
    - {name: out, type: fc, out: 10}
training: {epochs: 1, batch: 16, lr: 0.05, momentum: 0.9, weight_decay: 0.0005}
data: {kind: mnist, $mnist}
YAML
    ;;
twice)
    cat >s.yaml <<YAML
network:
  input: {channels: 1, rows: 28, cols: 28}
  layers:
    - {name: stem, type: conv, out_channels: 4, kernel: 3, stride: 2, pad: 1}
    - {name: r0, type: relu}
    - {name: a, type: conv, out_channels: 4, kernel: 3, pad: 1, input: r0}
    - {name: b, type: conv, out_channels: 4, kernel: 1, input: r0}
    - {name: sum, type: add, inputs: [a, b]}
    - {name: n, type: norm, groups: 1, scale_bits: 4, gradient: range}
    - {name: gap, type: global_avgpool}
    - {name: out, type: fc, out: 10}
training: {epochs: 1, batch: 8, lr: 0.05}
data: {kind: mnist, $mnist}
YAML
    ;;
resnet8)
    [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] ||
        fail "Debian's dataset-fashion-mnist is not installed"
    cat >s.yaml <<YAML
network: {preset: resnet8, input: {channels: 1, rows: 28, cols: 28}}
hardware:   # a norm layer works on whole samples: 16 x 28 x 28 fp32 input and output in half a buffer
  activation_buffer: {size: 256KiB}
  gradient_buffer: {size: 256KiB}
training: {epochs: 1, batch: 32, lr: 0.05, momentum: 0.9}
data: {kind: fashion_mnist, train_limit: 128, test_limit: 64}
YAML
    [ "$int8" = 1 ] && extra+=(--set data.train_limit=384 --set data.test_limit=256)
    ;;
concat)
    cat >s.yaml <<YAML
network:
  input: {channels: 1, rows: 28, cols: 28}
  layers:
    - {name: stem, type: conv, out_channels: 4, kernel: 3, stride: 2, pad: 1}
    - {name: r0, type: relu}
    - {name: a, type: conv, out_channels: 3, kernel: 3, pad: 1, input: r0,
       formats: {activations: "bf16:sr", errors: "bf16:sr"}}
    - {name: b, type: conv, out_channels: 5, kernel: 1, input: r0}
    - {name: cat, type: concat, inputs: [a, b]}
    - {name: r1, type: relu}
    - {name: one, type: concat, inputs: [r1]}
    - {name: pool, type: maxpool, size: 2}
    - {name: out, type: fc, out: 10}
training: {epochs: 1, batch: 8, lr: 0.05, momentum: 0.9}
data: {kind: mnist, $mnist}
YAML
    ;;
*)
    fail "unknown case $case"
    ;;
esac
"$trainvp" run s.yaml --firmware "$elf" --check-golden --no-progress "${extra[@]}" >stdout 2>stderr
rc=$?
[ "$rc" -eq 0 ] || { tail -20 stderr; fail "trainvp run --check-golden exited $rc"; }
grep -q "^check-golden: identical ([1-9][0-9]* tensors, [1-9][0-9]* values, 1 epoch)" stderr ||
    { cat stderr; fail "no 'check-golden: identical' line"; }
grep "^check-golden" stderr
if [ "$int8" = 1 ]; then
    grep -E "final test accuracy" stderr
    python3 - <<'PY' || fail "report.json: int8 formats or moving scales missing"
import json
r = json.load(open("report.json"))
layers = r["training"]["network"]["layers"]
own = [l for l in layers if l["type"] in ("conv", "fc", "norm", "add")]
assert all(l["activations"].startswith("int8@") for l in own), [(l["name"], l["activations"]) for l in own]
assert all(l["errors"].startswith("int8@") for l in layers if l["type"] == "norm")
# The codes each layer's operations stored, by format: a norm layer's output (NORM_FWD) and the error its
# backward pass rounds (NORM_BWD) in more than one scale show the firmware moved those scales.
ids = {i: l for i, l in enumerate(layers)}
stored = {}
for lid, ops in r["accelerator"]["per_layer"].items():
    for op, st in ops.items():
        fmts = {k[4:] for k in st["actions"]["vector_ops"] if k.startswith("cmp:int8@")}
        stored[(int(lid), op)] = fmts
norms = [i for i, l in ids.items() if l["type"] == "norm"]
adds = [i for i, l in ids.items() if l["type"] == "add"]
assert any(len(stored.get((i, "NORM_FWD"), ())) > 1 for i in norms), {i: stored.get((i, "NORM_FWD")) for i in norms}
assert any(len(stored.get((i, "NORM_BWD"), ())) > 1 for i in norms), {i: stored.get((i, "NORM_BWD")) for i in norms}
assert all(stored.get((i, "ADD")) for i in adds), {i: stored.get((i, "ADD")) for i in adds}
# The report's final formats of the norm layers' outputs are among the scales they were stored in.
for i in norms:
    assert ids[i]["activations"] in stored[(i, "NORM_FWD")], (ids[i]["name"], ids[i]["activations"])
print("int8 scales stored:", {ids[i]["name"]: sorted(stored[(i, "NORM_FWD")]) for i in norms})
PY
fi
# The auxiliary core ran its own operations, with its own cycles (concat: its copies, under its layers).
CASE=$case python3 - <<'PY' || fail "report.json: auxiliary-core operations missing"
import json, os
r = json.load(open("report.json"))
ops = {}
for layer in r["training"]["accelerator"]["per_layer"]:
    for op, st in layer["opcodes"].items():
        key = (layer["name"] + ":" + op) if os.environ["CASE"] == "concat" else op
        ops[key] = ops.get(key, 0) + st["cycles"]
need = ({"cat:DMA_COPY", "one:DMA_COPY", "r0:ADD", "b:DMA_COPY"} if os.environ["CASE"] == "concat" else
        {"NORM_FWD", "NORM_BWD", "GAVGPOOL_FWD", "GAVGPOOL_BWD", "ADD"})
missing = need - set(ops)
assert not missing, (missing, sorted(ops))
assert all(ops[o] > 0 for o in need)
print("aux core cycles:", {o: ops[o] for o in sorted(need)})
PY
echo "PASS $1"
