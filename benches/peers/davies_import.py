"""Deviation of `nsdf import` from Davies et al.'s original Keras networks.

For each NNNN_sf.h5 in the directory given (default ../shared/davies-networks), imports it with
`nsdf import --quant f32|f16|int8`, evaluates the .nsdf on a 64^3 grid over [-1,1]^3 with
`nsdf eval`, and compares with the original network evaluated here from the HDF5 arrays with
h5py + numpy in float64 (Dense: y = x @ kernel + bias, ReLU hidden, tanh output).
Prints a Markdown table: max and mean |d|, and sign flips (inside/outside disagreements).

  pip install -r benches/peers/requirements-import.txt
  python3 benches/peers/davies_import.py [DIR] [--nsdf target/release/nsdf] [--grid 64]
"""

import argparse
import glob
import os
import subprocess
import tempfile

import h5py
import numpy as np


def original(path, points):
    with h5py.File(path, "r") as f:
        names = [n.decode() for n in f.attrs["layer_names"]]
        x = points.astype(np.float64)
        for i, name in enumerate(names):
            group = f[name]
            weights = {w.decode().split("/")[-1].split(":")[0]: group[w.decode()][()]
                       for w in group.attrs["weight_names"]}
            x = x @ weights["kernel"].astype(np.float64) + weights["bias"].astype(np.float64)
            x = np.tanh(x) if i == len(names) - 1 else np.maximum(x, 0.0)
    return x[:, 0]


def imported(nsdf, path, quant, points, tmp):
    out = os.path.join(tmp, f"net-{quant}.nsdf")
    pts = os.path.join(tmp, "points.f32")
    res = os.path.join(tmp, "d.f32")
    subprocess.run([nsdf, "import", path, "-o", out, "--quant", quant, "--quiet"], check=True)
    points.astype("<f4").tofile(pts)
    subprocess.run([nsdf, "eval", out, "-i", pts, "-o", res, "--binary-out"], check=True)
    return np.fromfile(res, dtype="<f4").astype(np.float64)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default=os.path.join(here, "../../../shared/davies-networks"))
    ap.add_argument("--nsdf", default=os.path.join(here, "../../target/release/nsdf"))
    ap.add_argument("--grid", type=int, default=64)
    args = ap.parse_args()
    g = np.linspace(-1.0, 1.0, args.grid, dtype=np.float32)
    points = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    files = sorted(glob.glob(os.path.join(args.dir, "*.h5")))
    print(f"{args.grid}^3 = {len(points)} grid nodes over [-1,1]^3; |d| against the original "
          "network in float64\n")
    print("| network | f32 max | f16 max / mean | f16 flips | int8 max / mean | int8 flips |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            ref = original(path, points)
            row = [os.path.basename(path)]
            for quant in ("f32", "f16", "int8"):
                d = imported(args.nsdf, path, quant, points, tmp)
                err = np.abs(d - ref)
                flips = int(np.sum((d < 0) != (ref < 0)))
                if quant == "f32":
                    row.append(f"{err.max():.1e} ({flips} flips)" if flips else f"{err.max():.1e}")
                else:
                    row += [f"{err.max():.1e} / {err.mean():.1e}", str(flips)]
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
