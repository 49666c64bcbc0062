"""Packs a directory of meshes as Dask tasks with the Python package (``pip install
./python dask``): one task per mesh, each output written atomically, a re-run skipping the
meshes already packed, and one ``summary.json`` at the end.

    python docs/cluster/pack_dask.py MESHES OUT                     # local processes
    python docs/cluster/pack_dask.py MESHES OUT --scheduler tcp://scheduler:8786

With a distributed cluster every worker needs nsdf_shapes installed and MESHES/OUT on a shared
file system. python/tests/test_cluster.py runs `pack_all` locally.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import tempfile
from typing import Any, Dict, List

MESH_SUFFIXES = {".obj", ".ply", ".stl", ".gltf", ".glb"}


def row(name: str, status: str, shape: Any = None, error: str = "") -> Dict[str, Any]:
    r: Dict[str, Any] = {"name": name, "status": status}
    if shape is not None:
        info = shape.info
        r["bytes"] = info["file_size"]
        stats = info["stats"] or {}
        r["sign_near"] = stats.get("near_sign_agreement")
        r["surface_mean_error"] = stats.get("surface_mean_error")
    if error:
        r["error"] = error
    return r


def pack_one(mesh: str, out_dir: str, options: Dict[str, Any]) -> Dict[str, Any]:
    """Packs one mesh into OUT/<stem>.nsdf unless a valid file is already there."""
    import nsdf_shapes as ns

    name = pathlib.Path(mesh).name
    out = pathlib.Path(out_dir) / (pathlib.Path(mesh).stem + ".nsdf")
    if out.exists():
        try:
            return row(name, "skipped", ns.open(out))
        except ns.NsdfError:
            pass  # corrupt or partial: pack it again
    try:
        shape = ns.pack(mesh, **options)
    except ns.NsdfError as e:
        return row(name, "failed", error=str(e))
    shape.save(out)  # atomic: a temporary file, then a rename
    return row(name, "packed", shape)


def pack_all(
    meshes: str, out_dir: str, scheduler: str = "processes", **options: Any
) -> List[Dict[str, Any]]:
    """Packs every mesh in the directory `meshes` as Dask tasks; writes OUT/summary.json."""
    import dask

    paths = sorted(
        str(p) for p in pathlib.Path(meshes).iterdir() if p.suffix.lower() in MESH_SUFFIXES
    )
    os.makedirs(out_dir, exist_ok=True)
    tasks = [dask.delayed(pack_one)(p, out_dir, options) for p in paths]
    if scheduler.startswith("tcp://"):
        from dask.distributed import Client

        with Client(scheduler):
            rows = list(dask.compute(*tasks))
    else:
        rows = list(dask.compute(*tasks, scheduler=scheduler))
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".summary.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(rows, f, indent=2)
    os.replace(tmp, os.path.join(out_dir, "summary.json"))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("meshes")
    parser.add_argument("out")
    parser.add_argument("--scheduler", default="processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per task")
    args = parser.parse_args()
    rows = pack_all(args.meshes, args.out, args.scheduler, threads=args.threads)
    failed = [r for r in rows if r["status"] == "failed"]
    print(f"{len(rows)} meshes: {len(rows) - len(failed)} done, {len(failed)} failed")
    raise SystemExit(1 if failed else 0)
