//! The per-mesh summary of a batch, as CSV (for spreadsheets) and JSON (for scripts).

use super::Packed;

/// What happened to one mesh.
#[derive(Clone, Debug)]
pub enum Status {
    Packed(Packed),
    /// The output already existed and is a valid `.nsdf` (skip-if-done: an earlier run, perhaps
    /// killed part-way, packed it); its stored accuracy figures, if any, are reported.
    Skipped {
        bytes: usize,
        stats: Option<nsdf::Stats>,
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
            Status::Skipped { bytes, stats } => {
                v.push(("bytes", J::from(*bytes)));
                if let Some(st) = stats {
                    // Stored in world units; the summary's are canonical (÷ R, and the near
                    // band's σ is 0.01 R).
                    let r = (st.near_sigma / crate::metrics::NEAR_SIGMA) as f64;
                    v.extend([
                        ("surface_mean", num(st.surface_mean_error as f64 / r)),
                        ("surface_max", num(st.surface_max_error as f64 / r)),
                        ("sign_near", num(st.near_sign_agreement as f64)),
                        ("sign_uniform", num(st.volume_sign_agreement as f64)),
                    ]);
                }
            }
            Status::Failed(e) => v.push(("error", J::from(e.clone()))),
        }
        v
    }
}

/// A row as a JSON object (absent figures left out): what the summaries hold.
pub type Object = serde_json::Map<String, serde_json::Value>;

/// The rows as JSON objects.
pub fn to_objects(rows: &[Row]) -> Vec<Object> {
    rows.iter()
        .map(|r| {
            r.values()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect()
        })
        .collect()
}

/// The rows as CSV, with a header; absent figures are empty cells.
pub fn to_csv(rows: &[Object]) -> String {
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = COLUMNS
            .iter()
            .map(|c| match row.get(*c) {
                Some(serde_json::Value::String(s)) => csv_cell(s),
                Some(v) => v.to_string(),
                None => String::new(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The rows as a pretty JSON array.
pub fn to_json(rows: &[Object]) -> String {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .cloned()
        .map(serde_json::Value::Object)
        .collect();
    let mut s = serde_json::to_string_pretty(&list).expect("JSON values always serialise");
    s.push('\n');
    s
}

/// A merged summary: every shard's rows, and what was wrong with the set of shards.
pub struct Merged {
    pub rows: Vec<Object>,
    /// Shards counted, from the file names.
    pub shards: usize,
    /// Problems that make the merge incomplete (a missing shard, a mesh listed twice).
    pub problems: Vec<String>,
}

/// Reads every `summary-I-of-N.json` in `dir` and merges them (rows sorted by name). All must
/// agree on N and all N must be present; a mesh in two shards is reported.
pub fn merge(dir: &std::path::Path) -> Result<Merged, String> {
    let err = |e: std::io::Error| format!("{}: {e}", dir.display());
    let mut found: Vec<(usize, usize, std::path::PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let path = entry.map_err(err)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(stem) = name
            .strip_prefix("summary-")
            .and_then(|s| s.strip_suffix(".json"))
        else {
            continue;
        };
        let Some((i, n)) = stem.split_once("-of-") else {
            continue;
        };
        if let (Ok(i), Ok(n)) = (i.parse(), n.parse()) {
            found.push((i, n, path));
        }
    }
    if found.is_empty() {
        return Err(format!(
            "{}: no summary-I-of-N.json files (run nsdf pack --out-dir there first)",
            dir.display()
        ));
    }
    found.sort();
    let mut problems = Vec::new();
    let counts: std::collections::BTreeSet<usize> = found.iter().map(|f| f.1).collect();
    let count = *counts.iter().max().unwrap_or(&1);
    if counts.len() > 1 {
        problems.push(format!(
            "summaries from runs with different shard counts ({counts:?}): merged all of them"
        ));
    }
    for i in 0..count {
        if !found.iter().any(|f| f.0 == i && f.1 == count) {
            problems.push(format!(
                "shard {i} of {count} has no summary (not run, or not finished)"
            ));
        }
    }
    let mut rows: Vec<Object> = Vec::new();
    for (_, _, path) in &found {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let list: Vec<Object> = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a summary: {e}", path.display()))?;
        rows.extend(list);
    }
    let name = |o: &Object| {
        o.get("name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    rows.sort_by_key(name);
    for pair in rows.windows(2) {
        if name(&pair[0]) == name(&pair[1]) {
            problems.push(format!(
                "{} appears in more than one summary",
                name(&pair[0])
            ));
        }
    }
    Ok(Merged {
        rows,
        shards: count,
        problems,
    })
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
        let objects = to_objects(&rows);
        let csv = to_csv(&objects);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.starts_with("\"a,b.obj\",failed,,"), "{line}");
        assert!(line.ends_with(",\"bad \"\"face\"\"\""), "{line}");
        assert_eq!(line.matches(',').count(), COLUMNS.len() - 1 + 1); // one inside the name
        let json: serde_json::Value = serde_json::from_str(&to_json(&objects)).unwrap();
        assert_eq!(json[0]["status"], "failed");
        assert!(json[0].get("bytes").is_none());
    }
}
