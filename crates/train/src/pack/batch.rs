//! Many meshes: a directory or a manifest, split into shards so a cluster's job array (Slurm
//! array, Kubernetes indexed Job) can share the work with no coordinator: job I of N packs
//! meshes k with k mod N = I, skips those whose output is already a valid `.nsdf`, and writes
//! its own `summary-I-of-N.csv` and `.json`.

use super::summary::{self, Row, Status};
use super::{output_name, pack_file, Event, Events, Options, PackError};
use nsdf_mesh::Format;
use std::path::{Path, PathBuf};

/// `--shard I/N`: this job's index and the number of jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether the `k`th mesh of the sorted list belongs to this shard.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("'{s}' is not a shard: expected I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// The meshes named by `input`: itself if it is a mesh file, every mesh file in a directory (sorted by name, not
/// recursive), or the lines of a manifest (one path per line, relative to the manifest's
/// directory; blank lines and `#` comments ignored), in the manifest's order.
pub fn list_inputs(input: &Path) -> Result<Vec<PathBuf>, String> {
    let err = |e: std::io::Error| format!("{}: {e}", input.display());
    if input.is_file() && Format::from_path(input).is_some() {
        return Ok(vec![input.to_path_buf()]);
    }
    if input.is_dir() {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(input).map_err(err)? {
            let path = entry.map_err(err)?.path();
            if path.is_file() && Format::from_path(&path).is_some() {
                found.push(path);
            }
        }
        found.sort();
        return Ok(found);
    }
    let text = std::fs::read_to_string(input).map_err(err)?;
    let base = input.parent().unwrap_or(Path::new(""));
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| base.join(l))
        .collect())
}

/// The outcome of a batch.
pub struct Batch {
    pub rows: Vec<Row>,
    /// Ctrl-C stopped it; the rows cover the meshes finished before.
    pub cancelled: bool,
}

impl Batch {
    pub fn failures(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.status, Status::Failed(_)))
            .count()
    }
}

/// Packs this shard's meshes into `out_dir` (call inside [`super::with_threads`]). A failing
/// mesh is recorded and the others continue. `report` sees each row as it is finished.
pub fn run(
    inputs: &[PathBuf],
    out_dir: &Path,
    shard: Shard,
    opts: &Options,
    events: &mut Events<'_>,
    report: &mut dyn FnMut(&Row),
) -> Batch {
    let mine: Vec<&PathBuf> = inputs
        .iter()
        .enumerate()
        .filter(|(k, _)| shard.owns(*k))
        .map(|(_, p)| p)
        .collect();
    let mut rows = Vec::with_capacity(mine.len());
    for (i, input) in mine.iter().enumerate() {
        let name = input.file_name().map_or_else(
            || input.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let output = out_dir.join(output_name(input));
        let status = if let Some(bytes) = already_done(&output) {
            Status::Skipped { bytes }
        } else {
            let label = format!("[{}/{}] {name}", i + 1, mine.len());
            let _ = events(Event::Start { label: &label });
            match pack_file(input, &output, opts, events) {
                Ok(p) => Status::Packed(p),
                Err(PackError::Cancelled) => {
                    return Batch {
                        rows,
                        cancelled: true,
                    }
                }
                Err(e) => Status::Failed(e.to_string()),
            }
        };
        let row = Row { name, status };
        report(&row);
        rows.push(row);
    }
    Batch {
        rows,
        cancelled: false,
    }
}

/// The size of `output` if it exists and is a valid `.nsdf` file.
fn already_done(output: &Path) -> Option<usize> {
    let bytes = nsdf::read(output).ok()?;
    nsdf::parse(&bytes).ok().map(|_| bytes.len())
}

/// Writes `summary-I-of-N.csv` and `.json` into `out_dir` (atomically); returns their paths.
pub fn write_summaries(out_dir: &Path, shard: Shard, rows: &[Row]) -> Result<[PathBuf; 2], String> {
    let stem = format!("summary-{}-of-{}", shard.index, shard.count);
    let csv = out_dir.join(format!("{stem}.csv"));
    let json = out_dir.join(format!("{stem}.json"));
    nsdf::write_atomic(&csv, summary::to_csv(rows).as_bytes()).map_err(|e| e.to_string())?;
    nsdf::write_atomic(&json, summary::to_json(rows).as_bytes()).map_err(|e| e.to_string())?;
    Ok([csv, json])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_partition() {
        let s: Shard = "1/3".parse().unwrap();
        assert_eq!(s, Shard { index: 1, count: 3 });
        assert_eq!((0..7).filter(|&k| s.owns(k)).collect::<Vec<_>>(), [1, 4]);
        for bad in ["3/2", "0/0", "1", "a/2", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
