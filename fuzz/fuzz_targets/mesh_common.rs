//! Shared by the mesh fuzz targets: load the bytes as a mesh or point cloud, and if they load,
//! check what every loaded mesh promises (finite positions, every index in range, at least one
//! triangle) or every loaded cloud (enough finite points, unit normals for all or none).

use nsdf_mesh::{load_input_bytes, Format, Input};

pub fn check(data: &[u8], format: Format) {
    match load_input_bytes(data, format) {
        Ok(Input::Mesh(l)) => {
            let m = &l.mesh;
            let n = m.positions.len();
            assert!(!m.triangles.is_empty(), "Ok with no triangles");
            assert!(
                m.positions.iter().flatten().all(|x| x.is_finite()),
                "non-finite position"
            );
            assert!(
                m.triangles.iter().flatten().all(|&i| (i as usize) < n),
                "index out of range"
            );
            assert!(
                m.triangles
                    .iter()
                    .all(|t| t[0] != t[1] && t[1] != t[2] && t[0] != t[2]),
                "repeated vertex in a triangle"
            );
        }
        Ok(Input::Points(c)) => {
            assert!(c.positions.len() >= nsdf_mesh::io::MIN_POINTS, "too few points");
            assert!(
                c.positions.iter().flatten().all(|x| x.is_finite()),
                "non-finite point"
            );
            if let Some(n) = &c.normals {
                assert_eq!(n.len(), c.positions.len(), "normals for some points only");
                assert!(
                    n.iter().flatten().all(|x| x.is_finite()),
                    "non-finite normal"
                );
            }
        }
        Err(_) => {}
    }
}
