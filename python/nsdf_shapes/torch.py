"""A shape as a differentiable PyTorch module (torch is optional: ``pip install torch``).

>>> import nsdf_shapes as ns, nsdf_shapes.torch
>>> net = nsdf_shapes.torch.module(ns.open("bunny.nsdf")).cuda()
>>> d = net(points)                  # (N, 3) world points -> (N,) signed distances
>>> d.sum().backward()               # gradients through the shape

The module holds the dequantized weights exactly as the runtime evaluates them (spec order:
world point -> ``scale * p + translation`` -> encoding -> dense layers -> ``distance_scale * f``),
so it agrees with ``Shape.distance`` to float32 rounding. A hash-grid encoding (format 1.2) keeps
its features as a buffer; its gradient with respect to the points comes from autograd.
"""

from __future__ import annotations

import math
from typing import Any, List, Optional

import numpy as np
import torch
from torch import nn

__all__ = ["NsdfModule", "module"]

# instant-NGP's hashing primes, one per axis (spec section 3.6).
_PRIMES = (1, 2654435761, 805459861)
# Corner c of a cell: bit a set is the upper vertex along axis a.
_CORNERS = [[(c >> a) & 1 for a in range(3)] for c in range(8)]


def _activation(name: str, param: Any) -> Any:
    if name == "identity":
        return lambda x: x
    if name == "relu":
        return torch.relu
    if name == "tanh":
        return torch.tanh
    if name == "leaky_relu":
        return lambda x: torch.nn.functional.leaky_relu(x, float(param))
    if name == "sine":
        return lambda x: torch.sin(float(param) * x)
    raise ValueError(f"activation {name!r} is not known to nsdf_shapes.torch")


class _HashGrid(nn.Module):
    """The hash-grid encoding: per level, the features trilinearly interpolated at the cell
    holding each point (``(..., 3)`` network-frame points -> ``(..., levels * features)``)."""

    def __init__(self, enc: dict, values: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("table", torch.from_numpy(values))
        self.register_buffer("corners", torch.tensor(_CORNERS, dtype=torch.int64))
        self.levels = []  # (cells per axis, entries, first entry, dense)
        start = 0
        for n in enc["resolutions"]:
            entries = min((n + 1) ** 3, 1 << int(enc["log2_table"]))
            self.levels.append((int(n), entries, start, (n + 1) ** 3 <= entries))
            start += entries
        if start != len(values):
            raise ValueError(f"the grid's shape needs {start} entries, GRID holds {len(values)}")

    def forward(self, q: torch.Tensor) -> torch.Tensor:
        # Clamped coordinates carry no gradient, nor do those on the domain's faces (as in the
        # runtime, whose slope is N/2 strictly inside (-1, 1) only).
        u = (q + 1) * 0.5
        u = torch.where((q > -1) & (q < 1), u, u.clamp(0, 1).detach())
        feats = []
        for n, entries, start, dense in self.levels:
            s = u * n
            # NaN indexes vertex 0 and stays NaN through the weights, as in the runtime.
            k = torch.nan_to_num(torch.floor(s.detach()), nan=0.0).clamp(max=n - 1)
            w = (s - k)[..., None, :]
            v = k.to(torch.int64)[..., None, :] + self.corners
            if dense:
                idx = v[..., 0] + (n + 1) * (v[..., 1] + (n + 1) * v[..., 2])
            else:
                # The low bits of the 32-bit hash: the products fit int64 (v < 2^21).
                h = (v[..., 0] * _PRIMES[0]) ^ (v[..., 1] * _PRIMES[1]) ^ (v[..., 2] * _PRIMES[2])
                idx = h & (entries - 1)
            t = torch.where(self.corners.bool(), w, 1 - w)
            weight = (t[..., 0] * t[..., 1]) * t[..., 2]
            feats.append((weight[..., None] * self.table[start + idx]).sum(-2))
        return torch.cat(feats, dim=-1)


class NsdfModule(nn.Module):
    """The network of a ``Shape``: ``forward(points (N, 3)) -> (N,)`` signed distances."""

    def __init__(self, layers: List[dict], info: dict, grid: Optional[np.ndarray] = None) -> None:
        super().__init__()
        t = info["transform"]
        enc = info["architecture"]["encoding"]
        self.frequencies = int(enc.get("frequencies", 0)) if enc["type"] == "fourier" else 0
        self.grid = _HashGrid(enc, grid) if enc["type"] == "hashgrid" else None
        self.register_buffer("scale", torch.tensor(float(t["scale"]), dtype=torch.float32))
        self.register_buffer("translation", torch.tensor(t["translation"], dtype=torch.float32))
        self.register_buffer(
            "distance_scale", torch.tensor(float(t["distance_scale"]), dtype=torch.float32)
        )
        self.linears = nn.ModuleList()
        self._acts = []
        self._act_names = []
        for layer in layers:
            w = np.asarray(layer["weight"], dtype=np.float32)
            lin = nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w))
                lin.bias.copy_(torch.from_numpy(np.asarray(layer["bias"], dtype=np.float32)))
            self.linears.append(lin)
            self._acts.append(_activation(layer["activation"], layer["activation_param"]))
            self._act_names.append(layer["activation"])

    def encode(self, q: torch.Tensor) -> torch.Tensor:
        if self.grid is not None:
            return torch.cat([q, self.grid(q)], dim=-1)
        if self.frequencies == 0:
            return q
        feats = [q]
        for k in range(self.frequencies):
            f = math.pi * (1 << k)
            feats.append(torch.sin(f * q))
            feats.append(torch.cos(f * q))
        return torch.cat(feats, dim=-1)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        x = self.encode(points * self.scale + self.translation)
        for lin, act in zip(self.linears, self._acts):
            x = act(lin(x))
        return self.distance_scale * x[..., 0]


def module(shape: Any) -> NsdfModule:
    """A torch module of ``shape`` (an ``nsdf_shapes.Shape``), on the CPU in float32."""
    return NsdfModule(shape.layers(), shape.info, shape.grid_values())
