//! Per-thread scratch memory for the kernels: grown to the largest network seen on the thread and
//! reused, so evaluation allocates nothing after a thread's first call.
//!
//! A guard rather than a closure hands it out: kernel code inside a closure would be compiled
//! without the caller's `#[target_feature]`s, and its intrinsics would not inline.

use std::cell::Cell;

/// One cache line of floats; a `Vec` of these is 64-byte aligned.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; 16]);

thread_local! {
    static SCRATCH: Cell<Vec<Line>> = const { Cell::new(Vec::new()) };
}

/// Scratch borrowed from the thread; returned when dropped.
pub struct Scratch {
    lines: Vec<Line>,
    len: usize,
}

/// At least `len` floats of 64-byte-aligned scratch, contents unspecified.
pub fn take(len: usize) -> Scratch {
    // Taking leaves an empty Vec behind, so a nested call would allocate its own rather than alias.
    let mut lines = SCRATCH.with(Cell::take);
    let n = len.div_ceil(16);
    if lines.len() < n {
        lines.resize(n, Line([0.0; 16]));
    }
    Scratch { lines, len }
}

impl Scratch {
    pub fn floats(&mut self) -> &mut [f32] {
        // SAFETY: `Line` is `repr(C)` around `[f32; 16]`, without padding, and `len` floats fit.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr().cast::<f32>(), self.len) }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let lines = std::mem::take(&mut self.lines);
        // Keep the larger of ours and whatever a nested call may have put back.
        let _ = SCRATCH.try_with(|cell| {
            let other = cell.take();
            cell.set(if other.len() > lines.len() {
                other
            } else {
                lines
            });
        });
    }
}
