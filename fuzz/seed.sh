#!/usr/bin/env bash
# Seeds the fuzz corpus with every test vector (valid and invalid) of spec/vectors/.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/parse
cp ../spec/vectors/valid/*.nsdf ../spec/vectors/invalid/*.nsdf corpus/parse/
echo "seeded corpus/parse with $(ls corpus/parse | wc -l) files"
# Import and point-input targets: files written by crates/import/examples/fuzz_seeds.rs (small
# Keras HDF5 and safetensors networks, point files) and the Davies et al. networks when present.
(cd .. && cargo run -q -p nsdf-import --example fuzz_seeds -- fuzz/corpus)
if ls ../../shared/davies-networks/*.h5 >/dev/null 2>&1; then
  cp ../../shared/davies-networks/*.h5 corpus/import_keras/
else
  echo "SKIP: ../../shared/davies-networks not present; import_keras seeded without Davies networks"
fi
for t in import_safetensors import_keras eval_points_text eval_points_binary; do
  echo "seeded corpus/$t with $(ls corpus/$t | wc -l) files"
done
# Mesh targets: a cube in every format and encoding, and the small shared meshes converted to
# binary PLY, binary STL and GLB (mesh_seeds.py); the big shared OBJ files would slow the runs.
shared=()
for m in cube torus; do
  if [ -f "../../shared/meshes/$m.obj" ]; then shared+=("../../shared/meshes/$m.obj"); fi
done
if [ ${#shared[@]} -eq 0 ]; then echo "SKIP: ../../shared/meshes not present; mesh targets seeded with generated files only"; fi
python3 mesh_seeds.py corpus "${shared[@]}"
for t in mesh_obj mesh_ply mesh_points mesh_stl mesh_gltf; do
  echo "seeded corpus/$t with $(ls corpus/$t | wc -l) files"
done
