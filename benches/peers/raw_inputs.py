#!/usr/bin/env python3
"""Raw data made from a mesh, as issue #13 measured `nsdf pack` on it.

    raw_inputs.py MESH.obj cloud OUT.ply  [--points 100000] [--normals] [--noise 0.0] [--hole 0.0] [--seed 0]
    raw_inputs.py MESH.obj cloud OUT.xyz  ...
    raw_inputs.py MESH.obj soup  OUT.obj  [--flip 0.3] [--drop 0.03] [--seed 0]

cloud: points uniform by area on the surface (binary PLY with only a vertex element, or
.xyz text), optionally with the face normals and Gaussian noise of the given standard
deviation in canonical units (the mesh's bounding-box half-diagonal taken as radius 1), and
with a hole: the points within `--hole` (canonical units) of the surface point farthest up
the y axis removed.
soup: every triangle with its own three vertices (nothing shared), a fraction flipped and a
fraction removed, in random order. Needs numpy (requirements.txt).
"""
import argparse
import sys

import numpy as np


def read_obj(path):
    v, f = [], []
    with open(path) as fh:
        for line in fh:
            w = line.split()
            if not w:
                continue
            if w[0] == "v":
                v.append([float(x) for x in w[1:4]])
            elif w[0] == "f":
                idx = [int(x.split("/")[0]) for x in w[1:]]
                idx = [i - 1 if i > 0 else len(v) + i for i in idx]
                for k in range(1, len(idx) - 1):
                    f.append([idx[0], idx[k], idx[k + 1]])
    return np.array(v, dtype=np.float64), np.array(f, dtype=np.int64)


def sample(v, f, n, rng):
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    cross = np.cross(b - a, c - a)
    area = np.linalg.norm(cross, axis=1)
    t = rng.choice(len(f), size=n, p=area / area.sum())
    r1, r2 = rng.random(n), rng.random(n)
    s = np.sqrt(r1)
    p = (1 - s)[:, None] * a[t] + (s * (1 - r2))[:, None] * b[t] + (s * r2)[:, None] * c[t]
    normals = cross[t] / np.maximum(area[t], 1e-30)[:, None]
    return p, normals


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mesh")
    ap.add_argument("kind", choices=["cloud", "soup"])
    ap.add_argument("out")
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--normals", action="store_true")
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--hole", type=float, default=0.0)
    ap.add_argument("--flip", type=float, default=0.3)
    ap.add_argument("--drop", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    v, f = read_obj(args.mesh)
    if args.kind == "cloud":
        p, n = sample(v, f, args.points, rng)
        radius = 0.5 * np.linalg.norm(v.max(0) - v.min(0))
        p += rng.normal(scale=args.noise * radius, size=p.shape)
        if args.hole > 0:
            top = p[np.argmax(p[:, 1])]
            keep = np.linalg.norm(p - top, axis=1) > args.hole * radius
            p, n = p[keep], n[keep]
        cols = np.hstack([p, n]) if args.normals else p
        if args.out.endswith(".xyz"):
            np.savetxt(args.out, cols, fmt="%.7g")
        else:
            names = ["x", "y", "z"] + (["nx", "ny", "nz"] if args.normals else [])
            header = "ply\nformat binary_little_endian 1.0\nelement vertex %d\n" % len(cols)
            header += "".join("property float %s\n" % k for k in names) + "end_header\n"
            with open(args.out, "wb") as fh:
                fh.write(header.encode())
                fh.write(cols.astype("<f4").tobytes())
    else:
        keep = rng.random(len(f)) >= args.drop
        tris = f[keep]
        flip = rng.random(len(tris)) < args.flip
        tris[flip] = tris[flip][:, [0, 2, 1]]
        tris = tris[rng.permutation(len(tris))]
        with open(args.out, "w") as fh:
            for t in tris:
                for i in t:
                    fh.write("v %.9g %.9g %.9g\n" % tuple(v[i]))
            for k in range(len(tris)):
                fh.write("f %d %d %d\n" % (3 * k + 1, 3 * k + 2, 3 * k + 3))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
