#!/usr/bin/env bash
# Ground-truth signed distance, nsdf beside pysdf on the same queries, in one run.
#
#   benches/peers/gt_run.sh                      # skull.obj, 1M uniform queries, 2 threads
#   MESH=../shared/meshes/bunny_hr.obj QUERIES=near ROUNDS=5 benches/peers/gt_run.sh
#
# Queries: Davies' training frame (mesh scaled so its minimal enclosing sphere has radius 0.9),
# `uniform` in [-1, 1]^3 or `near` (surface samples + N(0, 0.01²)), mapped back to mesh units.
# The two tools alternate for ROUNDS rounds so a change in machine load hits both; each
# reports its best. "Mq/s" is wall clock; "Mq/CPU-s" is queries per CPU-second of the
# process (all threads), which a busy machine disturbs less. Build times are separate.
set -euo pipefail
cd "$(dirname "$0")/../.."

MESH=${MESH:-../shared/meshes/skull.obj}
POINTS=${POINTS:-1000000}
THREADS=${THREADS:-2}
QUERIES=${QUERIES:-uniform}
ROUNDS=${ROUNDS:-3}
CHECK=${CHECK:-1000}
VENV=${VENV:-target/venv-gt}
TARGET=${CARGO_TARGET_DIR:-target}

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV (pysdf needs: apt-get install libeigen3-dev)" >&2
    python3 -m venv "$VENV"
    CPATH=/usr/include/eigen3 "$VENV/bin/pip" install -q -r benches/peers/requirements-gt.txt
fi
cargo build --release -q -p nsdf-mesh --example gt_bench

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for r in $(seq "$ROUNDS"); do
    # The first round also checks exactness and writes the shared queries.
    extra=(--check 0)
    if [ "$r" = 1 ]; then extra=(--check "$CHECK" --write-points "$TMP/points.f32" --write-distances "$TMP/ours.f32"); fi
    "$TARGET/release/examples/gt_bench" --mesh "$MESH" --points "$POINTS" --threads "$THREADS" \
        --queries "$QUERIES" --repeat 1 "${extra[@]}" >> "$TMP/nsdf.jsonl"
    ours=()
    if [ "$r" = 1 ]; then ours=(--ours "$TMP/ours.f32"); fi
    "$VENV/bin/python" benches/peers/gt_sdf.py --mesh "$MESH" --points "$TMP/points.f32" \
        --threads "$THREADS" --repeat 1 "${ours[@]}" >> "$TMP/pysdf.jsonl"
done

python3 - "$TMP/nsdf.jsonl" "$TMP/pysdf.jsonl" <<'EOF'
import json, sys
ours = [json.loads(l) for l in open(sys.argv[1])]
peer = [json.loads(l) for l in open(sys.argv[2])]
o0, p0 = ours[0], peer[0]
n = o0["points"]
best = lambda rows, k: max(r[k] for r in rows)
o_wall = min(r["signed_s"] for r in ours); p_wall = min(r["signed_s"] for r in peer)
o_cpu = min(r["signed_cpu_s"] for r in ours); p_cpu = min(r["signed_cpu_s"] for r in peer)
loads = [r["loadavg1"] for r in peer]
print(f"mesh {o0['mesh']} ({o0['triangles']} triangles), {n} {o0['queries']} queries, "
      f"{o0['threads']} threads, {len(ours)} rounds, load {min(loads):.1f}-{max(loads):.1f}")
print()
print("| tool | sign | Mq/s | ratio | Mq/CPU-s | ratio | build s | max abs err | sign disagreements |")
print("|---|---|---|---|---|---|---|---|---|")
print(f"| pysdf 0.1.9 | ray parity | {n/p_wall/1e6:.3f} | 1.00 | {n/p_cpu/1e6:.3f} | 1.00 | "
      f"{min(r['build_s'] for r in peer):.3f} | {p0.get('max_abs_err_vs_nsdf', float('nan')):.2e} (vs nsdf) | "
      f"{p0.get('sign_disagreements_vs_nsdf', 'n/a')} (vs nsdf) |")
print(f"| nsdf | winding number | {n/o_wall/1e6:.3f} | {p_wall/o_wall:.2f} | {n/o_cpu/1e6:.3f} | {p_cpu/o_cpu:.2f} | "
      f"{min(r['build_s'] for r in ours):.3f} | {o0['max_abs_err_vs_brute']:.2e} (vs brute, {o0['check_points']} pts) | "
      f"{o0['sign_disagreements_vs_exact_winding']} (vs exact winding, {o0['check_points']} pts) |")
print(f"| nsdf | none (unsigned) | {best(ours, 'unsigned_mqps'):.3f} | {best(ours, 'unsigned_mqps')*p_wall/n*1e6:.2f} | | | | | |")
print(f"| nsdf | Barill per query | {best(ours, 'fast_winding_mqps'):.3f} | {best(ours, 'fast_winding_mqps')*p_wall/n*1e6:.2f} | | | | | "
      f"{o0['sign_disagreements_fast_winding']} (vs exact winding) |")
print()
print(f"pysdf points with |error| > 1e-5 x mesh scale: {p0.get('points_err_gt_1e-5_rel', 'n/a')} of {n}")
EOF
