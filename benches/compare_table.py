#!/usr/bin/env python3
"""Markdown tables from `nsdf compare --json` output: the network against the best equal-bytes
baseline of each kind, with the ratio (network / best baseline; above 1 the network loses).

    nsdf compare --dir MESHES --nsdf-dir NETS --json | benches/compare_table.py
    benches/compare_table.py sweep.jsonl            (benches/rd_sweep.sh output: a variant column)

After the table: the distance-field figures side by side (the network as it is and
re-distanced, the grids, the Draco-11 mesh as a field); then, per variant, the fidelity issue's
marks on its organic meshes (ORGANIC): the network against QEM + Draco-11 at the same bytes, and
the dense 16-bit grid against it.

Reads a JSON array or JSON lines. Python standard library only. Definitions: docs/metrics.md.
"""
import json
import math
import os
import sys

MESH_CODECS = [("draco11", "Draco 11-bit"), ("draco14", "Draco 14-bit"), ("meshopt14", "meshopt 14-bit")]
GRIDS = [("grid8", "8-bit grid"), ("grid16", "16-bit grid")]


def rows(text):
    text = text.strip()
    if text.startswith("["):
        return json.loads(text)
    if text.startswith("{") and "\n{" not in text:
        return [json.loads(text)]  # one row, pretty-printed (`nsdf compare MESH FILE --json`)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def best(row, kinds, metric):
    """The baseline with the lowest `metric` (None when none measured it)."""
    found = [(row[f"{k}_{metric}"], label) for k, label in kinds if row.get(f"{k}_{metric}") is not None]
    return min(found) if found else None


def cell(net, base):
    """'net | base (label) | ratio', the ratio bold where the network wins."""
    if net is None or base is None:
        return "n/a | n/a | n/a", None
    value, label = base
    if value == 0:
        ratio_text, ratio = ("∞" if net > 0 else "1"), None
    else:
        ratio = net / value
        ratio_text = f"**{ratio:.2f}**" if ratio < 1 else f"{ratio:.2f}"
    return f"{net:.3g} | {value:.3g} ({label}) | {ratio_text}", ratio


def table(data):
    """One markdown table (a `variant` column when rows carry one, as rd_sweep.sh's do), rows in
    order of mesh then bytes; then, per variant measured on several meshes, how often the network
    wins and the geometric-mean ratio of each metric."""
    sweep = any("variant" in r for r in data)
    name = lambda r: os.path.splitext(os.path.basename(r["mesh"]))[0]  # noqa: E731
    data = sorted(data, key=lambda r: (name(r), r["bytes_nsdf"]))
    out = [
        "| mesh |" + (" variant |" if sweep else "") + " triangles | bytes "
        "| Chamfer L1 / R: nsdf | best mesh codec | nsdf ÷ codec "
        "| Hausdorff / R: nsdf | best mesh codec | nsdf ÷ codec "
        "| band error / R: nsdf | best grid | nsdf ÷ grid | box error / R: nsdf | best grid | nsdf ÷ grid |",
        "|---|" + ("---|" if sweep else "") + "---:|" * 14,
    ]
    metrics = [
        ("Chamfer", "chamfer_l1", MESH_CODECS),
        ("Hausdorff", "hausdorff", MESH_CODECS),
        ("band error", "near_mae_canon", GRIDS),
        ("box error", "uniform_mae_canon", GRIDS),
    ]
    ratios = {}  # (variant, metric label) -> ratios
    for r in data:
        cols = []
        for label, metric, kinds in metrics:
            text, ratio = cell(r.get(f"net_{metric}"), best(r, kinds, metric))
            cols.append(text)
            if ratio is not None:
                ratios.setdefault((r.get("variant"), label), []).append(ratio)
        variant = f" {r['variant']} |" if sweep else ""
        out.append(f"| {name(r)} |{variant} {r['mesh_triangles']:,} | {r['bytes_nsdf']:,} | " + " | ".join(cols) + " |")
    out.append("")
    variants = list(dict.fromkeys(r.get("variant") for r in sorted(data, key=lambda r: r["bytes_nsdf"])))
    for v in variants:
        if sum(r.get("variant") == v for r in data) < 2:
            continue  # one mesh: the row says it all
        summary = []
        for label, _, _ in metrics:
            rs = ratios.get((v, label), [])
            if rs:
                gmean = math.exp(sum(math.log(x) for x in rs) / len(rs))
                summary.append(f"{label} better on {sum(x < 1 for x in rs)} of {len(rs)} (geometric-mean ratio {gmean:.2f})")
        prefix = f"{v}: " if v is not None else "nsdf: "
        out.append(prefix + "; ".join(summary) + ".  ")
    return "\n".join(out).rstrip() + "\n"


# The fidelity issue's organic meshes: its marks are set on these.
ORGANIC = ["armadillo", "boot", "bunny_hr", "scorpion", "skull", "spot"]


def marks(data):
    """Per variant, over the ORGANIC meshes measured: network ÷ Draco-11 for Chamfer and
    Hausdorff, of the zero set and of the marching-cubes mesh (range, and on how many the
    network is at most Draco's), and 16-bit grid ÷
    network for the band and box errors (range; the issue asks for at least 10)."""
    name = lambda r: os.path.splitext(os.path.basename(r["mesh"]))[0]  # noqa: E731
    out = []
    for v in dict.fromkeys(r.get("variant") for r in sorted(data, key=lambda r: r["bytes_nsdf"])):
        rs = [r for r in data if r.get("variant") == v and name(r) in ORGANIC]
        if not rs:
            continue
        parts = []
        # The network's surface figures measure its zero set; "MC mesh": its marching-cubes mesh.
        for label, net, base, num_is_net in [
            ("Chamfer", "net_chamfer_l1", "draco11_chamfer_l1", True),
            ("Hausdorff", "net_hausdorff", "draco11_hausdorff", True),
            ("Chamfer (MC mesh)", "net_mesh_chamfer_l1", "draco11_chamfer_l1", True),
            ("Hausdorff (MC mesh)", "net_mesh_hausdorff", "draco11_hausdorff", True),
            ("band", "net_near_mae_canon", "grid16_near_mae_canon", False),
            ("box", "net_uniform_mae_canon", "grid16_uniform_mae_canon", False),
            ("band, re-distanced", "exact_near_mae_canon", "grid16_near_mae_canon", False),
            ("box, re-distanced", "exact_uniform_mae_canon", "grid16_uniform_mae_canon", False),
        ]:
            pairs = [(r.get(net), r.get(base)) for r in rs]
            pairs = [(n, b) for n, b in pairs if n is not None and b is not None and n > 0 and b > 0]
            if not pairs:
                continue
            if num_is_net:
                q = [n / b for n, b in pairs]
                parts.append(f"network ÷ Draco-11 {label} {min(q):.2f}–{max(q):.2f} (at most Draco's on {sum(x <= 1 for x in q)} of {len(q)})")
            else:
                q = [b / n for n, b in pairs]
                parts.append(f"16-bit grid ÷ network {label} {min(q):.1f}–{max(q):.1f}× (at least 10× on {sum(x >= 10 for x in q)} of {len(q)})")
        prefix = f"{v}" if v is not None else "nsdf"
        out.append(f"- {prefix} on the {len(rs)} organic meshes: " + "; ".join(parts))
    return "\n".join(out) + "\n" if out else ""


FIELDS = [
    ("net", "network"),
    ("exact", "re-distanced"),
    ("grid16", "16-bit grid"),
    ("grid8", "8-bit grid"),
    ("draco11", "Draco-11 mesh"),
]


def field_table(data):
    """The distance-field figures side by side: band and box error / R of the network as it is,
    re-distanced (exact distances to its zero set), the two grids and the Draco-11 mesh used as
    a field (exact distances to it), and 16-bit grid ÷ re-distanced network."""
    if not any(r.get("exact_uniform_mae_canon") is not None for r in data):
        return ""
    sweep = any("variant" in r for r in data)
    name = lambda r: os.path.splitext(os.path.basename(r["mesh"]))[0]  # noqa: E731
    heads = [f"{m}: {label}" for m in ("band", "box") for _, label in FIELDS]
    out = [
        "| mesh |" + (" variant |" if sweep else "") + " bytes | " + " | ".join(heads)
        + " | 16-bit grid ÷ re-distanced: band | box |",
        "|---|" + ("---|" if sweep else "") + "---:|" * (2 * len(FIELDS) + 3),
    ]
    fmt = lambda v: "n/a" if v is None else f"{v:.3g}"  # noqa: E731
    for r in sorted(data, key=lambda r: (name(r), r["bytes_nsdf"])):
        cells = [fmt(r.get(f"{k}_{m}_mae_canon")) for m in ("near", "uniform") for k, _ in FIELDS]
        for m in ("near", "uniform"):
            g, e = r.get(f"grid16_{m}_mae_canon"), r.get(f"exact_{m}_mae_canon")
            cells.append(f"{g / e:.1f}×" if g and e else "n/a")
        variant = f" {r['variant']} |" if sweep else ""
        out.append(f"| {name(r)} |{variant} {r['bytes_nsdf']:,} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    data = rows(text)
    print(table(data), end="")
    f = field_table(data)
    if f:
        print()
        print(f, end="")
    m = marks(data)
    if m:
        print()
        print(m, end="")


if __name__ == "__main__":
    main()
