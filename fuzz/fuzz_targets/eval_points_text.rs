//! `nsdf eval`'s text point input (`nsdf_tools::points::parse_text`): any bytes. Points must be
//! finite, at most `(len + 1) / 6` of them, and the parser must request at most `4 × len + 48`
//! bytes (+ 2 KiB for an error message); an error must name the line.
#![no_main]

#[path = "import_support/counting.rs"]
mod counting;

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fuzz_target!(|data: &[u8]| {
    let (used, r) = counting::requested(|| nsdf_tools::points::parse_text(data));
    let limit = 4 * data.len() + 48 + if r.is_err() { 2048 } else { 0 };
    assert!(
        used <= limit,
        "parse_text requested {used} bytes, limit {limit}"
    );
    match r {
        Ok(points) => {
            assert!(points.len() <= (data.len() + 1) / 6);
            assert!(points.iter().flatten().all(|x| x.is_finite()));
        }
        Err(e) => assert!(e.starts_with("line "), "{e}"),
    }
});
