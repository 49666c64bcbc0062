#!/usr/bin/env python3
"""Rate–distortion plots and a markdown table from benches/rd_sweep.sh's sweep.jsonl.

    rd_plot.py SWEEP.jsonl OUT_DIR

One PNG per mesh (OUT_DIR/rd-MESH.png): Chamfer L1 / R, Hausdorff / R and the distance error in
the band around the surface, against bytes, for the network variants and every baseline
measured at the same byte counts. Also OUT_DIR/rd-table.md, made by compare_table.py: each
variant of the network against the best mesh codec and the best grid at its bytes.
"""
import json
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_table import table  # noqa: E402

SIDES = [
    ("net", "network (nsdf pack)", "k", "o", "-"),
    ("draco11", "QEM + Draco 11-bit", "tab:red", "s", "-"),
    ("draco14", "QEM + Draco 14-bit", "tab:orange", "s", "--"),
    ("meshopt14", "QEM + meshopt 14-bit", "tab:blue", "^", "-"),
    ("f32", "QEM + float32 (raw)", "tab:gray", "v", ":"),
    ("grid8", "8-bit distance grid", "tab:green", "D", "-"),
    ("grid16", "16-bit distance grid", "tab:olive", "D", "--"),
]
NET_COLOURS = ["k", "tab:purple", "tab:brown"]
PANELS = [
    ("chamfer_l1", "Chamfer L1 / R"),
    ("hausdorff", "Hausdorff / R"),
    ("near_mae_canon", "mean |f - d| in the band / R"),
]


def main():
    path, out = sys.argv[1], sys.argv[2]
    rows = [json.loads(line) for line in open(path) if line.strip()]
    by_mesh = defaultdict(list)
    for r in rows:
        by_mesh[os.path.splitext(os.path.basename(r["mesh"]))[0]].append(r)
    for mesh, rs in sorted(by_mesh.items()):
        rs.sort(key=lambda r: r["bytes_nsdf"])
        fig, axes = plt.subplots(1, len(PANELS), figsize=(15, 5.2))
        # Rows may carry a "series" (e.g. two trainers in one plot): one network line each.
        series = sorted({r.get("series", "") for r in rs})
        for ax, (metric, label) in zip(axes, PANELS):
            for k, sname in enumerate(series):
                pts = [
                    (r["bytes_nsdf"], r.get(f"net_{metric}"))
                    for r in rs
                    if r.get("series", "") == sname and r.get(f"net_{metric}")
                ]
                if pts:
                    xs, ys = zip(*pts)
                    ax.plot(xs, ys, "-", color=NET_COLOURS[k % len(NET_COLOURS)], marker="o",
                            label=sname or SIDES[0][1], lw=2)
            for key, name, colour, marker, style in SIDES[1:]:
                pts = [
                    (r.get(f"{key}_bytes") or r["bytes_nsdf"], r.get(f"{key}_{metric}"))
                    for r in rs
                ]
                pts = [(b, v) for b, v in pts if v is not None and v > 0]
                if not pts:
                    continue
                xs, ys = zip(*pts)
                ax.plot(xs, ys, style, color=colour, marker=marker, label=name, lw=2 if key == "net" else 1.2)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("bytes")
            ax.set_title(label)
            ax.grid(True, which="both", alpha=0.3)
        # One legend under the panels: the band panel has every line (grids included).
        handles, labels = axes[-1].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
        fig.suptitle(f"{mesh}: error against bytes (lower is better)")
        fig.tight_layout(rect=(0, 0.13, 1, 1))
        fig.savefig(os.path.join(out, f"rd-{mesh}.png"), dpi=90)
        plt.close(fig)
    text = table(rows)
    with open(os.path.join(out, "rd-table.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
