//! `nsdf eval`'s binary point input (`nsdf_tools::points::parse_binary`): any bytes. Exactly
//! `len / 12` finite points when `len % 12 == 0` and every coordinate is finite, allocating
//! exactly `len` bytes; otherwise an error naming the length or the point's byte offset.
#![no_main]

#[path = "import_support/counting.rs"]
mod counting;

use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fuzz_target!(|data: &[u8]| {
    let (used, r) = counting::requested(|| nsdf_tools::points::parse_binary(data));
    let finite = data
        .chunks_exact(4)
        .all(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite());
    match r {
        Ok(points) => {
            assert_eq!(data.len() % 12, 0);
            assert!(finite);
            assert_eq!(points.len() * 12, data.len());
            assert_eq!(used, data.len());
            let back: Vec<u8> = points
                .iter()
                .flatten()
                .flat_map(|x| x.to_le_bytes())
                .collect();
            assert_eq!(back, data);
        }
        Err(e) => {
            assert!(data.len() % 12 != 0 || !finite, "{e}");
            assert!(used <= data.len() + 256, "{used} bytes for an error");
        }
    }
});
