//! Rebuilds the test vectors of `spec/vectors/` (deterministic: running it twice changes
//! nothing; `tests/vectors.rs` fails when the files on disk differ from what this builds). The
//! vectors themselves are built by `nsdf_testing::vectors` (`crates/testing/src/vectors.rs`).
//!
//! ```text
//! cargo run --example make_vectors            # writes spec/vectors/
//! cargo run --example make_vectors -- DIR     # writes DIR/valid, DIR/invalid
//! ```

use nsdf_testing::vectors;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/vectors"));
    match vectors::write_all(&dir) {
        Ok(n) => println!("wrote {n} vectors to {}", dir.display()),
        Err(e) => {
            eprintln!("make_vectors: {}: {e}", dir.display());
            std::process::exit(1);
        }
    }
}
