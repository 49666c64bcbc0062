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

impl Shard {
    /// `--shard auto` (Slurm) or `auto/N` (N given: Kubernetes Indexed Jobs, or Slurm): this
    /// job's index from the job array's environment, read through `var`.
    ///
    /// - Slurm job arrays: `SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN` (so `--array=1-8`
    ///   works too), out of `SLURM_ARRAY_TASK_COUNT`. The array must be contiguous (no `:step`).
    /// - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX`, out of N (the Job's `completions`,
    ///   which the pod cannot see).
    pub fn from_env(
        count: Option<usize>,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Shard, String> {
        let number = |name: &str| -> Result<Option<usize>, String> {
            match var(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name}={v:?} is not a whole number")),
            }
        };
        let (index, count) = if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let n = match (count, number("SLURM_ARRAY_TASK_COUNT")?) {
                (Some(n), _) | (None, Some(n)) => n,
                (None, None) => {
                    return Err("SLURM_ARRAY_TASK_COUNT is not set: give --shard auto/N".into())
                }
            };
            let index = id.checked_sub(min).ok_or_else(|| {
                format!("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}")
            })?;
            (index, n)
        } else if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let n = count.ok_or(
                "JOB_COMPLETION_INDEX is set but not the number of jobs: give --shard auto/N \
                 with N the Indexed Job's completions",
            )?;
            (index, n)
        } else {
            return Err(
                "--shard auto: neither SLURM_ARRAY_TASK_ID (Slurm job array) nor \
                 JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set; give --shard I/N"
                    .into(),
            );
        };
        if count == 0 || index >= count {
            return Err(format!(
                "--shard auto: index {index} is not below the job count {count} (a job array \
                 with gaps or a step is not supported)"
            ));
        }
        Ok(Shard { index, count })
    }
}

/// What `--shard` says: a fixed `I/N`, or `auto` / `auto/N` (see [`Shard::from_env`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardSpec {
    Fixed(Shard),
    Auto { count: Option<usize> },
}

impl ShardSpec {
    /// This job's shard (from the process environment for `auto`).
    pub fn resolve(&self) -> Result<Shard, String> {
        match *self {
            ShardSpec::Fixed(s) => Ok(s),
            ShardSpec::Auto { count } => Shard::from_env(count, &|k| std::env::var(k).ok()),
        }
    }
}

impl std::str::FromStr for ShardSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<ShardSpec, String> {
        match s.trim().strip_prefix("auto") {
            Some("") => Ok(ShardSpec::Auto { count: None }),
            Some(rest) => match rest.strip_prefix('/').and_then(|n| n.parse::<usize>().ok()) {
                Some(n) if n > 0 => Ok(ShardSpec::Auto { count: Some(n) }),
                _ => Err(format!(
                    "'{s}' is not a shard: expected I/N, auto or auto/N"
                )),
            },
            None => s.parse().map(ShardSpec::Fixed),
        }
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
        let status = if let Some((bytes, stats)) = already_done(&output) {
            Status::Skipped { bytes, stats }
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

/// The size and stored statistics of `output` if it exists and is a valid `.nsdf` file.
fn already_done(output: &Path) -> Option<(usize, Option<nsdf::Stats>)> {
    let bytes = nsdf::read(output).ok()?;
    let parsed = nsdf::parse(&bytes).ok()?;
    Some((bytes.len(), parsed.model.stats))
}

/// Writes `summary-I-of-N.csv` and `.json` into `out_dir` (atomically); returns their paths.
pub fn write_summaries(out_dir: &Path, shard: Shard, rows: &[Row]) -> Result<[PathBuf; 2], String> {
    let stem = format!("summary-{}-of-{}", shard.index, shard.count);
    let csv = out_dir.join(format!("{stem}.csv"));
    let json = out_dir.join(format!("{stem}.json"));
    write_pair(&csv, &json, &summary::to_objects(rows))?;
    Ok([csv, json])
}

/// Merges every shard's summary in `out_dir` into `summary.csv` and `summary.json` there
/// (`nsdf pack --summarize`); returns the merge and the two paths.
pub fn merge_summaries(out_dir: &Path) -> Result<(summary::Merged, [PathBuf; 2]), String> {
    let merged = summary::merge(out_dir)?;
    let csv = out_dir.join("summary.csv");
    let json = out_dir.join("summary.json");
    write_pair(&csv, &json, &merged.rows)?;
    Ok((merged, [csv, json]))
}

fn write_pair(csv: &Path, json: &Path, rows: &[summary::Object]) -> Result<(), String> {
    nsdf::write_atomic(csv, summary::to_csv(rows).as_bytes()).map_err(|e| e.to_string())?;
    nsdf::write_atomic(json, summary::to_json(rows).as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_come_from_slurm_or_kubernetes_environments() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string())
        };
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ]);
        assert_eq!(
            Shard::from_env(None, &slurm),
            Ok(Shard { index: 4, count: 8 })
        );
        let slurm0 = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::from_env(None, &slurm0),
            Ok(Shard { index: 3, count: 4 })
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "2")]);
        assert_eq!(
            Shard::from_env(Some(3), &k8s),
            Ok(Shard { index: 2, count: 3 })
        );
        assert!(Shard::from_env(None, &k8s).unwrap_err().contains("auto/N"));
        assert!(Shard::from_env(Some(2), &k8s)
            .unwrap_err()
            .contains("not below"));
        assert!(Shard::from_env(None, &env(&[]))
            .unwrap_err()
            .contains("neither"));
        let bad = env(&[
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert!(Shard::from_env(None, &bad)
            .unwrap_err()
            .contains("whole number"));
    }

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
