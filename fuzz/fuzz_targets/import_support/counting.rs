//! A counting global allocator for the import and point-input targets: each target asserts the
//! memory bound its reader states (`spec/threat-model.md`, "Importers and point input") on
//! every input, so an allocation sized from a hostile field is a crash here, not only an OOM.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Counting;

thread_local! {
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

/// Bytes requested on this thread while running `f`.
pub fn requested<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = REQUESTED.with(|r| r.get());
    let out = f();
    (REQUESTED.with(|r| r.get()) - before, out)
}
