//! Helpers shared by the integration tests: seeded random models and an f64 reference
//! evaluator written independently of the crate's own.
#![allow(dead_code)]

use nsdf::{Activation, Encoding, Model, Scheme, Stats, Transform, Value};

/// A small deterministic PRNG (SplitMix64), so tests need no `rand`.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }

    pub fn point(&mut self, r: f32) -> [f32; 3] {
        [
            self.uniform(-r, r),
            self.uniform(-r, r),
            self.uniform(-r, r),
        ]
    }
}

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

/// The model's weights as the file stores them (quantized then dequantized).
pub fn as_stored(m: &Model) -> Model {
    let mut m = m.clone();
    for l in &mut m.layers {
        l.weights = nsdf::quant::round_trip(&l.weights, l.inputs, l.scheme);
    }
    m
}

/// Reference distance in f64, straight from the model (independent of `nsdf::eval`).
pub fn reference_distance(m: &Model, p: [f32; 3]) -> f64 {
    reference_distance64(m, p.map(|x| x as f64))
}

/// [`reference_distance`] at an f64 point (for finite differences).
pub fn reference_distance64(m: &Model, p: [f64; 3]) -> f64 {
    let t = &m.transform;
    let q: Vec<f64> = (0..3)
        .map(|i| t.scale as f64 * p[i] + t.translation[i] as f64)
        .collect();
    let mut x = q.clone();
    if let Encoding::Fourier { frequencies } = m.encoding {
        for k in 0..frequencies {
            let f = std::f64::consts::PI * 2f64.powi(k as i32);
            x.extend(q.iter().map(|v| (f * v).sin()));
            x.extend(q.iter().map(|v| (f * v).cos()));
        }
    }
    for l in &m.layers {
        x = (0..l.outputs)
            .map(|o| {
                let z: f64 = l.bias[o] as f64
                    + (0..l.inputs)
                        .map(|i| l.weights[o * l.inputs + i] as f64 * x[i])
                        .sum::<f64>();
                match l.activation {
                    Activation::Identity => z,
                    Activation::Relu => z.max(0.0),
                    Activation::LeakyRelu(a) => {
                        if z >= 0.0 {
                            z
                        } else {
                            a as f64 * z
                        }
                    }
                    Activation::Tanh => z.tanh(),
                    Activation::Sine(w) => (w as f64 * z).sin(),
                }
            })
            .collect();
    }
    t.distance_scale as f64 * x[0]
}
