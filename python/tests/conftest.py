"""Shared fixtures: the repository's own vectors and example mesh, and generated shapes."""

import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = ROOT / "spec" / "vectors"


@pytest.fixture
def davies_path():
    return VECTORS / "valid" / "davies-int8.nsdf"


@pytest.fixture
def box_mesh():
    """A closed, outward-oriented box 2 x 1 x 1 centred at the origin: (vertices, faces)."""
    v = np.array(
        [[x, y, z] for x in (-1.0, 1.0) for y in (-0.5, 0.5) for z in (-0.5, 0.5)],
        dtype=np.float64,
    )
    f = np.array(
        [
            [0, 1, 3], [0, 3, 2],  # x = -1
            [4, 6, 7], [4, 7, 5],  # x = +1
            [0, 4, 5], [0, 5, 1],  # y = -0.5
            [2, 3, 7], [2, 7, 6],  # y = +0.5
            [0, 2, 6], [0, 6, 4],  # z = -0.5
            [1, 5, 7], [1, 7, 3],  # z = +0.5
        ],
        dtype=np.int64,
    )
    return v, f
