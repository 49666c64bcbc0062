//! Wavefront OBJ through `tobj`: polygons triangulated, points and lines ignored, every
//! object/group concatenated into one mesh. Positions are indexed on their own (not per
//! position/UV/normal triple), so UV and normal seams do not split vertices; the loader's weld
//! then merges what separate objects duplicated.
//!
//! **Hostile input.** `tobj` 4.0.5 computes `vt * 2 + 1` and `vn * 3 + 2` from indices it has
//! not range-checked (an overflow panic with overflow checks on, e.g. `f 1/9223372036854775807`,
//! or a negative index reaching before the first element), so [`prescan`] checks every face
//! and line index against the element counts first, the way `tobj` resolves them (positive:
//! 1-based among all of the file's elements of that kind; negative: relative to those read so
//! far), and refuses any that is out of range. Indices into an element kind the file has none
//! of are left alone: `tobj` ignores them.
//!
//! **Memory bound.** Every face index costs at least two bytes of input (`1 `) and yields at
//! most one triangle (an n-gon fans into n − 2), every position at least eight (`v 0 0 0\n`);
//! `tobj` keeps about 24 bytes per face index, one `String` per line and 12 bytes per output
//! triangle, and this reader 12 bytes per triangle and per position; the loader's checks then
//! cost about 400 bytes per triangle (see `io/mod.rs`). Loading allocates at most **256 × the
//! file length + 64 KiB** in all (`tests/alloc_bound.rs`; a fan of single-digit indices is the
//! worst case, measured 158×). No count is read from the file, so nothing else needs a cap.

use crate::error::MeshError;
use crate::io::Raw;

pub(crate) fn read(bytes: &[u8]) -> Result<Raw, MeshError> {
    prescan(bytes)?;
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
    let positions: usize = models.iter().map(|m| m.mesh.positions.len() / 3).sum();
    let triangles: usize = models.iter().map(|m| m.mesh.indices.len() / 3).sum();
    if positions > u32::MAX as usize {
        return Err(MeshError::parse("OBJ", "end", "more than 2^32 vertices"));
    }
    let mut raw = Raw {
        positions: Vec::with_capacity(positions),
        triangles: Vec::with_capacity(triangles),
        normals: Vec::new(),
    };
    for model in &models {
        let m = &model.mesh;
        let base = raw.positions.len();
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

/// Checks every index of every `f` and `l` line the way `tobj` will resolve it (see the module
/// docs), so that `tobj` never sees an index whose arithmetic could overflow. Lines `tobj` will
/// reject on its own (not UTF-8, an index that is not an integer, more than three `/` parts)
/// are left to it.
fn prescan(bytes: &[u8]) -> Result<(), MeshError> {
    let lines = || {
        bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .filter_map(|(no, l)| Some((no + 1, std::str::from_utf8(l).ok()?)))
    };
    // Totals first: a positive index may refer to any element of the file.
    let mut total = [0usize; 3];
    for (_, line) in lines() {
        match line.split_whitespace().next() {
            Some("v") => total[0] += 1,
            Some("vt") => total[1] += 1,
            Some("vn") => total[2] += 1,
            _ => {}
        }
    }
    let mut seen = [0usize; 3];
    for (no, line) in lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("v") => seen[0] += 1,
            Some("vt") => seen[1] += 1,
            Some("vn") => seen[2] += 1,
            Some("f") | Some("l") => {
                for word in words {
                    for (k, part) in word.split('/').enumerate().take(3) {
                        let Ok(x) = part.parse::<isize>() else {
                            continue; // empty (`1//2`) or rejected by tobj
                        };
                        // Position 0 is tobj's "missing" marker for UVs and normals.
                        let ok = total[k] == 0
                            || (x > 0 && x as usize <= total[k])
                            || (x < 0 && x.unsigned_abs() <= seen[k])
                            || (x == 0 && k > 0);
                        if !ok {
                            let (kind, kinds) = [
                                ("vertex", "vertices"),
                                ("texture coordinate", "texture coordinates"),
                                ("normal", "normals"),
                            ][k];
                            return Err(MeshError::parse(
                                "OBJ",
                                format!("line {no}"),
                                format!(
                                    "{kind} index {x} is out of bounds ({} {kinds} in the file, {} before this line)",
                                    total[k], seen[k]
                                ),
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}
