#!/usr/bin/env bash
# `nsdf mesh` against the pipeline users would write instead (PyTorch on a dense grid, then
# scikit-image marching cubes), on the same .nsdf file and grid, alternating in one run.
#
#   python3 -m venv target/peers-venv
#   target/peers-venv/bin/pip install -r benches/peers/requirements.txt -r benches/peers/requirements-mesh.txt
#   PYTHON=target/peers-venv/bin/python benches/peers/mesh_run.sh FILE.nsdf [RESOLUTION]
#
# Environment: THREADS (2), ROUNDS (3). Each side keeps its best round; `uptime` before and after.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PYTHON:-python3}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
FILE=$1
RES=${2:-256}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$TARGET/peers
mkdir -p "$OUT"
cargo build --release -q -p nsdf-tools --bin nsdf
NSDF=$TARGET/release/nsdf

echo "load before: $(uptime)"
best_nsdf=inf
best_peer=inf
for round in $(seq "$ROUNDS"); do
    line=$("$NSDF" mesh "$FILE" -o "$OUT/mesh_run.ply" -r "$RES" --threads "$THREADS")
    echo "nsdf mesh   : $line"
    t=$(sed -E 's/.*, ([0-9.]+) s$/\1/' <<<"$line")
    best_nsdf=$(python3 -c "print(min(float('$best_nsdf'), $t))")
    peer=$("$PY" benches/peers/mesh_peer.py "$FILE" --resolution "$RES" --threads "$THREADS" --json)
    echo "peer        : $peer"
    t=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['total_s'])" "$peer")
    best_peer=$(python3 -c "print(min(float('$best_peer'), $t))")
done
echo "load after: $(uptime)"
python3 -c "print(f'best of $ROUNDS at ${RES}^3: nsdf mesh {$best_nsdf:.3f} s, pytorch+skimage {$best_peer:.2f} s, ratio {$best_peer/$best_nsdf:.1f}x')"
