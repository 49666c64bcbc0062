#!/usr/bin/env python3
"""Peer: pysdf's signed distance on the same queries as nsdf's gt_bench, printed as JSON.

Run through benches/peers/gt_run.sh, which writes the query points (float32 x y z, little
endian) and nsdf's distances, then prints the side-by-side table. Alone:

    python gt_sdf.py --mesh ../shared/meshes/skull.obj --points points.f32 \
        [--ours ours.f32] [--threads 2] [--repeat 3]

pysdf (sxyu/sdf 0.1.9) returns positive inside; the sign is flipped here to nsdf's convention
(negative inside). With --ours, pysdf is compared with nsdf's distances, which gt_bench checks
against brute force: that measures pysdf's error (it tests only the faces around the nearest
vertex, so it is inexact near large triangles).
"""

import argparse
import json
import os
import time

import numpy as np
import pysdf


def load_obj(path):
    """Vertices and fan-triangulated faces of an OBJ file (positions only)."""
    verts, faces = [], []
    with open(path) as f:
        for line in f:
            if line.startswith("v "):
                verts.append([float(x) for x in line.split()[1:4]])
            elif line.startswith("f "):
                idx = [int(w.split("/")[0]) for w in line.split()[1:]]
                idx = [i - 1 if i > 0 else len(verts) + i for i in idx]
                for k in range(1, len(idx) - 1):
                    faces.append([idx[0], idx[k], idx[k + 1]])
    return np.asarray(verts, dtype=np.float32), np.asarray(faces, dtype=np.uint32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mesh", required=True)
    ap.add_argument("--points", required=True, help="float32 x y z file")
    ap.add_argument("--ours", help="nsdf's float32 distances for the same points")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    verts, faces = load_obj(a.mesh)
    pts = np.fromfile(a.points, dtype="<f4").reshape(-1, 3)

    t = time.perf_counter()
    sdf = pysdf.SDF(verts, faces)
    build_s = time.perf_counter() - t

    best_wall, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(a.repeat):
        w, c = time.perf_counter(), time.process_time()
        out = sdf(pts, n_threads=a.threads)
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    d = -np.asarray(out, dtype=np.float32)  # pysdf: positive inside

    res = {
        "tool": "pysdf",
        "version": "0.1.9",
        "mesh": a.mesh,
        "triangles": int(len(faces)),
        "points": int(len(pts)),
        "threads": a.threads,
        "build_s": round(build_s, 4),
        "signed_s": round(best_wall, 4),
        "signed_mqps": round(len(pts) / best_wall / 1e6, 4),
        "signed_cpu_s": round(best_cpu, 4),
        "loadavg1": os.getloadavg()[0],
    }
    if a.ours:
        ours = np.fromfile(a.ours, dtype="<f4")
        err = np.abs(np.abs(d) - np.abs(ours))
        scale = float(np.max(np.abs(verts)))
        clear = np.abs(ours) > 1e-6 * scale  # points on the surface have no sign
        res["max_abs_err_vs_nsdf"] = float(err.max())
        res["points_err_gt_1e-5_rel"] = int(np.sum(err > 1e-5 * scale))
        res["sign_disagreements_vs_nsdf"] = int(np.sum(((d < 0) != (ours < 0)) & clear))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
