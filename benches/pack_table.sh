#!/usr/bin/env bash
# `nsdf pack` over every mesh in ../shared/meshes (default settings, release build): prints a
# markdown table of wall time (whole command, and per phase), file size and accuracy of the
# stored int8 model in canonical units (the mesh's bounding sphere has radius 1; definitions in
# tools/src/train/metrics.rs). The issue's goal: bunny_hr in <= 30 s wall on 2 cores.
#
#   benches/pack_table.sh [MESH_DIR] [extra nsdf pack flags...]
#
# Each mesh is packed by its own `nsdf pack` run (batch mode on a one-line manifest, so the
# per-phase figures come from the summary CSV). Numbers are noisy on a shared machine: the load
# average is printed before and after.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
meshes="${1:-$here/../shared/meshes}"
shift || true
if [ ! -d "$meshes" ]; then
    echo "no mesh directory at $meshes" >&2
    exit 1
fi
cargo build --release -q -p nsdf-tools --manifest-path "$here/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$here/target}/release/nsdf"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); nproc $(nproc); flags: ${*:-(defaults)}"
echo
echo "| mesh | triangles | wall s | load / sampling / train / quantize / verify s | bytes | surface MAE | F1 near | F1 uniform |"
echo "|---|---:|---:|---|---:|---:|---:|---:|"
for mesh in "$meshes"/*.obj "$meshes"/*.ply "$meshes"/*.stl "$meshes"/*.gltf "$meshes"/*.glb; do
    [ -f "$mesh" ] || continue
    name="$(basename "$mesh")"
    out="$work/${name%.*}"
    mkdir -p "$out"
    echo "$mesh" > "$out/manifest.txt"
    start=$(date +%s.%N)
    if ! "$bin" pack "$out/manifest.txt" --out-dir "$out" --quiet "$@" 2> "$out/err"; then
        echo "| $name | failed: $(head -c 200 "$out/err" | tr '\n' ' ') | | | | | | |"
        continue
    fi
    end=$(date +%s.%N)
    # name,status,triangles,load_s,sampling_s,train_s,quantize_s,verify_s,total_s,bytes,
    # surface_mean,surface_max,f1_near,f1_uniform,...
    awk -F, -v wall="$(echo "$end - $start" | bc)" 'NR == 2 {
        printf "| %s | %d | %.2f | %.2f / %.2f / %.2f / %.2f / %.2f | %d | %.5f | %.4f | %.4f |\n",
            $1, $3, wall, $4, $5, $6, $7, $8, $10, $11, $13, $14
    }' "$out/summary-0-of-1.csv"
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
