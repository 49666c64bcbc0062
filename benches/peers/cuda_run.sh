#!/usr/bin/env bash
# nsdf on the GPU against PyTorch on the same GPU, in one run (issue #5's numbers).
#
#   benches/peers/cuda_run.sh [FILE.nsdf] [POINTS]
#
# Needs an NVIDIA driver and GPU (no CUDA toolkit), Rust, Python 3 with pip. Defaults: a random
# Davies 8x32 network (spec/vectors/valid/davies-f32.nsdf) and 16M points. Prints:
#   - nsdf bench --device cuda: distance and gradient, device-resident and host-to-result, with
#     the fraction of the FP32 peak;
#   - nsdf bench --device cpu on the same file, for reference;
#   - PyTorch fp32 / tf32 / fp16, eager and torch.compile, data on the device, and fp32
#     host-to-result.
# The target (issue #5): >= 3e9 points/s for the 8x32 distance, 16M points on an H200.
set -euo pipefail
cd "$(dirname "$0")/../.."
FILE=${1:-spec/vectors/valid/davies-f32.nsdf}
POINTS=${2:-16777216}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/cuda-bench}

echo "== machine"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv || true
uptime

echo "== build (release, --features cuda)"
cargo build --release -p nsdf-tools --features cuda
NSDF="$CARGO_TARGET_DIR/release/nsdf"

echo "== nsdf, GPU"
"$NSDF" bench "$FILE" --device cuda --points "$POINTS" --repeat 10
"$NSDF" bench "$FILE" --device cuda --points "$POINTS" --repeat 10 --json > target/cuda_bench_nsdf.json
echo "== nsdf, CPU (same file, 1M points)"
"$NSDF" bench "$FILE" --device cpu --points 1000000 --repeat 3

echo "== PyTorch, GPU"
VENV=target/cuda-peers-venv
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r benches/peers/requirements-cuda.txt
fi
"$VENV/bin/python" benches/peers/mlp_eval_cuda.py "$FILE" --points "$POINTS" --repeat 10
