#!/usr/bin/env bash
# Installs the Debian packages TrainVP needs to build, test and run.
# As root: installs what is missing with apt-get. Otherwise: prints the exact command and fails.
# Quiet and idempotent when everything is present.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config
    libsystemc-dev libboost-program-options-dev catch2 libyaml-cpp-dev nlohmann-json3-dev
    gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
    gdb-multiarch
    verilator
    slurm-wlm munge
    nodejs npm
    chromium
    python3
)

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
# node/npm may come from outside Debian (a distribution's own node): accept a working npm on PATH.
if command -v npm >/dev/null 2>&1; then
    filtered=()
    for pkg in "${missing[@]}"; do
        case "$pkg" in nodejs|npm) ;; *) filtered+=("$pkg") ;; esac
    done
    missing=("${filtered[@]+"${filtered[@]}"}")
fi

[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run as root:  apt-get update && $cmd" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
