"""Reading, evaluating and writing shapes: the runtime through the binding."""

import os
import pathlib
import subprocess

import numpy as np
import pytest

import nsdf_shapes as ns

from conftest import VECTORS


def expected_values(name):
    """The spec's expected outputs: lines `x y z distance gx gy gz` after a header."""
    rows = []
    for line in (VECTORS / "valid" / f"{name}.expected.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 4 and not line.startswith("#"):
            try:
                rows.append([float(p) for p in parts])
            except ValueError:
                continue
    return np.array(rows)


@pytest.mark.parametrize(
    "name", ["davies-int8", "davies-int4", "davies-f16", "davies-f32", "hashgrid-f16", "hashgrid-f32"]
)
def test_every_valid_vector_matches_its_expected_distances(name):
    shape = ns.open(VECTORS / "valid" / f"{name}.nsdf")
    rows = expected_values(name)
    assert len(rows) > 0, "no expected rows parsed"
    d = shape.distance(rows[:, :3])
    assert d.dtype == np.float32 and d.shape == (len(rows),)
    # The file's own tolerance lines: |got - want| <= abs + rel * |want|.
    np.testing.assert_allclose(d, rows[:, 3], rtol=1e-5, atol=1e-5)
    g = shape.gradient(rows[:, :3])
    np.testing.assert_allclose(g, rows[:, 4:7], rtol=1e-4, atol=1e-4)


def test_any_float_dtype_and_memory_order_give_the_same_answer(davies_path):
    shape = ns.open(davies_path)
    rng = np.random.default_rng(0)
    p32 = rng.uniform(-1, 1, size=(1000, 3)).astype(np.float32)
    want = shape.distance(p32)
    for variant in [
        p32.astype(np.float64),
        np.asfortranarray(p32),
        p32.astype(np.float16).astype(np.float32),  # a float16 round trip changes the points
        p32.tolist(),
        np.ascontiguousarray(np.concatenate([p32, p32], axis=1)[:, :3]),
        np.concatenate([p32, p32], axis=1)[:, ::2][:, :3],  # a strided view
    ]:
        got = shape(variant)
        assert got.shape == (1000,) and got.dtype == np.float32
        exact = np.asarray(variant, dtype=np.float32)
        np.testing.assert_array_equal(got, shape.distance(np.ascontiguousarray(exact)))
    np.testing.assert_array_equal(shape(p32.astype(np.float64)), want)


def test_gradient_matches_finite_differences():
    # Sine units and Fourier features: smooth everywhere, so every point must match.
    shape = ns.open(VECTORS / "valid" / "fourier-sine.nsdf")
    rng = np.random.default_rng(1)
    lo, hi = shape.bounds
    p = rng.uniform(lo, hi, size=(200, 3))
    g = shape.gradient(p)
    assert g.shape == (200, 3) and g.dtype == np.float32
    h = 1e-3
    fd = np.stack(
        [(shape.distance(p + h * e) - shape.distance(p - h * e)) / (2 * h) for e in np.eye(3)],
        axis=1,
    )
    scale = np.abs(g).max()
    np.testing.assert_allclose(g, fd, rtol=0, atol=2e-2 * scale)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((4, 2)), "shape (N, 3)"),
        (np.zeros((3,)), "shape (N, 3)"),
        (np.zeros((2, 3, 3)), "shape (N, 3)"),
        (np.array([["a", "b", "c"]]), "real numbers"),
        (np.zeros((2, 3), dtype=complex), "real numbers"),
        ("points", "real numbers"),
        (object(), "real numbers"),
    ],
)
def test_a_wrong_array_is_a_value_error_naming_it(davies_path, bad, message):
    shape = ns.open(davies_path)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        shape.distance(bad)


def test_empty_points_give_empty_results(davies_path):
    shape = ns.open(davies_path)
    assert shape.distance(np.zeros((0, 3))).shape == (0,)
    assert shape.gradient(np.zeros((0, 3))).shape == (0, 3)


def test_bytes_round_trip_and_atomic_save(davies_path, tmp_path):
    data = davies_path.read_bytes()
    shape = ns.Shape.from_bytes(data)
    assert shape.to_bytes() == data
    assert ns.open(davies_path).to_bytes() == data
    out = tmp_path / "copy.nsdf"
    shape.save(str(out))
    assert out.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["copy.nsdf"], "a temporary file was left"
    with pytest.raises(ns.NsdfError) as e:
        shape.save(str(tmp_path / "missing-dir" / "x.nsdf"))
    assert e.value.code == "NSDF-E100"


def test_info_says_what_the_file_holds(davies_path):
    info = ns.open(davies_path).info
    assert info["version"] == "1.0"
    assert info["file_size"] == davies_path.stat().st_size
    assert info["architecture"]["parameters"] == 7553
    assert [l["outputs"] for l in info["architecture"]["layers"]] == [32] * 8 + [1]
    assert info["schemes"] == ["int8"]
    assert set(info["transform"]) == {"scale", "translation", "distance_scale", "bounds"}
    b = ns.open(davies_path).bounds
    assert b.shape == (2, 3) and np.all(b[0] < b[1])


def test_info_describes_a_hash_grid():
    enc = ns.open(VECTORS / "valid" / "hashgrid-f16.nsdf").info["architecture"]["encoding"]
    assert enc["type"] == "hashgrid"
    # Three levels of two features after the point's coordinates.
    assert (enc["levels"], enc["features_per_level"], enc["features"]) == (3, 2, 3 + 3 * 2)
    assert enc["resolutions"] == [2, 4, 9] and enc["log2_table"] == 6 and enc["scheme"] == "f16"


def test_every_invalid_vector_is_an_error_with_its_code():
    invalid = sorted((VECTORS / "invalid").glob("*.nsdf"))
    assert invalid, "no invalid vectors found"
    for path in invalid:
        want = "NSDF-" + path.name.split("-")[0]  # E008-crc-weights.nsdf -> NSDF-E008
        with pytest.raises(ns.NsdfError) as e:
            ns.open(path)
        assert e.value.code == want, path.name


def test_every_truncated_prefix_is_an_error(davies_path):
    data = davies_path.read_bytes()
    for n in list(range(0, 300)) + list(range(300, len(data), 97)):
        with pytest.raises(ns.NsdfError) as e:
            ns.Shape.from_bytes(data[:n])
        assert e.value.code.startswith("NSDF-E")


def test_a_flipped_checksummed_byte_names_code_and_offset(davies_path):
    data = bytearray(davies_path.read_bytes())
    data[1000] ^= 0x40  # inside the weights chunk
    with pytest.raises(ns.NsdfError) as e:
        ns.Shape.from_bytes(bytes(data))
    assert e.value.code == "NSDF-E008"
    assert isinstance(e.value.offset, int) and e.value.offset > 0


def test_missing_file_is_an_nsdf_error():
    with pytest.raises(ns.NsdfError) as e:
        ns.open("/nonexistent/shape.nsdf")
    assert e.value.code == "NSDF-E100" and e.value.offset is None


def test_evaluation_releases_the_gil(davies_path):
    """Two threads evaluating at once both finish and agree (the binding holds no GIL)."""
    import threading

    shape = ns.open(davies_path)
    p = np.random.default_rng(2).uniform(-1, 1, size=(200_000, 3)).astype(np.float32)
    results = [None, None]

    def work(i):
        results[i] = shape.distance(p)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    np.testing.assert_array_equal(results[0], results[1])
