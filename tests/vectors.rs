//! The test vectors of `spec/vectors/`, read from disk the way a reader in another language
//! would use them: every valid file parses and evaluates to its `.expected.txt` on every backend
//! this CPU has; every invalid file fails with the code its name starts with; every file's
//! `validate` report equals its `.report.txt`. A vector without its expectation files fails.
//! Finally the files must be exactly what `cargo run --example make_vectors` builds.

use nsdf::{Backend, Severity, Shape};
use nsdf_testing::vectors;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors")
}

/// One vector on disk: its stem and the files that belong to it.
#[derive(Default)]
struct OnDisk {
    nsdf: Option<Vec<u8>>,
    expected: Option<String>,
    report: Option<String>,
}

/// Every vector of `valid/` or `invalid/`, keyed by stem. Panics on a file that belongs to none.
fn read(kind: &str) -> BTreeMap<String, OnDisk> {
    let mut out: BTreeMap<String, OnDisk> = BTreeMap::new();
    for e in std::fs::read_dir(dir().join(kind)).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let text = || std::fs::read_to_string(&path).unwrap();
        if let Some(stem) = name.strip_suffix(".nsdf") {
            out.entry(stem.into()).or_default().nsdf = Some(std::fs::read(&path).unwrap());
        } else if let Some(stem) = name.strip_suffix(".expected.txt") {
            out.entry(stem.into()).or_default().expected = Some(text());
        } else if let Some(stem) = name.strip_suffix(".report.txt") {
            out.entry(stem.into()).or_default().report = Some(text());
        } else {
            panic!("{kind}/{name}: not a vector (.nsdf) or an expectation (.expected.txt, .report.txt)");
        }
    }
    assert!(!out.is_empty(), "no vectors in spec/vectors/{kind}");
    for (stem, v) in &out {
        assert!(
            v.nsdf.is_some(),
            "{kind}/{stem}: expectation files without {stem}.nsdf"
        );
        assert!(
            v.report.is_some(),
            "{kind}/{stem}.nsdf has no {stem}.report.txt"
        );
    }
    out
}

struct Expected {
    distance_tol: (f64, f64),
    gradient_tol: (f64, f64),
    /// x y z distance dx dy dz
    rows: Vec<([f32; 3], f64, [f64; 3])>,
}

fn parse_expected(text: &str) -> Expected {
    let mut e = Expected {
        distance_tol: (-1.0, -1.0),
        gradient_tol: (-1.0, -1.0),
        rows: Vec::new(),
    };
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f[..] {
            ["tolerance", what, abs, rel] => {
                let t = (abs.parse().unwrap(), rel.parse().unwrap());
                match what {
                    "distance" => e.distance_tol = t,
                    "gradient" => e.gradient_tol = t,
                    _ => panic!("unknown tolerance '{what}'"),
                }
            }
            [x, y, z, d, gx, gy, gz] => {
                let p = [x, y, z].map(|v| v.parse::<f32>().unwrap());
                let g = [gx, gy, gz].map(|v| v.parse::<f64>().unwrap());
                e.rows.push((p, d.parse().unwrap(), g));
            }
            _ => panic!("malformed line '{line}'"),
        }
    }
    assert!(
        e.distance_tol.0 > 0.0 && e.gradient_tol.0 > 0.0,
        "tolerances missing"
    );
    assert!(e.rows.len() >= 8, "too few points");
    e
}

fn within(got: f64, want: f64, (abs, rel): (f64, f64)) -> bool {
    (got - want).abs() <= abs + rel * want.abs()
}

#[test]
fn valid_vectors_evaluate_to_their_expected_outputs_on_every_backend() {
    let backends: Vec<Backend> = Backend::ALL
        .iter()
        .copied()
        .filter(|b| b.is_available())
        .collect();
    for (stem, v) in read("valid") {
        let bytes = v.nsdf.unwrap();
        let exp = parse_expected(
            v.expected
                .as_deref()
                .unwrap_or_else(|| panic!("{stem} has no .expected.txt")),
        );
        let parsed = nsdf::parse(&bytes).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let points: Vec<[f32; 3]> = exp.rows.iter().map(|r| r.0).collect();
        // The expected values on disk (as printed) agree with the f64 reference evaluator
        // (`nsdf_testing::reference`) run on the model parsed from the file.
        for (p, d, _) in &exp.rows {
            let r = nsdf_testing::reference_distance(&parsed.model, *p);
            assert!(
                (r - d).abs() <= 1e-9 * (1.0 + d.abs()),
                "{stem} {p:?}: expected {d}, reference {r}"
            );
        }
        for &b in &backends {
            let shape = Shape::from_bytes(&bytes)
                .unwrap()
                .with_backend(b)
                .unwrap()
                .with_threads(1);
            let mut dist = vec![0.0; points.len()];
            let mut bd = vec![0.0; points.len()];
            let mut bg = vec![[0.0; 3]; points.len()];
            shape.distances(&points, &mut dist);
            shape.gradients(&points, &mut bd, &mut bg);
            for (k, (p, d, g)) in exp.rows.iter().enumerate() {
                let (gd, gg) = shape.gradient(*p);
                for (what, got) in [
                    ("distance", shape.distance(*p)),
                    ("batch", dist[k]),
                    ("gradient()", gd),
                    ("batch gradient", bd[k]),
                ] {
                    assert!(
                        within(got as f64, *d, exp.distance_tol),
                        "{stem} {} {what} at {p:?}: {got} vs {d}",
                        b.name()
                    );
                }
                for a in 0..3 {
                    for got in [gg[a], bg[k][a]] {
                        assert!(
                            within(got as f64, g[a], exp.gradient_tol),
                            "{stem} {} ∂{a} at {p:?}: {got} vs {}",
                            b.name(),
                            g[a]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn invalid_vectors_fail_with_the_code_in_their_name() {
    for (stem, v) in read("invalid") {
        assert!(
            v.expected.is_none(),
            "invalid/{stem} must not have an .expected.txt"
        );
        let code = format!("NSDF-{}", stem.split('-').next().unwrap());
        let bytes = v.nsdf.unwrap();
        let err = nsdf::parse(&bytes)
            .err()
            .unwrap_or_else(|| panic!("invalid/{stem} parses"));
        assert_eq!(err.code(), code, "invalid/{stem}: {err}");
        assert!(Shape::from_bytes(&bytes).is_err());
        let first = nsdf::validate(&bytes)
            .into_iter()
            .find(|i| i.severity == Severity::Error)
            .unwrap();
        assert_eq!(first.code, code, "invalid/{stem}: validate's first error");
    }
}

#[test]
fn validate_reports_match_the_golden_reports() {
    for kind in ["valid", "invalid"] {
        for (stem, v) in read(kind) {
            let got = vectors::report(&v.nsdf.unwrap());
            assert_eq!(got, v.report.unwrap(), "{kind}/{stem}.report.txt");
            let has_error = got.lines().any(|l| l.starts_with("error\t"));
            assert_eq!(has_error, kind == "invalid", "{kind}/{stem}: report {got}");
        }
    }
}

#[test]
fn every_error_code_reachable_from_bytes_has_a_vector() {
    let stems: Vec<String> = read("invalid").into_keys().collect();
    for n in 1..=19 {
        let code = format!("E{n:03}-");
        assert!(
            stems.iter().any(|s| s.starts_with(&code)),
            "no invalid vector for NSDF-E{n:03}"
        );
    }
}

/// The files on disk are byte-for-byte what the generator builds (run
/// `cargo run --example make_vectors` after an intended change).
#[test]
fn vectors_are_what_the_generator_builds() {
    let mut seen = 0;
    for v in vectors::all() {
        let on_disk = read(v.kind.dir())
            .remove(&v.name)
            .unwrap_or_else(|| panic!("{} missing on disk", v.name));
        assert!(
            on_disk.nsdf.as_deref() == Some(&v.bytes[..]),
            "{}.nsdf differs from the generator's",
            v.name
        );
        match (&on_disk.expected, &v.expected) {
            (Some(disk), Some(built)) => same_expectations(disk, built, &v.name),
            (disk, built) => assert_eq!(disk, built, "{}.expected.txt", v.name),
        }
        assert_eq!(
            on_disk.report.as_deref(),
            Some(&v.report[..]),
            "{}.report.txt",
            v.name
        );
        seen += 1;
    }
    assert_eq!(
        seen,
        read("valid").len() + read("invalid").len(),
        "files on disk the generator does not build"
    );
}

/// Expected-output files agree: the same lines, except that expected values (f64 results of
/// `sin`, `tanh`, whose last digit may differ between math libraries) need only agree to 1e-12.
fn same_expectations(disk: &str, built: &str, name: &str) {
    let (a, b): (Vec<&str>, Vec<&str>) = (disk.lines().collect(), built.lines().collect());
    assert_eq!(a.len(), b.len(), "{name}.expected.txt: line count");
    for (x, y) in a.iter().zip(&b) {
        let (fx, fy): (Vec<&str>, Vec<&str>) = (x.split(' ').collect(), y.split(' ').collect());
        if x.starts_with('#') || x.starts_with("tolerance") || fx.len() != 7 || fy.len() != 7 {
            assert_eq!(x, y, "{name}.expected.txt");
            continue;
        }
        assert_eq!(fx[..3], fy[..3], "{name}.expected.txt: points");
        for (u, v) in fx[3..].iter().zip(&fy[3..]) {
            let (u, v): (f64, f64) = (u.parse().unwrap(), v.parse().unwrap());
            assert!(
                (u - v).abs() <= 1e-12 * (1.0 + u.abs()),
                "{name}.expected.txt: {u} vs {v}"
            );
        }
    }
}
