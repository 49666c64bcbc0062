"""The peer's side of the meshing benchmark: PyTorch evaluates the network of a .nsdf file on a
dense grid and scikit-image's marching cubes extracts the zero level set, the pipeline users
would write instead of `nsdf mesh` (and the reference the issue quotes).

    python mesh_peer.py FILE --resolution N [--threads T] [--batch B] [--json]

The grid spans the file's bounds plus 2% on every side with cubic cells, N cells along the
longest side (`nsdf mesh`'s default grid). Prints the time for the grid evaluation and for
marching cubes, and the triangle count.
"""

import os

os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsdf_reader  # noqa: E402
from mlp_eval import torch_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--resolution", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=65536)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    import torch
    from skimage.measure import marching_cubes

    torch.set_num_threads(a.threads)
    with open(a.file, "rb") as f:
        m = nsdf_reader.read(f.read())
    model = torch_model(m, torch).eval()
    lo, hi = np.array(m.bounds[0], np.float64), np.array(m.bounds[1], np.float64)
    pad = 0.02 * (hi - lo).max()
    lo, hi = lo - pad, hi + pad
    h = (hi - lo).max() / a.resolution
    dims = np.maximum(np.ceil((hi - lo) / h).astype(int), 1)
    origin = lo + 0.5 * ((hi - lo) - dims * h)
    axes = [origin[i] + h * np.arange(dims[i] + 1, dtype=np.float32) for i in range(3)]

    start = time.perf_counter()
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3).astype(np.float32)
    values = np.empty(len(grid), np.float32)
    with torch.no_grad():
        for i in range(0, len(grid), a.batch):
            values[i : i + a.batch] = model(torch.from_numpy(grid[i : i + a.batch])).numpy()
    evaluated = time.perf_counter()
    volume = values.reshape([d + 1 for d in dims])
    verts, faces, _, _ = marching_cubes(volume, 0.0, spacing=(h, h, h))
    done = time.perf_counter()
    result = {
        "runtime": "pytorch+skimage",
        "resolution": a.resolution,
        "grid_points": int(len(grid)),
        "evaluate_s": evaluated - start,
        "marching_cubes_s": done - evaluated,
        "total_s": done - start,
        "triangles": int(len(faces)),
    }
    if a.json:
        print(json.dumps(result))
    else:
        print(
            f"pytorch grid {result['evaluate_s']:.2f} s + skimage marching cubes "
            f"{result['marching_cubes_s']:.2f} s = {result['total_s']:.2f} s, "
            f"{result['triangles']} triangles"
        )


if __name__ == "__main__":
    main()
