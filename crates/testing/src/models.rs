//! Seeded random models: Davies' architecture and any other, He-uniform weights, a transform,
//! metadata and statistics, so a model exercises every chunk of the format.

use crate::Rng;
use nsdf::{Activation, Encoding, HashGrid, Model, Scheme, Stats, Transform, Value};

/// Davies' 8 × 32 ReLU → tanh architecture with He-style random weights.
pub fn davies(seed: u64, scheme: Scheme) -> Model {
    random_model(
        seed,
        Encoding::None,
        &[32; 8],
        Activation::Relu,
        Activation::Tanh,
        scheme,
    )
}

/// A model of the given shape with He-uniform weights from `seed`, the Davies transform,
/// a name, the seed and statistics.
pub fn random_model(
    seed: u64,
    encoding: Encoding,
    hidden: &[usize],
    act: Activation,
    out_act: Activation,
    scheme: Scheme,
) -> Model {
    let mut rng = Rng(seed);
    let mut m = Model::zeros(encoding, hidden, act, out_act).with_scheme(scheme);
    for l in &mut m.layers {
        let s = (6.0 / l.inputs as f32).sqrt();
        l.weights.iter_mut().for_each(|w| *w = rng.uniform(-s, s));
        l.bias.iter_mut().for_each(|b| *b = rng.uniform(-0.1, 0.1));
    }
    m.transform = Transform {
        scale: 0.5,
        translation: [0.1, -0.2, 0.05],
        distance_scale: 2.0,
        bounds: [[-2.2, -1.6, -2.1], [1.8, 2.4, 1.9]],
    };
    m.set_meta("nsdf.name", Value::String("test".into()));
    m.set_meta("nsdf.train.seed", Value::Int(seed as i64));
    m.stats = Some(Stats {
        surface_mean_error: 0.001,
        surface_max_error: 0.01,
        near_sign_agreement: 0.97,
        volume_sign_agreement: 0.995,
        near_sigma: 0.02,
        gradient_bound: 1.5,
        surface_samples: 100_000,
        volume_samples: 100_000,
    });
    m
}

/// A hash-grid model: `levels` levels of `features` features, resolutions growing from 2 to 24
/// cells with a 2^9-entry table (so the coarse levels are dense and the fine ones hashed),
/// features uniform in ±0.5 stored as `grid_scheme`, then `hidden` layers as [`random_model`].
pub fn random_grid_model(
    seed: u64,
    levels: usize,
    features: usize,
    hidden: &[usize],
    act: Activation,
    grid_scheme: Scheme,
) -> Model {
    let mut grid = HashGrid::geometric(levels, features, 9, 2, 24, grid_scheme);
    let mut rng = Rng(seed ^ 0x9e37);
    grid.values
        .iter_mut()
        .for_each(|v| *v = rng.uniform(-0.5, 0.5));
    let encoding = Encoding::HashGrid {
        features: grid.output_dim() as u32,
    };
    let mut m = random_model(seed, encoding, hidden, act, Activation::Tanh, Scheme::F32);
    m.grid = Some(grid);
    m
}

/// The model as the file stores it (quantized then dequantized): [`Model::as_stored`].
pub fn as_stored(m: &Model) -> Model {
    m.as_stored()
}
