//! `write_atomic`: the file is replaced whole or not at all, and no temporary file is left
//! behind, whether the write succeeds or fails.

use nsdf_testing::TempDir;
use std::path::Path;

#[test]
fn writes_and_replaces_leaving_only_the_target() {
    let d = TempDir::new("write-atomic-replace");
    let path = d.join("shape.nsdf");
    nsdf::write_atomic(&path, b"first version").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"first version");
    nsdf::write_atomic(&path, b"second").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second");
    assert_eq!(d.entries(), ["shape.nsdf"]);
}

#[test]
fn a_failed_write_leaves_no_temporary_file_and_the_old_file_intact() {
    let d = TempDir::new("write-atomic-fail");
    // The target is a non-empty directory: the final rename fails after the data was written.
    let target = d.join("occupied.nsdf");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let e = nsdf::write_atomic(&target, b"data").unwrap_err();
    assert_eq!(e.code(), "NSDF-E100");
    assert!(e.to_string().contains("occupied.nsdf"), "{e}");
    assert_eq!(d.entries(), ["occupied.nsdf"]);
    // A missing directory: nothing is created anywhere.
    let e = nsdf::write_atomic(&d.join("missing/dir/x.nsdf"), b"data").unwrap_err();
    assert_eq!(e.code(), "NSDF-E100");
    assert_eq!(d.entries(), ["occupied.nsdf"]);
    // Not a file path at all.
    assert!(nsdf::write_atomic(Path::new("/"), b"data").is_err());
}

/// Readers never see a partial file while writers race to replace it.
#[test]
fn concurrent_readers_see_only_whole_versions() {
    let d = TempDir::new("write-atomic-race");
    let path = d.join("shape.nsdf");
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

/// `AtomicFile`, written in pieces: nothing at the path until `commit`, and an uncommitted file
/// (an error or Ctrl-C part-way through) leaves the old file and no temporary behind.
#[test]
fn an_atomic_file_appears_only_when_committed() {
    use std::io::Write;
    let d = TempDir::new("write-atomic-pieces");
    let path = d.join("volume.ktx2");
    nsdf::write_atomic(&path, b"old").unwrap();
    let mut f = nsdf::AtomicFile::create(&path).unwrap();
    f.write_all(b"new ").unwrap();
    f.write_all(&vec![b'x'; 1 << 20]).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    drop(f);
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    assert_eq!(d.entries(), ["volume.ktx2"]);
    let mut f = nsdf::AtomicFile::create(&path).unwrap();
    f.write_all(b"new").unwrap();
    f.commit().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    assert_eq!(d.entries(), ["volume.ktx2"]);
}
