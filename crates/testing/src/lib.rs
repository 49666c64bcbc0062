//! Test support for the nsdf workspace, in one place:
//!
//! - [`Rng`]: the one seeded generator (SplitMix64) of the tests, benchmarks and test vectors;
//! - [`models`]: seeded random models ([`davies`], [`random_model`], [`as_stored`]);
//! - [`reference`]: the f64 reference evaluator (distance and gradient), written from the spec;
//! - [`oracle`]: what must hold for any bytes (the hostile-input tests and the fuzz target);
//! - [`vectors`]: the test vectors of `spec/vectors/` (built by `examples/make_vectors`);
//! - [`mesh`] (feature `mesh`): generated meshes, mesh file writers, the octahedron network;
//! - [`skip`] and [`skip_or_fail_in_ci`]: how a test that cannot run says so;
//! - [`TempDir`]: a scratch directory that lists what a test left in it.
//!
//! Not published. It depends on `nsdf`, so crates use it as a dev-dependency from integration
//! tests, examples and benchmarks only (in the `nsdf` crate's own unit tests it would be a
//! second, different `nsdf`); `nsdf-mesh`'s unit tests likewise do not use it.

#[cfg(feature = "mesh")]
pub mod mesh;
pub mod models;
pub mod oracle;
pub mod reference;
mod rng;
mod temp;
pub mod vectors;

pub use models::{as_stored, davies, random_model};
pub use reference::{reference_distance, reference_distance64};
pub use rng::Rng;
pub use temp::TempDir;

/// Writes `line` to the process's real stderr. The test harness captures `print!` and
/// `eprint!` of passing tests, so a skip reported with them goes unseen; this does not.
pub fn notice(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Reports a test (or part of one) that checks nothing here: `SKIP: <reason>` on the real
/// stderr, shown by `cargo test` even for a passing test.
pub fn skip(reason: &str) {
    notice(&format!("SKIP: {reason}"));
}

/// Whether this runs under CI (`CI` set to `true` or `1`, as GitHub Actions and most CI
/// systems do).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// [`skip`] locally, but a failure under CI ([`in_ci`]), where the missing tool or device is
/// part of the environment the test must run in.
#[track_caller]
pub fn skip_or_fail_in_ci(reason: &str) {
    if in_ci() {
        panic!("CI=true and this test cannot run: {reason}");
    }
    skip(reason);
}
