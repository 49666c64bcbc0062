"""Packing from Python, and what is done with a packed shape (mesh, render, compare, torch)."""

import numpy as np
import pytest

import nsdf_shapes as ns

from conftest import ROOT

KNOT = ROOT / "examples" / "meshes" / "knot.obj"
# Seconds, not the default minute: the plumbing is under test, not the accuracy.
QUICK = dict(epochs=2, threads=2)


@pytest.fixture(scope="module")
def box(request):
    v = np.array(
        [[x, y, z] for x in (-1.0, 1.0) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]
    )
    f = np.array(
        [[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
         [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]]
    )
    events = []
    shape = ns.pack((v, f), progress=events.append, **QUICK)
    return shape, events


def test_pack_from_arrays_gives_a_signed_field_of_the_box(box):
    shape, _ = box
    inside = shape.distance([[0.0, 0.0, 0.0], [0.6, 0.1, -0.1]])
    outside = shape.distance([[1.5, 0.0, 0.0], [0.0, 1.2, 0.0], [0.0, 0.0, -1.1]])
    assert np.all(inside < 0) and np.all(outside > 0), (inside, outside)
    # Centre: 0.5 from the nearest faces. Two epochs of the default budget's 6-layer network
    # leave the deep inside shallow (-0.27 and -0.37 at seeds 1 and 0), but well inside.
    assert -0.6 < inside[0] < -0.2
    info = shape.info
    assert info["metadata"]["nsdf.source.name"] == "arrays"
    assert info["metadata"]["nsdf.source.triangles"] == 12
    assert info["stats"]["near_sign_agreement"] > 0.9
    np.testing.assert_allclose(shape.bounds, [[-1, -0.5, -0.5], [1, 0.5, 0.5]])
    # No layers, width or budget given: the default budget's network, in at most 8 KiB.
    assert len(shape.to_bytes()) <= 8192
    assert len(info["architecture"]["layers"]) == 7


def test_progress_events_report_phases_fraction_and_eta(box):
    _, events = box
    kinds = {e["event"] for e in events}
    assert {"phase", "training"} <= kinds
    training = [e for e in events if e["event"] == "training"]
    fractions = [e["fraction"] for e in training]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert all(e["samples_per_second"] >= 0 for e in training)
    assert any(e["eta"] is not None for e in training)
    assert [e["phase"] for e in events if e["event"] == "phase"][-1] == "verify"


def test_pack_a_path_matches_the_command_lines_metadata(tmp_path):
    shape = ns.pack(KNOT, epochs=1, threads=2, keep_inaccurate=True)
    assert shape.info["metadata"]["nsdf.source.name"] == "knot.obj"
    assert shape.info["metadata"]["nsdf.creator"] == "nsdf pack"
    out = tmp_path / "knot.nsdf"
    shape.save(out)
    assert ns.open(out).to_bytes() == shape.to_bytes()


def test_same_seed_and_threads_give_identical_bytes(box):
    shape, _ = box
    v, f = shape.mesh(16)  # any small mesh
    a = ns.pack((v, f), seed=3, **QUICK, keep_inaccurate=True)
    b = ns.pack((v, f), seed=3, **QUICK, keep_inaccurate=True)
    assert a.to_bytes() == b.to_bytes()


def test_budget_chooses_a_network_that_fits(box):
    shape, _ = box
    v, f = shape.mesh(16)
    small = ns.pack((v, f), budget="4k", **QUICK, keep_inaccurate=True)
    assert len(small.to_bytes()) <= 4096
    assert small.info["architecture"]["parameters"] < 7553
    with pytest.raises(ns.NsdfError, match="too small") as e:
        ns.pack((v, f), budget=500, **QUICK)
    assert e.value.code == "budget"
    with pytest.raises(ValueError, match="size in bytes"):
        ns.pack((v, f), budget="lots", **QUICK)
    with pytest.raises(ValueError, match="not both"):
        ns.pack((v, f), budget="8k", width=16, **QUICK)
    # At 8 kB a 9-layer network of the same budget trains too; notes say so and which is kept.
    events = []
    eight = ns.pack((v, f), budget="8k", progress=events.append, **QUICK, keep_inaccurate=True)
    notes = [e["message"] for e in events if e["event"] == "note"]
    assert len(notes) == 2 and "9×27" in notes[0] and notes[1].startswith("kept the"), notes
    assert len(eight.to_bytes()) <= 8192
    # From 260 kB a hash grid (format 1.2): 2^12 entries a level, 16 levels of 2 features.
    big = ns.pack((v, f), budget="300k", **QUICK, keep_inaccurate=True)
    assert len(big.to_bytes()) <= 300 * 1024
    assert big.grid_values() is not None and big.grid_values().shape[1] == 2


@pytest.mark.parametrize(
    "mesh, error, match",
    [
        ((np.zeros((3, 2)), np.array([[0, 1, 2]])), ValueError, r"vertices must have shape \(N, 3\)"),
        ((np.eye(3), np.array([[0, 1]])), ValueError, r"faces must have shape \(F, 3\)"),
        ((np.eye(3), np.array([[0.0, 1.0, 2.0]])), ValueError, "faces must hold integers"),
        ((np.eye(3), np.array([[0, 1, -1]])), ValueError, "between 0 and"),
        ((np.eye(3), np.array([[0, 1, 7]])), ns.NsdfError, "vert"),
        ((np.full((3, 3), np.nan), np.array([[0, 1, 2]])), ns.NsdfError, "finite"),
        ((np.eye(3), np.zeros((0, 3), dtype=int)), ns.NsdfError, "faces"),
        (42, ValueError, "path or a .vertices, faces. pair"),
        ("/nonexistent/mesh.obj", ns.NsdfError, "mesh.obj"),
        (str(ROOT / "README.md"), ns.NsdfError, "README.md"),
    ],
)
def test_bad_meshes_are_clear_errors(mesh, error, match):
    with pytest.raises(error, match=match) as e:
        ns.pack(mesh, **QUICK)
    if error is ns.NsdfError:
        assert e.value.code == "mesh"


def test_bad_options_are_value_errors():
    v, f = np.eye(3), np.array([[0, 1, 2]])
    for kwargs, match in [
        (dict(quant="int3"), "int3"),
        (dict(activation="swish"), "swish"),
        (dict(epochs=0), "epochs"),
        (dict(width=0), "width"),
        (dict(layers=100), "layers"),
    ]:
        with pytest.raises(ValueError, match=match):
            ns.pack((v, f), **kwargs)


def test_an_exception_in_the_progress_callback_stops_packing(box):
    shape, _ = box
    v, f = shape.mesh(16)

    def boom(event):
        if event["event"] == "training":
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        ns.pack((v, f), progress=boom, epochs=50, threads=2)


def test_an_untrained_network_is_refused(box):
    shape, _ = box
    v, f = shape.mesh(16)
    with pytest.raises(ns.NsdfError, match="not a usable distance field") as e:
        ns.pack((v, f), time_budget=1e-6, threads=2)
    assert e.value.code == "inaccurate"
    kept = ns.pack((v, f), time_budget=1e-6, threads=2, keep_inaccurate=True)
    assert kept.info["stats"]["near_sign_agreement"] < 0.75


def test_mesh_render_and_compare(box, tmp_path):
    shape, _ = box
    v, f = shape.mesh(48)
    assert v.dtype == np.float32 and v.shape[1] == 3 and len(v) > 100
    assert f.dtype == np.uint32 and f.shape[1] == 3 and f.max() < len(v)
    cell = 2.04 / 48
    assert np.abs(shape.distance(v)).max() < cell, "vertices off the zero level set"
    img = shape.render(64, 48)
    assert img.shape == (48, 64, 3) and img.dtype == np.uint8
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 10, "a blank picture"
    with pytest.raises(ValueError):
        shape.mesh(0)
    box_obj = tmp_path / "box.obj"
    box_obj.write_text(
        "".join(f"v {x} {y} {z}\n" for x in (-1, 1) for y in (-0.5, 0.5) for z in (-0.5, 0.5))
        + "f 1 2 4\nf 1 4 3\nf 5 7 8\nf 5 8 6\nf 1 5 6\nf 1 6 2\n"
        + "f 3 4 8\nf 3 8 7\nf 1 3 7\nf 1 7 5\nf 2 6 8\nf 2 8 4\n"
    )
    m = shape.compare(str(box_obj), resolution=64, samples=2000)
    assert m["bytes"] == len(shape.to_bytes())
    assert 0 < m["chamfer_l1"] < 0.05 and m["f1_near"] > 0.8, m
    assert set(m) >= {"hausdorff", "near_mae_canon", "uniform_mae_canon", "normal_error_deg"}
    with pytest.raises(ns.NsdfError):
        shape.compare(str(tmp_path / "none.obj"))


def test_pack_reads_a_point_cloud_and_trains_it_sign_agnostically(tmp_path):
    # A torus sampled as 10,000 points (no normals), written as .xyz text.
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 100, endpoint=False),
                       np.linspace(0, 2 * np.pi, 100, endpoint=False))
    r = 2.0 + 0.7 * np.cos(v)
    points = np.stack([r * np.cos(u), r * np.sin(u), 0.7 * np.sin(v)], -1).reshape(-1, 3)
    path = tmp_path / "ring.xyz"
    np.savetxt(path, points)
    shape = ns.pack(str(path), epochs=10, threads=2, keep_inaccurate=True)
    meta = shape.info["metadata"]
    assert meta["nsdf.source.triangles"] == 0
    assert '"recipe":"sal"' in meta["nsdf.train.recipe"]
    # In the tube, and far outside: the sign came from training on unsigned distances.
    d = shape.distance([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    assert d[0] < 0 < d[1], d
    with pytest.raises(ValueError, match="unknown recipe"):
        ns.pack(str(path), recipe="magic", **QUICK)


def test_pack_with_a_hash_grid_writes_format_1_2_or_later():
    v, f = (
        np.array([[x, y, z] for x in (-1.0, 1.0) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]),
        np.array(
            [[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
             [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]]
        ),
    )
    shape = ns.pack((v, f), encoding="hashgrid:levels=4,table=10,finest=64", keep_inaccurate=True, **QUICK)
    enc = shape.info["architecture"]["encoding"]
    assert enc["type"] == "hashgrid"
    assert (enc["levels"], enc["features_per_level"], enc["log2_table"]) == (4, 2, 10)
    assert shape.info["version"] == "1.3"  # 1.2 for the grid, 1.3 for the default int8h layers
    assert shape.info["schemes"] == ["int8h"]
    assert shape.distance([[0.0, 0.0, 0.0]])[0] < 0 < shape.distance([[1.5, 0.0, 0.0]])[0]
    with pytest.raises(ValueError, match="features=3"):
        ns.pack((v, f), encoding="hashgrid:features=3", **QUICK)
    with pytest.raises(ValueError, match="budget or encoding"):
        ns.pack((v, f), encoding="hashgrid", budget="8k", **QUICK)
