#!/usr/bin/env bash
# ResNet-20 training speed (issue 15 item 7): the golden model (`trainvp golden`), the platform (`trainvp run`,
# CPU + bus + DRAM + accelerator + training firmware) and single-threaded PyTorch on the same network, fp32,
# batch 32, on synthetic CIFAR-10 files (3x32x32, random pixels) the bench writes to a temporary directory.
# Prints the PyTorch-equivalent network size in MACs (forward per image, per training step), images/s of
# each (median of RUNS runs, each run listed) and the ratios golden/PyTorch (target >= 1) and
# platform/golden time (target <= 1.2).
#
# Networks: `resnet20` (network.preset: resnet20, bench/eta-resnet20.yaml: the graph with shortcuts and
# norms) when the build has that preset, and bench/eta-resnet20-chain.yaml (its 19 3x3 convolutions as a
# plain chain, 0.6% fewer MACs), which the platform can run; a column that cannot run says why.
#
# usage: bench/eta.sh [BUILD_DIR] [IMAGES] [RUNS]   (default: build, 320, 3)
# Times are processor times (user + sys; PyTorch: time.process_time): wall time on a shared machine
# measures the other jobs. Golden and platform images/s count the whole process (load, 32 test images,
# start-up) over IMAGES training images; "golden (train)" is the training loop alone (the report's
# train_cpu_seconds). Each run is repeated on one batch (32 images) so that "per image" compares the extra
# time of the other IMAGES - 32 images, without the start-up either program spends once. PyTorch times IMAGES/32 SGD steps (after a warm-up step) on one fixed random batch.
# PyTorch is a bench-only dependency (Debian: apt-get install python3-torch); without it that column is
# skipped with a message.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "eta.sh: build directory '${1:-build}' not found" >&2; exit 1; }
images=${2:-320}
runs=${3:-3}
trainvp=$build/trainvp
[ -x "$trainvp" ] || { echo "eta.sh: $trainvp not found: build first" >&2; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
helper=$root/bench/eta_helper.py
cd "$root"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$py" "$helper" data "$out/cifar" "$images" 32
batch=32
steps=$(((images + batch - 1) / batch))

# cpu_time NAME COMMAND...: runs COMMAND (log in $out/NAME.log), prints its processor seconds; returns its
# exit status.
cpu_time() {
    local name=$1
    shift
    local TIMEFORMAT="%U %S" status=0
    { time "$@" >"$out/$name.log" 2>&1; } 2>"$out/$name.raw" || status=$?
    [ "$status" -eq 0 ] || return "$status"
    awk '{ printf "%.3f\n", $1 + $2 }' "$out/$name.raw"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate() { awk -v n="$images" '{ printf "%.1f ", n / $1 }'; }

echo "eta.sh: $images synthetic 3x32x32 training images, batch $batch, fp32, $runs runs each, processor time"
for net in resnet20 resnet20-chain; do
    scen=bench/eta-$net.yaml
    sets=(--set "data.dir=$out/cifar" --set "data.train_limit=$images")
    echo
    if ! "$trainvp" run "$scen" "${sets[@]}" --dump-config >"$out/$net.yaml" 2>"$out/$net.err"; then
        echo "== $net: not available in this build: $(head -n 1 "$out/$net.err")"
        continue
    fi
    read -r fwd step convs layers < <("$py" "$helper" macs "$out/$net.yaml")
    echo "== $net ($scen): $layers layers, $convs convolutions"
    awk -v f="$fwd" -v s="$step" 'BEGIN { printf "  MACs (PyTorch count: conv + fc)   %.2f M forward per image, %.2f M per training step per image (%.2f x forward)\n", f / 1e6, s / 1e6, s / f }'

    g_all="" g_train="" p_all="" p_note="" g_extra="" p_extra=""
    small=(--set "data.dir=$out/cifar" --set "data.train_limit=$batch")
    for r in $(seq "$runs"); do
        s=$(cpu_time golden "$trainvp" golden "$scen" "${sets[@]}" --no-progress --out "$out/golden.json" \
            --weights "$out/golden.bin") || { echo "  golden failed:"; tail -n 3 "$out/golden.log"; break; }
        g_all+="$s "
        s0=$(cpu_time golden0 "$trainvp" golden "$scen" "${small[@]}" --no-progress --out "$out/golden0.json" \
            --weights "$out/golden0.bin") && g_extra+="$(echo "$s - $s0" | bc -l) "
        g_train+="$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_cpu_seconds"])' "$out/golden.json") "
    done
    for r in $(seq "$runs"); do
        if s=$(cpu_time platform "$trainvp" run "$scen" "${sets[@]}" --no-progress --report "$out/platform.json" \
            --weights "$out/platform.bin"); then
            p_all+="$s "
            s0=$(cpu_time platform0 "$trainvp" run "$scen" "${small[@]}" --no-progress --report "$out/platform0.json" \
                --weights "$out/platform0.bin") && p_extra+="$(echo "$s - $s0" | bc -l) "
        else
            p_note=$(grep -m 1 -i "error" "$out/platform.log" || tail -n 1 "$out/platform.log")
            break
        fi
    done
    torch_line=$("$py" "$helper" torch "$out/$net.yaml" "$batch" "$steps" "$runs" 2>"$out/torch.err") || torch_line="FAIL"
    printf '  %-34s %10s   %s\n' "" "images/s" "runs (images/s)"
    show() {  # label seconds-list
        [ -n "$2" ] || return 0
        printf '  %-34s %10s   %s\n' "$1" "$(echo "$2" | median | rate | tr -d ' ')" "$(echo "$2" | tr ' ' '\n' | grep . | rate)"
    }
    show "golden (whole process)" "$g_all"
    show "golden (training loop)" "$g_train"
    if [ -n "$p_all" ]; then
        show "platform (whole process)" "$p_all"
    else
        echo "  platform: skipped: ${p_note:-no run}"
    fi
    t_med=""
    case "$torch_line" in
        SKIP) echo "  PyTorch: skipped: python3 cannot import torch (bench only; Debian: apt-get install python3-torch)" ;;
        FAIL) echo "  PyTorch: failed: $(tail -n 1 "$out/torch.err")" ;;
        *)
            read -r _ tver tmacs trates <<<"$torch_line"
            t_med=$(echo "$trates" | tr ' ' '\n' | median)
            printf '  %-34s %10.1f   %s\n' "PyTorch $tver, 1 thread" "$t_med" "$trates"
            [ "$tmacs" = "$fwd" ] || echo "  note: PyTorch's module counts $tmacs MACs forward, the bench $fwd"
            ;;
    esac
    if [ -n "$g_all" ]; then
        gm=$(echo "$g_all" | median) gt=$(echo "$g_train" | median)
        if [ -n "$t_med" ]; then
            awk -v n="$images" -v g="$gt" -v t="$t_med" 'BEGIN { r = (n / g) / t;
                printf "  golden/PyTorch (training loop)     %10.2fx  (target >= 1: %s)\n", r, (r >= 1 ? "met" : "NOT met") }'
        fi
        if [ -n "$p_all" ]; then
            pm=$(echo "$p_all" | median)
            awk -v p="$pm" -v g="$gm" 'BEGIN { r = p / g;
                printf "  platform/golden time (process)     %10.2fx  (target <= 1.2: %s)\n", r, (r <= 1.2 ? "met" : "NOT met") }'
            if [ -n "$g_extra" ] && [ -n "$p_extra" ]; then
                awk -v p="$(echo "$p_extra" | median)" -v g="$(echo "$g_extra" | median)" -v n="$((images - batch))" 'BEGIN { r = p / g;
                    printf "  platform/golden time per image     %10.2fx  (start-up removed: the extra time of %d images over a %s-image run;\n", r, n, "'"$batch"'";
                    printf "                                                 golden %.1f, platform %.1f images/s)\n", n / g, n / p }'
            fi
            if cmp -s "$out/golden.bin" "$out/platform.bin"; then
                echo "  final weights platform vs golden:  identical"
            else
                echo "  final weights platform vs golden:  DIFFERENT"
            fi
        fi
        awk -v n="$images" -v g="$gt" -v s="$step" 'BEGIN { printf "  golden training loop: %.2f GMAC/s\n", n * s / g / 1e9 }'
    fi
done
