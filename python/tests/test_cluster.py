"""docs/cluster/pack_dask.py, run locally: Dask tasks over processes, a re-run that skips what
an earlier (interrupted) run finished, every mesh packed exactly once, one summary."""

import importlib.util
import json

import numpy as np
import pytest

from conftest import ROOT

dask = pytest.importorskip("dask", reason="dask is not installed: docs/cluster/pack_dask.py untested")


def load_example():
    spec = importlib.util.spec_from_file_location(
        "pack_dask", ROOT / "docs" / "cluster" / "pack_dask.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def box_obj(s):
    v = [(x * s, y * 0.5, z * 0.3) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]
    faces = "f 1 2 4\nf 1 4 3\nf 5 7 8\nf 5 8 6\nf 1 5 6\nf 1 6 2\nf 3 4 8\nf 3 8 7\nf 1 3 7\nf 1 7 5\nf 2 6 8\nf 2 8 4\n"
    return "".join(f"v {a} {b} {c}\n" for a, b, c in v) + faces


def test_dask_example_packs_every_mesh_once_and_resumes(tmp_path):
    ex = load_example()
    meshes, out = tmp_path / "meshes", tmp_path / "out"
    meshes.mkdir()
    for k in range(6):
        (meshes / f"m{k}.obj").write_text(box_obj(0.5 + 0.1 * k))
    (meshes / "broken.obj").write_text("v 0 0 0\nf 1 2 3\n")
    options = dict(epochs=1, threads=1, keep_inaccurate=True)

    # An "interrupted" first run: only half the meshes were packed.
    first = tmp_path / "first"
    first.mkdir()
    for k in range(3):
        (first / f"m{k}.obj").write_text(box_obj(0.5 + 0.1 * k))
    ex.pack_all(str(first), str(out), scheduler="processes", **options)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.nsdf")}
    assert sorted(before) == ["m0.nsdf", "m1.nsdf", "m2.nsdf"]

    rows = ex.pack_all(str(meshes), str(out), scheduler="processes", **options)
    by_name = {r["name"]: r for r in rows}
    assert len(rows) == len(by_name) == 7, "every mesh exactly once"
    for k in range(6):
        r = by_name[f"m{k}.obj"]
        assert r["status"] == ("skipped" if k < 3 else "packed"), r
        assert r["bytes"] > 1000 and r["sign_near"] is not None
    assert by_name["broken.obj"]["status"] == "failed"
    assert "broken.obj" in by_name["broken.obj"]["error"]
    for name, mtime in before.items():
        assert (out / name).stat().st_mtime_ns == mtime, f"{name} was packed twice"
    summary = json.loads((out / "summary.json").read_text())
    assert summary == rows
    assert not list(out.glob(".*.tmp")), "a temporary file was left"
