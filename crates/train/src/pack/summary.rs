//! The per-mesh summary of a batch, as CSV (for spreadsheets) and JSON (for scripts).

use super::Packed;

/// What happened to one mesh.
#[derive(Clone, Debug)]
pub enum Status {
    Packed(Packed),
    /// The output already existed and is a valid `.nsdf` (skip-if-done).
    Skipped {
        bytes: usize,
    },
    Failed(String),
}

/// One mesh's row.
#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    pub status: Status,
}

const COLUMNS: &[&str] = &[
    "name",
    "status",
    "triangles",
    "load_s",
    "sampling_s",
    "train_s",
    "quantize_s",
    "verify_s",
    "total_s",
    "bytes",
    "surface_mean",
    "surface_max",
    "f1_near",
    "f1_uniform",
    "sign_near",
    "sign_uniform",
    "warnings",
    "error",
];

impl Row {
    fn status_name(&self) -> &'static str {
        match self.status {
            Status::Packed(_) => "packed",
            Status::Skipped { .. } => "skipped",
            Status::Failed(_) => "failed",
        }
    }

    /// Values in [`COLUMNS`] order; `None` where the figure does not apply.
    fn values(&self) -> Vec<(&'static str, serde_json::Value)> {
        use serde_json::Value as J;
        let mut v = vec![
            ("name", J::from(self.name.clone())),
            ("status", J::from(self.status_name())),
        ];
        let num = |x: f64| J::from((x * 1e6).round() / 1e6);
        match &self.status {
            Status::Packed(p) => {
                let t = &p.timings;
                let a = &p.accuracy;
                v.extend([
                    ("triangles", J::from(p.triangles)),
                    ("load_s", num(t.load.as_secs_f64())),
                    ("sampling_s", num(t.sampling.as_secs_f64())),
                    ("train_s", num(t.train.as_secs_f64())),
                    ("quantize_s", num(t.quantize.as_secs_f64())),
                    ("verify_s", num(t.verify.as_secs_f64())),
                    ("total_s", num(t.total().as_secs_f64())),
                    ("bytes", J::from(p.bytes)),
                    ("surface_mean", num(a.surface_mean)),
                    ("surface_max", num(a.surface_max)),
                    ("f1_near", num(a.f1_near)),
                    ("f1_uniform", num(a.f1_uniform)),
                    ("sign_near", num(a.sign_near)),
                    ("sign_uniform", num(a.sign_uniform)),
                ]);
                if !p.warnings.is_empty() {
                    v.push((
                        "warnings",
                        J::from(
                            p.warnings
                                .iter()
                                .map(|w| w.to_string())
                                .collect::<Vec<_>>()
                                .join("; "),
                        ),
                    ));
                }
            }
            Status::Skipped { bytes } => v.push(("bytes", J::from(*bytes))),
            Status::Failed(e) => v.push(("error", J::from(e.clone()))),
        }
        v
    }
}

/// The rows as CSV, with a header; absent figures are empty cells.
pub fn to_csv(rows: &[Row]) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for row in rows {
        let values = row.values();
        let cells: Vec<String> = COLUMNS
            .iter()
            .map(|c| match values.iter().find(|(k, _)| k == c) {
                Some((_, serde_json::Value::String(s))) => csv_cell(s),
                Some((_, v)) => v.to_string(),
                None => String::new(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The rows as a JSON array of objects (absent figures left out).
pub fn to_json(rows: &[Row]) -> String {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let map: serde_json::Map<String, serde_json::Value> = r
                .values()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            serde_json::Value::Object(map)
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&list).expect("JSON values always serialise");
    s.push('\n');
    s
}

/// Quotes a cell when it holds a separator, quote or line break (RFC 4180).
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_awkward_cells_and_leaves_absent_ones_empty() {
        let rows = [Row {
            name: "a,b.obj".into(),
            status: Status::Failed("bad \"face\"".into()),
        }];
        let csv = to_csv(&rows);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.starts_with("\"a,b.obj\",failed,,"), "{line}");
        assert!(line.ends_with(",\"bad \"\"face\"\"\""), "{line}");
        assert_eq!(line.matches(',').count(), COLUMNS.len() - 1 + 1); // one inside the name
        let json: serde_json::Value = serde_json::from_str(&to_json(&rows)).unwrap();
        assert_eq!(json[0]["status"], "failed");
        assert!(json[0].get("bytes").is_none());
    }
}
