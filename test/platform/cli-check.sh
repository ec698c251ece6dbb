#!/usr/bin/env bash
# Bad input of every kind to `trainvp` gives exactly one line naming the problem and exit status 2.
# usage: cli-check.sh TRAINVP REPO_ROOT WORK_DIR
set -u
trainvp=$1 root=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
failures=0 checks=0

# expect_error NAME PATTERN -- COMMAND...: exit 2, one stderr line matching PATTERN, nothing on stdout.
expect_error() {
    local name=$1 pattern=$2
    shift 3
    checks=$((checks + 1))
    "$@" >"$work/out" 2>"$work/err"
    local rc=$? lines
    lines=$(wc -l <"$work/err")
    if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qE -- "$pattern" "$work/err" || [ -s "$work/out" ]; then
        echo "FAIL $name: exit $rc, $lines stderr lines, expected exit 2 and one line matching /$pattern/"
        sed 's/^/    /' "$work/err" "$work/out"
        failures=$((failures + 1))
    fi
}

printf 'firmware: x.elf\ncpu:\n  clock_hz: 1e8\n  frobnicate: 3\n' >"$work/unknown-key.yaml"
printf 'cpu:\n  clock_hz: [1, 2\n' >"$work/bad-yaml.yaml"
printf 'firmware: x.elf\nram:\n  size: 1KiB\n' >"$work/small-ram.yaml"
printf 'firmware: missing.elf\n' >"$work/missing-fw.yaml"
head -c 200 /dev/urandom >"$work/garbage.elf"
printf '\177ELF\001\001\001' >"$work/truncated.elf"
printf 'sim: {max_time: 1s}\n' >"$work/plain.yaml"

expect_error missing-scenario "nope\.yaml: cannot open scenario file" -- "$trainvp" run "$work/nope.yaml"
expect_error unknown-key "unknown-key\.yaml:4: key 'cpu\.frobnicate': unknown key" -- "$trainvp" run "$work/unknown-key.yaml"
expect_error bad-yaml "bad-yaml\.yaml:[0-9]+: invalid YAML" -- "$trainvp" run "$work/bad-yaml.yaml"
expect_error out-of-range "small-ram\.yaml:3: key 'ram\.size': 1KiB is out of range" -- "$trainvp" run "$work/small-ram.yaml"
expect_error missing-firmware "firmware 'missing\.elf' not found" -- "$trainvp" run "$work/missing-fw.yaml"
expect_error garbage-elf "garbage\.elf: " -- "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf"
expect_error truncated-elf "truncated\.elf: " -- "$trainvp" run "$work/plain.yaml" --firmware "$work/truncated.elf"
expect_error no-such-elf "absent\.elf: " -- "$trainvp" run "$work/plain.yaml" --firmware "$work/absent.elf"
expect_error bad-set "--set: key 'cpu\.clock_hz': 'fast' is not a number" -- "$trainvp" run "$work/plain.yaml" --set cpu.clock_hz=fast
expect_error bad-set-syntax "expected key=value" -- "$trainvp" run "$work/plain.yaml" --set cpu.clock_hz
expect_error bad-log-level "--log-level 'loud'" -- "$trainvp" run "$work/plain.yaml" --log-level loud
expect_error bad-duration "needs a unit" -- "$trainvp" run "$work/plain.yaml" --max-sim-time 10
expect_error unknown-command "unknown command 'fly'" -- "$trainvp" fly
expect_error unknown-option "unrecognised option '--warp'" -- "$trainvp" run "$work/plain.yaml" --warp
expect_error no-firmware "no firmware" -- "$trainvp" run "$work/plain.yaml"

# Output paths are checked before anything is simulated: exit 2 and one line naming the option and path.
touch "$work/somefile"
mkdir -p "$work/outdir"
expect_error report-no-dir "--report $work/nonexistent/x/r\.json: directory $work/nonexistent/x does not exist" -- \
    "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --report "$work/nonexistent/x/r.json"
expect_error report-is-dir "--report $work/outdir: is a directory" -- \
    "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --report "$work/outdir"
expect_error report-under-file "--report $work/somefile/r\.json: $work/somefile is not a directory" -- \
    "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --report "$work/somefile/r.json"
# Root writes to mode 0555 directories, but not below /proc.
expect_error report-unwritable "--report /proc/r\.json: cannot create files in /proc" -- \
    "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --report /proc/r.json
if [ "$(id -u)" -eq 0 ]; then
    echo "skipped read-only-dir: running as root, who may write to a mode 0555 directory"
else
    mkdir -p "$work/ro" && chmod 0555 "$work/ro"
    expect_error report-read-only "--report $work/ro/r\.json: cannot create files in $work/ro" -- \
        "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --report "$work/ro/r.json"
fi
expect_error trace-no-dir "--trace-insn $work/nonexistent/t\.txt: directory" -- \
    "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --trace-insn "$work/nonexistent/t.txt"
expect_error trace-device "--trace-insn /dev/null: exists and is not a regular file" -- \
    "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --trace-insn /dev/null
expect_error semihost-dir-missing "--semihost-dir $work/nonexistent: No such file or directory" -- \
    "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --semihost-dir "$work/nonexistent"
expect_error semihost-dir-file "--semihost-dir $work/somefile: not a directory" -- \
    "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --semihost-dir "$work/somefile"
expect_error uart-output "uart\.output $work/nonexistent/u\.txt: directory $work/nonexistent does not exist" -- \
    "$trainvp" run "$work/plain.yaml" --firmware "$work/garbage.elf" --set "uart.output=$work/nonexistent/u.txt"
expect_error golden-out "--out $work/nonexistent/g\.json: directory" -- \
    "$trainvp" golden "$root/scenarios/quick.yaml" --out "$work/nonexistent/g.json"

# Every option is checked before any work: with a training scenario whose dataset is missing, a bad option
# is reported, not the data (which is what the same command without the bad option reports).
nodata=(run "$root/scenarios/quick.yaml" --set data.dir="$work/nonexistent/mnist" --firmware "$work/garbage.elf")
expect_error nodata-itself "nonexistent/mnist/train-images-idx3-ubyte: no such file" -- "$trainvp" "${nodata[@]}"
expect_error nodata-gdb-0 "--gdb 0: a port number is 1\.\.65535" -- "$trainvp" "${nodata[@]}" --gdb 0
expect_error nodata-gdb-99999 "--gdb 99999: a port number" -- "$trainvp" "${nodata[@]}" --gdb 99999
expect_error nodata-gdb-neg "--gdb -5: a port number" -- "$trainvp" "${nodata[@]}" --gdb -5
expect_error nodata-log-level "--log-level 'loud'" -- "$trainvp" "${nodata[@]}" --log-level loud
expect_error nodata-max-time "--max-sim-time: '10' needs a unit" -- "$trainvp" "${nodata[@]}" --max-sim-time 10
expect_error nodata-firmware "--firmware $work/absent\.elf: No such file" -- \
    "$trainvp" run "$root/scenarios/quick.yaml" --set data.dir="$work/nonexistent/mnist" --firmware "$work/absent.elf"
expect_error nodata-report "--report $work/outdir: is a directory" -- "$trainvp" "${nodata[@]}" --report "$work/outdir"
expect_error nodata-weights "--weights $work/nonexistent/w\.bin: directory" -- \
    "$trainvp" "${nodata[@]}" --weights "$work/nonexistent/w.bin"
expect_error nodata-trace "--trace-insn $work/somefile/t: $work/somefile is not a directory" -- \
    "$trainvp" "${nodata[@]}" --trace-insn "$work/somefile/t"
expect_error nodata-semihost "--semihost-dir $work/somefile: not a directory" -- \
    "$trainvp" "${nodata[@]}" --semihost-dir "$work/somefile"
expect_error nodata-uart "uart\.output $work/outdir: is a directory" -- \
    "$trainvp" "${nodata[@]}" --set "uart.output=$work/outdir"
# The default outputs of a training run (report.json, final-weights.bin) are checked in the same way.
mkdir -p "$work/cwd/report.json"
expect_error nodata-default-report "--report report\.json: is a directory" -- \
    bash -c 'cd "$1" && shift && exec "$@"' - "$work/cwd" "$trainvp" "${nodata[@]}"

# Issue 9: every value is checked once, before the simulation, with the file, line and the scenario's key.
printf 'name: x\nnetwork:\n  layers:\n    - {type: conv, out_channels: 2, kernel: 3}\n    - {type: fc, out: 10}\n' >"$work/layers.yaml"
printf 'name: x\nnetwork: {preset: lenet5}\n' >"$work/preset.yaml"
printf 'name: x\nhardware:\n  dma: {burst_bytes: 8192}\n' >"$work/burst.yaml"
printf 'name: x\nhardware:\n  weight_buffer:\n    word_bytes: 3\n' >"$work/word.yaml"
printf 'name: x\nhardware:\n  weight_buffer:\n    banks: 3\n' >"$work/banks.yaml"
printf 'name: x\ntraining:\n  epochs: 1\n  batch: 8\n  epochs: 2\nnetwork: {preset: lenet5}\n' >"$work/dup.yaml"
printf 'name: x\nnetwork:\n  layers:\n    - {type: fc, out: 10, out: 12}\n' >"$work/dup-list.yaml"
printf 'name: x\ntrainng: {epochs: 1}\n' >"$work/typo.yaml"
printf 'name: x\nnetwork: {preset: lenet5}\ntraining: {epochs: 0}\n' >"$work/epochs0.yaml"
printf 'name: x\nnetwork: {preset: lenet5}\ntraining: {epochs: 1000}\n' >"$work/epochs1000.yaml"
printf '# settings to come\n' >"$work/empty.yaml"
expect_error index-too-big "^trainvp: error: --set: key 'network\.layers\.99999999999999999999\.kernel': index 99999999999999999999 is past the end of the list 'network\.layers' \(2 elements" -- "$trainvp" run "$work/layers.yaml" --set network.layers.99999999999999999999.kernel=3
expect_error index-negative "^trainvp: error: --set: key 'network\.layers\.-1\.kernel': '-1' is not an index of the list 'network\.layers'" -- "$trainvp" run "$work/layers.yaml" --set network.layers.-1.kernel=3
expect_error index-word "^trainvp: error: --set: key 'network\.layers\.first\.kernel': 'first' is not an index" -- "$trainvp" run "$work/layers.yaml" --set network.layers.first.kernel=3
expect_error index-preset "^trainvp: error: --set: key 'network\.layers\.0\.kernel': 'network\.layers' is not a list in the scenario.*uses network\.preset lenet5, whose layers are not written in the file.*--dump-config" -- "$trainvp" run "$work/preset.yaml" --set network.layers.0.kernel=3
expect_error nested-set-once "^trainvp: error: --set: key 'network\.layers\.0\.formats\.weights': expected a single value$" -- "$trainvp" run "$work/layers.yaml" --set network.layers.0.formats.weights.x=3
expect_error buffer-range-set "^trainvp: error: --set: key 'hardware\.weight_buffer\.size': 64 is out of range \[256, 64MiB\]$" -- "$trainvp" run "$work/plain.yaml" --set hardware.weight_buffer.size=64
expect_error burst-range-file "burst\.yaml:3: key 'hardware\.dma\.burst_bytes': 8192 is out of range \[4, 4096\]$" -- "$trainvp" run "$work/burst.yaml"
expect_error word-pow2-file "word\.yaml:4: key 'hardware\.weight_buffer\.word_bytes': must be a power of two, got 3$" -- "$trainvp" run "$work/word.yaml"
expect_error banks-multiple-file "banks\.yaml:4: key 'hardware\.weight_buffer\.banks': capacity 131072 B is not a multiple of banks x word_bytes = 3 x 8 = 24 B$" -- "$trainvp" run "$work/banks.yaml"
expect_error duplicate-key "dup\.yaml:5: key 'training\.epochs': given twice \(first at line 3\)" -- "$trainvp" run "$work/dup.yaml"
expect_error duplicate-in-list "dup-list\.yaml:4: key 'network\.layers\.0\.out': given twice" -- "$trainvp" run "$work/dup-list.yaml"
expect_error epochs-zero "epochs0\.yaml:3: key 'training\.epochs': 0 is out of range \[1, 256\]$" -- "$trainvp" run "$work/epochs0.yaml"
expect_error golden-epochs "epochs1000\.yaml:3: key 'training\.epochs': 1000 is out of range \[1, 256\]$" -- "$trainvp" golden "$work/epochs1000.yaml"
expect_error run-epochs "epochs1000\.yaml:3: key 'training\.epochs': 1000 is out of range \[1, 256\]$" -- "$trainvp" run "$work/epochs1000.yaml"
expect_error golden-hardware "burst\.yaml:3: key 'hardware\.dma\.burst_bytes': 8192 is out of range" -- "$trainvp" golden "$work/burst.yaml"
expect_error sim-time-overflow "^trainvp: error: --max-sim-time: key 'sim\.max_time': '99999999999999999999999s': longer than SystemC time can count: at most 18446744 s" -- "$trainvp" run "$work/plain.yaml" --max-sim-time 99999999999999999999999s
expect_error top-level-typo "typo\.yaml:2: key 'trainng': unknown key \(did you mean 'training'\?\)$" -- "$trainvp" run "$work/typo.yaml"
expect_error empty-scenario "empty\.yaml: the scenario is empty: it has no settings" -- "$trainvp" run "$work/empty.yaml"
expect_error empty-scenario-golden "empty\.yaml: the scenario is empty" -- "$trainvp" golden "$work/empty.yaml"

# The positive paths of the same options.
checks=$((checks + 1))
if ! "$trainvp" --help | grep -q "run SCENARIO.yaml"; then echo "FAIL --help"; failures=$((failures + 1)); fi
checks=$((checks + 1))
if ! "$trainvp" --version | grep -qE "^trainvp [0-9]+\.[0-9]+\.[0-9]+"; then echo "FAIL --version"; failures=$((failures + 1)); fi
checks=$((checks + 1))
if ! "$trainvp" run "$work/plain.yaml" --set ram.size=32MiB --dump-config | grep -qE "^  size: 32MiB"; then
    echo "FAIL --dump-config with --set"; failures=$((failures + 1))
fi

# --dump-config is complete: the training sections too, a preset written out as layers; a dump read back as a
# scenario dumps the same again (paths are absolute, so the copy may live anywhere).
checks=$((checks + 1))
mkdir -p "$work/elsewhere"
if ! "$trainvp" run "$work/preset.yaml" --set training.batch=16 --dump-config >"$work/elsewhere/dump1.yaml" ||
    ! grep -qE "^    - \{type: conv, out_channels: 6, kernel: 5, stride: 1, pad: 2, bias: true\}$" "$work/elsewhere/dump1.yaml" ||
    ! grep -qE "^  batch: 16$" "$work/elsewhere/dump1.yaml" || ! grep -qE "^  train_limit: 0$" "$work/elsewhere/dump1.yaml" ||
    ! (cd "$work/elsewhere" && "$trainvp" run dump1.yaml --dump-config >"$work/dump2.yaml") ||
    ! cmp -s "$work/elsewhere/dump1.yaml" "$work/dump2.yaml"; then
    echo "FAIL --dump-config of a training scenario is incomplete or does not read back"; failures=$((failures + 1))
fi

echo "$((checks - failures)) passed, $failures failed"
[ $failures -eq 0 ] && [ $checks -gt 0 ]
