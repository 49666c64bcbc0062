//! Point-cloud text files, `.xyz` and `.pts`: one point per line, whitespace-separated numbers.
//!
//! - 3 numbers: a position; 6: a position and a normal (`x y z nx ny nz`); any other count of
//!   at least 3 (Leica `.pts` adds intensity and colour: 4 or 7): a position, the rest ignored.
//!   Every line must have the same count as the first.
//! - A first line holding a single integer is a point count (`.pts`); it must match the lines.
//! - Empty lines and lines starting with `#` or `//` are skipped.
//!
//! **Memory bound.** A point costs 24 bytes (position and normal) and comes from at least 6
//! bytes of text (`0 0 0\n`), so reading allocates at most 4 × the file length; the loader's
//! checks add a copy. Nothing is reserved from the count line.

use crate::error::MeshError;
use crate::io::Raw;

pub(crate) fn read(bytes: &[u8]) -> Result<Raw, MeshError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        MeshError::parse(
            "XYZ",
            format!("byte {}", e.valid_up_to()),
            "not text (UTF-8)",
        )
    })?;
    let mut raw = Raw {
        positions: Vec::new(),
        triangles: Vec::new(),
        normals: Vec::new(),
    };
    let mut columns: Option<usize> = None;
    let mut declared: Option<(usize, u64)> = None;
    let mut values: Vec<f64> = Vec::with_capacity(8);
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let at = || format!("line {line_no}");
        values.clear();
        for word in line.split_whitespace() {
            let v: f64 = word
                .parse()
                .map_err(|_| MeshError::parse("XYZ", at(), format!("`{word}` is not a number")))?;
            values.push(v);
        }
        if columns.is_none() && declared.is_none() && raw.positions.is_empty() {
            if let [count] = values[..] {
                if count >= 0.0 && count.fract() == 0.0 {
                    declared = Some((line_no, count as u64));
                    continue;
                }
            }
        }
        let n = *columns.get_or_insert(values.len());
        if values.len() < 3 {
            return Err(MeshError::parse(
                "XYZ",
                at(),
                format!("{} numbers; a point needs x y z", values.len()),
            ));
        }
        if values.len() != n {
            return Err(MeshError::parse(
                "XYZ",
                at(),
                format!(
                    "{} numbers, but the first point's line has {n}",
                    values.len()
                ),
            ));
        }
        raw.positions
            .push([values[0] as f32, values[1] as f32, values[2] as f32]);
        if n == 6 {
            raw.normals
                .push([values[3] as f32, values[4] as f32, values[5] as f32]);
        }
    }
    if let Some((line_no, count)) = declared {
        if count != raw.positions.len() as u64 {
            return Err(MeshError::parse(
                "XYZ",
                format!("line {line_no}"),
                format!(
                    "declares {count} points, but the file holds {}",
                    raw.positions.len()
                ),
            ));
        }
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_normals_counts_and_comments() {
        let r = read(b"# scan\n3\n0 0 0 0 0 1\n1 0 0 0 0 1\n\n0 1 0 0 0 1\n").unwrap();
        assert_eq!(
            r.positions,
            vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
        );
        assert_eq!(r.normals.len(), 3);
        // Leica .pts: intensity and colour are ignored.
        let r = read(b"1 2 3 -200 10 20 30\n4 5 6 -100 1 2 3").unwrap();
        assert_eq!(r.positions, vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert!(r.normals.is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        for (text, needle) in [
            (&b"0 0 0\n1 0 0 0\n"[..], "line 2: 4 numbers, but the first"),
            (b"0 0 x\n", "line 1: `x` is not a number"),
            (b"0 0\n", "line 1: 2 numbers; a point needs x y z"),
            (
                b"5\n0 0 0\n",
                "line 1: declares 5 points, but the file holds 1",
            ),
            (b"0 0 0\n\xff\n", "not text"),
        ] {
            let e = read(text).err().expect("an error").to_string();
            assert!(e.contains(needle), "{e:?} lacks {needle:?}");
        }
    }
}
