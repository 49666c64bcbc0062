"""PyTorch on the GPU, the peer of `nsdf bench --device cuda`: the network of a .nsdf file (read
with nsdf_reader.py, rebuilt by mlp_eval.torch_model) evaluated on N points uniform in the
shape's bounds, data on the device, in the same run as nsdf (cuda_run.sh).

    python mlp_eval_cuda.py FILE [--points N] [--repeat R] [--json]

Variants: fp32 (TF32 matmul off: the same arithmetic as nsdf's kernel), tf32 (tensor cores,
10-bit mantissa inputs), fp16 (weights and activations half, tensor cores), each eager and, where
torch.compile works, compiled. Timing: CUDA events around the forward pass, one warm-up then R
timed runs; median and best points/s. Each variant's output is compared with the float64 numpy
evaluation first and its max abs error printed (fp16/tf32 are not accurate to 1e-4; they are
listed for speed only). Host-to-result (copy in, evaluate, copy out) is timed for fp32 eager.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsdf_reader  # noqa: E402
from mlp_eval import torch_model  # noqa: E402


def reference(m, p):
    """float64 numpy evaluation of the stored weights."""
    q = p.astype(np.float64) * m.scale + np.asarray(m.translation, dtype=np.float64)
    x = q
    if m.fourier_frequencies:
        parts = [q]
        for k in range(m.fourier_frequencies):
            a = q * (np.pi * 2.0**k)
            parts += [np.sin(a), np.cos(a)]
        x = np.concatenate(parts, 1)
    acts = {
        "identity": lambda z, a: z, "relu": lambda z, a: np.maximum(z, 0), "tanh": lambda z, a: np.tanh(z),
        "leaky_relu": lambda z, a: np.where(z >= 0, z, a * z), "sine": lambda z, a: np.sin(a * z),
    }
    for l in m.layers:
        x = acts[l.activation](x @ l.weights.astype(np.float64).T + l.bias, l.param)
    return m.distance_scale * x[:, 0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--points", type=int, default=16 * 1024 * 1024)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import torch

    if not torch.cuda.is_available():
        sys.exit("mlp_eval_cuda.py: torch sees no CUDA device")
    m = nsdf_reader.read(open(args.file, "rb").read())
    rng = np.random.default_rng(0x6E736466)
    lo, hi = m.bounds[0], m.bounds[1]
    pts = (lo + (hi - lo) * rng.random((args.points, 3))).astype(np.float32)
    want = reference(m, pts[:4096])
    dev = torch.device("cuda")
    p32 = torch.from_numpy(pts).to(dev)
    base = torch_model(m, torch).to(dev)

    def timed(f):
        with torch.no_grad():
            f()
            torch.cuda.synchronize()
            times = []
            for _ in range(args.repeat):
                a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                a.record()
                f()
                b.record()
                b.synchronize()
                times.append(a.elapsed_time(b) * 1e-3)
        rates = sorted(args.points / t for t in times)
        return rates[len(rates) // 2], rates[-1]

    results = []

    def measure(name, model, dtype, tf32):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        x = p32.to(dtype)
        with torch.no_grad():
            err = float(np.abs(model(x[:4096]).float().cpu().numpy() - want).max())
        median, best = timed(lambda: model(x))
        results.append({"runtime": f"torch {name}", "points": args.points, "points_per_s": median,
                        "points_per_s_best": best, "max_abs_error": err})

    variants = [("fp32", torch.float32, False), ("tf32", torch.float32, True), ("fp16", torch.float16, False)]
    for name, dtype, tf32 in variants:
        model = torch_model(m, torch).to(dev).to(dtype)
        measure(f"{name} eager", model, dtype, tf32)
        try:
            compiled = torch.compile(model, mode="max-autotune-no-cudagraphs")
            measure(f"{name} compiled", compiled, dtype, tf32)
        except Exception as e:  # noqa: BLE001 (report, keep the other variants)
            print(f"torch.compile {name}: {type(e).__name__}: {e}", file=sys.stderr)
    # Host-to-result, fp32 eager: copy in, evaluate, copy out.
    torch.backends.cuda.matmul.allow_tf32 = False
    host = torch.from_numpy(pts).pin_memory()
    median, best = timed(lambda: base(host.to(dev, non_blocking=True)).cpu())
    results.append({"runtime": "torch fp32 eager host-to-result", "points": args.points,
                    "points_per_s": median, "points_per_s_best": best})

    if args.json:
        for r in results:
            print(json.dumps(r))
    else:
        print(f"PyTorch {torch.__version__} on {torch.cuda.get_device_name()}, {args.points:,} points")
        for r in results:
            err = f"  max |err| {r['max_abs_error']:.1e}" if "max_abs_error" in r else ""
            print(f"  {r['runtime']:<36} {r['points_per_s'] / 1e9:7.3f} G/s (best {r['points_per_s_best'] / 1e9:.3f}){err}")


if __name__ == "__main__":
    main()
