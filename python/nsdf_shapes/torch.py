"""A shape as a differentiable PyTorch module (torch is optional: ``pip install torch``).

>>> import nsdf_shapes as ns, nsdf_shapes.torch
>>> net = nsdf_shapes.torch.module(ns.open("bunny.nsdf")).cuda()
>>> d = net(points)                  # (N, 3) world points -> (N,) signed distances
>>> d.sum().backward()               # gradients through the shape

The module holds the dequantized weights exactly as the runtime evaluates them (spec order:
world point -> ``scale * p + translation`` -> encoding -> dense layers -> ``distance_scale * f``),
so it agrees with ``Shape.distance`` to float32 rounding.
"""

from __future__ import annotations

import math
from typing import Any, List

import numpy as np
import torch
from torch import nn

__all__ = ["NsdfModule", "module"]


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


class NsdfModule(nn.Module):
    """The network of a ``Shape``: ``forward(points (N, 3)) -> (N,)`` signed distances."""

    def __init__(self, layers: List[dict], info: dict) -> None:
        super().__init__()
        t = info["transform"]
        enc = info["architecture"]["encoding"]
        self.frequencies = int(enc.get("frequencies", 0)) if enc["type"] == "fourier" else 0
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
    return NsdfModule(shape.layers(), shape.info)
