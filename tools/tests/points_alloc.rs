//! `nsdf eval`'s point parsers (`nsdf_tools::points`) under a counting global allocator: the
//! bytes they request stay within the bound the module states (text: 4 × input + 48 bytes, + 2 KiB for an error;
//! binary: exactly the input's length) on valid input, on the densest input, and on inputs that
//! fail.

use nsdf_tools::points::{parse_binary, parse_text};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Bytes requested on this thread (tests run on several threads; each counts its own).
    static REQUESTED: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        REQUESTED.with(|r| r.set(r.get().saturating_add(layout.size())));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REQUESTED.with(|r| {
            r.set(
                r.get()
                    .saturating_add(new_size.saturating_sub(layout.size())),
            )
        });
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn requested<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = REQUESTED.with(|r| r.get());
    let out = f();
    (REQUESTED.with(|r| r.get()) - before, out)
}

fn text(name: &str, input: &[u8]) -> Result<usize, String> {
    let (used, r) = requested(|| parse_text(input));
    let limit = 4 * input.len() + 48 + if r.is_err() { 2048 } else { 0 };
    println!(
        "text {name:28} {:>9} B  requested {used:>9} B  {}",
        input.len(),
        r.as_ref()
            .map_or_else(|e| e.clone(), |p| format!("{} points", p.len()))
    );
    assert!(
        used <= limit,
        "{name}: requested {used} bytes, limit {limit}"
    );
    if let Ok(p) = &r {
        assert!(
            p.len() <= (input.len() + 1) / 6,
            "{name}: {} points",
            p.len()
        );
    }
    r.map(|p| p.len())
}

#[test]
fn text_within_the_bound() {
    // The densest text: single-digit coordinates, the shortest separators.
    let dense = "0 0 0\n".repeat(100_000);
    assert_eq!(text("densest", dense.as_bytes()), Ok(100_000));
    assert_eq!(
        text("densest, no final newline", dense.trim_end().as_bytes()),
        Ok(100_000)
    );
    let typical: String = (0..10_000)
        .map(|i| format!("{} -0.25 {:e}\n", i as f32 * 0.001, i as f32))
        .collect();
    assert_eq!(text("typical", typical.as_bytes()), Ok(10_000));
    let comments = "# nothing here\n".repeat(10_000);
    assert_eq!(text("comments only", comments.as_bytes()), Ok(0));
    let long_line = format!("1 2 {}3\n", "0".repeat(1 << 20));
    assert_eq!(text("one long number", long_line.as_bytes()), Ok(1));
    let many_fields = "1 ".repeat(1 << 19);
    text("half a million fields", many_fields.as_bytes()).unwrap_err();
    let bad_end = format!("{}1 2 x\n", dense);
    text("error on the last line", bad_end.as_bytes()).unwrap_err();
    text("not UTF-8", &[b'1', b' ', 0xff, b'\n']).unwrap_err();
    let long_bad = format!("1 2 {}\n", "\u{1}".repeat(1 << 16));
    let e = text("long bad field", long_bad.as_bytes()).unwrap_err();
    assert!(e.len() < 512, "{e}");
    // Found by the eval_points_text fuzz target: 41 control characters, each escaped to 6 bytes,
    // used to give a 300-byte message over the 512 bytes then allowed for errors.
    let mut fuzz = b"1 2 \xdd\x9b".to_vec();
    fuzz.extend([0x1a; 35]);
    text("fuzz: escaped control characters", &fuzz).unwrap_err();
}

#[test]
fn binary_allocates_exactly_the_input() {
    for (name, input) in [
        ("100,000 points", 0.5f32.to_le_bytes().repeat(300_000)),
        ("empty", Vec::new()),
        ("13 bytes", vec![0; 13]),
        ("12 MB + 1", vec![0; 12_000_001]),
    ] {
        let (used, r) = requested(|| parse_binary(&input));
        println!(
            "binary {name:16} {:>9} B  requested {used:>9} B",
            input.len()
        );
        match r {
            Ok(p) => {
                assert_eq!(used, input.len(), "{name}");
                assert_eq!(p.len() * 12, input.len());
            }
            Err(e) => {
                assert!(used <= 256, "{name}: {used} bytes for the error");
                assert!(e.contains("not a multiple of 12"), "{e}");
            }
        }
    }
    let mut nan = vec![0u8; 1200];
    nan[600..604].copy_from_slice(&f32::NAN.to_le_bytes());
    let (used, r) = requested(|| parse_binary(&nan));
    assert_eq!(
        r.unwrap_err(),
        "point 50 (byte offset 600) has a non-finite coordinate"
    );
    assert!(used <= nan.len() + 256);
}
