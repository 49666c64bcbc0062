//! Evaluation backends. Each backend folder has the same files (`distance.rs`, `gradient.rs`) and
//! the same entry points; [`Backend`] picks one at run time and `threads` spreads large batches
//! over cores.

pub mod network;
pub mod scalar;
mod threads;

pub use network::Network;
pub use threads::{for_each_chunk, default_threads};

/// A CPU evaluation backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Plain Rust, the reference every other backend is tested against.
    Scalar,
}

impl Backend {
    /// Every backend compiled into this build, best last.
    pub const ALL: &'static [Backend] = &[Backend::Scalar];

    /// Whether this CPU can run the backend.
    pub fn is_available(self) -> bool {
        match self {
            Backend::Scalar => true,
        }
    }

    /// The fastest backend this CPU supports.
    pub fn detect() -> Backend {
        Backend::ALL.iter().rev().copied().find(|b| b.is_available()).unwrap_or(Backend::Scalar)
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Scalar => "scalar",
        }
    }

    /// Distances at `points` (world frame). `out.len()` must equal `points.len()`.
    pub fn distances(self, net: &Network, points: &[[f32; 3]], out: &mut [f32]) {
        match self {
            Backend::Scalar => scalar::distances(net, points, out),
        }
    }

    /// Distances and world-space gradients at `points`.
    pub fn gradients(self, net: &Network, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
        match self {
            Backend::Scalar => scalar::gradients(net, points, dist, grad),
        }
    }

    /// Distance at a single point, with the lowest latency the backend offers.
    pub fn distance(self, net: &Network, p: [f32; 3]) -> f32 {
        match self {
            Backend::Scalar => scalar::distance(net, p),
        }
    }

    /// Distance and gradient at a single point.
    pub fn gradient(self, net: &Network, p: [f32; 3]) -> (f32, [f32; 3]) {
        match self {
            Backend::Scalar => scalar::gradient(net, p),
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
                format!("unknown backend '{s}' (expected one of: {})", names.join(", "))
            })
    }
}
