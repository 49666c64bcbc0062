//! Any bytes: `parse` and `validate` must not panic and must agree; whatever parses must write
//! again and evaluate (distance, gradient, batches, every backend this CPU has) to finite
//! numbers wherever overflow is impossible. The checks are `nsdf_testing::oracle`
//! (`crates/testing/src/oracle.rs`), shared with `tests/hostile.rs`. Checksums are skipped
//! under `cfg(fuzzing)`, so mutations reach the deep checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsdf_testing::oracle;

fuzz_target!(|data: &[u8]| {
    oracle::check_bytes(data);
});
