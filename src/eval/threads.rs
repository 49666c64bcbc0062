//! Splitting a batch over threads. Work goes out in chunks from a shared counter rather than one
//! fixed share per thread, so a thread slowed down by other work on the machine leaves its
//! remaining chunks to the others instead of holding up the whole batch.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Points per chunk (and the fewest worth a thread): about a millisecond of work, so taking one
/// from the counter and spawning threads cost nothing measurable, and a batch splits finely
/// enough to balance.
pub const MIN_PER_THREAD: usize = 16 * 1024;

/// The number of threads to use by default: the machine's available parallelism.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Calls `f(start, len)` for disjoint contiguous ranges covering `0..n`, on at most `threads`
/// scoped threads (the caller's included). With one thread, or fewer than two chunks of points,
/// it is a single call `f(0, n)`.
pub fn for_each_chunk<F>(n: usize, threads: usize, f: F)
where
    F: Fn(usize, usize) + Sync,
{
    for_each_chunk_sized(n, MIN_PER_THREAD, threads, f)
}

/// [`for_each_chunk`] with chunks of `chunk` items, for work whose items cost more than a point.
pub fn for_each_chunk_sized<F>(n: usize, chunk: usize, threads: usize, f: F)
where
    F: Fn(usize, usize) + Sync,
{
    let chunk = chunk.max(1);
    let chunks = n.div_ceil(chunk);
    let threads = threads.clamp(1, chunks.max(1));
    if threads == 1 {
        f(0, n);
        return;
    }
    let next = AtomicUsize::new(0);
    let work = || loop {
        let c = next.fetch_add(1, Ordering::Relaxed);
        if c >= chunks {
            break;
        }
        let start = c * chunk;
        f(start, chunk.min(n - start));
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
}
