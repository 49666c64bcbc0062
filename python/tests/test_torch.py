"""The torch module agrees with the runtime (skipped, visibly, where torch is not installed)."""

import numpy as np
import pytest

import nsdf_shapes as ns

from conftest import VECTORS

torch = pytest.importorskip("torch", reason="torch is not installed: nsdf_shapes.torch untested")
import nsdf_shapes.torch as nt  # noqa: E402


@pytest.mark.parametrize(
    "name",
    ["davies-int8", "davies-int4", "davies-f32", "fourier-sine", "leaky-odd", "int4-odd", "hashgrid-f16", "hashgrid-f32"],
)
def test_module_agrees_with_the_runtime(name):
    shape = ns.open(VECTORS / "valid" / f"{name}.nsdf")
    net = nt.module(shape)
    lo, hi = shape.bounds
    p = np.random.default_rng(0).uniform(lo, hi, size=(4096, 3)).astype(np.float32)
    want = shape.distance(p)
    got = net(torch.from_numpy(p)).detach().numpy()
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * scale)


def test_the_package_reaches_the_torch_module_lazily():
    assert ns.torch.module is nt.module


# The hash grid is piecewise trilinear: its gradient jumps at cell faces, which random points
# miss, and the box reaches past the grid's domain, where the clamped axes have no gradient.
@pytest.mark.parametrize("vector, seed", [("fourier-sine.nsdf", 1), ("hashgrid-f16.nsdf", 2)])
def test_gradients_flow_and_match_the_analytic_gradient(vector, seed):
    shape = ns.open(VECTORS / "valid" / vector)
    net = nt.module(shape)
    lo, hi = shape.bounds
    p = np.random.default_rng(seed).uniform(lo, hi, size=(256, 3)).astype(np.float32)
    x = torch.from_numpy(p).requires_grad_(True)
    net(x).sum().backward()
    g = shape.gradient(p)
    np.testing.assert_allclose(x.grad.numpy(), g, rtol=0, atol=1e-4 * max(1.0, np.abs(g).max()))
