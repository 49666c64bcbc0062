//! [`Shape`]: a loaded `.nsdf` file, ready to evaluate.

use crate::error::{Error, Result};
use crate::eval::{for_each_chunk, for_each_chunk_sized, Backend, LinearBound, Network};
use crate::format::{self, ChunkInfo, Parsed};
use crate::model::{Model, Stats, Transform, Value};
use std::path::Path;

/// A shape loaded from `.nsdf` bytes. Immutable, `Send + Sync`: share one across threads.
#[derive(Clone, Debug)]
pub struct Shape {
    parsed: Parsed,
    net: Network,
    backend: Backend,
    threads: usize,
    file_len: u64,
}

impl Shape {
    /// Parses and validates `bytes` (see [`format::parse`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Shape> {
        let parsed = format::parse(bytes)?;
        Ok(Shape::from_parsed(parsed, bytes.len() as u64))
    }

    /// Memory-maps and parses a file. The parser reads every field with explicit little-endian
    /// loads, so it needs no alignment; the mapping is released once the weights are prepared.
    pub fn open(path: impl AsRef<Path>) -> Result<Shape> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len > format::limits::MAX_FILE_LEN {
            return Err(Error::LimitExceeded {
                offset: 0,
                what: "file length",
                value: len,
                limit: format::limits::MAX_FILE_LEN,
            });
        }
        if len == 0 {
            return Shape::from_bytes(&[]);
        }
        // SAFETY: the map is read-only and dropped before returning. A file truncated by another
        // process while we read it can raise SIGBUS; that is the documented risk of memory maps
        // (use `from_bytes` with a copy where files may change underneath).
        let map = unsafe { memmap2::Mmap::map(&file) };
        match map {
            Ok(m) => Shape::from_bytes(&m),
            // Some files (pipes, special file systems) cannot be mapped: read them instead.
            Err(_) => Shape::from_bytes(&std::fs::read(path).map_err(|e| Error::io(path, e))?),
        }
    }

    /// Wraps an in-memory model (for example one a trainer just produced) without a file.
    pub fn from_model(model: Model) -> Result<Shape> {
        model.check()?;
        let bytes = format::to_bytes(&model)?;
        Shape::from_bytes(&bytes)
    }

    fn from_parsed(parsed: Parsed, file_len: u64) -> Shape {
        let net = Network::new(&parsed.model);
        Shape {
            parsed,
            net,
            backend: Backend::detect(),
            threads: crate::eval::default_threads(),
            file_len,
        }
    }

    /// The same shape evaluated with another backend. Errors if this CPU cannot run it.
    pub fn with_backend(mut self, backend: Backend) -> Result<Shape> {
        if !backend.is_available() {
            return Err(Error::InvalidModel {
                reason: format!("backend {} is not supported by this CPU", backend.name()),
            });
        }
        self.backend = backend;
        Ok(self)
    }

    /// The same shape evaluating batches on at most `threads` threads (at least 1).
    pub fn with_threads(mut self, threads: usize) -> Shape {
        self.threads = threads.max(1);
        self
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The model as stored (weights dequantized).
    pub fn model(&self) -> &Model {
        &self.parsed.model
    }

    pub fn network(&self) -> &Network {
        &self.net
    }

    pub fn version(&self) -> (u16, u16) {
        self.parsed.version
    }

    pub fn chunks(&self) -> &[ChunkInfo] {
        &self.parsed.chunks
    }

    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    pub fn transform(&self) -> &Transform {
        &self.parsed.model.transform
    }

    /// World-space bounding box `[min, max]`.
    pub fn bounds(&self) -> [[f32; 3]; 2] {
        self.parsed.model.transform.bounds
    }

    pub fn stats(&self) -> Option<&Stats> {
        self.parsed.model.stats.as_ref()
    }

    pub fn meta(&self, key: &str) -> Option<&Value> {
        self.parsed.model.meta(key)
    }

    pub fn parameter_count(&self) -> usize {
        self.parsed.model.parameter_count()
    }

    /// A safe step factor for sphere tracing: the stored measured bound when present, else the
    /// (looser) bound computed from the weights.
    pub fn gradient_bound(&self) -> f32 {
        match self.stats() {
            Some(s) => s.gradient_bound,
            None => self.net.lipschitz_bound(),
        }
    }

    /// Signed distance at a world point, in world units (negative inside).
    pub fn distance(&self, p: [f32; 3]) -> f32 {
        self.backend.distance(&self.net, p)
    }

    /// Distance and its analytic gradient at a world point.
    pub fn gradient(&self, p: [f32; 3]) -> (f32, [f32; 3]) {
        self.backend.gradient(&self.net, p)
    }

    /// Distances at many points, multi-threaded for large batches.
    ///
    /// # Panics
    /// If `out.len() != points.len()`.
    pub fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        assert_eq!(
            points.len(),
            out.len(),
            "distances: output length must equal point count"
        );
        let out = SyncSlice::new(out);
        for_each_chunk(points.len(), self.threads, |start, len| {
            // SAFETY: for_each_chunk hands out disjoint ranges.
            let out = unsafe { out.range(start, len) };
            self.backend
                .distances(&self.net, &points[start..start + len], out);
        });
    }

    /// Linear bounds of the distance over world boxes `[min, max]`: a plane and an error such
    /// that every `distance(p)` with `p` in the box is within the error of the plane
    /// ([`LinearBound::range`] gives the interval over the box or any sub-box). Much tighter than
    /// a global gradient bound on small boxes (see [`crate::eval::scalar::range`]); for culling
    /// empty space. Multi-threaded.
    ///
    /// # Panics
    /// If `out.len() != boxes.len()`.
    pub fn distance_bounds(&self, boxes: &[[[f32; 3]; 2]], out: &mut [LinearBound]) {
        assert_eq!(
            boxes.len(),
            out.len(),
            "distance_bounds: output length must equal box count"
        );
        let out = SyncSlice::new(out);
        // A box costs about as much as 30 points.
        for_each_chunk_sized(boxes.len(), 512, self.threads, |start, len| {
            // SAFETY: for_each_chunk_sized hands out disjoint ranges.
            let out = unsafe { out.range(start, len) };
            self.backend
                .bounds(&self.net, &boxes[start..start + len], out);
        });
    }

    /// Distances and gradients at many points, multi-threaded for large batches.
    ///
    /// # Panics
    /// If the output lengths differ from `points.len()`.
    pub fn gradients(&self, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
        assert_eq!(
            points.len(),
            dist.len(),
            "gradients: distance output length must equal point count"
        );
        assert_eq!(
            points.len(),
            grad.len(),
            "gradients: gradient output length must equal point count"
        );
        let dist = SyncSlice::new(dist);
        let grad = SyncSlice::new(grad);
        for_each_chunk(points.len(), self.threads, |start, len| {
            // SAFETY: for_each_chunk hands out disjoint ranges.
            let (d, g) = unsafe { (dist.range(start, len), grad.range(start, len)) };
            self.backend
                .gradients(&self.net, &points[start..start + len], d, g);
        });
    }
}

/// A mutable slice shared by threads that each write a disjoint range.
struct SyncSlice<T> {
    ptr: *mut T,
    len: usize,
}

unsafe impl<T: Send> Sync for SyncSlice<T> {}

impl<T> SyncSlice<T> {
    fn new(s: &mut [T]) -> Self {
        SyncSlice {
            ptr: s.as_mut_ptr(),
            len: s.len(),
        }
    }

    /// # Safety
    /// Ranges handed out concurrently must not overlap, and the slice must outlive them.
    #[allow(clippy::mut_from_ref)]
    unsafe fn range(&self, start: usize, len: usize) -> &mut [T] {
        assert!(start + len <= self.len);
        std::slice::from_raw_parts_mut(self.ptr.add(start), len)
    }
}
