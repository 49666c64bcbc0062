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
/// Header word holding the hash-grid descriptor's offset (0: no grid).
const GRID_AT: usize = 7;
/// The descriptor: level count, features per level, log2 of the table size...
const GRID_WORDS: usize = 3;
/// ...then per level its cells per axis and the offset of its values.
const GRID_LEVEL_WORDS: usize = 2;

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
        let kind = match net.encoding {
            Encoding::HashGrid { .. } => "hash-grid",
            _ => "Fourier",
        };
        return unsupported(format!("the {kind} encoding is {dim} wide"));
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
        Encoding::Fourier { frequencies } => frequencies,
        Encoding::None | Encoding::HashGrid { .. } => 0,
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
    if let Some(g) = &net.grid {
        // After the weights, so a grid changes no offset the fast kernels rely on; the spec's
        // limits (2^26 values) keep every offset well inside 32 bits.
        let grid = &g.grid;
        let at = blob.len();
        blob[GRID_AT] = at as u32;
        blob.extend([grid.levels() as u32, grid.features as u32, grid.log2_table]);
        let levels = blob.len();
        debug_assert_eq!(levels, at + GRID_WORDS);
        blob.resize(levels + GRID_LEVEL_WORDS * grid.levels(), 0);
        let values = blob.len();
        blob.extend(grid.values.iter().map(|x| x.to_bits()));
        for (l, &n) in grid.resolutions.iter().enumerate() {
            let e = levels + GRID_LEVEL_WORDS * l;
            blob[e] = n;
            blob[e + 1] = (values + g.offsets[l]) as u32;
        }
    }
    Ok(blob)
}

/// Whether the fast distance kernel runs `net`: no encoding (so no hash grid), every hidden
/// layer [`FAST_WIDTH`] wide, one output, and small enough for shared memory.
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
    use crate::grid::HashGrid;
    use crate::model::{Activation, Model, Scheme};

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

    /// Resolutions 2 and 5 with a 2^5-entry table: level 0 dense (27 entries), level 1 hashed
    /// (32); the descriptor points at each level's values, copied bit for bit after the weights.
    #[test]
    fn hash_grids_pack_after_the_weights() {
        let mut grid = HashGrid::zeros(2, 5, vec![2, 5], Scheme::F32);
        for (k, v) in grid.values.iter_mut().enumerate() {
            *v = k as f32 * 0.25 - 3.0;
        }
        assert_eq!(grid.values.len(), (27 + 32) * 2);
        let m = Model::with_grid(grid.clone(), &[32, 32], Activation::Relu, Activation::Tanh);
        let net = Network::new(&m);
        let blob = pack(&net).unwrap();
        let at = blob[GRID_AT] as usize;
        let last = &net.layers[net.layers.len() - 1];
        let biases_end =
            blob[HEADER_WORDS + LAYER_WORDS * (net.layers.len() - 1) + 5] as usize + last.b.len();
        assert_eq!(at, biases_end);
        assert_eq!(blob[at..at + GRID_WORDS], [2, 2, 5]);
        let level = |l: usize| &blob[at + GRID_WORDS + GRID_LEVEL_WORDS * l..][..2];
        let values = at + GRID_WORDS + 2 * GRID_LEVEL_WORDS;
        assert_eq!(level(0), [2, values as u32]);
        assert_eq!(level(1), [5, (values + 27 * 2) as u32]);
        assert_eq!(blob.len(), values + grid.values.len());
        let back: Vec<f32> = blob[values..].iter().map(|&w| f32::from_bits(w)).collect();
        assert_eq!(back, grid.values);
        // 32-wide hidden layers, but the grid keeps it off the fast kernels.
        assert!(!fits_fast_kernel(&net, &blob) && !fits_fast_gradient(&net, &blob));
        // Without a grid the descriptor word stays 0.
        assert_eq!(pack(&Network::new(&Model::davies())).unwrap()[GRID_AT], 0);
    }

    #[test]
    fn wide_hash_grids_are_refused_with_the_reason() {
        // 16 levels x 4 features + 3 coordinates = 67 inputs.
        let grid = HashGrid::zeros(4, 4, vec![2; 16], Scheme::F32);
        let m = Model::with_grid(grid, &[8], Activation::Relu, Activation::Tanh);
        let e = pack(&Network::new(&m)).unwrap_err();
        assert_eq!(e.code(), "NSDF-E102");
        assert!(
            e.to_string().contains("hash-grid encoding is 67 wide"),
            "{e}"
        );
        // 15 x 4 + 3 = 63 fits.
        let grid = HashGrid::zeros(4, 4, vec![2; 15], Scheme::F32);
        let m = Model::with_grid(grid, &[8], Activation::Relu, Activation::Tanh);
        assert!(pack(&Network::new(&m)).is_ok());
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
