#!/usr/bin/env python3
"""Screened Poisson reconstruction (MeshLab's, through pymeshlab) of a point cloud: the usual
tool for the job `nsdf pack` does on raw points. Measured against the original mesh with
nsdf's own measurement (crates/mesh/examples/compare_mesh.rs), so the figures sit beside
`nsdf compare`'s.

    poisson.py MESH.obj CLOUD.ply|CLOUD.xyz OUT.ply [--depth 8]

Clouds without normals get MeshLab's normals for point clouds (k = 10 neighbours, oriented
by its own propagation) first. Prints one JSON line: seconds (reconstruction alone, one run,
including the normals), triangles, bytes of the binary PLY and the metrics.
Pinned requirements: requirements-poisson.txt.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import pymeshlab

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read_cloud(path):
    """Positions and normals (or None) of a vertex-only binary-little-endian PLY of floats, or
    .xyz text (3 or 6 columns), as raw_inputs.py writes them."""
    if path.endswith(".ply"):
        with open(path, "rb") as fh:
            data = fh.read()
        end = data.index(b"end_header\n") + len(b"end_header\n")
        header = data[:end].decode().split("\n")
        assert "format binary_little_endian 1.0" in header, "binary little-endian PLY only"
        names = [line.split()[2] for line in header if line.startswith("property float")]
        count = int([line for line in header if line.startswith("element vertex")][0].split()[2])
        cols = np.frombuffer(data[end:end + 4 * len(names) * count], dtype="<f4").reshape(count, len(names))
    else:
        cols = np.loadtxt(path, ndmin=2)
        names = ["x", "y", "z", "nx", "ny", "nz"][: cols.shape[1]]
    p = cols[:, [names.index(k) for k in "xyz"]].astype(np.float64)
    n = cols[:, [names.index(k) for k in ("nx", "ny", "nz")]].astype(np.float64) if "nx" in names else None
    return p, n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mesh")
    ap.add_argument("cloud")
    ap.add_argument("out")
    ap.add_argument("--depth", type=int, default=8)
    args = ap.parse_args()
    p, n = read_cloud(args.cloud)
    start = time.perf_counter()
    ms = pymeshlab.MeshSet()
    if n is None:
        ms.add_mesh(pymeshlab.Mesh(vertex_matrix=p))
        ms.compute_normal_for_point_clouds(k=10)
    else:
        ms.add_mesh(pymeshlab.Mesh(vertex_matrix=p, v_normals_matrix=n))
    ms.generate_surface_reconstruction_screened_poisson(depth=args.depth)
    seconds = time.perf_counter() - start
    ms.save_current_mesh(args.out, binary=True, save_vertex_normal=False, save_vertex_color=False,
                         save_vertex_quality=False, save_face_color=False)
    m = ms.current_mesh()
    tool = os.path.join(ROOT, "target", "release", "examples", "compare_mesh")
    if not os.path.exists(tool):
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "nsdf-mesh", "--example", "compare_mesh"],
                       cwd=ROOT, check=True)
    metrics = json.loads(subprocess.run([tool, args.mesh, args.out], check=True, capture_output=True,
                                        text=True).stdout)
    print(json.dumps({"cloud": os.path.basename(args.cloud), "depth": args.depth,
                      "normals_given": n is not None, "seconds": round(seconds, 2),
                      "triangles": m.face_number(), "bytes_ply": os.path.getsize(args.out), **metrics}))


if __name__ == "__main__":
    sys.exit(main())
