//! Evaluation backends. Each backend has the same entry points (`distances`, `distance`,
//! `gradients`, `gradient`, `bounds`); [`Backend`] picks one at run time and `threads` spreads
//! large batches over cores. The SIMD backends (`avx2`, `avx512`) share their kernels in `simd/`
//! and get their entry points from `simd::simd_entry_points!`.

#[cfg(target_arch = "x86_64")]
pub mod avx2;
#[cfg(target_arch = "x86_64")]
pub mod avx512;
pub mod cuda;
pub mod network;
pub mod scalar;
pub(crate) mod simd;
mod threads;

pub use network::{Dense, Network, PreparedGrid};
pub use scalar::range::{LinearBound, Range};
pub use threads::{default_threads, for_each_chunk, for_each_chunk_sized};

/// A CPU evaluation backend. Every variant exists on every target so code naming one compiles
/// everywhere; [`Backend::is_available`] says whether this CPU (and build) can run it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Plain Rust, the reference every other backend is tested against.
    Scalar,
    /// x86_64 AVX2 + FMA, 8 lanes.
    Avx2,
    /// x86_64 AVX-512F, 16 lanes.
    Avx512,
}

/// Dispatches to a SIMD backend's module, or panics naming the backend where this build has none
/// (`is_available` is false there, so `detect` and `Shape::with_backend` never get here).
macro_rules! simd_call {
    ($module:ident :: $f:ident ( $($arg:expr),* )) => {{
        #[cfg(target_arch = "x86_64")]
        {
            $module::$f($($arg),*)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $(let _ = $arg;)*
            panic!("the {} backend is not compiled for this target", stringify!($module))
        }
    }};
}

impl Backend {
    /// Every backend compiled into this build, best last.
    #[cfg(target_arch = "x86_64")]
    pub const ALL: &'static [Backend] = &[Backend::Scalar, Backend::Avx2, Backend::Avx512];
    /// Every backend compiled into this build, best last.
    #[cfg(not(target_arch = "x86_64"))]
    pub const ALL: &'static [Backend] = &[Backend::Scalar];

    /// Whether this CPU can run the backend (checked at run time, cached by the standard library).
    pub fn is_available(self) -> bool {
        match self {
            Backend::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => avx2::is_available(),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => avx512::is_available(),
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx2 | Backend::Avx512 => false,
        }
    }

    /// The fastest backend this CPU supports.
    pub fn detect() -> Backend {
        Backend::ALL
            .iter()
            .rev()
            .copied()
            .find(|b| b.is_available())
            .unwrap_or(Backend::Scalar)
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
            Backend::Avx2 => "avx2",
            Backend::Avx512 => "avx512",
        }
    }

    /// Distances at `points` (world frame). `out.len()` must equal `points.len()`.
    ///
    /// # Panics
    /// If the lengths differ, or if this CPU cannot run the backend.
    pub fn distances(self, net: &Network, points: &[[f32; 3]], out: &mut [f32]) {
        match self {
            Backend::Scalar => scalar::distances(net, points, out),
            Backend::Avx2 => simd_call!(avx2::distances(net, points, out)),
            Backend::Avx512 => simd_call!(avx512::distances(net, points, out)),
        }
    }

    /// Distances and world-space gradients at `points`.
    ///
    /// # Panics
    /// If the lengths differ, or if this CPU cannot run the backend.
    pub fn gradients(
        self,
        net: &Network,
        points: &[[f32; 3]],
        dist: &mut [f32],
        grad: &mut [[f32; 3]],
    ) {
        match self {
            Backend::Scalar => scalar::gradients(net, points, dist, grad),
            Backend::Avx2 => simd_call!(avx2::gradients(net, points, dist, grad)),
            Backend::Avx512 => simd_call!(avx512::gradients(net, points, dist, grad)),
        }
    }

    /// Linear bounds of the distance over world boxes `[min, max]` (see [`scalar::range`]).
    ///
    /// # Panics
    /// If the lengths differ, or if this CPU cannot run the backend.
    pub fn bounds(self, net: &Network, boxes: &[[[f32; 3]; 2]], out: &mut [LinearBound]) {
        match self {
            Backend::Scalar => scalar::bounds(net, boxes, out),
            Backend::Avx2 => simd_call!(avx2::bounds(net, boxes, out)),
            Backend::Avx512 => simd_call!(avx512::bounds(net, boxes, out)),
        }
    }

    /// Distance at a single point, with the lowest latency the backend offers.
    ///
    /// # Panics
    /// If this CPU cannot run the backend.
    pub fn distance(self, net: &Network, p: [f32; 3]) -> f32 {
        match self {
            Backend::Scalar => scalar::distance(net, p),
            Backend::Avx2 => simd_call!(avx2::distance(net, p)),
            Backend::Avx512 => simd_call!(avx512::distance(net, p)),
        }
    }

    /// Distance and gradient at a single point.
    ///
    /// # Panics
    /// If this CPU cannot run the backend.
    pub fn gradient(self, net: &Network, p: [f32; 3]) -> (f32, [f32; 3]) {
        match self {
            Backend::Scalar => scalar::gradient(net, p),
            Backend::Avx2 => simd_call!(avx2::gradient(net, p)),
            Backend::Avx512 => simd_call!(avx512::gradient(net, p)),
        }
    }
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Backend, String> {
        Backend::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Backend::ALL.iter().map(|b| b.name()).collect();
                format!(
                    "unknown backend '{s}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}
