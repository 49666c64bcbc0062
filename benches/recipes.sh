#!/usr/bin/env bash
# The README's raw-data and recipe rows: bunny_hr as a mesh (davies, curriculum, siren), as point
# clouds (100k points: without normals, with normals, with Gaussian noise of 0.002 and 0.005 R;
# sal, sald) and as a triangle soup (30% flipped, 3% removed), each packed with `nsdf pack` and
# measured against the original mesh by `nsdf compare` (marching cubes at 256³). Prints a
# Markdown table; the inputs and files stay in OUT.
#
#   benches/recipes.sh OUT [MESH]        (needs numpy: pip install -r benches/peers/requirements-poisson.txt)
set -euo pipefail
out=${1:?usage: recipes.sh OUT [MESH]}
mesh=${2:-../shared/meshes/bunny_hr.obj}
root=$(cd "$(dirname "$0")/.." && pwd)
nsdf="$root/target/release/nsdf"
(cd "$root" && cargo build --release -q -p nsdf-tools)
mkdir -p "$out"
py=${PYTHON:-python3}
raw="$root/benches/peers/raw_inputs.py"
[ -f "$out/cloud.ply" ] || "$py" "$raw" "$mesh" cloud "$out/cloud.ply"
[ -f "$out/cloud_normals.xyz" ] || "$py" "$raw" "$mesh" cloud "$out/cloud_normals.xyz" --normals
[ -f "$out/cloud_noise002.ply" ] || "$py" "$raw" "$mesh" cloud "$out/cloud_noise002.ply" --noise 0.002
[ -f "$out/cloud_noise005.ply" ] || "$py" "$raw" "$mesh" cloud "$out/cloud_noise005.ply" --noise 0.005
[ -f "$out/soup.obj" ] || "$py" "$raw" "$mesh" soup "$out/soup.obj"

# name | input | recipe (empty: what pack chooses)
runs=(
  "mesh, davies (default)|$mesh|"
  "mesh, curriculum|$mesh|curriculum"
  "mesh, siren (oriented surface points, no distances)|$mesh|siren"
  "soup, davies after reorientation (default)|$out/soup.obj|"
  "cloud, no normals, sal (default)|$out/cloud.ply|"
  "cloud, no normals, sald|$out/cloud.ply|sald"
  "cloud, normals, sal|$out/cloud_normals.xyz|"
  "cloud, noise 0.002 R, sal|$out/cloud_noise002.ply|"
  "cloud, noise 0.005 R, sal|$out/cloud_noise005.ply|"
)
echo "| input, recipe | pack s | bytes | surface error / R | F1 near | Chamfer L1 / R | Hausdorff / R | EMD / R |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
i=0
for run in "${runs[@]}"; do
  IFS='|' read -r name input recipe <<<"$run"
  i=$((i + 1))
  file="$out/run$i.nsdf"
  args=("$input" -o "$file" --quiet)
  [ -n "$recipe" ] && args+=(--recipe "$recipe")
  start=$(date +%s%N)
  "$nsdf" pack "${args[@]}"
  ms=$((($(date +%s%N) - start) / 1000000))
  "$nsdf" compare "$mesh" "$file" -r 256 --json --quiet >"$out/run$i.json"
  "$py" - "$out/run$i.json" "$name" "$ms" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
g = lambda k: r["net_" + k]
print(f"| {sys.argv[2]} | {int(sys.argv[3]) / 1000:.1f} | {r['bytes_nsdf']:,} | {g('surface_mean_canon'):.5f} | "
      f"{g('f1_near'):.3f} | {g('chamfer_l1'):.5f} | {g('hausdorff'):.4f} | {g('emd'):.4f} |")
EOF
done
