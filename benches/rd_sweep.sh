#!/usr/bin/env bash
# Rate–distortion sweep: for each mesh, packs the network at several sizes (architecture and
# weight encoding; one change per step, ~2.6 kB to ~34 kB), then runs `nsdf compare` on each
# file, which measures the network and every equal-bytes baseline (QEM + Draco 11/14-bit,
# QEM + meshoptimizer, QEM + raw float32, 8/16-bit distance grids) at that file's byte count.
# Writes one JSON line per (mesh, variant) to OUT/sweep.jsonl and a PNG per mesh with
# benches/rd_plot.py (Chamfer, Hausdorff and band distance error against bytes, log-log).
#
#   benches/rd_sweep.sh OUT [MESH...]        (default: every mesh in ../shared/meshes)
#   NSDF_BIN=path/to/nsdf benches/rd_sweep.sh ...   (use a prebuilt binary)
#   RD_VARIANTS="budget-8k:--budget 8k;budget-16k:--budget 16k" benches/rd_sweep.sh ...
#                                            (other variants: NAME:FLAGS, separated by ';')
#
# Variants are trained with the same seed and the epochs `nsdf pack` picks (60; under --budget
# 300, or 150 for sine networks over 40 units wide); the network's curve is what `nsdf pack`
# gives today at each size, not a tuned optimum. The fixed variants are int8h (format 1.3, what
# pack writes) and one f16; --budget 8k and 16k (sine 6x34 or 9x27, whichever pack kept, and
# 6x52, int8h with an f16 first layer) fill the 8 kB and 16 kB marks of the fidelity issue. The network's surface figures
# measure its zero set, found by marching cubes at 256³ (the mesh itself is reported too:
# net_mesh_chamfer_l1, net_mesh_hausdorff).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: benches/rd_sweep.sh OUT [MESH...]}"
shift
meshes=("$@")
if [ ${#meshes[@]} -eq 0 ]; then
    meshes=("$here"/../shared/meshes/*.obj)
fi
mkdir -p "$out"
# NSDF_BIN: a prebuilt nsdf to use instead of building this checkout.
if [ -z "${NSDF_BIN:-}" ]; then
    cargo build --release -q -p nsdf-tools --manifest-path "$here/Cargo.toml"
fi
bin="${NSDF_BIN:-${CARGO_TARGET_DIR:-$here/target}/release/nsdf}"
# name: nsdf pack flags
variants=(
    "4x16-int8h:--layers 4 --width 16 --quant int8h"
    "4x32-int8h:--layers 4 --width 32 --quant int8h"
    "6x32-int8h:--layers 6 --width 32 --quant int8h"
    "8x32-int8h:--layers 8 --width 32 --quant int8h"
    "8x40-int8h:--layers 8 --width 40 --quant int8h"
    "8x32-f16:--layers 8 --width 32 --quant f16"
    "8x64-int8h:--layers 8 --width 64 --quant int8h"
)
if [ -n "${RD_VARIANTS:-}" ]; then
    IFS=';' read -r -a variants <<< "$RD_VARIANTS"
fi
total=$(( ${#meshes[@]} * ${#variants[@]} ))
done_n=0
start=$(date +%s)
: > "$out/sweep.jsonl"
for mesh in "${meshes[@]}"; do
    name="$(basename "${mesh%.*}")"
    for v in "${variants[@]}"; do
        tag="${v%%:*}"
        flags="${v#*:}"
        file="$out/$name-$tag.nsdf"
        # shellcheck disable=SC2086
        # What pack says (warnings, which network a budget kept, its times) goes to
        # OUT/NAME-TAG.log. A pack that nsdf refuses (an unusable network) is reported and
        # skipped.
        if [ ! -f "$file" ] && ! "$bin" pack "$mesh" -o "$file" $flags > "$out/$name-$tag.log" 2>&1; then
            cat "$out/$name-$tag.log" >&2
            echo "$name $tag: nsdf pack refused or failed; no row" >&2
            continue
        fi
        "$bin" compare "$mesh" "$file" --json --quiet --resolution 256 |
            python3 -c 'import json,sys; r=json.load(sys.stdin); r["variant"]=sys.argv[1]; print(json.dumps(r))' "$tag" \
            >> "$out/sweep.jsonl"
        done_n=$((done_n + 1))
        elapsed=$(( $(date +%s) - start ))
        eta=$(( elapsed * (total - done_n) / done_n ))
        echo "[$done_n/$total] $name $tag ($(stat -c %s "$file") B) ${elapsed} s, ETA ${eta} s" >&2
    done
done
venv="$here/target/plot-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$here/benches/requirements-plot.txt"
fi
"$venv/bin/python" "$here/benches/rd_plot.py" "$out/sweep.jsonl" "$out"
