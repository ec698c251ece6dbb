#!/usr/bin/env bash
# The datasets through `trainvp run` and `trainvp golden` (docs/datasets.md).
# usage: datasets-e2e.sh CASE TRAINVP TRAIN_ELF ROOT WORK_DIR
#   fashion_golden: scenarios/lenet-fashion.yaml (Fashion-MNIST from Debian's dataset-fashion-mnist, gzip IDX),
#     a few steps on the platform with --check-golden identical; trainvp golden reads the same data. Exit 77
#     (skipped) when the package is not installed.
#   cifar10: CIFAR-10 binary batches this script writes (random pixels, labels 0..9) under the expected names
#     in a directory given as data.dir: --check-golden identical, and both commands count the records written
#   refusals: a missing CIFAR-10 directory, a missing Fashion-MNIST directory, a truncated gzip file: exit 2
#     before the simulation, one stderr line naming the file (and, where the data is missing, what to do)
set -u
case=$1 trainvp=$2 elf=$3 root=$4 work=$5
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 2
fashion=/usr/share/datasets/fashion-mnist

fail() { echo "FAIL: $*"; exit 1; }

# Short runs: 1 epoch of a few steps, no progress line.
short=(--no-progress --set training.epochs=1 --set data.train_limit=96 --set data.test_limit=64)

# check_golden DIR SCENARIO ARGS...: trainvp run with --check-golden in DIR, which must report identical.
check_golden() {
    local dir=$1 scn=$2
    shift 2
    mkdir -p "$dir"
    (cd "$dir" && "$trainvp" run "$scn" --firmware "$elf" --check-golden "$@" >stdout 2>stderr) ||
        { tail -20 "$dir/stderr"; fail "trainvp run $scn $* exited non-zero"; }
    grep -q "^check-golden: identical ([1-9][0-9]* tensors, [1-9][0-9]* values, 1 epoch)" "$dir/stderr" ||
        { cat "$dir/stderr"; fail "no 'check-golden: identical' line"; }
    grep "^check-golden" "$dir/stderr"
}

# json_field FILE PYTHON-EXPR: a value of a JSON file (expression on `d`).
# A tuple prints as its items separated by spaces.
json_field() {
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); v=($2); print(' '.join(map(str, v)) if isinstance(v, tuple) else v)" "$1"
}

# expect_refusal PATTERN ARGS...: trainvp ARGS exits 2 with one stderr line matching PATTERN, no stdout, no
# report written.
expect_refusal() {
    local pattern=$1
    shift
    rm -f report.json golden.json
    "$trainvp" "$@" >out 2>err
    local rc=$?
    if [ $rc -ne 2 ] || [ "$(wc -l <err)" -ne 1 ] || ! grep -qE -- "$pattern" err || [ -s out ]; then
        cat err out
        fail "$*: exit $rc, expected 2 and one line matching /$pattern/"
    fi
    [ ! -e report.json ] && [ ! -e golden.json ] || fail "$*: wrote a report"
    cat err
}

case $case in
    fashion_golden)
        if [ ! -f "$fashion/train-images-idx3-ubyte.gz" ]; then
            echo "SKIP: $fashion missing: Debian's package dataset-fashion-mnist is not installed" \
                "(as root: apt-get install dataset-fashion-mnist, or bash scripts/install-deps.sh)"
            exit 77
        fi
        check_golden run "$root/scenarios/lenet-fashion.yaml" "${short[@]}"
        [ "$(json_field run/report.json 'd["training"]["data"]["kind"], d["training"]["data"]["train"]["count"], d["training"]["data"]["test"]["count"]')" \
            = "fashion_mnist 96 64" ] || fail "report.json data section: $(json_field run/report.json 'd["training"]["data"]')"
        grep -q "train-images-idx3-ubyte.gz" run/report.json || fail "report.json does not name the gzip file"
        "$trainvp" golden "$root/scenarios/lenet-fashion.yaml" "${short[@]}" --out golden.json >golden.out 2>&1 ||
            { cat golden.out; fail "trainvp golden exited non-zero"; }
        [ "$(json_field golden.json 'd["data"]["kind"], d["data"]["train"]["count"], d["data"]["test"]["count"]')" \
            = "fashion_mnist 96 64" ] || fail "golden.json data section: $(json_field golden.json 'd["data"]')"
        echo "PASS" ;;
    cifar10)
        # Records of one label byte and 3072 pixel bytes (the binary version's layout): 40 per training batch,
        # 24 in the test batch; labels cycle through 0..9 so every class is present.
        mkdir -p cifar
        python3 - cifar <<'EOF' || fail "could not write the CIFAR-10 files"
import random, sys
rng = random.Random(10)
def batch(path, n, first):
    with open(path, "wb") as f:
        for r in range(n):
            f.write(bytes([(first + r) % 10]) + bytes(rng.randrange(256) for _ in range(3072)))
for i in range(1, 6):
    batch(f"{sys.argv[1]}/data_batch_{i}.bin", 40, 40 * i)
batch(f"{sys.argv[1]}/test_batch.bin", 24, 0)
EOF
        cifar=(--set data.kind=cifar10 --set data.dir="$work/cifar" --set network.input.channels=3
               --set network.input.rows=32 --set network.input.cols=32 --no-progress)
        check_golden run "$root/scenarios/quick.yaml" "${cifar[@]}"
        [ "$(json_field run/report.json 'd["training"]["data"]["kind"], d["training"]["data"]["train"]["count"], d["training"]["data"]["test"]["count"]')" \
            = "cifar10 200 24" ] || fail "report.json data section: $(json_field run/report.json 'd["training"]["data"]')"
        "$trainvp" golden "$root/scenarios/quick.yaml" "${cifar[@]}" --out golden.json >golden.out 2>&1 ||
            { cat golden.out; fail "trainvp golden exited non-zero"; }
        [ "$(json_field golden.json 'd["data"]["kind"], d["data"]["train"]["count"], d["data"]["test"]["count"]')" \
            = "cifar10 200 24" ] || fail "golden.json data section: $(json_field golden.json 'd["data"]')"
        echo "PASS" ;;
    refusals)
        cifar=(--set data.kind=cifar10 --set data.dir="$work/no-cifar" --set network.input.channels=3
               --set network.input.rows=32 --set network.input.cols=32 --no-progress)
        where="put data_batch_1\.bin \.\. data_batch_5\.bin and test_batch\.bin .* in $work/no-cifar"
        expect_refusal "^trainvp: error: $work/no-cifar/data_batch_1\.bin: no such file .*$where" \
            run "$root/scenarios/quick.yaml" --firmware "$elf" "${cifar[@]}"
        expect_refusal "^trainvp: error: $work/no-cifar/data_batch_1\.bin: no such file .*$where" \
            golden "$root/scenarios/quick.yaml" "${cifar[@]}"
        # One batch present, the test batch missing: that file is named.
        mkdir -p part && head -c 3073 /dev/zero >part/data_batch_1.bin
        expect_refusal "^trainvp: error: $work/part/test_batch\.bin: no such file .*in $work/part" \
            run "$root/scenarios/quick.yaml" --firmware "$elf" "${cifar[@]}" --set data.dir="$work/part" \
            --set 'data.train_files=['"$work"'/part/data_batch_1.bin]'
        expect_refusal "^trainvp: error: $work/no-fashion/train-images-idx3-ubyte\.gz: no such file .*dataset-fashion-mnist" \
            run "$root/scenarios/lenet-fashion.yaml" --firmware "$elf" --no-progress --set data.dir="$work/no-fashion"
        # Without the package (hidden here by an empty file system over its directory, where a private mount
        # namespace is allowed): the package to install.
        if unshare -m true 2>/dev/null; then
            unshare -m bash -c "mount -t tmpfs none $fashion && cd '$work' && '$trainvp' run '$root/scenarios/lenet-fashion.yaml' --firmware '$elf' --no-progress >out 2>err; echo \$? >rc"
            [ "$(cat rc)" = 2 ] && [ "$(wc -l <err)" -eq 1 ] && [ ! -s out ] &&
                grep -q "^trainvp: error: $fashion/train-images-idx3-ubyte\.gz: no such file (Fashion-MNIST comes from Debian's package dataset-fashion-mnist: as root, run apt-get install dataset-fashion-mnist" err ||
                { cat err out; fail "without the package: exit $(cat rc), expected 2 and the package to install"; }
            cat err
        fi
        # A gzip file cut short (written here from MNIST's IDX file by gzip itself).
        gzip -c "$root/data/mnist/t10k-images-idx3-ubyte" | head -c 20000 >cut.gz
        expect_refusal "^trainvp: error: $work/cut\.gz: corrupt or truncated gzip stream" \
            golden "$root/scenarios/quick.yaml" --no-progress --set data.test_images="$work/cut.gz"
        echo "PASS" ;;
    *) fail "unknown case $case" ;;
esac
