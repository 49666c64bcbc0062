"""nsdf-shapes: compact neural signed distance functions (.nsdf files) from Python.

>>> import nsdf_shapes as ns
>>> shape = ns.open("bunny.nsdf")            # memory-mapped, validated
>>> d = shape.distance(points)               # (N, 3) array-like -> (N,) float32, < 0 inside
>>> v, f = shape.mesh(256)                   # marching cubes, world units
>>> new = ns.pack("mesh.obj", budget="8k")   # train a shape of a mesh (or (vertices, faces))

The PyPI distribution is ``nsdf-shapes`` and the import name ``nsdf_shapes``: the name ``nsdf``
belongs to an unrelated project (the Neuroscience Simulation Data Format).
``nsdf_shapes.torch.module(shape)`` gives a differentiable torch module of a shape (torch is
imported on first use of ``nsdf_shapes.torch``).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, Sequence, Tuple, Union

from ._nsdf import NsdfError, Shape, __version__
from ._nsdf import open as _open
from ._nsdf import pack as _pack

__all__ = ["NsdfError", "Shape", "open", "pack", "__version__"]


def __getattr__(name: str) -> Any:
    # `ns.torch` imports the torch module on first use, so torch stays optional.
    if name == "torch":
        import importlib

        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open(path: Union[str, os.PathLike]) -> Shape:  # noqa: A001 (mirrors builtins.open on purpose)
    """Opens a ``.nsdf`` file (memory-mapped) and validates it.

    Raises ``NsdfError`` with the spec's ``code`` and byte ``offset`` for a bad file.
    """
    return _open(os.fspath(path))


def _bytes(budget: Union[int, str, None]) -> Optional[int]:
    """``10720``, ``"10720"``, ``"8k"`` (k = 1024), ``"1m"`` (m = 1024k) -> bytes."""
    if budget is None or isinstance(budget, int):
        return budget
    text = str(budget).strip().lower()
    unit = {"k": 1 << 10, "m": 1 << 20}.get(text[-1:], 1)
    try:
        return int(text[:-1] if unit > 1 else text) * unit
    except ValueError:
        raise ValueError(f"budget {budget!r} is not a size in bytes: expected e.g. 10720, '8k' or '1m'")


def pack(
    mesh: Union[str, os.PathLike, Tuple[Any, Any], Sequence[Any]],
    *,
    budget: Union[int, str, None] = None,
    quant: Optional[str] = None,
    epochs: Optional[int] = None,
    seed: int = 0,
    threads: Optional[int] = None,
    progress: Optional[Callable[[dict], None]] = None,
    layers: Optional[int] = None,
    width: Optional[int] = None,
    activation: Optional[str] = None,
    keep_inaccurate: bool = False,
    time_budget: Optional[float] = None,
    recipe: Optional[str] = None,
    encoding: Optional[str] = None,
) -> Shape:
    """Trains a shape of ``mesh`` exactly as ``nsdf pack`` does and returns it (not saved:
    call ``Shape.save``).

    ``mesh`` is a mesh file (OBJ, PLY, STL, glTF), a point cloud (PLY with vertices only,
    ``.xyz``, ``.pts``; trained with the ``"sal"`` recipe) or a ``(vertices, faces)`` pair of
    arrays (a trimesh mesh passes as ``(m.vertices, m.faces)``). ``recipe`` is ``"davies"``
    (meshes' default), ``"curriculum"``, ``"siren"``, ``"sal"`` or ``"sald"``, as
    ``nsdf pack --recipe``. ``encoding`` is ``"none"`` (default), ``"fourier:F"`` or
    ``"hashgrid[:levels=16,features=2,table=14,base=16,finest=1024]"`` (format 1.2), as
    ``nsdf pack --encoding``. ``budget`` (bytes, or ``"8k"``, ``"1m"``) picks the largest
    network whose file fits (widened to fill it), or from 260 kB a hash grid, as ``nsdf pack
    --budget``, and trains a network 300 epochs (150 for sine units over 40 wide) and a grid 3
    unless ``epochs`` is given.
    Without ``budget``, ``layers``, ``width`` or ``encoding``, the file fits in 8 KiB (the
    default budget) in the default pack's time. A network a budget chooses for a mesh has sine
    units (trained 45 epochs under the default budget) unless ``activation`` (``"relu"``,
    ``"sine:30"``...) is given, and falls back to ReLU units if they give an unusable network;
    ``quant`` is ``"int8h"`` (default, format 1.3: int8 weights, f16 scales and biases),
    ``"int8"``, ``"int4"`` (format 1.1), ``"f16"`` or ``"f32"``.
    ``progress`` is called with dicts: ``{"event": "phase", "phase": ...}``, ``{"event":
    "training", "fraction", "loss", "samples_per_second", "elapsed", "eta", ...}``,
    ``{"event": "warning", "message": ...}`` and ``{"event": "note", "message": ...}`` (a
    budget at the 8 KiB rung trains a second, deeper network and keeps the one with the lower
    held-out Hausdorff distance); an exception it raises stops packing. Ctrl-C
    stops it too (``KeyboardInterrupt``). A result whose sign agrees with the mesh's at under
    75% of near-surface points, whose F1 score there is under 0.25, or whose surface reaches more
    than 0.1 R from the mesh (surface in empty space) raises ``NsdfError``
    (code ``"inaccurate"``) unless ``keep_inaccurate``. ``time_budget`` (seconds) stops training early; the file then depends
    on the machine's speed.
    """
    if isinstance(mesh, (str, os.PathLike)):
        mesh = os.fspath(mesh)
    elif isinstance(mesh, Sequence) and len(mesh) == 2:
        mesh = (mesh[0], mesh[1])
    return _pack(
        mesh,
        budget=_bytes(budget),
        quant=quant,
        epochs=epochs,
        seed=seed,
        threads=threads,
        progress=progress,
        layers=layers,
        width=width,
        activation=activation,
        keep_inaccurate=keep_inaccurate,
        time_budget=time_budget,
        recipe=recipe,
        encoding=encoding,
    )
