//! Wavefront OBJ through `tobj`: polygons triangulated, points and lines ignored, every
//! object/group concatenated into one mesh. Positions are indexed on their own (not per
//! position/UV/normal triple), so UV and normal seams do not split vertices; the loader's weld
//! then merges what separate objects duplicated.

use crate::error::MeshError;
use crate::io::Raw;

pub(crate) fn read(bytes: &[u8]) -> Result<Raw, MeshError> {
    // The struct update stays for when another crate enables tobj's optional fields.
    #[allow(clippy::needless_update)]
    let opts = tobj::LoadOptions {
        triangulate: true,
        single_index: false,
        ignore_points: true,
        ignore_lines: true,
        ..Default::default()
    };
    // Materials do not matter for a distance field: never open .mtl files.
    let (models, _materials) = tobj::load_obj_buf(&mut &bytes[..], &opts, |_| {
        Err(tobj::LoadError::OpenFileFailed)
    })
    .map_err(|e| MeshError::parse("OBJ", "", e.to_string()))?;
    let mut raw = Raw {
        positions: Vec::new(),
        triangles: Vec::new(),
    };
    for model in &models {
        let m = &model.mesh;
        let base = raw.positions.len();
        let count = m.positions.len() / 3;
        if base + count > u32::MAX as usize {
            return Err(MeshError::parse("OBJ", "end", "more than 2^32 vertices"));
        }
        raw.positions
            .extend(m.positions.chunks_exact(3).map(|p| [p[0], p[1], p[2]]));
        for t in m.indices.chunks_exact(3) {
            raw.triangles
                .push([t[0], t[1], t[2]].map(|i| (base as u32).saturating_add(i)));
        }
    }
    if raw.positions.is_empty() && raw.triangles.is_empty() {
        // tobj drops vertices no face uses; count the `v` lines ourselves for the message.
        let vertices = bytes
            .split(|&b| b == b'\n')
            .filter(|l| {
                l.trim_ascii_start().starts_with(b"v ") || l.trim_ascii_start().starts_with(b"v\t")
            })
            .count();
        if vertices > 0 {
            return Err(MeshError::NoFaces { vertices });
        }
        return Err(MeshError::Empty);
    }
    Ok(raw)
}
