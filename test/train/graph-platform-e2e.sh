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
#   fan_in: an add of three branches in three formats (bf16 with stochastic rounding, fp8, fp32) and a
#       concat of three; r0 read by four layers (its error a sum of four parts in one ADD)
#   fan_out: a layer read by three layers, one of them an add of four inputs that reads a layer twice,
#       errors in fixed point with stochastic rounding (sums rounded once)
#   input_branches: the network input read by the stem, a bf16 1x1 conv shortcut and a concat; evaluation
#       on a test set that is not a multiple of the batch
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

# beyond_limits: graphs past the platform's limits (TRAIN_JOB_MAX_INPUTS, TRAIN_JOB_MAX_PARTS) are refused
# before the run, in one line naming the scenario file and the layer.
if [ "$case" = beyond_limits ]; then
    refuse() {  # refuse NAME LAYER_LINES TEXT
        cat >"$1.yaml" <<YAML
network:
  input: {channels: 1, rows: 28, cols: 28}
  layers:
    - {name: stem, type: conv, out_channels: 4, kernel: 3, stride: 2, pad: 1}
    - {name: r0, type: relu}
$2
    - {name: out, type: fc, out: 10}
training: {epochs: 1, batch: 8, lr: 0.05}
data: {kind: mnist, $mnist}
YAML
        "$trainvp" run "$1.yaml" --firmware "$elf" --no-progress >out 2>err
        local rc=$?
        [ "$rc" -eq 2 ] || { cat err; fail "$1: exit $rc, expected 2"; }
        [ "$(wc -l <err)" -eq 1 ] || { cat err; fail "$1: more than one line"; }
        grep -qF -- "$3" err || { cat err; fail "$1: no '$3'"; }
        cat err
    }
    refuse add5 "    - {name: sum, type: add, inputs: [r0, r0, r0, r0, r0]}" \
        "add5.yaml: layer sum: the platform adds at most 4 inputs (the vector unit's ADD of up to four addends); this add has 5"
    refuse cat5 "    - {name: cat, type: concat, inputs: [r0, r0, r0, r0, r0]}" \
        "cat5.yaml: layer cat: the platform concatenates at most 4 inputs (the job's input[4]); this concat has 5"
    refuse read5 "    - {name: sum, type: add, inputs: [r0, r0, r0, r0]}
    - {name: cat, type: concat, inputs: [sum, r0]}" \
        "read5.yaml: layer r0: its output is read 5 times; the platform sums the errors of at most 4 readers"
    echo "PASS $1"
    exit 0
fi

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
fan_in)
    # Three branches in three formats joined by an add of three (one ADD with ADD_X3: summed in double,
    # rounded once into bf16 with stochastic rounding) and by a concat of three; r0 is read by four layers
    # (its error a SUM4 of three conv input errors and the concat's slice).
    cat >s.yaml <<YAML
network:
  input: {channels: 1, rows: 28, cols: 28}
  layers:
    - {name: stem, type: conv, out_channels: 4, kernel: 3, stride: 2, pad: 1}
    - {name: r0, type: relu}
    - {name: a, type: conv, out_channels: 4, kernel: 3, pad: 1, input: r0,
       formats: {activations: "bf16:sr", errors: "bf16:sr"}}
    - {name: b, type: conv, out_channels: 4, kernel: 1, input: r0, formats: {activations: fp8e4m3}}
    - {name: c, type: conv, out_channels: 4, kernel: 3, pad: 1, input: r0}
    - {name: sum, type: add, inputs: [a, b, c]}
    - {name: cat, type: concat, inputs: [sum, r0, b]}
    - {name: r1, type: relu}
    - {name: pool, type: maxpool, size: 2}
    - {name: out, type: fc, out: 10}
training: {epochs: 1, batch: 8, lr: 0.05, momentum: 0.9}
data: {kind: mnist, $mnist}
YAML
    ;;
fan_out)
    # r0 is read by three layers, one of them an add: its error is a SUM3 in fixed point (one ADD with
    # ADD_X3, rounded once); the add of four inputs reads a layer twice (ADD_X3 and ADD_X4).
    cat >s.yaml <<YAML
network:
  input: {channels: 1, rows: 28, cols: 28}
  formats: {errors: "fx16.12:sr"}
  layers:
    - {name: stem, type: conv, out_channels: 4, kernel: 3, stride: 2, pad: 1}
    - {name: r0, type: relu}
    - {name: a, type: conv, out_channels: 4, kernel: 3, pad: 1, input: r0}
    - {name: b, type: conv, out_channels: 4, kernel: 1, input: r0}
    - {name: sum, type: add, inputs: [a, r0, b, a]}
    - {name: n, type: norm, groups: 2}
    - {name: gap, type: global_avgpool}
    - {name: out, type: fc, out: 10}
training: {epochs: 1, batch: 8, lr: 0.05}
data: {kind: mnist, $mnist}
YAML
    ;;
input_branches)
    # The network input read by three layers: the stem, a 1x1 conv shortcut (bf16 with stochastic
    # rounding) and a concat; an add joins the stem branch and the shortcut. Training reads the gathered
    # batch, evaluation the test images in place (the evaluation pass is built per batch: test_limit is not
    # a multiple of the batch).
    cat >s.yaml <<YAML
network:
  input: {channels: 1, rows: 28, cols: 28}
  layers:
    - {name: stem, type: conv, out_channels: 4, kernel: 3, pad: 1}
    - {name: r0, type: relu}
    - {name: short, type: conv, out_channels: 4, kernel: 1, input: input,
       formats: {activations: "bf16:sr", errors: "bf16:sr", weight_grads: "bf16:sr"}}
    - {name: sum, type: add, inputs: [r0, short]}
    - {name: cat, type: concat, inputs: [sum, input]}
    - {name: pool, type: maxpool, size: 4}
    - {name: out, type: fc, out: 10}
training: {epochs: 1, batch: 8, lr: 0.05, momentum: 0.9}
data: {kind: mnist, dir: $root/data/mnist, train_limit: 48, test_limit: 28}
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
        ops[op] = ops.get(op, 0) + st["cycles"]
        ops[layer["name"] + ":" + op] = ops.get(layer["name"] + ":" + op, 0) + st["cycles"]
# The operations each case must have run, by layer where it matters: the add's ADD and the ADD forming a
# summed error (r0:ADD), a concat's copies; and none the case must not run (a layer reading the network
# input computes no input error).
need, never = {
    "concat": ({"cat:DMA_COPY", "one:DMA_COPY", "r0:ADD", "b:DMA_COPY"}, set()),
    "fan_in": ({"sum:ADD", "r0:ADD", "cat:DMA_COPY"}, set()),
    "fan_out": ({"sum:ADD", "r0:ADD", "NORM_FWD", "NORM_BWD", "GAVGPOOL_FWD", "GAVGPOOL_BWD"}, set()),
    "input_branches": ({"sum:ADD", "cat:DMA_COPY", "short:CONV_WGRAD", "stem:CONV_WGRAD"},
                       {"short:CONV_BWD_DATA", "stem:CONV_BWD_DATA"}),
}.get(os.environ["CASE"], ({"NORM_FWD", "NORM_BWD", "GAVGPOOL_FWD", "GAVGPOOL_BWD", "ADD"}, set()))
missing = need - set(ops)
assert not missing, (missing, sorted(ops))
assert not never & set(ops), (never & set(ops))
assert all(ops[o] > 0 for o in need)
print("aux core cycles:", {o: ops[o] for o in sorted(need)})
PY
echo "PASS $1"
