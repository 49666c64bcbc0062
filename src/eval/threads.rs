//! Splitting a batch over threads. Blocks are large enough that spawning costs nothing
//! measurable, and small enough to balance; below `MIN_PER_THREAD` points one thread does it all.

/// Fewer points than this per thread are not worth a thread.
pub const MIN_PER_THREAD: usize = 16 * 1024;

/// The number of threads to use by default: the machine's available parallelism.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Calls `f(start, len)` over `n` items split into at most `threads` contiguous ranges, in
/// parallel on scoped threads.
pub fn for_each_chunk<F>(n: usize, threads: usize, f: F)
where
    F: Fn(usize, usize) + Sync,
{
    let threads = threads.clamp(1, n.div_ceil(MIN_PER_THREAD).max(1));
    if threads == 1 {
        f(0, n);
        return;
    }
    let per = n.div_ceil(threads);
    std::thread::scope(|s| {
        for t in 1..threads {
            let start = t * per;
            if start < n {
                let f = &f;
                s.spawn(move || f(start, per.min(n - start)));
            }
        }
        f(0, per.min(n));
    });
}
