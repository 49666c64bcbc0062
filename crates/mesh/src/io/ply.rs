//! PLY (Stanford polygon file), ASCII and binary little/big endian, hand-written: the format
//! is small, and reading it ourselves keeps every count checked against the bytes actually
//! present (a hostile header cannot make us allocate or loop beyond the file size).
//!
//! Reads `vertex` (x, y, z of any numeric type, and nx, ny, nz where all three are declared:
//! a point cloud's normals) and `face` (a list property named
//! `vertex_indices` or `vertex_index`, else the first list), fan-triangulating polygons;
//! other elements and properties are skipped.
//!
//! **Memory bound.** Before an element is read, its declared count is checked against the bytes
//! left: `count × (minimum record size)` must fit, where a binary record needs the sizes of its
//! scalars and list-length fields, and an ASCII record at least two bytes (a digit and a
//! separator) per property; the same check applies to each list length against its item size.
//! Only then is room for the vertices reserved. So every position comes from at least 3 bytes
//! (three `uchar` coordinates) and costs 12; every triangle from at least one byte (a `uchar`
//! index in a long fan) and costs 12 here and about 400 in the loader's checks (`io/mod.rs`).
//! Loading allocates at most **512 × the file length + 64 KiB** (header strings included;
//! `tests/alloc_bound.rs`; measured at most 28×, valid files 14–23×).

use crate::error::MeshError;
use crate::io::Raw;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ty {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl Ty {
    fn parse(s: &str) -> Option<Ty> {
        Some(match s {
            "char" | "int8" => Ty::I8,
            "uchar" | "uint8" => Ty::U8,
            "short" | "int16" => Ty::I16,
            "ushort" | "uint16" => Ty::U16,
            "int" | "int32" => Ty::I32,
            "uint" | "uint32" => Ty::U32,
            "float" | "float32" => Ty::F32,
            "double" | "float64" => Ty::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Ty::I8 | Ty::U8 => 1,
            Ty::I16 | Ty::U16 => 2,
            Ty::I32 | Ty::U32 | Ty::F32 => 4,
            Ty::F64 => 8,
        }
    }

    fn is_int(self) -> bool {
        !matches!(self, Ty::F32 | Ty::F64)
    }
}

enum Prop {
    Scalar { name: String, ty: Ty },
    List { name: String, count: Ty, item: Ty },
}

struct Element {
    name: String,
    count: u64,
    props: Vec<Prop>,
}

#[derive(Clone, Copy, PartialEq)]
enum Encoding {
    Ascii,
    Little,
    Big,
}

pub(crate) fn read(bytes: &[u8]) -> Result<Raw, MeshError> {
    let (encoding, elements, body) = header(bytes)?;
    let mut values = Values {
        encoding,
        body,
        pos: 0,
    };
    let mut raw = Raw {
        positions: Vec::new(),
        triangles: Vec::new(),
        normals: Vec::new(),
    };
    let mut polygon: Vec<u32> = Vec::new();
    for el in &elements {
        let at = |i: u64| format!("element {} item {}", el.name, i);
        if el.props.is_empty() {
            continue; // nothing to read, whatever the count says
        }
        // Every record needs at least `min` bytes: refuse counts the rest of the file cannot
        // hold before reserving anything for them.
        let min = el
            .props
            .iter()
            .map(|p| match (encoding, p) {
                (Encoding::Ascii, _) => 2,
                (_, Prop::Scalar { ty, .. }) => ty.size() as u64,
                (_, Prop::List { count, .. }) => count.size() as u64,
            })
            .sum::<u64>();
        let left = (body.len() - values.pos) as u64;
        // ASCII: the last value of the file needs no separator after it.
        let fits = el
            .count
            .checked_mul(min)
            .is_some_and(|need| need <= left + u64::from(encoding == Encoding::Ascii));
        if !fits {
            return Err(MeshError::parse(
                "PLY",
                "header",
                format!(
                    "file ends early: element {} declares {} items of at least {min} bytes each, but only {left} bytes follow",
                    el.name, el.count
                ),
            ));
        }
        let is_vertex = el.name == "vertex";
        let is_face = el.name == "face";
        let xyz: Vec<usize> = if is_vertex {
            let total = (raw.positions.len() as u64).saturating_add(el.count);
            if total > u32::MAX as u64 {
                return Err(MeshError::limit(
                    "PLY",
                    format!("{total} vertices"),
                    u32::MAX as u64,
                ));
            }
            raw.positions.reserve(el.count as usize);
            ["x", "y", "z"]
                .iter()
                .map(|c| {
                    el.props
                        .iter()
                        .position(|p| matches!(p, Prop::Scalar { name, .. } if name == c))
                        .ok_or_else(|| {
                            MeshError::parse(
                                "PLY",
                                "header",
                                format!("vertex has no `{c}` property"),
                            )
                        })
                })
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        // Normals are read only when all three components are there.
        let normal: Vec<usize> = if is_vertex {
            ["nx", "ny", "nz"]
                .iter()
                .filter_map(|c| {
                    el.props
                        .iter()
                        .position(|p| matches!(p, Prop::Scalar { name, .. } if name == c))
                })
                .collect()
        } else {
            Vec::new()
        };
        let has_normals = normal.len() == 3;
        if has_normals {
            raw.normals.reserve(el.count as usize);
        }
        let list = if is_face {
            let named = el.props.iter().position(
                |p| matches!(p, Prop::List { name, .. } if name == "vertex_indices" || name == "vertex_index"),
            );
            let first = el.props.iter().position(|p| matches!(p, Prop::List { .. }));
            Some(named.or(first).ok_or_else(|| {
                MeshError::parse(
                    "PLY",
                    "header",
                    "face has no list property (vertex_indices)",
                )
            })?)
        } else {
            None
        };
        for i in 0..el.count {
            let mut p = [0f32; 3];
            let mut n = [0f32; 3];
            for (k, prop) in el.props.iter().enumerate() {
                match prop {
                    Prop::Scalar { ty, .. } => {
                        let v = values.next(*ty).ok_or_else(|| truncated(&at(i)))?;
                        if let Some(axis) = xyz.iter().position(|&x| x == k) {
                            p[axis] = v as f32;
                        }
                        if let Some(axis) = normal.iter().position(|&x| x == k) {
                            n[axis] = v as f32;
                        }
                    }
                    Prop::List { count, item, .. } => {
                        let n = values.next(*count).ok_or_else(|| truncated(&at(i)))?;
                        if n.is_nan() || n < 0.0 || n.fract() != 0.0 {
                            return Err(MeshError::parse(
                                "PLY",
                                at(i),
                                format!("bad list length {n}"),
                            ));
                        }
                        let keep = list == Some(k);
                        let left = (values.body.len() - values.pos) as u64;
                        let per = match encoding {
                            Encoding::Ascii => 1, // the separator may be the list's last byte
                            _ => item.size() as u64,
                        };
                        if (n as u64).checked_mul(per).is_none_or(|need| need > left) {
                            return Err(MeshError::parse(
                                "PLY",
                                at(i),
                                format!("file ends early: list of {n} items, but only {left} bytes follow"),
                            ));
                        }
                        polygon.clear();
                        for _ in 0..n as u64 {
                            let v = values.next(*item).ok_or_else(|| truncated(&at(i)))?;
                            if keep {
                                if !(v >= 0.0 && v <= u32::MAX as f64) || v.fract() != 0.0 {
                                    return Err(MeshError::IndexOutOfRange {
                                        face: i as usize,
                                        index: v as i64,
                                        vertices: raw.positions.len(),
                                    });
                                }
                                polygon.push(v as u32);
                            }
                        }
                        // Fan triangulation; faces with fewer than 3 vertices add nothing.
                        for j in 2..polygon.len() {
                            raw.triangles.push([polygon[0], polygon[j - 1], polygon[j]]);
                        }
                    }
                }
            }
            if is_vertex {
                raw.positions.push(p);
                if has_normals {
                    raw.normals.push(n);
                }
            }
        }
    }
    Ok(raw)
}

fn truncated(at: &str) -> MeshError {
    MeshError::parse("PLY", at, "file ends early (or a value is not a number)")
}

/// Parses the header; returns the encoding, the elements and the body bytes.
fn header(bytes: &[u8]) -> Result<(Encoding, Vec<Element>, &[u8]), MeshError> {
    if !(bytes.starts_with(b"ply\n") || bytes.starts_with(b"ply\r\n")) {
        return Err(MeshError::parse(
            "PLY",
            "byte 0",
            "missing `ply` magic line",
        ));
    }
    let mut pos = 0usize;
    let mut encoding = None;
    let mut elements: Vec<Element> = Vec::new();
    let mut line_no = 0usize;
    loop {
        let rest = &bytes[pos..];
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| MeshError::parse("PLY", "header", "no `end_header` line"))?;
        let line = std::str::from_utf8(&rest[..end])
            .map_err(|_| {
                MeshError::parse("PLY", format!("line {}", line_no + 1), "header is not text")
            })?
            .trim();
        pos += end + 1;
        line_no += 1;
        let at = || format!("line {line_no}");
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.first().copied() {
            Some("ply") | Some("comment") | Some("obj_info") | None => {}
            Some("format") => {
                encoding = Some(match w.get(1).copied() {
                    Some("ascii") => Encoding::Ascii,
                    Some("binary_little_endian") => Encoding::Little,
                    Some("binary_big_endian") => Encoding::Big,
                    other => {
                        return Err(MeshError::parse(
                            "PLY",
                            at(),
                            format!("unknown format {other:?}"),
                        ))
                    }
                });
            }
            Some("element") => {
                let (Some(name), Some(count)) =
                    (w.get(1), w.get(2).and_then(|c| c.parse::<u64>().ok()))
                else {
                    return Err(MeshError::parse(
                        "PLY",
                        at(),
                        "expected `element NAME COUNT`",
                    ));
                };
                elements.push(Element {
                    name: name.to_string(),
                    count,
                    props: Vec::new(),
                });
            }
            Some("property") => {
                let el = elements
                    .last_mut()
                    .ok_or_else(|| MeshError::parse("PLY", at(), "property before any element"))?;
                let bad = || MeshError::parse("PLY", at(), format!("bad property line `{line}`"));
                if w.get(1) == Some(&"list") {
                    let (Some(count), Some(item), Some(name)) = (
                        w.get(2).and_then(|t| Ty::parse(t)),
                        w.get(3).and_then(|t| Ty::parse(t)),
                        w.get(4),
                    ) else {
                        return Err(bad());
                    };
                    if !count.is_int() {
                        return Err(bad());
                    }
                    el.props.push(Prop::List {
                        name: name.to_string(),
                        count,
                        item,
                    });
                } else {
                    let (Some(ty), Some(name)) = (w.get(1).and_then(|t| Ty::parse(t)), w.get(2))
                    else {
                        return Err(bad());
                    };
                    el.props.push(Prop::Scalar {
                        name: name.to_string(),
                        ty,
                    });
                }
            }
            Some("end_header") => break,
            Some(other) => {
                return Err(MeshError::parse(
                    "PLY",
                    at(),
                    format!("unknown header keyword `{other}`"),
                ))
            }
        }
    }
    let encoding = encoding.ok_or_else(|| MeshError::parse("PLY", "header", "no `format` line"))?;
    Ok((encoding, elements, &bytes[pos..]))
}

/// Sequential reader of typed values from the body.
struct Values<'a> {
    encoding: Encoding,
    body: &'a [u8],
    pos: usize,
}

impl Values<'_> {
    /// The next value as f64 (exact for every PLY type), `None` at the end or on bad text.
    fn next(&mut self, ty: Ty) -> Option<f64> {
        match self.encoding {
            Encoding::Ascii => {
                let rest = &self.body[self.pos..];
                let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
                let len = rest[start..]
                    .iter()
                    .position(|b| b.is_ascii_whitespace())
                    .unwrap_or(rest.len() - start);
                self.pos += start + len;
                let v: f64 = std::str::from_utf8(&rest[start..start + len])
                    .ok()?
                    .parse()
                    .ok()?;
                if ty.is_int() && v.fract() != 0.0 {
                    return None;
                }
                Some(v)
            }
            Encoding::Little | Encoding::Big => {
                let n = ty.size();
                let s = self.body.get(self.pos..self.pos + n)?;
                self.pos += n;
                let mut b = [0u8; 8];
                b[..n].copy_from_slice(s);
                if self.encoding == Encoding::Big {
                    b[..n].reverse();
                }
                Some(match ty {
                    Ty::I8 => b[0] as i8 as f64,
                    Ty::U8 => b[0] as f64,
                    Ty::I16 => i16::from_le_bytes([b[0], b[1]]) as f64,
                    Ty::U16 => u16::from_le_bytes([b[0], b[1]]) as f64,
                    Ty::I32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
                    Ty::U32 => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
                    Ty::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64,
                    Ty::F64 => f64::from_le_bytes(b),
                })
            }
        }
    }
}
