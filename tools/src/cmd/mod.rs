//! One module per subcommand, each with an `Args` struct (clap derive) and a `run(args)`.
//!
//! Commands never print errors or exit themselves: they return a [`Failure`] and `main` turns it
//! into one line on stderr and the exit status, so every command fails the same way.

pub mod bake;
pub mod bench;
#[cfg(feature = "cuda")]
pub mod bench_cuda;
pub mod compare;
pub mod device;
pub mod eval;
pub mod import;
pub mod info;
pub mod mesh;
pub mod pack;
pub mod render;
pub mod shader;
pub mod text;
pub mod timing;
pub mod validate;
pub mod view;

use nsdf::{Backend, Shape};
use std::fmt::Display;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

/// What a command returns: the exit status on success (validate exits 1 on invalid files
/// after printing its report), or a failure to report.
pub type CmdResult = Result<ExitCode, Failure>;

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// A problem to print as `nsdf: <message>`, exit status 1.
    Error(String),
    /// Whoever reads our standard output has gone (`nsdf ... | head`): stop quietly.
    BrokenPipe,
}

impl Failure {
    pub fn new(message: impl Display) -> Failure {
        Failure::Error(message.to_string())
    }

    /// A problem with a named file: `<path>: <message>`.
    pub fn file(path: &Path, message: impl Display) -> Failure {
        Failure::Error(format!("{}: {message}", path.display()))
    }

    /// A runtime error about the file at `path`. I/O errors already carry the path, so it is not
    /// repeated.
    pub fn nsdf(path: &Path, e: &nsdf::Error) -> Failure {
        match e {
            nsdf::Error::Io { source, .. } => {
                Failure::file(path, format_args!("{}: {source}", e.code()))
            }
            _ => Failure::file(path, e),
        }
    }

    /// An error writing to standard output.
    pub fn stdout(e: io::Error) -> Failure {
        match e.kind() {
            io::ErrorKind::BrokenPipe => Failure::BrokenPipe,
            _ => Failure::new(format_args!("writing to standard output: {e}")),
        }
    }
}

/// Prints a failure and picks the exit status: 0 for success, 1 for errors. (Usage errors exit
/// with 2 from clap before any command runs.)
pub fn finish(result: CmdResult) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Error(message)) => {
            // If stderr is gone too there is nobody left to tell.
            let _ = writeln!(io::stderr().lock(), "nsdf: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Writes a finished report to standard output.
pub fn print(report: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(report.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Failure::stdout)
}

/// Opens and parses a `.nsdf` file, with errors naming it.
pub fn open_shape(path: &Path) -> Result<Shape, Failure> {
    Shape::open(path).map_err(|e| Failure::nsdf(path, &e))
}

/// Reads a whole `.nsdf` file, refusing ones over the format's size limit before reading them.
pub fn read_nsdf(path: &Path) -> Result<Vec<u8>, nsdf::Error> {
    let io = |source| nsdf::Error::Io {
        path: path.display().to_string(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    let limit = nsdf::limits::MAX_FILE_LEN;
    if len > limit {
        return Err(nsdf::Error::LimitExceeded {
            offset: 0,
            what: "file length",
            value: len,
            limit,
        });
    }
    std::fs::read(path).map_err(io)
}

/// Clap parser for `--backend`: `auto` (the fastest this CPU runs) or any compiled-in backend's
/// name. The list comes from [`Backend::ALL`], so new backends appear without changes here.
pub fn backend_parser() -> impl clap::builder::TypedValueParser<Value = BackendChoice> {
    use clap::builder::TypedValueParser;
    let names = std::iter::once("auto").chain(Backend::ALL.iter().map(|b| b.name()));
    clap::builder::PossibleValuesParser::new(names).try_map(|s: String| match s.as_str() {
        "auto" => Ok(BackendChoice::Auto),
        name => name.parse().map(BackendChoice::Named),
    })
}

/// A `--backend` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    Auto,
    Named(Backend),
}

impl BackendChoice {
    /// Applies the choice to a shape; a backend this CPU lacks is an error, not a usage error,
    /// since the same command works elsewhere.
    pub fn apply(self, shape: Shape) -> Result<Shape, Failure> {
        let backend = match self {
            BackendChoice::Auto => return Ok(shape),
            BackendChoice::Named(b) => b,
        };
        if !backend.is_available() {
            return Err(Failure::new(format_args!(
                "backend {} is not supported by this CPU (available: {})",
                backend.name(),
                available_backends().join(", ")
            )));
        }
        shape.with_backend(backend).map_err(Failure::new)
    }
}

/// Names of the backends this CPU can run, slowest first.
pub fn available_backends() -> Vec<&'static str> {
    Backend::ALL
        .iter()
        .filter(|b| b.is_available())
        .map(|b| b.name())
        .collect()
}
