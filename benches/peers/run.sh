#!/usr/bin/env bash
# nsdf against PyTorch and onnxruntime on the same model and the same kind of points, in one run
# (issue section 5): Davies' 8 × 32 network, f32, 1M points uniform in [-1, 1]^3, 2 threads.
#
#   python3 -m venv target/peers-venv
#   target/peers-venv/bin/pip install -r benches/peers/requirements.txt
#   PYTHON=target/peers-venv/bin/python benches/peers/run.sh [MODEL.nsdf]
#
# Without MODEL, a seeded random Davies network is written (examples/bench_eval.rs; identity
# transform, so world and network points coincide). The nsdf side is `nsdf bench` per SIMD
# backend; the peers side is mlp_eval.py (which first checks its outputs against `nsdf eval`).
# The machine is shared, so nsdf and the peers alternate for ROUNDS rounds and each keeps its
# best; `uptime` is printed before and after. Environment: POINTS (1000000), THREADS (2),
# ROUNDS (3), REPEAT (timed runs per measurement per round, 5), BATCH (peers' batch sizes,
# "4096,65536"), COMPILE=1 to add torch.compile.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PYTHON:-python3}
POINTS=${POINTS:-1000000}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
REPEAT=${REPEAT:-5}
BATCH=${BATCH:-4096,65536}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=$TARGET/peers
mkdir -p "$OUT"

cargo build --release -q -p nsdf-tools --bin nsdf
cargo build --release -q --example bench_eval
NSDF=$TARGET/release/nsdf
MODEL=${1:-$OUT/davies.nsdf}
if [ $# -eq 0 ]; then
    "$TARGET/release/examples/bench_eval" --write "$MODEL"
fi

RESULTS=$OUT/results.jsonl
: > "$RESULTS"
echo "load before: $(uptime)"
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    for backend in avx512 avx2; do
        # The backends this CPU lacks are skipped (nsdf bench refuses them).
        if line=$("$NSDF" bench "$MODEL" --points "$POINTS" --threads "$THREADS" --backend "$backend" \
            --repeat "$REPEAT" --json 2>/dev/null); then
            echo "$line" | "$PY" -c 'import json,sys; r=json.load(sys.stdin); r["runtime"]="nsdf "+r["backend"]; print(json.dumps(r))' >> "$RESULTS"
        fi
    done
    extra=()
    if [ "${COMPILE:-0}" = 1 ]; then extra+=(--compile); fi
    "$PY" benches/peers/mlp_eval.py "$MODEL" --points "$POINTS" --threads "$THREADS" --batch "$BATCH" \
        --repeat "$REPEAT" --nsdf-bin "$NSDF" --json "${extra[@]}" >> "$RESULTS"
done
echo "load after:  $(uptime)"

"$PY" - "$RESULTS" "$POINTS" "$THREADS" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
best = {}
for r in rows:
    if r["runtime"].startswith("nsdf"):
        key = (r["runtime"], "")
        rate, grad, single = r["distance_points_per_s_best"], r["gradient_points_per_s_best"], r["single_point_ns"]
    else:
        key = (r["runtime"], str(r["batch"]))
        rate, grad, single = r["points_per_s_best"], None, None
    old = best.get(key)
    if old is None or rate > old[0]:
        best[key] = (rate, grad if grad is not None else (old[1] if old else None), single)
    elif grad is not None and (old[1] is None or grad > old[1]):
        best[key] = (old[0], grad, old[2])
torch = best.get(("torch", "4096"), (None,))[0]
print(f"\nDavies 8x32 f32, {int(sys.argv[2]):,} points in [-1,1]^3, {sys.argv[3]} threads; best of all rounds")
print(f"{'runtime':<16}{'batch':>7}{'M points/s':>12}{'vs torch b=4096':>17}{'gradient M/s':>14}{'grad cost':>11}{'single ns':>11}")
for (name, batch), (rate, grad, single) in sorted(best.items(), key=lambda kv: -kv[1][0]):
    ratio = f"{rate / torch:.2f}x" if torch else "-"
    g = f"{grad / 1e6:.2f}" if grad else ""
    cost = f"{rate / grad:.2f}x" if grad else ""
    s = f"{single:.0f}" if single else ""
    print(f"{name:<16}{batch:>7}{rate / 1e6:>12.2f}{ratio:>17}{g:>14}{cost:>11}{s:>11}")
PYEOF
