"""The peers' side of the evaluation benchmark: the network of a .nsdf file rebuilt in PyTorch
and onnxruntime (read with nsdf_reader.py), evaluated on uniform points in [-1, 1]^3.

    python mlp_eval.py FILE [--points N] [--threads T] [--batch B[,B...]] [--repeat R]
                            [--nsdf-bin PATH] [--compile] [--json]

For each runtime and batch size it evaluates all points in batches (float32, no_grad), one
warm-up run then R timed runs, and reports the best and median points/s. Before timing, outputs
are checked against the numpy float64 evaluation of the same weights and, with --nsdf-bin, against
`nsdf eval` on the same points; a mismatch beyond 1e-4 (absolute, distances of order 1) stops the
run. --json prints one JSON object per measurement (for run.sh).

PyTorch's oneDNN is kept off AMX (ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16): the CPU lists AMX but
faults on it.
"""

import os

os.environ.setdefault("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nsdf_reader  # noqa: E402

TOLERANCE = 1e-4


def torch_grid(g, torch):
    """The hash-grid encoding (format 1.2) as a torch.nn.Module: network-frame points (N x 3) to
    each level's trilinearly interpolated features (N x levels*features)."""

    class HashGrid(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("table", torch.from_numpy(np.concatenate(g.tables)))
            # Corner c: bit a set is the upper vertex along axis a.
            bits = [[(c >> a) & 1 for a in range(3)] for c in range(8)]
            self.register_buffer("corners", torch.tensor(bits, dtype=torch.int64))
            self.levels, start = [], 0
            for n, t in zip(g.resolutions, g.tables):
                self.levels.append((n, len(t), start, (n + 1) ** 3 <= len(t)))
                start += len(t)

        def forward(self, q):
            u = ((q + 1) * 0.5).clamp(0, 1)
            feats = []
            for n, entries, start, dense in self.levels:
                s = u * n
                k = torch.nan_to_num(torch.floor(s), nan=0.0).clamp(max=n - 1)
                w = (s - k)[:, None, :]
                v = k.to(torch.int64)[:, None, :] + self.corners
                if dense:
                    idx = v[..., 0] + (n + 1) * (v[..., 1] + (n + 1) * v[..., 2])
                else:
                    p = nsdf_reader.PRIMES
                    idx = ((v[..., 0] * p[0]) ^ (v[..., 1] * p[1]) ^ (v[..., 2] * p[2])) & (entries - 1)
                t = torch.where(self.corners.bool(), w, 1 - w)
                weight = (t[..., 0] * t[..., 1]) * t[..., 2]
                feats.append((weight[..., None] * self.table[start + idx]).sum(1))
            return torch.cat(feats, 1)

    return HashGrid()


def torch_model(m, torch):
    """The network as a torch.nn.Module taking world points (N x 3) to distances (N)."""
    nn = torch.nn

    class Sine(nn.Module):
        def __init__(self, w):
            super().__init__()
            self.w = w

        def forward(self, x):
            return torch.sin(self.w * x)

    class Shape(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("scale", torch.tensor(m.scale, dtype=torch.float32))
            self.register_buffer("translation", torch.tensor(m.translation, dtype=torch.float32))
            freqs = [np.pi * 2.0**k for k in range(m.fourier_frequencies)]
            self.register_buffer("freqs", torch.tensor(freqs, dtype=torch.float32))
            self.grid = torch_grid(m.grid, torch) if m.grid is not None else None
            layers = []
            for l in m.layers:
                lin = nn.Linear(l.inputs, l.outputs)
                lin.weight.data = torch.from_numpy(l.weights.copy())
                lin.bias.data = torch.from_numpy(l.bias.copy())
                layers.append(lin)
                layers.append({
                    "identity": nn.Identity, "relu": nn.ReLU, "tanh": nn.Tanh,
                    "leaky_relu": lambda: nn.LeakyReLU(l.param), "sine": lambda: Sine(l.param),
                }[l.activation]())
            self.net = nn.Sequential(*layers)
            self.distance_scale = m.distance_scale

        def forward(self, p):
            q = p * self.scale + self.translation
            if len(self.freqs):
                # Per frequency k: sin(2^k pi q) for x, y, z, then cos for x, y, z.
                a = (q[:, None, :] * self.freqs[None, :, None])
                x = torch.cat([q, torch.stack([a.sin(), a.cos()], 2).reshape(len(q), -1)], 1)
            elif self.grid is not None:
                x = torch.cat([q, self.grid(q)], 1)
            else:
                x = q
            return self.distance_scale * self.net(x)[:, 0]

    return Shape().eval()


def onnx_model(m):
    """The network as an ONNX graph (built directly, so no torch exporter is involved)."""
    if m.grid is not None:
        raise NotImplementedError("the hash-grid encoding has no ONNX graph here")
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    nodes.append(helper.make_node("Mul", ["p", const("scale", [m.scale])], ["ps"]))
    nodes.append(helper.make_node("Add", ["ps", const("translation", m.translation)], ["q"]))
    x = "q"
    if m.fourier_frequencies:
        parts = ["q"]
        for k in range(m.fourier_frequencies):
            nodes.append(helper.make_node("Mul", ["q", const(f"f{k}", [np.pi * 2.0**k])], [f"a{k}"]))
            nodes.append(helper.make_node("Sin", [f"a{k}"], [f"s{k}"]))
            nodes.append(helper.make_node("Cos", [f"a{k}"], [f"c{k}"]))
            parts += [f"s{k}", f"c{k}"]
        nodes.append(helper.make_node("Concat", parts, ["enc"], axis=1))
        x = "enc"
    for i, l in enumerate(m.layers):
        w, b = const(f"w{i}", l.weights), const(f"b{i}", l.bias)
        nodes.append(helper.make_node("Gemm", [x, w, b], [f"z{i}"], transB=1))
        x = f"z{i}"
        if l.activation == "relu":
            nodes.append(helper.make_node("Relu", [x], [f"h{i}"]))
        elif l.activation == "tanh":
            nodes.append(helper.make_node("Tanh", [x], [f"h{i}"]))
        elif l.activation == "leaky_relu":
            nodes.append(helper.make_node("LeakyRelu", [x], [f"h{i}"], alpha=l.param))
        elif l.activation == "sine":
            nodes.append(helper.make_node("Mul", [x, const(f"w0_{i}", [l.param])], [f"wz{i}"]))
            nodes.append(helper.make_node("Sin", [f"wz{i}"], [f"h{i}"]))
        else:
            nodes.append(helper.make_node("Identity", [x], [f"h{i}"]))
        x = f"h{i}"
    nodes.append(helper.make_node("Mul", [x, const("distance_scale", [m.distance_scale])], ["d"]))
    graph = helper.make_graph(
        nodes, "nsdf", [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["n", 3])],
        [helper.make_tensor_value_info("d", TensorProto.FLOAT, ["n", 1])], inits)
    # IR version 8 (opset 17): what onnxruntime releases of the last years all load.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def nsdf_eval(binary, path, pts):
    """Distances from the nsdf command line, for checking the peers against it."""
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "p.f32"), os.path.join(d, "d.f32")
        pts.astype("<f4").tofile(src)
        subprocess.run([binary, "eval", path, "-i", src, "--binary-in", "--binary-out", "-o", dst], check=True)
        return np.fromfile(dst, dtype="<f4")


def timed(fn, repeat):
    """Best and median seconds of `repeat` runs after one warm-up."""
    fn()
    t = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        t.append(time.perf_counter() - start)
    t.sort()
    return t[0], t[len(t) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", default="4096", help="batch sizes, comma-separated")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--nsdf-bin", help="the nsdf binary, to check outputs against `nsdf eval`")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (slow to start)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    batches = [int(b) for b in args.batch.split(",")]

    import torch

    torch.set_num_threads(args.threads)
    m = nsdf_reader.read(open(args.file, "rb").read())
    pts = np.random.default_rng(0).uniform(-1, 1, (args.points, 3)).astype(np.float32)
    check = pts[:20_000]
    want = nsdf_reader.evaluate(m, check)
    checks = {"numpy-f64": want}
    if args.nsdf_bin:
        checks["nsdf"] = nsdf_eval(args.nsdf_bin, args.file, check)
    tp = torch.from_numpy(pts)

    runtimes = {}
    tm = torch_model(m, torch)

    def torch_run(model, batch):
        out = np.empty(len(pts), np.float32)
        with torch.no_grad():
            for s in range(0, len(pts), batch):
                out[s : s + batch] = model(tp[s : s + batch]).numpy()
        return out

    runtimes["torch"] = lambda b: torch_run(tm, b)
    if args.compile:
        tc = torch.compile(tm)
        runtimes["torch.compile"] = lambda b: torch_run(tc, b)
    if m.grid is not None:
        print("onnxruntime skipped: the hash-grid encoding has no ONNX graph here", file=sys.stderr)
    else:
        try:
            import onnxruntime as ort

            so = ort.SessionOptions()
            so.intra_op_num_threads = args.threads
            so.inter_op_num_threads = 1
            sess = ort.InferenceSession(onnx_model(m), so, providers=["CPUExecutionProvider"])

            def ort_run(batch):
                out = np.empty(len(pts), np.float32)
                for s in range(0, len(pts), batch):
                    out[s : s + batch] = sess.run(None, {"p": pts[s : s + batch]})[0][:, 0]
                return out

            runtimes["onnxruntime"] = ort_run
        except ImportError:
            print("onnxruntime not installed: skipped", file=sys.stderr)

    versions = {"torch": torch.__version__, "numpy": np.__version__}
    if "onnxruntime" in runtimes:
        versions["onnxruntime"] = ort.__version__
    for name, run in runtimes.items():
        for batch in batches:
            out = run(batch)[: len(check)]
            errors = {k: float(np.max(np.abs(out - v))) for k, v in checks.items()}
            for k, e in errors.items():
                if not e <= TOLERANCE:
                    sys.exit(f"{name} batch {batch}: outputs differ from {k} by {e:.3g} (> {TOLERANCE})")
            best, median = timed(lambda: run(batch), args.repeat)
            rec = {
                "runtime": name, "batch": batch, "threads": args.threads, "points": args.points,
                "points_per_s_best": args.points / best, "points_per_s_median": args.points / median,
                "max_abs_error": errors, "version": versions.get(name.split(".")[0], ""),
            }
            if args.json:
                print(json.dumps(rec), flush=True)
            else:
                errs = ", ".join(f"{k} {v:.1e}" for k, v in errors.items())
                print(f"{name:<14} batch {batch:>6}: {rec['points_per_s_best'] / 1e6:6.2f} M points/s best, "
                      f"{rec['points_per_s_median'] / 1e6:6.2f} median (max |error| vs {errs})", flush=True)


if __name__ == "__main__":
    main()
