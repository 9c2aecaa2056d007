#!/usr/bin/env bash
# bench/run_on_gpu.sh
# One call on a lent GPU machine: build and install, list plugins/devices, run the CUDA tests, benchmark against CuPy.
# Usage (from the repository root, on the GPU machine): bash bench/run_on_gpu.sh [pytest -k expression]
# Logs go to $OUT (or /tmp/dotcompute-gpu), the last lines of each step to stdout.
set -u
out="${OUT:-/tmp/dotcompute-gpu}"
mkdir -p "$out"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

step() { echo; echo "== $1"; }

step "card"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/card.txt"
python3 -c 'import sys, numpy; print(sys.version.split()[0], "numpy", numpy.__version__)'

step "build (pip install --no-build-isolation --no-deps .)"
export CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)"
if ! python3 -m pip install --no-build-isolation --no-deps . >"$out/build.log" 2>&1; then
  tail -40 "$out/build.log"
  exit 1
fi
tail -2 "$out/build.log"

cd /tmp  # import the installed package, not the source tree
step "plugins and devices"
python3 -m dotcompute plugins 2>&1 | tee "$out/plugins.txt" | tail -12
python3 -m dotcompute devices 2>&1 | tee "$out/devices.txt"

step "tests marked cuda (the conformance suite on cuda:0) and the generated-CUDA compile tests"
cd "$root"
python3 -m pytest -q -m cuda -p no:cacheprovider ${1:+-k "$1"} tests >"$out/pytest-cuda.log" 2>&1
grep -E "^(FAILED|ERROR)" "$out/pytest-cuda.log" | head -40
tail -3 "$out/pytest-cuda.log"
python3 -m pytest -q -p no:cacheprovider tests/test_codegen_cuda.py >"$out/pytest-codegen-cuda.log" 2>&1
tail -3 "$out/pytest-codegen-cuda.log"

step "the OpenCL conformance suite on the GPU's own OpenCL driver"
gpu_opencl="$(python3 -c 'import dotcompute as dc; print(" or ".join(d.spec for d in dc.devices() if d.backend == "opencl" and d.capabilities.get("device_type") == "gpu"))')"
if [ -n "$gpu_opencl" ]; then
  echo "devices: $gpu_opencl"
  python3 -m pytest -q -m opencl -k "$gpu_opencl" -p no:cacheprovider tests >"$out/pytest-opencl-gpu.log" 2>&1
  grep -E "^(FAILED|ERROR)" "$out/pytest-opencl-gpu.log" | head -40
  tail -3 "$out/pytest-opencl-gpu.log"
else
  echo "no OpenCL GPU device"
fi

step "benchmarks against CuPy on the same card"
python3 bench/compare_cuda.py 2>&1 | tee "$out/compare_cuda.txt" | tail -30
python3 bench/compare_elementwise.py --device cuda:0 2>&1 | tee "$out/compare_elementwise.txt" | tail -15
python3 bench/compare_indexing.py --device cuda:0 2>&1 | tee "$out/compare_indexing.txt" | tail -12

step "one launch, layer by layer"
python3 bench/cuda_launch_profile.py 2>&1 | tee "$out/launch_profile.txt" | tail -12

step "pipelines on the GPU (graph replay, fusion)"
python3 bench/compare_pipeline.py --device cuda:0 2>&1 | tee "$out/compare_pipeline.txt" | tail -20
