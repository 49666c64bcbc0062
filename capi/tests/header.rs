//! The checked-in `include/nsdf.h` must be what cbindgen generates from the current source.
//! `NSDF_BLESS=1 cargo test -p nsdf-capi --test header` rewrites it.

use std::path::Path;

#[test]
fn checked_in_header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen failed to generate the header");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);

    let path = dir.join("include/nsdf.h");
    if std::env::var_os("NSDF_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("write include/nsdf.h");
        eprintln!("regenerated {}", path.display());
        return;
    }
    let current = std::fs::read(&path).unwrap_or_default();
    if current != fresh {
        let first_diff = String::from_utf8_lossy(&fresh)
            .lines()
            .zip(String::from_utf8_lossy(&current).lines())
            .position(|(a, b)| a != b)
            .map_or("one is a prefix of the other".to_string(), |i| {
                format!("first difference on line {}", i + 1)
            });
        panic!(
            "capi/include/nsdf.h is stale ({first_diff}): the C API changed without regenerating the header.\n\
             Run `NSDF_BLESS=1 cargo test -p nsdf-capi --test header` and review the diff."
        );
    }
}
