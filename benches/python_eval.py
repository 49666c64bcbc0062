#!/usr/bin/env python3
"""The Python binding against `nsdf bench` on the same file, in one run: distance and gradient
throughput for 1M points, float32 C-contiguous (one copy of the input, so the GIL can be released) and float64
(converted once). Prints a table of points/s and the binding ÷ CLI ratios (issue: within 10%).

    pip install ./python && cargo build --release -p nsdf-tools
    python benches/python_eval.py spec/vectors/valid/davies-int8.nsdf [--nsdf target/release/nsdf]
"""

import argparse
import json
import subprocess
import time

import numpy as np

import nsdf_shapes as ns


def best_rate(fn, points, repeat):
    fn(points)  # warm-up, as nsdf bench does
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(points)
        best = min(best, time.perf_counter() - t)
    return len(points) / best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--nsdf", default="target/release/nsdf")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()

    cli = json.loads(
        subprocess.run(
            [a.nsdf, "bench", a.file, "--json", "--points", str(a.points), "--repeat", str(a.repeat)],
            check=True, capture_output=True, text=True,
        ).stdout
    )
    shape = ns.open(a.file)
    lo, hi = shape.bounds
    p32 = np.random.default_rng(0).uniform(lo, hi, size=(a.points, 3)).astype(np.float32)
    p64 = p32.astype(np.float64)
    rows = [
        ("distance, float32 C-contiguous", best_rate(shape.distance, p32, a.repeat), cli["distance_points_per_s_best"]),
        ("distance, float64", best_rate(shape.distance, p64, a.repeat), cli["distance_points_per_s_best"]),
        ("gradient, float32 C-contiguous", best_rate(shape.gradient, p32, a.repeat), cli["gradient_points_per_s_best"]),
    ]
    print(f"{a.file}: {a.points:,} points, backend {cli['backend']}, {cli['threads']} threads (best of {a.repeat})")
    print("| call | Python M points/s | nsdf bench M points/s | Python ÷ CLI |")
    print("|---|---:|---:|---:|")
    for name, py, c in rows:
        print(f"| {name} | {py / 1e6:.2f} | {c / 1e6:.2f} | {py / c:.3f} |")


if __name__ == "__main__":
    main()
