//! `nsdf eval`'s point input: `x y z` text lines or little-endian float32 triples, parsed from
//! bytes that may come from anyone (a web service evaluating user-chosen points).
//!
//! - Text: one point per line, the numbers separated by spaces, tabs or commas; blank lines and
//!   `#` comments are skipped; `\r\n` line ends are accepted. Errors name the 1-based line
//!   (and, for bytes that are not UTF-8, the byte offset).
//! - Binary: little-endian float32 triples, 12 bytes per point; an input whose length is not a
//!   multiple of 12 is an error naming its length, a bad coordinate one naming the point and
//!   its byte offset.
//!
//! Non-finite coordinates (NaN, infinities, and decimal numbers beyond float32's range such as
//! `1e40`) are errors in both forms: a distance at such a point means nothing.
//!
//! Memory: nothing is sized from a number in the input. A text point needs at least 6 bytes
//! (`0 0 0\n`; 5 for a last line without newline), so at most `(len + 1) / 6` points are read,
//! and the output vector (12 bytes a point, grown by doubling) requests at most
//! `4 × len + 48` bytes in all, with no allocation per line; an error message adds at most
//! 2 KiB (a quoted field is cut after 20 characters, at most 10 bytes each once escaped). Binary input allocates exactly
//! `len` bytes (`len / 12` points), once, after its length has been checked.
//! `tools/tests/points_alloc.rs` measures both under a counting allocator.

/// Parses `x y z` lines. Errors name the 1-based line.
pub fn parse_text(bytes: &[u8]) -> Result<Vec<[f32; 3]>, String> {
    let mut points = Vec::new();
    let mut offset = 0;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let n = i + 1;
        let start = offset;
        offset += line.len() + 1;
        let line = std::str::from_utf8(line).map_err(|e| {
            format!(
                "line {n}: not UTF-8 text at byte offset {} (binary input needs --binary-in)",
                start + e.valid_up_to()
            )
        })?;
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields = || {
            line.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|f| !f.is_empty())
        };
        let count = fields().count();
        if count != 3 {
            return Err(format!(
                "line {n}: expected 3 numbers (x y z), found {count}"
            ));
        }
        let mut p = [0.0f32; 3];
        for (slot, field) in p.iter_mut().zip(fields()) {
            let v: f32 = field
                .parse()
                .map_err(|_| format!("line {n}: '{}' is not a number", quote(field)))?;
            if !v.is_finite() {
                return Err(format!(
                    "line {n}: coordinate '{}' is not a finite float32",
                    quote(field)
                ));
            }
            *slot = v;
        }
        points.push(p);
    }
    Ok(points)
}

/// A field for an error message: escaped, and cut after 20 characters so the message stays
/// small whatever the input.
fn quote(field: &str) -> String {
    match field.char_indices().nth(20) {
        Some((i, _)) => format!("{}...", field[..i].escape_debug()),
        None => field.escape_debug().to_string(),
    }
}

/// Parses little-endian float32 triples.
pub fn parse_binary(bytes: &[u8]) -> Result<Vec<[f32; 3]>, String> {
    if !bytes.len().is_multiple_of(12) {
        return Err(format!(
            "binary input is {} bytes, not a multiple of 12 (3 little-endian float32 per point)",
            bytes.len()
        ));
    }
    let mut points = Vec::with_capacity(bytes.len() / 12);
    for (i, chunk) in bytes.chunks_exact(12).enumerate() {
        let f = |k: usize| f32::from_le_bytes([chunk[k], chunk[k + 1], chunk[k + 2], chunk[k + 3]]);
        let p = [f(0), f(4), f(8)];
        if p.iter().any(|v| !v.is_finite()) {
            return Err(format!(
                "point {i} (byte offset {}) has a non-finite coordinate",
                i * 12
            ));
        }
        points.push(p);
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_accepts_spaces_commas_comments() {
        let pts = parse_text(b"# header\n1 2 3\n\n 4,5,6 # trailing\r\n7\t8 ,9\n").unwrap();
        assert_eq!(pts, vec![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]);
        assert!(parse_text(b"").unwrap().is_empty());
        assert_eq!(parse_text(b"0 0 0").unwrap(), vec![[0.0; 3]]);
    }

    #[test]
    fn text_wrong_field_count() {
        assert_eq!(
            parse_text(b"1 2 3\n1 2\n").unwrap_err(),
            "line 2: expected 3 numbers (x y z), found 2"
        );
        assert_eq!(
            parse_text(b"1,2,3,4").unwrap_err(),
            "line 1: expected 3 numbers (x y z), found 4"
        );
    }

    #[test]
    fn text_not_a_number() {
        assert_eq!(
            parse_text(b"\n\n1 x 3\n").unwrap_err(),
            "line 3: 'x' is not a number"
        );
        assert_eq!(
            parse_text("1 2 \u{1}\n".as_bytes()).unwrap_err(),
            "line 1: '\\u{1}' is not a number"
        );
    }

    #[test]
    fn text_non_finite() {
        assert_eq!(
            parse_text(b"1 2 inf\n").unwrap_err(),
            "line 1: coordinate 'inf' is not a finite float32"
        );
        assert_eq!(
            parse_text(b"1 2 1e40\n").unwrap_err(),
            "line 1: coordinate '1e40' is not a finite float32"
        );
        assert!(parse_text(b"1 2 NaN\n").unwrap_err().starts_with("line 1:"));
    }

    #[test]
    fn text_not_utf8() {
        assert_eq!(
            parse_text(b"1 2 3\n4 \xff 6\n").unwrap_err(),
            "line 2: not UTF-8 text at byte offset 8 (binary input needs --binary-in)"
        );
    }

    #[test]
    fn binary_not_whole_triples() {
        assert_eq!(
            parse_binary(&[0; 13]).unwrap_err(),
            "binary input is 13 bytes, not a multiple of 12 (3 little-endian float32 per point)"
        );
        let b = 1.5f32.to_le_bytes().repeat(3);
        assert_eq!(parse_binary(&b).unwrap(), vec![[1.5; 3]]);
        assert!(parse_binary(&[]).unwrap().is_empty());
    }

    #[test]
    fn binary_non_finite() {
        let mut b = 1.5f32.to_le_bytes().repeat(6);
        b[20..].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(
            parse_binary(&b).unwrap_err(),
            "point 1 (byte offset 12) has a non-finite coordinate"
        );
    }
}
