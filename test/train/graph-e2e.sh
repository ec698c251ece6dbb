#!/usr/bin/env bash
# Networks as graphs through the command line (issue 15 items 1 and 2; docs/numerics.md "Graphs").
# usage: graph-e2e.sh CASE TRAINVP ROOT WORK_DIR
#   refusals: bad graphs are refused by `trainvp golden` and `trainvp run` before training, exit 2, one line
#       naming the file, the line, the key and the layer's name; a good graph trains in `trainvp golden`
#   dump: `--dump-config` of a graph and of the resnet8 preset reads back to the same description
set -u
case=$1 trainvp=$2 root=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
fail() { echo "FAIL: $*"; exit 1; }

# A residual block on 8x8 images: r0 is read by conv a and by the add.
cat >graph.yaml <<'YAML'
network:
  input: {channels: 1, rows: 8, cols: 8}
  layers:
    - {name: stem, type: conv, out_channels: 4, kernel: 3, pad: 1, bias: false}
    - {name: stem_norm, type: norm, groups: 2, gradient: range}
    - {name: r0, type: relu}
    - {name: a, type: conv, out_channels: 4, kernel: 3, pad: 1, input: r0}
    - {name: sum, type: add, inputs: [a, r0]}
    - {name: gap, type: global_avgpool}
    - {name: out, type: fc, out: 2}
training: {epochs: 1, batch: 4}
data: {kind: mnist, dir: nowhere}
YAML

# expect_refusal COMMAND FILE TEXT: trainvp COMMAND FILE exits 2 with one line containing TEXT
expect_refusal() {
    "$trainvp" "$1" "$2" --no-progress >out 2>err
    local rc=$?
    [ "$rc" -eq 2 ] || { cat out err; fail "$1 $2 exited $rc, expected 2"; }
    [ "$(wc -l <err)" -eq 1 ] || { cat err; fail "$1 $2: more than one line"; }
    grep -qF -- "$3" err || { cat err; fail "$1 $2: no '$3'"; }
    cat err
}

# bad FILE FROM TO: graph.yaml with FROM replaced by TO, written to FILE
bad() { sed "s/$2/$3/" graph.yaml >"$1"; cmp -s graph.yaml "$1" && fail "$1: '$2' not found"; }

case $case in
refusals)
    bad dangling.yaml "input: r0" "input: r9"
    bad cycle.yaml "inputs: \[a, r0\]" "inputs: [a, gap]"
    bad shapes.yaml "kernel: 3, pad: 1, input: r0" "kernel: 3, pad: 0, input: r0"
    bad duplicate.yaml "name: gap," "name: a,"
    bad unused.yaml "inputs: \[a, r0\]" "inputs: [r0, r0]"
    bad gradient.yaml "gradient: range" "gradient: exact"
    for cmd in golden run; do
        expect_refusal $cmd dangling.yaml \
            "dangling.yaml:7: key 'network.layers.3': layer 3 'a' (conv): unknown input 'r9'"
        expect_refusal $cmd cycle.yaml \
            "cycle.yaml:8: key 'network.layers.4': layer 4 'sum' (add): input 'gap' is defined later (layer 5)"
        expect_refusal $cmd shapes.yaml \
            "shapes.yaml:8: key 'network.layers.4': layer 4 'sum' (add): input 'a' is 4x6x6 but input 'r0' is 4x8x8"
        expect_refusal $cmd duplicate.yaml "duplicate.yaml:9: key 'network.layers.5': layer 5 'a' (global_avgpool): duplicate layer name"
        expect_refusal $cmd unused.yaml "unused.yaml:7: key 'network.layers.3': layer 3 'a' (conv): its output is not used"
        expect_refusal $cmd gradient.yaml \
            "gradient.yaml:5: key 'network.layers.1.gradient': 'exact' is not one of: fixed, range, projection"
    done
    # A good graph trains.
    sed -e "s|dir: nowhere|dir: $root/data/mnist, train_limit: 8, test_limit: 8|" \
        -e "s|rows: 8, cols: 8|rows: 28, cols: 28|" -e "s|out: 2}|out: 10}|" graph.yaml >good.yaml
    "$trainvp" golden good.yaml --no-progress >golden.out 2>&1 || { cat golden.out; fail "golden good.yaml"; }
    grep -q "^sum        4x28x28 -> 4x28x28" golden.out || { cat golden.out; fail "golden: no 'sum' line"; }
    # trainvp run trains it through the firmware: graph-platform-e2e.sh.
    ;;
dump)
    "$trainvp" run graph.yaml --dump-config >d1.yaml 2>err || { cat err; fail "dump graph.yaml"; }
    "$trainvp" run d1.yaml --dump-config >d2.yaml 2>err || { cat err; fail "dump d1.yaml"; }
    cmp d1.yaml d2.yaml || fail "the dump of the dump differs"
    grep -q "name: sum" d1.yaml && grep -q "inputs: \[a, r0\]" d1.yaml || { cat d1.yaml; fail "names/inputs"; }
    grep -q "gradient: range" d1.yaml || { cat d1.yaml; fail "the norm's gradient key"; }
    printf 'network: {preset: resnet8, input: {channels: 1, rows: 28, cols: 28}}\ndata: {dir: nowhere}\n' >r8.yaml
    "$trainvp" run r8.yaml --dump-config >r1.yaml 2>err || { cat err; fail "dump r8.yaml"; }
    "$trainvp" run r1.yaml --dump-config >r2.yaml 2>err || { cat err; fail "dump r1.yaml"; }
    cmp r1.yaml r2.yaml || fail "resnet8: the dump of the dump differs"
    [ "$(grep -c 'type: add' r1.yaml)" -eq 3 ] || fail "resnet8: expected 3 add layers"
    [ "$(grep -c 'gradient: projection' r1.yaml)" -eq 9 ] || fail "resnet8: expected 9 norm layers with the projection"
    # network.norm sets every norm layer of a preset
    printf 'network: {preset: resnet8, norm: {groups: 8, scale_bits: 3, gradient: fixed}}\ndata: {dir: nowhere}\n' >n8.yaml
    "$trainvp" run n8.yaml --dump-config >n1.yaml 2>err || { cat err; fail "dump n8.yaml"; }
    [ "$(grep -c 'type: norm, .*groups: 8, scale_bits: 3, gradient: fixed}' n1.yaml)" -eq 9 ] ||
        { cat n1.yaml; fail "network.norm: expected 9 norm layers with groups 8, scale_bits 3, gradient fixed"; }
    printf 'network: {preset: lenet5, norm: {gradient: fixed}}\ndata: {dir: nowhere}\n' >l5.yaml
    expect_refusal run l5.yaml "l5.yaml:1: key 'network.norm': the preset 'lenet5' has no norm layers"
    ;;
*)
    fail "unknown case $case"
    ;;
esac
echo "PASS $case"
