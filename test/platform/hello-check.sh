#!/usr/bin/env bash
# `trainvp run scenarios/hello.yaml` prints the hello firmware's line through the UART and exits 0.
set -u
trainvp=$1 root=$2
out=$("$trainvp" run "$root/scenarios/hello.yaml" 2>/dev/null)
rc=$?
echo "$out"
if [ $rc -ne 0 ]; then echo "FAIL: exit $rc"; exit 1; fi
if ! grep -qx "Hello from TrainVP: RV32 firmware running on the virtual platform." <<<"$out"; then
    echo "FAIL: hello line missing from stdout"; exit 1
fi
echo "1 passed, 0 failed"
