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
