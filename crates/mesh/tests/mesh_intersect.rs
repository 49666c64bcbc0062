//! Self-intersection warnings from `mesh::load` / `Mesh::from_soup`: crossing triangles are
//! reported, closed meshes and triangles that only share a vertex are not. Then the real meshes
//! in ../shared/meshes whose self-intersections are known, when that directory exists.

use nsdf_mesh::{load, Loaded, Mesh, Warning};
use nsdf_testing::mesh::*;

fn self_intersections(l: &Loaded) -> Option<usize> {
    l.warnings.iter().find_map(|w| match w {
        Warning::SelfIntersections { faces } => Some(*faces),
        _ => None,
    })
}

/// `extra` appended to `base`, indices shifted.
fn merge(mut base: Mesh, extra: &Mesh) -> Mesh {
    let n = base.positions.len() as u32;
    base.positions.extend_from_slice(&extra.positions);
    base.triangles
        .extend(extra.triangles.iter().map(|t| t.map(|i| i + n)));
    base
}

#[test]
fn two_crossing_triangles_among_far_away_ones_are_reported() {
    let crossing = Mesh {
        positions: vec![
            [0.0, 0.0, 0.0],
            [2.0, 0.0, 0.0],
            [0.0, 2.0, 0.0],
            [0.5, 0.5, -1.0],
            [0.5, 0.5, 1.0],
            [3.0, 3.0, 0.5],
        ],
        triangles: vec![[0, 1, 2], [3, 4, 5]],
    };
    let mut ball = icosphere(2, 1.5);
    ball.transform(1.0, [-10.0, 0.0, 5.0]);
    let m = merge(
        merge(crossing, &cuboid([10.0, 10.0, 10.0], [12.0, 11.0, 13.0], 3)),
        &ball,
    );
    let l = Mesh::from_soup(m.positions, m.triangles).unwrap();
    assert_eq!(self_intersections(&l), Some(2), "{:?}", l.warnings);
    let text = Warning::SelfIntersections { faces: 2 }.to_string();
    assert!(
        text.contains("intersects itself") && text.contains('2'),
        "{text}"
    );
}

#[test]
fn closed_sphere_and_box_are_not_reported() {
    for m in [
        icosphere(3, 1.0),
        cuboid([-1.0, -0.5, 0.0], [1.0, 0.5, 2.0], 4),
    ] {
        let l = Mesh::from_soup(m.positions, m.triangles).unwrap();
        assert!(l.topology.closed);
        assert_eq!(self_intersections(&l), None, "{:?}", l.warnings);
    }
}

#[test]
fn triangles_touching_at_a_shared_vertex_are_not_reported() {
    // A bowtie of two triangles in different planes, meeting at the origin. The origin is
    // written twice: welding makes it one shared vertex.
    let positions = vec![
        [0.0, 0.0, 0.0],
        [1.0, 1.0, 0.0],
        [1.0, -1.0, 0.3],
        [0.0, 0.0, 0.0],
        [-1.0, 1.0, 0.2],
        [-1.0, -1.0, -0.4],
    ];
    let l = Mesh::from_soup(positions, vec![[0, 1, 2], [3, 4, 5]]).unwrap();
    assert_eq!(l.mesh.positions.len(), 5, "welded");
    assert_eq!(self_intersections(&l), None, "{:?}", l.warnings);
}

#[test]
fn shared_meshes_with_known_self_intersections() {
    let dir = shared_meshes_dir();
    if !dir.is_dir() {
        nsdf_testing::skip(&format!(
            "{} not found; real meshes not tested",
            dir.display()
        ));
        return;
    }
    // pymeshlab finds 4 self-intersecting faces in each of the first two.
    for (name, crossing) in [
        ("scorpion.obj", true),
        ("wingnut.obj", true),
        ("bunny_hr.obj", false),
        ("torus.obj", false),
    ] {
        let path = dir.join(name);
        let l = load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let found = self_intersections(&l);
        println!("{name}: {found:?} self-intersecting faces");
        assert_eq!(found.is_some(), crossing, "{name}: {:?}", l.warnings);
        assert!(found != Some(0));
    }
}
