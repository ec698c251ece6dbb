#!/usr/bin/env bash
# Installs the TrainVP models into a temporary prefix, then configures, builds and runs a tiny
# out-of-tree SystemC program against find_package(TrainVP).
# usage: install-check.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -eu
build=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
test -f "$work/prefix/lib/cmake/TrainVP/TrainVPConfig.cmake"
test -f "$work/prefix/include/trainvp/mem/memory.h"
cmake -S "$src/test/install/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log"
cmake --build "$work/consumer" >"$work/build.log"
"$work/consumer/consumer"
echo "1 passed, 0 failed"
