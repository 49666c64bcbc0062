//! Shared by the mesh fuzz targets: load the bytes, and if they load, check what every loaded
//! mesh promises (finite positions, every index in range, at least one triangle).

use nsdf_mesh::{load_bytes, Format};

pub fn check(data: &[u8], format: Format) {
    if let Ok(l) = load_bytes(data, format) {
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
}
