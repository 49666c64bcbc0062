//! `write_atomic`: the file is replaced whole or not at all, and no temporary file is left
//! behind, whether the write succeeds or fails.

use std::path::{Path, PathBuf};

/// A fresh empty directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p =
            std::env::temp_dir().join(format!("nsdf-write-atomic-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn writes_and_replaces_leaving_only_the_target() {
    let d = TempDir::new("replace");
    let path = d.0.join("shape.nsdf");
    nsdf::write_atomic(&path, b"first version").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"first version");
    nsdf::write_atomic(&path, b"second").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second");
    assert_eq!(d.entries(), ["shape.nsdf"]);
}

#[test]
fn a_failed_write_leaves_no_temporary_file_and_the_old_file_intact() {
    let d = TempDir::new("fail");
    // The target is a non-empty directory: the final rename fails after the data was written.
    let target = d.0.join("occupied.nsdf");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let e = nsdf::write_atomic(&target, b"data").unwrap_err();
    assert_eq!(e.code(), "NSDF-E100");
    assert!(e.to_string().contains("occupied.nsdf"), "{e}");
    assert_eq!(d.entries(), ["occupied.nsdf"]);
    // A missing directory: nothing is created anywhere.
    let e = nsdf::write_atomic(&d.0.join("missing/dir/x.nsdf"), b"data").unwrap_err();
    assert_eq!(e.code(), "NSDF-E100");
    assert_eq!(d.entries(), ["occupied.nsdf"]);
    // Not a file path at all.
    assert!(nsdf::write_atomic(Path::new("/"), b"data").is_err());
}

/// Readers never see a partial file while writers race to replace it.
#[test]
fn concurrent_readers_see_only_whole_versions() {
    let d = TempDir::new("race");
    let path = d.0.join("shape.nsdf");
    let a = vec![b'a'; 64 << 10];
    let b = vec![b'b'; 100 << 10];
    nsdf::write_atomic(&path, &a).unwrap();
    std::thread::scope(|s| {
        for w in 0..2 {
            let (path, a, b) = (&path, &a, &b);
            s.spawn(move || {
                for i in 0..50 {
                    nsdf::write_atomic(path, if (i + w) % 2 == 0 { a } else { b }).unwrap();
                }
            });
        }
        for _ in 0..200 {
            let got = std::fs::read(&path).unwrap();
            assert!(
                got == a || got == b,
                "saw a partial file of {} bytes",
                got.len()
            );
        }
    });
    assert_eq!(d.entries(), ["shape.nsdf"]);
}
