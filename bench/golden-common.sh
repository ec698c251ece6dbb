# Shared by the golden benchmarks (sourced): picks the golden runner of a build and makes sure the MNIST
# split exists. Sets $root, $build (absolute) and the array golden=(command ...).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-build}" 2>/dev/null && pwd) || { echo "$(basename "$0"): build directory '${1:-build}' not found" >&2; exit 1; }
if [ -x "$build/trainvp" ] && "$build/trainvp" golden --help >/dev/null 2>&1; then
    golden=("$build/trainvp" golden)
elif [ -x "$build/test/kernels/golden_driver" ]; then
    golden=("$build/test/kernels/golden_driver")
else
    echo "$(basename "$0"): neither $build/trainvp golden nor $build/test/kernels/golden_driver: build first" >&2
    exit 1
fi
cd "$root"
[ -f data/mnist/train-images-idx3-ubyte ] || bash scripts/fetch-mnist.sh
