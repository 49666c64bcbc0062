//! Training a network to a signed distance function: the core of `nsdf pack`.
//!
//! [`fit`] does it all for a [`Target`] (a shape that answers exact signed distances in the
//! training frame): draw samples ([`sampling`]), initialise, train with Adam ([`trainer`]),
//! finishing quantization-aware ([`quantize`]), and return an [`nsdf::Model`] ready to write.
//!
//! - `target.rs`: the [`Target`] trait and the training frame; `analytic.rs`: exact shapes;
//!   `mesh_target.rs`: a mesh, normalised like Davies et al.; `cloud_target.rs`: a point cloud
//!   (unsigned distances, for the sign-agnostic [`Recipe::Sal`] and [`Recipe::Sald`]).
//! - `sampling.rs`: Davies' importance sampling and near-surface sampling.
//! - `mlp.rs`: parameters, forward and backward passes; `kernels/`: their matrix products.
//! - `loss.rs`, `adam.rs`, `schedule.rs`: the optimisation pieces; `trainer.rs`: the loop;
//!   `input_gradient.rs`: losses on the network's input gradient (SALD's derivative term,
//!   SIREN's eikonal and normal terms) by second-order backpropagation.
//! - [`Recipe`]: the training recipes of the source reports (Davies, SAL/SALD, Sergeev et al.'s
//!   curriculum, SIREN), each a set of these settings ([`FitConfig::with_recipe`]).
//! - `quantize.rs`: int8/f16 quantization-aware training; `metrics.rs`: accuracy figures.
//! - `progress.rs`: reports for a progress bar; `rng.rs`: the seeded generator.
//!
//! # Defaults, and why
//! Measured with `examples/train_bench.rs fit --mesh ../shared/meshes/bunny_hr.obj` (exact
//! mesh distances), 1M samples, 40 epochs, the int8 file's weights, canonical units, seed 0;
//! each row changes one thing. PyTorch reference after 300 s (214 epochs): surface error
//! 0.0016, F1 near 0.936, F1 uniform 0.992.
//!
//! | setting                                              | surface | F1 near | F1 uniform |
//! |------------------------------------------------------|---------|---------|------------|
//! | defaults (seed 0 / seed 1)                           | 0.00118 / 0.00129 | 0.949 / 0.940 | 0.996 / 0.994 |
//! | stored as f32 (no quantization-aware phase)          | 0.00116 | 0.950   | 0.996      |
//! | int8: straight-through QAT / rounded after training  | 0.00152 / 0.00171 | 0.930 / 0.928 | 0.994 / 0.993 |
//! | Davies: importance sampling, constant lr 1e-3, batch 2048, int8 rounded after training | 0.0042 | 0.822 | 0.984 |
//! | importance sampling (10× the distance queries)       | 0.00174 | 0.931   | 0.994      |
//! | offsets σ 0.01 / 0.1 instead of 0.005 / 0.05 (seed 0 / 1) | 0.00141 / 0.00150 | 0.941 / 0.939 | 0.995 / 0.994 |
//! | ... and batch 2048 / 512                             | 0.00164 / 0.00217 | 0.931 / 0.917 | 0.994 / 0.993 |
//! | ... and learning rate 3e-3                           | 0.00147 | 0.938   | 0.994      |
//! | learning rate 8e-3                                   | 0.00122 | 0.947   | 0.996      |
//! | L1 clamped at 0.1 (far field no longer a distance: mean error in the cube 0.052, not 0.0044) | 0.00111 | 0.953 | 0.996 |
//! | 20 / 80 / 120 epochs                                 | 0.00144 / 0.00113 / 0.00107 | 0.934 / 0.952 / 0.955 | 0.994 / 0.996 / 0.995 |
//! | ReLU, 8 epochs (the reference for the sine rows)     | 0.00194 | 0.898   | 0.991      |
//! | sine units (ω0 30), SIREN init, lr 5e-3, 60 epochs   | 0.00202 (constant output) | 0.000 | 0.000 |
//! | sine, SIREN init, 8 epochs, lr 1e-3 / 1e-4 / 3e-4    | 0.00200 / 0.00183 / 0.00138 | 0.000 / 0.923 / 0.940 | 0.000 / 0.993 / 0.995 |
//! | sine, SIREN init, lr 3e-4, 16 epochs                 | 0.00117 | 0.949   | 0.995      |
//!
//! Sine rows: this table's 1M samples but the epochs given, on the AVX2 machine (sine units
//! train at 0.17–0.24 M samples/s there, ReLU at 0.6 M/s in the same runs: `sin` is scalar).
//! Their far field is worse (mean error in the cube 0.013 at 16 epochs against 0.0044), so
//! ReLU stays the default; [`FitConfig::for_activation`] holds the sine settings.
//!
//! The default 60 epochs: 0.00113 / 0.951 / 0.996 (seed 1: 0.00125 / 0.944 / 0.994), about
//! 10 s of training on 2 idle cores (6.3 M samples/s). Quantization on the torus and box (f32
//! error → int8): progressive 0.00082 → 0.00083 and 0.00047 → 0.00049.
//! Initialisation: see [`Init`]. One optimizer step on 2048 samples costs 0.5 ms of CPU on the
//! AVX-512 kernels, 0.93 ms on AVX2 and 1.9 ms through the `gemm` crate (`train_bench step`).

//! # Levers for fidelity per byte
//! Same command and mesh, **20 epochs** (so each row takes a minute on 2 AVX2 cores), 8×32,
//! surface mean |f| / max |f| on held-out surface points / F1 near, canonical units:
//!
//! | change from the 20-epoch int8 run                          | surface mean / max | F1 near |
//! |------------------------------------------------------------|--------------------|---------|
//! | none (int8, progressive QAT over the last 10%)             | 0.00146 / 0.0134   | 0.931   |
//! | int4 everywhere, progressive last 10%                      | 0.00192 (constant output) | 0.000 |
//! | int4 everywhere, straight-through last 30% / 50%           | 0.00275 / 0.00450  | 0.767 / 0.607 |
//! | int4 everywhere, progressive last 50%                      | 0.00200            | 0.629   |
//! | int4 hidden layers (first, last int8), straight-through last 30%, rows clipped at 2.5 / 3 RMS / max | 0.00283 / 0.00353 / 0.00254 | 0.801 / 0.786 / 0.775 |
//! | int4 hidden layers, progressive last 30%, clipped at 3 RMS (the int4 setting) | 0.00239 / 0.0209 | 0.885 |
//! | hard examples ([`resample`]): 20% at 0.3, 0.5, 0.7          | 0.00110 / 0.0067   | 0.936   |
//! | ... 30% at 0.5 / 40% at 0.3, 0.5, 0.7 / 30% at 0.2–0.8 every 0.15 | 0.00127 / 0.00104 / 0.00090, max 0.0085 / 0.0075 / 0.0078 | 0.932 / 0.939 / 0.941 |
//! | ... 20% at 0.2–0.8 every 0.1 (the default)                 | 0.00089 / 0.0052   | 0.941   |
//!
//! The default resampling costs far-field accuracy (mean error over the cube 0.00545 →
//! 0.00638) for the surface. Adding the network's own surface to the candidates (where its
//! sign changes along the edges of a 128³ grid, labelled exactly: the other side of the
//! Hausdorff distance) changed nothing measurable: the 12 `--budget 8k`/`16k` packs of the
//! organic meshes, geometric-mean ratio Chamfer 0.998, Hausdorff 1.012 (better on 7 of 12,
//! each pack's Hausdorff moving by up to 1.6× either way), so it was not kept.
//!
//! At 60 epochs and equal bytes, int4 loses to int8 (bunny_hr Chamfer L1 / R: int4 8×40 at 8,608 bytes 0.00198 against int8 6×32 at 8,096 bytes 0.00138),
//! so `--budget` picks int8 networks; int4 stays for files where half the bytes matter more.
//!
//! The far field, against the fidelity issue's box error: `train_bench fit --mesh bunny_hr.obj
//! --layers 6 --width 32 --epochs 40 --seconds 0` (6×32 is what `--budget 8k` packs), int8,
//! seeds 0 / 1, surface mean |f| / F1 near / mean |f − d| uniform in the cube:
//!
//! | sampling                                        | surface         | F1 near         | cube            |
//! |-------------------------------------------------|-----------------|-----------------|-----------------|
//! | 10% uniform (the default: fractions 0.45, 0.45) | 0.00116 / 0.00116 | 0.948 / 0.945 | 0.00824 / 0.00760 |
//! | 20% uniform (0.45, 0.35)                        | 0.00116 / 0.00123 | 0.946 / 0.942 | 0.00586 / 0.00642 |
//! | 30% uniform (0.35, 0.35), seed 0                | 0.00136         | 0.939           | 0.00771         |
//! | 50% uniform (0.25, 0.25), seed 0                | 0.00142         | 0.931           | 0.00524         |
//! | no hard-example resampling, seed 0              | 0.00147         | 0.935           | 0.00630         |
//!
//! More uniform samples buy 20–35% in the cube for a worse surface: nowhere near the 10× the
//! issue asks against a 16-bit grid, so the default stays.
//!
//! Aimed at Hausdorff and at 16 kB, against the `--budget` packs of the README's table (150
//! epochs; Chamfer L1 / Hausdorff per R, `nsdf compare -r 256`), one change per row; none kept:
//!
//! | change | result |
//! |--------|--------|
//! | loss `\|e\| + e²/2τ` (pulls harder on large errors), τ 0.002 / 0.01, 8k | bunny_hr 0.00084 / 0.0090 → 0.00104 / 0.0090 and 0.00102 / 0.0084; spot 0.00039 / 0.0062 → 0.00045 / 0.0052 and 0.00039 / 0.0065 |
//! | hard examples from 4× the candidates (the worst 5%, not 20%), 8k | bunny_hr 0.00084 / 0.0090 → 0.00097 / 0.0097, spot 0.00039 / 0.0062 → 0.00048 / 0.0052, armadillo 0.00122 / 0.0228 → 0.00131 / 0.0091 |
//! | 400 epochs, 16k | spot 0.00031 → 0.00042, armadillo 0.00085 / 0.0224 → 0.00087 / 0.0088; the far field decays (mean error in the cube 0.006 → 0.05) |
//! | learning rate 2.5e-3 / 1e-2 (8×44, 16k) | 2.5e-3: spot 0.00031 / 0.0052 → 0.00031 / 0.0037, bunny_hr 0.00059 / 0.0066 → 0.00069 / 0.0057; 1e-2: spot trains to no surface |
//! | 6×36 instead of 6×35 (+320 bytes, what an entropy-coded weight chunk would save) | armadillo −5%, bunny_hr −1%, spot +2% Chamfer |
//!
//! One pack's Hausdorff distance is its single worst point and moves by up to 2.5× between
//! settings that leave the Chamfer distance alone (armadillo above), so a Hausdorff gain is
//! only believed across meshes. An entropy-coded weight chunk was estimated, not built: the
//! ideal code length of the int8h weights under an adaptive binary model (LZMA's, one 8-bit tree
//! per file, shift 5) is 5.9–7.3% below their bytes (armadillo 8k 6,265 → 5,869; 16k 13,728 →
//! 12,725; spot 8k 6,265 → 5,896), and the row above shows what those bytes buy.
//!
//! Sine units, kept where a budget chooses the network (`pack::BUDGET_ACTIVATION` has the
//! equal-bytes numbers). Around them, one change per row, none kept: `train_bench fit --mesh
//! spot.obj --layers 6 --width 35 --quant int8h --epochs 40 --seconds 0 --activation sine`,
//! surface mean |f| / mean |f − d| uniform in the cube (the same command moved the first by 30%
//! between two builds), and `--budget 8k` packs (Chamfer L1 / box error per R):
//!
//! | change from sine, ω0 30, lr 3e-4, 10% uniform samples | result |
//! |--------------------------------------------------------|--------|
//! | lr 1e-3 / 1e-4 | no surface / 0.00039 / 0.0236, against 0.00034 / 0.0165 |
//! | ω0 15 | 0.00027 / 0.0126, against ω0 30's 0.00025 / 0.0166 in that build |
//! | 20% uniform samples (fractions 0.45, 0.35), `--budget 8k` | spot 0.00028 / 0.0109 → 0.00039 / 0.0080, bunny_hr 0.00068 / 0.0124 → 0.00071 / 0.0081, armadillo 0.00091 / 0.0152 → 0.00101 / 0.0111 |
//! | lr 1e-4, torus 6×52, 60 epochs | 0.00048 / 0.0039, against 0.00039 / 0.0038 |
//! | quantization-aware over the last 30%, not 10% | stored (int8h) surface mean at 40 epochs, seeds 0–2: 0.00034, 0.00027, 0.00027 → 0.00029, 0.00026, 0.00024 (f32 0.00019–0.00020 → 0.00021–0.00022); but as `--budget 8k` packs (150 epochs) Chamfer 6–9% higher on all six organic meshes (spot 0.00028 → 0.00029, bunny_hr 0.00068 → 0.00074) |
//! | hard examples replace 40% of the samples per call, not 20% (skull.obj, 6×34, f16 first layer) | 0.00067 / 0.0147 → 0.00053 / 0.0298, surface max 0.0083 → 0.0069: seven calls leave almost no uniform samples (20% already replaces 79% of the set), so the field in the cube is twice as far off |
//! | hard examples never replace samples 0.1 or more from the surface (skull.obj, as above) | 0.00067 / 0.0147 → 0.00079 / 0.0078 (at 40%: 0.00074 / 0.0079): the far field keeps its samples and halves its error, the surface loses 18% |
//! | int4 hidden layers, 6×46 (7,776 bytes, 1.8× the parameters of 6×34's 7,840) | spot 0.00022 / 0.0170 → 0.00051 / 0.0210, skull 0.00067 / 0.0147 → 0.00132 / 0.0200: the f32 master weights are as bad, so the 30% int4 phase costs more than the width buys |
//! | 16k (6×52): 300 epochs at lr 1.5e-4 / 1e-4, not 150 at 3e-4 | spot surface mean 0.00011 → 0.00012 / 0.00016, max 0.0026 → 0.0029 / 0.0036: the longer run at a lower rate buys nothing |
//! | seeds 1 and 2, `--budget 8k` (Chamfer L1 / Hausdorff per R, zero set) | scorpion 0.000858 / 0.01231 → 0.000802 / 0.01248 and 0.000829 / 0.01251; spot 0.000187 / 0.00541 → 0.000153 / 0.00579 and 0.000165 / 0.00550: the Hausdorff distance is the shape's, not the seed's, so packing several seeds and keeping the best would not reach Draco's |
//! | 600 epochs, not 300, `--budget 8k` (Chamfer L1 / Hausdorff per R) | scorpion 0.000858 / 0.01231 → 0.000795 / 0.01594, spot 0.000187 / 0.00541 → 0.000167 / 0.00523: Chamfer 7–11% lower, but scorpion grew a surface 0.016 R off the mesh on its plane of symmetry (Hausdorff +29%), and the pack takes 4 minutes |
//! | 2M samples for 150 epochs, not 1M for 300 (the same steps), `--budget 8k` (Chamfer L1 / Hausdorff per R) | boot 0.00110 / 0.0222 → 0.00107 / 0.0247, scorpion 0.000858 / 0.0123 → 0.000825 / 0.0106 (1.0002× Draco-11's), skull 0.000525 / 0.0182 → 0.000503 / 0.0189, spot 0.000187 / 0.00541 → 0.000181 / 0.00585: Chamfer 3–4% lower on all four, Hausdorff −14% to +11% |
//! | 8×29 / 9×27 (8,160 bytes, the widest that fit 8 kB at that depth), not 6×34 (7,840), as `--budget 8k` trains them; Hausdorff per R (÷ Draco-11 at the file's bytes) | armadillo 0.00761 (0.74) → 0.00818 (0.88) / 0.00837 (0.90); boot 0.0222 (1.88) → 0.0233 (2.48) / 0.0222 (2.36); bunny_hr 0.00523 (0.76) → 0.00840 (1.44) / 0.00612 (1.05); scorpion 0.0123 (1.02) → 0.0124 (1.20) / 0.0121 (1.17); skull 0.0182 (2.48) → 0.0148 (1.93) / 0.0131 (1.70); spot 0.00541 (1.23) → 0.00460 (1.01) / 0.00391 (0.86). Chamfer −10% to +6%, cube error 6–24% higher at 9×27: depth moves each mesh's worst point up or down, and Draco's own Hausdorff moves by up to 21% (boot) with the 4% more bytes |
//! | 9×40 (15,584–15,648 bytes, 300 epochs: no wider than 40) instead of 6×52 (16,160, 150 epochs) at 16k, Chamfer L1 / Hausdorff per R (sample maximum) | spot 0.000116 / 0.00340 → 0.000138 / 0.00335, skull 0.000320 / 0.00566 → 0.000308 / 0.00722, bunny_hr 0.000336 / 0.00411 → 0.000346 / 0.00430: all three trained to no surface at lr 3e-4 and were trained again at 1.5e-4 (packs of 427–577 s), and none comes closer to Draco-11's Hausdorff (0.00058, 0.00354, 0.00322), so 16k trains one network |
//! | output bias moved by the median of f on 100k surface points, after quantization (`--budget 8k` and `16k` files) | Chamfer: spot 8k −12% (0.000187 → 0.000165), skull 8k −1.5%, the other ten within ±0.6%; Hausdorff: bunny_hr 8k +14% (0.00523 → 0.00598), scorpion 8k +23% (0.01231 → 0.01516), spot 8k −4%: a shift of 0.00004 R adds or removes a thin part |
//!
//! Kept from the 8×29 / 9×27 row: neither depth is better on every mesh, so `--budget 8k` trains
//! 6×34 and 9×27 and keeps the one with the lower zero-set Hausdorff distance on held-out samples
//! (`pack/choose.rs`: `nsdf compare`'s measurement, 100,000 samples at 256³, another seed), about
//! twice the packing time. On the eleven shared meshes it kept 9×27 on nine, 6×34 on armadillo
//! and fandisk; since the measurement searches for the worst point
//! ([`nsdf_mesh::metrics::hausdorff`]) it keeps 6×34 on boot too (held-out 0.0224 R against
//! 0.0248). On three further sample sets (seeds 1–3, sample maxima) the kept network's
//! Hausdorff distance is 0.80× 6×34's (geometric mean over the eleven; spot 0.00543 → 0.00348,
//! skull 0.0169 → 0.0134, sword 0.0134 → 0.0064, wingnut 0.0059 → 0.0033), and the choice agrees
//! with those sets' mean on nine of eleven: boot and fandisk, where it disagrees, are within 1%.
//! One sample set's maximum moves a lot between seeds (bunny_hr 6×34: 0.0052–0.0075 R over four;
//! scorpion 0.0122–0.0144), so a pick on fewer points was worse: 50,000 at 192³ kept 6×34 on
//! skull (0.0156 against 0.0157 R; at 256³ 0.0176 against 0.0128).
//!
//! # The box error: what it would take
//! The fidelity issue asks for a mean error in the bounding cube 10× below a dense 16-bit grid of
//! the same bytes. At 8 kB that grid is 16³ texels and is 0.0055–0.0083 R off on the organic
//! meshes; the `--budget 8k` networks are 0.0086–0.0147 R off. `nsdf-mesh`'s `box_error` example
//! shows where: within 0.01 R of the surface the network is 12–63× closer than the grid, from 0.3 R
//! to R it is 0.3–0.9×, and the cube's corners (beyond R, 1–5% of the volume) hold 10–42% of its
//! error. `train_bench fit --mesh spot.obj --layers 6 --width 34 --quant int8h --epochs 40
//! --seconds 0`, surface mean |f| / mean |f − d| uniform in the cube (R):
//!
//! | training set | sine ω0 30 | sine ω0 10 | ReLU |
//! |---|---|---|---|
//! | the default (10% uniform, hard examples) | 0.00022 / 0.0170 | | |
//! | no hard examples | 0.00030 / 0.0112 | | |
//! | no hard examples, 50% uniform | 0.00063 / 0.0059 | | |
//! | no hard examples, 90% uniform | 0.0014 / 0.0053 | 0.0017 / 0.0048 | 0.0020 / 0.0053 |
//! | ... 300 epochs | | 0.00087 / 0.0040 | |
//!
//! So a network of this size given almost nothing but the cube is 1.3–1.7× closer than the grid
//! (0.0068 R on spot, on `nsdf compare`'s points), not 10×, and every sample moved there costs
//! the surface. Keeping the samples beyond a distance from the surface (training frame, where R
//! is 0.9) out of the hard-example resampling, seeds 0 (and 1), same figures:
//!
//! | kept beyond | spot | skull |
//! |---|---|---|
//! | nothing (the default) | 0.00022 / 0.0170 (0.00022 / 0.0161) | 0.00067 / 0.0147 (0.00067 / 0.0136) |
//! | 0.9 | 0.00023 / 0.0159 | 0.00069 / 0.0137 |
//! | 0.6 | 0.00024 / 0.0143 | 0.00070 / 0.0126 |
//! | 0.3 | 0.00026 / 0.0121 (0.00027 / 0.0117) | 0.00076 / 0.0094 (0.00073 / 0.0089) |
//! | 0.1 | 0.00027 / 0.0112 (0.00027 / 0.0109) | 0.00079 / 0.0078 (0.00076 / 0.0077) |
//!
//! Halving the cube error costs the surface about 20%, the error the Chamfer and Hausdorff marks
//! are made of, and none of these comes near 10×: the box mark needs another representation of
//! the far field, not another training set.

pub mod adam;
pub mod analytic;
pub mod cloud_target;
pub mod encoding;
pub mod input_gradient;
pub mod kernels;
pub mod loss;
pub mod mesh_target;
pub mod metrics;
pub mod mlp;
pub mod pack;
pub mod progress;
pub mod quantize;
pub mod resample;
pub mod rng;
pub mod sampling;
pub mod schedule;
pub mod target;
pub mod trainer;

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use nsdf::{Activation, Encoding, Model, Scheme};

pub use cloud_target::CloudTarget;
pub use encoding::{GridSpec, InputEncoding};
pub use kernels::Kernel;
pub use loss::Loss;
pub use mesh_target::MeshTarget;
pub use metrics::{Accuracy, Probe};
pub use mlp::{Init, Mlp};
pub use progress::{Callback, Phase, Progress};
pub use resample::HardExamples;
pub use sampling::{Samples, Sampling};
pub use schedule::Schedule;
pub use target::{Target, SHAPE_RADIUS};
pub use trainer::{Cancelled, Report, TrainConfig};

/// The network's architecture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arch {
    pub encoding: Encoding,
    /// Hidden layers.
    pub layers: usize,
    pub width: usize,
    pub activation: Activation,
    pub output: Activation,
    /// A hash grid in front of the layers (then `encoding` is ignored).
    pub grid: Option<GridSpec>,
}

impl Arch {
    /// Davies et al.: 8 hidden layers of 32 ReLU units, tanh output (7,553 parameters).
    pub const DAVIES: Arch = Arch {
        encoding: Encoding::None,
        layers: 8,
        width: 32,
        activation: Activation::Relu,
        output: Activation::Tanh,
        grid: None,
    };

    /// A model of this architecture with zero weights.
    pub fn model(&self) -> Model {
        if let Some(g) = self.grid {
            let hidden = vec![self.width; self.layers];
            return Model::with_grid(g.grid(), &hidden, self.activation, self.output);
        }
        Model::zeros(
            self.encoding,
            &vec![self.width; self.layers],
            self.activation,
            self.output,
        )
    }
}

/// Hidden layers × width tried by [`Arch::for_budget`], smallest file first. Each is more
/// accurate than the one before on bunny_hr (int8h, default training; Chamfer L1 / R of the
/// surface meshed at 256³, the README's rate–distortion table from `benches/rd_sweep.sh`):
/// 4×16 0.00372, 4×32 0.00149, 6×32 0.00112, 8×64 0.00055 (8×32 0.00098, 8×40 0.00079).
/// Six layers, widened ([`Arch::for_budget`]), are the most accurate per byte measured at
/// both marks (150 epochs, Chamfer L1 / R): at 8 kB 6×35 against 4×45 and 5×39 (bunny_hr
/// 0.00084 / 0.00093 / 0.00092, spot 0.00039 / 0.00043), at 16 kB 6×52 against the 8×44 an
/// 8-layer ladder gave (armadillo 0.00074 / 0.00085, boot 0.00095 / 0.00102, bunny_hr
/// 0.00054 / 0.00059, scorpion 0.00067 / 0.00074, skull 0.00050 / 0.00055, spot 0.00031 /
/// 0.00031; Hausdorff lower on 5 of the 6); 10×39 trained to no surface on bunny_hr.
pub const BUDGET_LADDER: [(usize, usize); 6] =
    [(4, 16), (4, 32), (6, 32), (6, 48), (6, 64), (8, 64)];

/// Hash-grid table sizes (log2 entries) that [`Arch::for_budget`] tries after
/// [`BUDGET_LADDER`], with [`GridSpec::DEFAULT`]'s other settings (16 levels × 2 f16 features,
/// 2 × 32 ReLU units): where a plain network stops improving, a grid spends the bytes. On
/// bunny_hr (Chamfer L1 / Hausdorff per R at 256³, `nsdf compare`): 8×64 int8 (34 kB)
/// 0.00070 / 0.0083; 2^12 (266 kB) 0.00041 / 0.0050; 2^13 (515 kB) 0.00032 / 0.0048; 2^14
/// (984 kB) 0.00028 / 0.0044. Smaller tables are left out: 2^10 (70 kB) is no better than 8×64
/// (0.00074 / 0.0067), and 2^11 (135 kB, 0.00063) grew a stray surface far from the shape
/// (Hausdorff 0.27: with few entries, fine cells far away share features trained near it).
pub const BUDGET_GRID_TABLES: [u32; 3] = [12, 13, 14];

/// The widest network [`Arch::for_budget`] widens a rung to: the ladder's widest.
pub const BUDGET_MAX_WIDTH: usize = 64;

impl Arch {
    /// The largest architecture of the ladder ([`Arch::ladder`]) whose file, `bytes(arch)`
    /// long (`nsdf pack` measures it with the mesh's metadata and statistics, about 580 bytes
    /// for bunny_hr.obj), fits in `budget`, with a network then widened one unit at a time
    /// while its file still fits (up to [`BUDGET_MAX_WIDTH`]), so the bytes before the next rung
    /// are not left unused: at 8 kB, int8h 6×32 becomes 6×35. `None` when even the smallest
    /// does not fit.
    pub fn for_budget(
        &self,
        budget: usize,
        grids: bool,
        mut bytes: impl FnMut(&Arch) -> usize,
    ) -> Option<Arch> {
        let mut arch = self.ladder(grids).rfind(|a| bytes(a) <= budget)?;
        while arch.grid.is_none() && arch.width < BUDGET_MAX_WIDTH {
            let wider = Arch {
                width: arch.width + 1,
                ..arch
            };
            if bytes(&wider) > budget {
                break;
            }
            arch = wider;
        }
        Some(arch)
    }

    /// Architectures in order of size and accuracy: the networks of [`BUDGET_LADDER`] with this
    /// one's encoding and activations, then (with `grids`) hash grids of
    /// [`BUDGET_GRID_TABLES`] entries.
    pub fn ladder(&self, grids: bool) -> impl DoubleEndedIterator<Item = Arch> + '_ {
        let networks = BUDGET_LADDER.iter().map(|&(layers, width)| Arch {
            layers,
            width,
            ..*self
        });
        let grids = BUDGET_GRID_TABLES
            .iter()
            .filter(move |_| grids)
            .map(|&log2_table| Arch {
                layers: 2,
                width: 32,
                grid: Some(GridSpec {
                    log2_table,
                    ..GridSpec::DEFAULT
                }),
                ..*self
            });
        networks.chain(grids)
    }

    /// Bytes of a file holding just this network (header, architecture, weights, transform).
    pub fn file_bytes(&self, scheme: Scheme) -> usize {
        nsdf::to_bytes(&self.model_stored_as(scheme)).map_or(usize::MAX, |b| b.len())
    }

    /// A model of this architecture with zero weights, stored as `scheme`
    /// ([`quantize::layer_schemes`]: int4 keeps the first and last layers int8, a first layer
    /// of sine units is f16).
    pub fn model_stored_as(&self, scheme: Scheme) -> Model {
        let mut model = self.model();
        let schemes = quantize::layer_schemes(scheme, &quantize::activations(&model));
        for (l, s) in model.layers.iter_mut().zip(schemes) {
            l.scheme = s;
        }
        model
    }
}

/// Everything [`fit`] needs besides the target.
#[derive(Clone, Debug)]
pub struct FitConfig {
    /// The recipe these settings follow ([`FitConfig::with_recipe`]); recorded in the metadata.
    pub recipe: Recipe,
    pub arch: Arch,
    pub init: Init,
    pub samples: usize,
    pub sampling: Sampling,
    pub train: TrainConfig,
    /// Hard-example resampling at `train.resample_at` ([`resample`]); `None`: never.
    pub hard_examples: Option<HardExamples>,
    /// Worker threads (0: all cores).
    pub threads: usize,
}

impl Default for FitConfig {
    /// Defaults chosen by measurement (see the table above): Davies' network, 1M near-surface
    /// samples, Glorot initialisation, and [`TrainConfig::default`].
    fn default() -> FitConfig {
        FitConfig {
            recipe: Recipe::Davies,
            arch: Arch::DAVIES,
            init: Init::Glorot,
            samples: 1 << 20,
            sampling: Sampling::NEAR_SURFACE,
            train: TrainConfig {
                resample_at: HardExamples::DEFAULT_AT.to_vec(),
                ..TrainConfig::default()
            },
            hard_examples: Some(HardExamples::DEFAULT),
            threads: 0,
        }
    }
}

impl FitConfig {
    /// The defaults for hidden activation `a`. Sine units get SIREN's initialisation and a
    /// peak learning rate of 3e-4: on bunny_hr 5e-3 (60 epochs) and 1e-3 (8 epochs) collapse
    /// to a constant output (sign near the surface 0.51); in 8 epochs 1e-4 reaches F1 near
    /// 0.923, 3e-4 0.940.
    pub fn for_activation(a: Activation) -> FitConfig {
        FitConfig::default().with_activation(a)
    }

    /// These settings with hidden activation `a` and its initialisation and learning rate
    /// ([`FitConfig::for_activation`]).
    pub fn with_activation(mut self, a: Activation) -> FitConfig {
        self.arch.activation = a;
        self.init = Init::for_activation(a);
        self.train.learning_rate = TrainConfig::default().learning_rate;
        if let Activation::Sine(_) = a {
            // Hard examples stay: without them a sine network misses what it finds hardest
            // (spot, 6×35 int8h, 40 epochs, surface mean / max |f|: 0.00041 / 0.0104 without,
            // 0.00025 / 0.0048 with; ReLU 0.00056 / 0.0049).
            self.train.learning_rate = 3e-4;
        }
        self
    }
}

impl FitConfig {
    /// These settings with hash grid `g` in front of a small network: 2 hidden layers of 32
    /// ReLU units unless changed afterwards (the grid holds the detail; the network only
    /// decodes its features, as in instant-NGP).
    pub fn with_grid(mut self, g: GridSpec) -> FitConfig {
        self.arch.grid = Some(g);
        self.arch.layers = 2;
        self.arch.width = 32;
        // bunny_hr, 2 cores: with a 2^16 table, 10 epochs gave F1 near 0.994 and surface error
        // 0.00015 in 116 s, 4 epochs 0.991 and 0.00023 in 57 s (machine shared); the default
        // 2^14 table at 3 epochs gives 0.988 and 0.00030 in 16-18 s.
        self.train.epochs = 3;
        self
    }

    /// These settings for weights stored as `scheme`. Int4 trains quantization-aware for the
    /// last 30% of the run, progressively (bunny_hr, 8×32, 20 epochs, surface error / F1 near:
    /// last 10% 0.00192 / 0.000, a constant output; last 30% 0.00239 / 0.885; straight-through
    /// over the last 30% 0.00254–0.00353 / 0.78–0.80 with any clipping; int8 0.00146 / 0.931).
    pub fn with_scheme(mut self, scheme: Scheme) -> FitConfig {
        self.train.scheme = scheme;
        if scheme == Scheme::Int4 {
            self.train.qat_fraction = 0.3;
        }
        self
    }
}

/// A training recipe of the source reports (`../shared/seeds/`): which loss, initialisation
/// and samples fit which input. Recorded in the file's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipe {
    /// Davies et al.: L1 on exact signed distances of a mesh (with this crate's measured
    /// defaults: near-surface samples, cosine schedule, hard examples).
    Davies,
    /// Atzmon & Lipman's sign-agnostic learning (SAL) for raw data: unsigned distances to a
    /// point cloud, `||f| − d|`, from a sphere (geometric initialisation) so the sign comes out
    /// right. The default for point clouds.
    Sal,
    /// SAL plus SALD's derivative term, `λ·min(|∇f − ∇d|, |∇f + ∇d|)` with λ =
    /// [`SALD_GRADIENT_WEIGHT`] (second-order backpropagation, [`input_gradient`]). On
    /// bunny_hr's cloud as accurate as SAL for 3.3× the training time.
    Sald,
    /// Sergeev et al.'s high-resolution recipe: the curriculum loss of their Table 2 (clamped
    /// L1 at 0.1 with a shrinking tolerance ε and a growing weight λ on wrong signs), near-
    /// surface samples at their two scales, Adam at a constant 1e-3.
    Curriculum,
    /// SIREN (Sitzmann et al.): sine units (ω0 = 30) with SIREN's initialisation and linear
    /// output, trained from oriented surface points and uniform points with SIREN's SDF loss
    /// (surface |f|, normal alignment, eikonal, exp(−100|f|) off the surface), not from exact
    /// distances; Adam at a constant 1e-4.
    Siren,
}

impl Recipe {
    pub const ALL: [Recipe; 5] = [
        Recipe::Davies,
        Recipe::Sal,
        Recipe::Sald,
        Recipe::Curriculum,
        Recipe::Siren,
    ];

    /// The name `--recipe` takes and the metadata records.
    pub fn name(self) -> &'static str {
        match self {
            Recipe::Davies => "davies",
            Recipe::Sal => "sal",
            Recipe::Sald => "sald",
            Recipe::Curriculum => "curriculum",
            Recipe::Siren => "siren",
        }
    }
}

impl std::str::FromStr for Recipe {
    type Err = String;
    fn from_str(s: &str) -> Result<Recipe, String> {
        Recipe::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Recipe::ALL.iter().map(|r| r.name()).collect();
                format!(
                    "unknown recipe `{s}` (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

impl FitConfig {
    /// These settings changed to follow `recipe` where it differs from Davies' (which changes
    /// nothing).
    pub fn with_recipe(mut self, recipe: Recipe) -> FitConfig {
        self.recipe = recipe;
        match recipe {
            Recipe::Davies => return self,
            Recipe::Sal | Recipe::Sald => {
                self.init = Init::Geometric {
                    radius: SALD_SPHERE_RADIUS,
                };
                self.train.loss = Loss::SignAgnostic;
                if recipe == Recipe::Sald {
                    self.train.gradient_loss = Some(input_gradient::GradientLoss::SignAgnostic(
                        SALD_GRADIENT_WEIGHT,
                    ));
                }
            }
            Recipe::Curriculum => {
                // Their unit sphere is our ball of radius 0.9: lengths scale by 0.9.
                self.train.loss = Loss::Curriculum {
                    delta: 0.1 * SHAPE_RADIUS,
                    epsilon: 0.0,
                    lambda: 0.0,
                };
                self.train.learning_rate = 1e-3;
                self.train.schedule = Schedule::Constant;
                // Variances 1e-5 and 1e-4 around the surface, half the samples each but for
                // the 5% they put on the surface itself, which here are uniform in the cube
                // (their far field is clamped away; ours still needs the volume's sign).
                self.sampling = Sampling::NearSurface {
                    sigmas: [1e-5f32.sqrt() * SHAPE_RADIUS, 1e-4f32.sqrt() * SHAPE_RADIUS],
                    fractions: [0.476, 0.476],
                };
            }
            Recipe::Siren => {
                if !matches!(self.arch.activation, Activation::Sine(_)) {
                    self.arch.activation = Activation::Sine(30.0);
                }
                self.arch.output = Activation::Identity;
                self.init = Init::for_activation(self.arch.activation);
                // SIREN's weights (its sdf_loss: 3e3, 1e2, 1e2, 5e1).
                self.train.loss = Loss::Siren {
                    surface: 3e3,
                    off_surface: 1e2,
                    alpha: 100.0,
                };
                self.train.gradient_loss = Some(input_gradient::GradientLoss::Siren {
                    eikonal: 5e1,
                    normal: 1e2,
                });
                self.train.learning_rate = 1e-4;
                self.train.schedule = Schedule::Constant;
                // Sine units with second-order passes train at about 0.13 M samples/s on 2
                // cores; 10 epochs reach F1 near 0.951 on bunny_hr (81 s).
                self.train.epochs = SIREN_EPOCHS;
                self.sampling = Sampling::SurfaceAndUniform { surface: 0.5 };
            }
        }
        // Hard examples rank samples by |f − d| against exact signed distances: raw data has
        // none, SIREN uses none, and the curriculum's λ is its own hard-example weight.
        self.hard_examples = None;
        self.train.resample_at.clear();
        self
    }
}

/// Epochs of the SIREN recipe (unless given).
pub const SIREN_EPOCHS: usize = 10;

/// Weight of SALD's derivative term (see [`TrainConfig::gradient_loss`]).
pub const SALD_GRADIENT_WEIGHT: f32 = 0.1;

/// Radius of the sphere sign-agnostic training starts from, in the training frame (the shape
/// fills the ball of radius 0.9).
pub const SALD_SPHERE_RADIUS: f32 = 0.5;

/// The result of [`fit`].
#[derive(Clone, Debug)]
pub struct Fit {
    /// Trained weights (f32 master copy) with every layer's scheme set to `train.scheme`, identity
    /// transform and no metadata: the caller adds those before writing.
    pub model: Model,
    pub sampling_time: Duration,
    pub report: Report,
}

/// Samples `target`, trains a network on it and returns the model. Same target, config and
/// thread count (and no time budget cut) give identical weights.
pub fn fit(target: &dyn Target, config: &FitConfig, progress: Callback) -> Result<Fit, FitError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| FitError::Threads(e.to_string()))?;
    if !target.is_signed() && config.train.loss != Loss::SignAgnostic {
        return Err(FitError::UnsignedTarget);
    }
    let mut model = config.arch.model_stored_as(config.train.scheme);
    let mut net = Mlp::from_model(&model);
    if let (Some(_), Some(why)) = (
        config.train.gradient_loss,
        input_gradient::unsupported(&net),
    ) {
        return Err(FitError::Unsupported(why));
    }
    pool.install(|| {
        let seed = config.train.seed;
        let sampling_started = Instant::now();
        let announce = Progress {
            phase: Phase::Sampling,
            fraction: 0.0,
            epoch: 0.0,
            epochs: config.train.epochs,
            step: 0,
            steps: 0,
            loss: f64::NAN,
            learning_rate: 0.0,
            samples_per_second: 0.0,
            elapsed: Duration::ZERO,
        };
        if progress(&announce) == ControlFlow::Break(()) {
            return Err(FitError::Cancelled);
        }
        let mut samples =
            config
                .sampling
                .draw(target, config.samples, rng::Rng::stream(seed, 1).next_u64());
        if config.train.gradient_loss.is_some() && !samples.add_gradients(target) {
            return Err(FitError::Unsupported(
                "a loss on the gradient needs a target with distance gradients".into(),
            ));
        }
        let sampling_time = sampling_started.elapsed();

        net.initialize(config.init, rng::Rng::stream(seed, 2).next_u64());
        let mut calls = 0;
        let mut resample = |net: &Mlp, samples: &mut Samples| {
            if let Some(hard) = config.hard_examples {
                calls += 1;
                let seed = rng::Rng::stream(seed, 100 + calls).next_u64();
                hard.apply(target, net, samples, seed, config.train.kernel);
            }
        };
        let report = trainer::train_with(
            &mut net,
            &mut samples,
            &config.train,
            progress,
            &mut resample,
        )
        .map_err(|_| FitError::Cancelled)?;
        net.store_into(&mut model);
        Ok(Fit {
            model,
            sampling_time,
            report,
        })
    })
}

/// Why [`fit`] did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FitError {
    /// The progress callback asked to stop.
    Cancelled,
    /// The worker threads could not be started.
    Threads(String),
    /// The target's distances are unsigned (raw data) but the loss needs signed ones.
    UnsignedTarget,
    /// The settings ask for something this network or target cannot do (the message says what).
    Unsupported(String),
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::Cancelled => f.write_str("training was cancelled"),
            FitError::Threads(e) => write!(f, "cannot start training threads: {e}"),
            FitError::UnsignedTarget => f.write_str(
                "raw data has unsigned distances only: train it with the sal or sald recipe",
            ),
            FitError::Unsupported(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for FitError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_picks_the_largest_ladder_network_that_fits_and_widens_it() {
        // What bunny_hr's metadata and statistics add to a file (`nsdf pack --budget`).
        let extra = 576;
        let bytes = |a: &Arch| a.file_bytes(Scheme::Int8Half) + extra;
        let ladder: Vec<Arch> = Arch::DAVIES.ladder(true).collect();
        assert_eq!(ladder.len(), BUDGET_LADDER.len() + BUDGET_GRID_TABLES.len());
        let sizes: Vec<usize> = ladder.iter().map(bytes).collect();
        assert!(sizes.windows(2).all(|w| w[0] < w[1]), "{sizes:?}");
        let pick = |budget| Arch::DAVIES.for_budget(budget, true, bytes).unwrap();
        let rung = |a: Arch| (a.layers, a.grid);
        for (k, &size) in sizes.iter().enumerate() {
            for (budget, want) in [(size, k), (size - 1, k.wrapping_sub(1))] {
                let Some(want) = ladder.get(want) else {
                    assert!(Arch::DAVIES.for_budget(budget, true, bytes).is_none());
                    continue;
                };
                let got = pick(budget);
                assert_eq!(rung(got), rung(*want), "budget {budget}");
                assert!(got.width >= want.width && bytes(&got) <= budget);
                // Widened as far as the budget allows.
                let wider = Arch {
                    width: got.width + 1,
                    ..got
                };
                let full = got.grid.is_some() || got.width == BUDGET_MAX_WIDTH;
                assert!(full || bytes(&wider) > budget, "{got:?} at {budget}");
            }
        }
        // The 8 kB and 16 kB marks (bunny_hr's files: 8,160 and 16,224 bytes).
        let pick = |b, grids| {
            let a = Arch::DAVIES.for_budget(b, grids, bytes).unwrap();
            (a.layers, a.width, a.grid.map(|g| g.log2_table))
        };
        assert_eq!(pick(8192, true), (6, 35, None));
        assert_eq!(pick(16384, true), (6, 52, None));
        // A megabyte: the default hash grid (984 kB with bunny_hr's metadata in session 8's int8),
        // or the largest network where grids are not allowed.
        assert_eq!(pick(1 << 20, true), (2, 32, Some(14)));
        assert_eq!(pick(300 << 10, true), (2, 32, Some(12)));
        assert_eq!(pick(1 << 20, false), (8, 64, None));
        let sine = Arch {
            activation: Activation::Sine(30.0),
            ..Arch::DAVIES
        };
        let a = sine.for_budget(8192, false, bytes).unwrap();
        assert_eq!(a.activation, sine.activation);
    }
}
