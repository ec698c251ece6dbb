#!/usr/bin/env bash
# Graphs on the platform (issue 15 items 1 and 2): `trainvp run --check-golden` through the training
# firmware must be bit-identical to the golden network (weights, errors and statistics) on
#   residual: a residual block with range group norm layers (backward with s fixed, and the default
#       projection); r0 is read by conv a and by the add
#   twice: a layer read by two convs whose errors are summed (SUM2 of two conv input errors), and a
#       concat-free fan-out of a norm layer (backward through the range) with a global average pooling
#   resnet8: the resnet8 preset on a few hundred Fashion-MNIST images (Debian's dataset-fashion-mnist)
# usage: graph-platform-e2e.sh CASE TRAINVP TRAIN_ELF ROOT WORK_DIR
set -u
case=$1 trainvp=$2 elf=$3 root=$4 work=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }
mnist="dir: $root/data/mnist, train_limit: 64, test_limit: 32"

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
    ;;
*)
    fail "unknown case $case"
    ;;
esac
"$trainvp" run s.yaml --firmware "$elf" --check-golden --no-progress >stdout 2>stderr
rc=$?
[ "$rc" -eq 0 ] || { tail -20 stderr; fail "trainvp run --check-golden exited $rc"; }
grep -q "^check-golden: identical ([1-9][0-9]* tensors, [1-9][0-9]* values, 1 epoch)" stderr ||
    { cat stderr; fail "no 'check-golden: identical' line"; }
grep "^check-golden" stderr
# The auxiliary core ran its own operations, with its own cycles.
python3 - <<'PY' || fail "report.json: auxiliary-core operations missing"
import json
r = json.load(open("report.json"))
ops = {}
for layer in r["training"]["accelerator"]["per_layer"]:
    for op, st in layer["opcodes"].items():
        ops[op] = ops.get(op, 0) + st["cycles"]
need = {"NORM_FWD", "NORM_BWD", "GAVGPOOL_FWD", "GAVGPOOL_BWD", "ADD"}
missing = need - set(ops)
assert not missing, missing
assert all(ops[o] > 0 for o in need)
print("aux core cycles:", {o: ops[o] for o in sorted(need)})
PY
echo "PASS $case"
