#!/usr/bin/env bash
# Accuracy and speed of the junction-pipelined sparse golden model (Dey et al.) on MNIST: the RTL's FPGA
# configuration against other bit widths, densities, connectivity and the hazard ablations. Prints a Markdown
# table (docs/sparse.md "First results").
# usage: bench/sparse-golden.sh [BUILD_DIR] [EPOCHS] [JOBS]
#   SEEDS="1 2 3"    seeds (connectivity and initial weights); the table shows the mean and the range
#   ETAPOS=4,4,4,5,5,5,5,5,5,6   learning-rate code per epoch (eta = 2^-(etapos-1)), the last one repeats
set -euo pipefail
build=${1:-build}
epochs=${2:-10}
jobs=${3:-2}
seeds=${SEEDS:-1 2 3}
etapos=${ETAPOS:-4,4,4,5,5,5,5,5,5,6}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake --build "$build" --target bench_sparse_golden >/dev/null
bash scripts/fetch-mnist.sh >/dev/null
exe="$build/bench/bench_sparse_golden"

configs=(
    "FPGA: 1024-64-32, fo 4/16, z 128/32, 10-bit (2.7)|"
    "same, 12-bit (3.8)|--bits 12.3"
    "same, 16-bit (5.10)|--bits 16.5"
    "fo 8/16, z 256/32, 10-bit|--fanout 8,16 --z 256,32"
    "fo 16/16, z 512/32, 10-bit|--fanout 16,16 --z 512,32"
    "fully connected, z 1024/32, 10-bit|--fanout 64,32 --z 1024,32"
    "fully connected, z 1024/32, 16-bit|--fanout 64,32 --z 1024,32 --bits 16.5"
    "random pattern (not clash-free), 10-bit|--connectivity random"
    "RTL's synthesised pattern (all sweep starts 0)|--zero-starts"
    "sequential: no stale weights|--schedule sequential"
    "forwarded delta memory: no lost BP sums|--hazard forwarded"
    "sequential and forwarded|--schedule sequential --hazard forwarded"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
jobs_file="$tmp/jobs"
: >"$jobs_file"
for i in "${!configs[@]}"; do
    args=${configs[$i]#*|}
    for s in $seeds; do
        echo "$exe --quiet --epochs $epochs --etapos $etapos --seed $s $args >$tmp/$i.$s" >>"$jobs_file"
    done
done
xargs -P "$jobs" -I{} bash -c {} <"$jobs_file"

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2"; }
echo "MNIST (8,000 training / 2,000 test images), $epochs epochs, etapos $etapos, seeds: $seeds"
echo
echo "| configuration | weights | FC / sparse | clocks per sample | test accuracy % (mean, range) | train % (on the fly, last epoch) | BP sums lost per sample | golden images/s |"
echo "|---|---|---|---|---|---|---|---|"
for i in "${!configs[@]}"; do
    name=${configs[$i]%%|*}
    files=()
    for s in $seeds; do files+=("$tmp/$i.$s"); done
    first=${files[0]}
    tests=$(for f in "${files[@]}"; do field test "$f"; done)
    trains=$(for f in "${files[@]}"; do field train "$f"; done)
    speeds=$(for f in "${files[@]}"; do field images_per_s "$f"; done)
    drops=$(for f in "${files[@]}"; do field dropped "$f"; done)
    clocks=$(for f in "${files[@]}"; do field cycle_clocks "$f"; done | sort -n | uniq | paste -sd/)
    weights=$(field weights "$first")
    dense=$(field dense "$first")
    stat() { awk '{s+=$1; if(NR==1||$1<mn)mn=$1; if(NR==1||$1>mx)mx=$1} END{printf "%.2f (%.2f-%.2f)", s/NR, mn, mx}'; }
    mean() { awk '{s+=$1} END{printf "%.'"$1"'f", s/NR}'; }
    printf "| %s | %s | %.1fx | %s | %s | %s | %s | %s |\n" "$name" "$weights" \
        "$(awk -v d="$dense" -v w="$weights" 'BEGIN{print d/w}')" "$clocks" \
        "$(echo "$tests" | stat)" "$(echo "$trains" | mean 2)" "$(echo "$drops" | mean 0)" "$(echo "$speeds" | mean 0)"
done
