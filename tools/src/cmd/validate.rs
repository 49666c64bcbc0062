//! `nsdf validate FILE... [--json]`: every problem of each file, with code, severity and byte
//! offset. Exit status 1 if any file has an error (warnings alone pass).

use super::text::Table;
use super::{print, read_nsdf, CmdResult};
use nsdf::{Issue, Severity};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Check .nsdf files and list every problem found. Exits with 1 if any file has an error.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "JSON output (--json): an array with one object per file: \
{\"file\", \"valid\", \"issues\": [{\"code\", \"severity\" (error|warning|info), \
\"offset\" (byte offset or null), \"message\"}]}"
)]
pub struct Args {
    /// The .nsdf files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The findings for one file.
struct Report {
    file: PathBuf,
    issues: Vec<Issue>,
}

impl Report {
    fn valid(&self) -> bool {
        self.issues.iter().all(|i| i.severity != Severity::Error)
    }

    fn count(&self, severity: Severity) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == severity)
            .count()
    }
}

pub fn run(args: Args) -> CmdResult {
    let reports: Vec<Report> = args.files.iter().map(|f| check(f)).collect();
    let out = match args.json {
        true => format!("{:#}\n", to_json(&reports)),
        false => reports.iter().map(to_text).collect(),
    };
    print(&out)?;
    match reports.iter().all(Report::valid) {
        true => Ok(ExitCode::SUCCESS),
        false => Ok(ExitCode::FAILURE),
    }
}

/// Validates one file; a file that cannot be read gets an error issue like any other problem.
fn check(path: &Path) -> Report {
    let issues = match read_nsdf(path) {
        Ok(bytes) => nsdf::validate(&bytes),
        Err(e) => {
            let message = match &e {
                nsdf::Error::Io { source, .. } => format!("cannot read the file: {source}"),
                other => other.to_string(),
            };
            vec![Issue {
                severity: Severity::Error,
                code: e.code(),
                offset: e.offset(),
                message,
            }]
        }
    };
    Report {
        file: path.to_path_buf(),
        issues,
    }
}

fn plural(n: usize, word: &str) -> String {
    match n {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    }
}

fn to_text(r: &Report) -> String {
    let (errors, warnings) = (r.count(Severity::Error), r.count(Severity::Warning));
    let verdict = match errors {
        0 => "valid",
        _ => "INVALID",
    };
    let mut out = format!(
        "{}: {verdict} ({}, {})\n",
        r.file.display(),
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    let mut t = Table::new(2, &[]);
    for i in &r.issues {
        let offset = i.offset.map_or("-".to_string(), |o| format!("@{o}"));
        t.row(vec![
            i.severity.to_string(),
            i.code.to_string(),
            offset,
            i.message.clone(),
        ]);
    }
    out += &t.render();
    out
}

fn to_json(reports: &[Report]) -> serde_json::Value {
    let files: Vec<_> = reports
        .iter()
        .map(|r| {
            let issues: Vec<_> = r
                .issues
                .iter()
                .map(|i| {
                    json!({
                        "code": i.code,
                        "severity": i.severity.to_string(),
                        "offset": i.offset,
                        "message": i.message,
                    })
                })
                .collect();
            json!({ "file": r.file.display().to_string(), "valid": r.valid(), "issues": issues })
        })
        .collect();
    serde_json::Value::Array(files)
}
