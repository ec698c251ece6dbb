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

# The positive paths of the same options.
checks=$((checks + 1))
if ! "$trainvp" --help | grep -q "run SCENARIO.yaml"; then echo "FAIL --help"; failures=$((failures + 1)); fi
checks=$((checks + 1))
if ! "$trainvp" --version | grep -qE "^trainvp [0-9]+\.[0-9]+\.[0-9]+"; then echo "FAIL --version"; failures=$((failures + 1)); fi
checks=$((checks + 1))
if ! "$trainvp" run "$work/plain.yaml" --set ram.size=32MiB --dump-config | grep -qE "^  size: 32MiB"; then
    echo "FAIL --dump-config with --set"; failures=$((failures + 1))
fi

echo "$((checks - failures)) passed, $failures failed"
[ $failures -eq 0 ] && [ $checks -gt 0 ]
