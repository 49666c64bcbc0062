"""Shape.grid and Shape.bake: the distance at texel centres, as nsdf bake samples it."""

import json

import numpy as np
import pytest

import nsdf_shapes as ns


def centres(shape, box_min, h):
    nz, ny, nx = shape
    k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    ijk = np.stack([i, j, k], axis=-1).astype(np.float32)
    return (box_min.astype(np.float32) + (ijk + np.float32(0.5)) * np.float32(h)).reshape(-1, 3)


def test_grid_holds_the_distance_at_texel_centres(davies_path):
    s = ns.open(davies_path)
    values, box_min, h = s.grid(resolution=24)
    assert values.dtype == np.float32 and values.ndim == 3
    assert max(values.shape) == 24
    lo, hi = s.bounds
    assert np.all(box_min < lo) and np.all(box_min + np.array(values.shape[::-1]) * h > hi)
    want = s.distance(centres(values.shape, box_min, h)).reshape(values.shape)
    np.testing.assert_allclose(values, want, rtol=0, atol=1e-6)
    assert values.min() < 0 < values.max()


def test_grid_refuses_bad_arguments(davies_path):
    s = ns.open(davies_path)
    with pytest.raises(ValueError, match="resolution"):
        s.grid(resolution=1)
    with pytest.raises(ValueError, match="margin"):
        s.grid(resolution=8, margin=-1)
    with pytest.raises(ValueError, match="texels"):
        s.grid(resolution=2048)


def test_bake_writes_the_texture_and_its_sidecar(davies_path, tmp_path):
    s = ns.open(davies_path)
    out = tmp_path / "shape.raw"
    r = s.bake(str(out), resolution=20, texel="f32", source="davies")
    side = json.loads((tmp_path / "shape.json").read_text())
    assert r["sidecar"] == tmp_path / "shape.json"
    assert side["source"] == "davies" and side["texture"] == "shape.raw"
    nx, ny, nz = side["dimensions"]
    assert r["texels"] == r["evaluated"] == nx * ny * nz
    texels = np.fromfile(out, dtype="<f4").reshape(nz, ny, nx)
    grid, _, _ = s.grid(resolution=20)
    np.testing.assert_array_equal(texels, grid)
    # A band clamps.
    # (At 64 texels the network's bounds clear a third of this box; at 20, nothing.)
    r = s.bake(str(tmp_path / "band.ktx2"), resolution=64, band=0.05)
    w = float(np.float32(0.05))
    assert r["min"] >= -w and r["max"] <= w and r["evaluated"] < r["texels"], r
    assert sorted(p.name for p in tmp_path.iterdir()) == ["band.json", "band.ktx2", "shape.json", "shape.raw"]


def test_bake_exact_keeps_the_sign_and_is_a_distance(davies_path, tmp_path):
    s = ns.open(davies_path)
    out = tmp_path / "exact.raw"
    s.bake(str(out), resolution=20, texel="f32", exact=True)
    side = json.loads((tmp_path / "exact.json").read_text())
    assert side["distance"].startswith("exact")
    nx, ny, nz = side["dimensions"]
    exact = np.fromfile(out, dtype="<f4").reshape(nz, ny, nx)
    net, _, h = s.grid(resolution=20)
    far = np.abs(net) > 0.01 * h
    np.testing.assert_array_equal(np.sign(exact[far]), np.sign(net[far]))
    # Neighbours on one side differ by at most a texel (the network's own by up to ~2).
    a, b = exact[:, :, 1:], exact[:, :, :-1]
    same = np.sign(a) == np.sign(b)
    assert np.abs(a - b)[same].max() <= 1.001 * h


def test_bake_refuses_bad_arguments_and_writes_nothing(davies_path, tmp_path):
    s = ns.open(davies_path)
    for kwargs, match in [
        (dict(path=str(tmp_path / "x.png")), r"\.ktx2, \.dds or \.raw"),
        (dict(path=str(tmp_path / "x.ktx2"), texel="f8"), "texel"),
        (dict(path=str(tmp_path / "x.ktx2"), band=-1.0), "band"),
        (dict(path=str(tmp_path / "x.ktx2"), resolution=0), "resolution"),
    ]:
        with pytest.raises(ValueError, match=match):
            s.bake(**kwargs)
    with pytest.raises(ns.NsdfError) as e:
        s.bake(str(tmp_path / "missing" / "x.ktx2"))
    assert e.value.code == "NSDF-E100"
    assert list(tmp_path.iterdir()) == []
