//! The network as the CUDA kernels read it: one array of 32-bit words (layout in `kernel.cu`'s
//! header comment). Pure Rust and always compiled, so the host-compiled kernel test can use the
//! same packing as the GPU path on machines without the `cuda` feature or a GPU.

use crate::error::{Error, Result};
use crate::eval::Network;
use crate::model::Encoding;

/// Widest layer or encoding the generic kernels hold per thread (`NSDF_MAX_WIDTH`).
pub const MAX_WIDTH: usize = 64;
/// Hidden width of the fast distance kernel (`NSDF_FAST_WIDTH`).
pub const FAST_WIDTH: usize = 32;
/// Largest blob the fast kernel copies into shared memory (`NSDF_FAST_MAX_WORDS`, 48 KiB).
pub const FAST_MAX_WORDS: usize = 12288;
/// Most hidden layers the fast kernels handle (`NSDF_FAST_MAX_LAYERS`; a 48 KiB blob holds 12).
pub const FAST_MAX_HIDDEN: usize = 12;
const HEADER_WORDS: usize = 8;
const LAYER_WORDS: usize = 6;

/// Packs `net` for the kernels, or says why they cannot run it.
pub fn pack(net: &Network) -> Result<Vec<u32>> {
    let unsupported = |what: String| {
        Err(Error::Device {
            reason: format!(
                "{what}; the CUDA kernels support layers and encodings up to {MAX_WIDTH} wide \
                 (use a CPU backend for this model)"
            ),
        })
    };
    let dim = net.encoding.output_dim();
    if dim > MAX_WIDTH {
        return unsupported(format!("the Fourier encoding is {dim} wide"));
    }
    if let Some((k, l)) = net
        .layers
        .iter()
        .enumerate()
        .find(|(_, l)| l.outputs > MAX_WIDTH)
    {
        return unsupported(format!("layer {k} is {} wide", l.outputs));
    }
    let t = &net.transform;
    let freqs = match net.encoding {
        Encoding::None => 0,
        Encoding::Fourier { frequencies } => frequencies,
        Encoding::HashGrid { .. } => {
            return Err(Error::Device {
                reason: "the CUDA kernels do not run hash-grid encodings (use a CPU backend)"
                    .into(),
            })
        }
    };
    let mut blob = vec![
        net.layers.len() as u32,
        freqs,
        t.scale.to_bits(),
        t.translation[0].to_bits(),
        t.translation[1].to_bits(),
        t.translation[2].to_bits(),
        t.distance_scale.to_bits(),
        0,
    ];
    let table = HEADER_WORDS;
    debug_assert_eq!(blob.len(), table);
    blob.resize(table + LAYER_WORDS * net.layers.len(), 0);
    for (k, l) in net.layers.iter().enumerate() {
        // Weight rows start 16-byte aligned: the fast kernel reads them as float4.
        blob.resize(blob.len().next_multiple_of(4), 0);
        let w = blob.len();
        blob.extend(l.w.iter().map(|x| x.to_bits()));
        let b = blob.len();
        blob.extend(l.b.iter().map(|x| x.to_bits()));
        let entry = [
            l.inputs as u32,
            l.outputs as u32,
            l.activation.code(),
            l.activation.param().to_bits(),
            w as u32,
            b as u32,
        ];
        blob[table + LAYER_WORDS * k..table + LAYER_WORDS * (k + 1)].copy_from_slice(&entry);
    }
    Ok(blob)
}

/// Whether the fast distance kernel runs `net`: no encoding, every hidden layer [`FAST_WIDTH`]
/// wide, one output, and small enough for shared memory.
pub fn fits_fast_kernel(net: &Network, blob: &[u32]) -> bool {
    let n = net.layers.len();
    n >= 2
        && net.encoding == Encoding::None
        && blob.len() <= FAST_MAX_WORDS
        && n - 1 <= FAST_MAX_HIDDEN
        && net.layers[..n - 1].iter().all(|l| l.outputs == FAST_WIDTH)
        && net.layers[n - 1].outputs == 1
}

/// Whether the fast gradient kernel runs `net`: it fits the fast distance kernel and its hidden
/// activations are piecewise linear (their derivatives are kept as one bit per unit).
pub fn fits_fast_gradient(net: &Network, blob: &[u32]) -> bool {
    use crate::model::Activation::{Identity, LeakyRelu, Relu};
    fits_fast_kernel(net, blob)
        && net.layers[..net.layers.len() - 1]
            .iter()
            .all(|l| matches!(l.activation, Identity | Relu | LeakyRelu(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activation, Model};

    #[test]
    fn davies_packs_aligned_and_fits_the_fast_kernel() {
        let net = Network::new(&Model::davies());
        let blob = pack(&net).unwrap();
        assert!(fits_fast_kernel(&net, &blob));
        assert!(fits_fast_gradient(&net, &blob));
        for k in 0..net.layers.len() {
            let e = &blob[HEADER_WORDS + LAYER_WORDS * k..];
            assert_eq!(e[4] % 4, 0, "layer {k} weights not 16-byte aligned");
            assert_eq!(e[5] as usize, e[4] as usize + net.layers[k].w.len());
        }
        assert!(blob.len() < 7553 + 100);
    }

    #[test]
    fn wide_models_are_refused_with_the_reason() {
        let m = Model::zeros(Encoding::None, &[65], Activation::Relu, Activation::Tanh);
        let e = pack(&Network::new(&m)).unwrap_err();
        assert_eq!(e.code(), "NSDF-E102");
        assert!(e.to_string().contains("layer 0 is 65 wide"), "{e}");
        let m = Model::zeros(
            Encoding::Fourier { frequencies: 11 },
            &[8],
            Activation::Relu,
            Activation::Tanh,
        );
        let e = pack(&Network::new(&m)).unwrap_err();
        assert!(e.to_string().contains("encoding is 69 wide"), "{e}");
    }

    #[test]
    fn other_architectures_use_the_generic_kernel() {
        let m = Model::zeros(
            Encoding::None,
            &[32, 16],
            Activation::Relu,
            Activation::Tanh,
        );
        let net = Network::new(&m);
        assert!(!fits_fast_kernel(&net, &pack(&net).unwrap()));
        let m = Model::zeros(
            Encoding::Fourier { frequencies: 2 },
            &[32, 32],
            Activation::Relu,
            Activation::Tanh,
        );
        let net = Network::new(&m);
        assert!(!fits_fast_kernel(&net, &pack(&net).unwrap()));
    }
}
