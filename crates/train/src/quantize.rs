//! Making the stored (int8 or f16) network as accurate as the f32 one.
//!
//! Rounding every weight to int8 after training ([`Scheme::round_trip`]: one scale per output
//! row) multiplies the surface error of a good fit by 1.5 to 4 (bunny, torus, box), so the last
//! part of training is quantization-aware, by one of two methods (measured in `super`'s table):
//! - [`QatMethod::Progressive`] (incremental quantization, after Zhou et al. 2017): layers are
//!   rounded and frozen one after the other, first layer first, while the layers not yet frozen
//!   and all biases (stored in f32) keep training and absorb the rounding error. The default:
//!   int8 then matches f32 within the seed-to-seed noise.
//! - [`QatMethod::Ste`]: every pass sees all weights rounded, and Adam updates the f32 master
//!   weights with those gradients (straight-through estimator). Weights near a rounding boundary
//!   keep flipping, and a row's scale jumps whenever its largest weight moves.
//!
//! Either way the weights the last steps trained with are exactly the weights the file stores.

use nsdf::{Activation, Scheme};

use super::mlp::{Mlp, Prepared};
use super::progress::Phase;

/// How training adapts the network to its stored precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QatMethod {
    Progressive,
    Ste,
}

/// The scheme of each layer, given each layer's activation, when the file stores a network as
/// `scheme`:
/// - For int4 the first layer (3 inputs per row) and the last (one output row) stay int8:
///   together 1.7% of Davies' weights, and the two layers where one rounded weight moves the
///   output most.
/// - A first layer of sine units stays f16 whatever the scheme: `sin(ω0 (W x + b))` multiplies
///   its rounding error by ω0 (30). On spot, 6 × 35 sine units, 30 epochs, int8h's surface
///   mean error was 0.00028 against f32's 0.00021, and 0.00022 with this layer f16. It costs
///   64 bytes at 6 × 34 (7,776 → 7,840) and 192 at 6 × 52 (15,968 → 16,160).
pub fn layer_schemes(scheme: Scheme, activations: &[Activation]) -> Vec<Scheme> {
    let layers = activations.len();
    activations
        .iter()
        .enumerate()
        .map(|(l, a)| {
            if scheme != Scheme::F32 && l == 0 && matches!(a, Activation::Sine(_)) {
                Scheme::F16
            } else if scheme == Scheme::Int4 && layers >= 3 && (l == 0 || l + 1 == layers) {
                Scheme::Int8
            } else {
                scheme
            }
        })
        .collect()
}

/// Each layer's activation, for [`layer_schemes`].
pub fn activations(model: &nsdf::Model) -> Vec<Activation> {
    model.layers.iter().map(|l| l.activation).collect()
}

/// One layer's weights as stored, when training chooses them: int4 rows are clipped at `clip`
/// times their root mean square before the `max / 7` step is taken, because a row's largest
/// weight is usually an outlier and its step would leave most weights on 3 or 4 levels. The
/// clipped weights land on ±7 steps, so the writer's `max / 7` rule finds the same step and
/// stores exactly these values. Other schemes: [`Scheme::round_trip`].
pub fn stored_weights(scheme: Scheme, weights: &[f32], cols: usize, clip: f32) -> Vec<f32> {
    if scheme != Scheme::Int4 || !clip.is_finite() {
        return scheme.round_trip(weights, cols);
    }
    let mut out = Vec::with_capacity(weights.len());
    for row in weights.chunks(cols.max(1)) {
        let max = row.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        let rms = (row.iter().map(|w| w * w).sum::<f32>() / row.len() as f32).sqrt();
        let c = max.min(clip * rms);
        let clipped: Vec<f32> = row.iter().map(|w| w.clamp(-c, c)).collect();
        out.extend(Scheme::Int4.round_trip(&clipped, cols));
    }
    out
}

/// The quantization-aware part of a training run: from progress `start` to the end.
#[derive(Clone, Debug)]
pub struct Qat {
    /// Per layer.
    schemes: Vec<Scheme>,
    /// Int4 rows are clipped at this many RMS ([`stored_weights`]).
    clip: f32,
    method: QatMethod,
    start: f32,
    /// Rounded weights of the layers frozen so far (progressive method).
    frozen: Vec<Vec<f32>>,
}

impl Qat {
    /// Quantization-aware training over the last `fraction` of progress, for weights stored with
    /// `schemes` (one per layer; nothing happens for f32).
    pub fn new(schemes: Vec<Scheme>, clip: f32, method: QatMethod, fraction: f32) -> Qat {
        let fraction = if schemes.iter().all(|&s| s == Scheme::F32) {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        Qat {
            schemes,
            clip,
            method,
            start: 1.0 - fraction,
            frozen: Vec::new(),
        }
    }

    fn active(&self, progress: f32) -> bool {
        self.start < 1.0 && progress >= self.start
    }

    pub fn phase(&self, progress: f32) -> Phase {
        if self.active(progress) {
            Phase::Quantize
        } else {
            Phase::Train
        }
    }

    /// The weights the next step's passes use; freezes the layers due by `progress`.
    pub fn prepare(&mut self, net: &mut Mlp, progress: f32) -> Prepared {
        if !self.active(progress) {
            return Prepared::plain(net);
        }
        match self.method {
            QatMethod::Ste => self.fake_quantized(net),
            QatMethod::Progressive => {
                // Layer l freezes at start + (1 − start)·l/(L + 1): the last one leaves 2/(L + 1)
                // of the phase for the biases alone.
                let layers = net.layers.len();
                let into = (progress - self.start) / (1.0 - self.start).max(1e-6);
                let due = ((into * (layers + 1) as f32).floor() as usize + 1).min(layers);
                while self.frozen.len() < due {
                    let l = self.frozen.len();
                    let s = net.layers[l];
                    let rounded =
                        stored_weights(self.schemes[l], net.weights(l), s.inputs, self.clip);
                    net.params[s.offset..s.offset + rounded.len()].copy_from_slice(&rounded);
                    self.frozen.push(rounded);
                }
                Prepared::plain(net)
            }
        }
    }

    /// Ends training: a time budget may stop it before the last layers were due, so they are
    /// rounded now; the straight-through method's weights become the stored ones.
    pub fn finish(&mut self, net: &mut Mlp) {
        if self.start >= 1.0 {
            return;
        }
        match self.method {
            QatMethod::Progressive => {
                self.prepare(net, 1.0);
            }
            QatMethod::Ste => {
                let stored = self.fake_quantized(net);
                for (l, w) in stored.weights.iter().enumerate() {
                    let o = net.layers[l].offset;
                    net.params[o..o + w.len()].copy_from_slice(w);
                }
            }
        }
    }

    /// The passes' view of `net`: every layer's weights as stored.
    fn fake_quantized(&self, net: &Mlp) -> Prepared {
        Prepared::new(net, |l, s, w| {
            stored_weights(self.schemes[l], w, s.inputs, self.clip)
        })
    }

    /// Undoes the optimizer's changes to frozen weights (call after every step).
    pub fn after_step(&self, net: &mut Mlp) {
        for (l, w) in self.frozen.iter().enumerate() {
            let o = net.layers[l].offset;
            net.params[o..o + w.len()].copy_from_slice(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::mlp::Init;
    use super::*;
    use nsdf::Model;

    #[test]
    fn progressive_freezes_layers_in_order_and_keeps_them() {
        let mut net = Mlp::from_model(&Model::davies());
        net.initialize(Init::Glorot, 1);
        let mut qat = Qat::new(
            vec![Scheme::Int8; 9],
            f32::INFINITY,
            QatMethod::Progressive,
            0.5,
        );
        assert_eq!(qat.phase(0.4), Phase::Train);
        qat.prepare(&mut net, 0.4);
        assert!(qat.frozen.is_empty());
        qat.prepare(&mut net, 0.5);
        assert_eq!(qat.frozen.len(), 1);
        assert_eq!(qat.phase(0.5), Phase::Quantize);
        let layer0 = net.weights(0).to_vec();
        assert_eq!(layer0, Scheme::Int8.round_trip(&layer0, 3));
        net.params.iter_mut().for_each(|p| *p += 0.01);
        qat.after_step(&mut net);
        assert_eq!(net.weights(0), &layer0[..]);
        assert_ne!(net.bias(0)[0], 0.0);
        qat.prepare(&mut net, 1.0);
        assert_eq!(qat.frozen.len(), net.layers.len());
        for l in 0..net.layers.len() {
            let w = net.weights(l);
            assert_eq!(w, &Scheme::Int8.round_trip(w, net.layers[l].inputs)[..]);
        }
        // f32 storage needs nothing.
        assert_eq!(
            Qat::new(
                vec![Scheme::F32; 9],
                f32::INFINITY,
                QatMethod::Progressive,
                0.5
            )
            .phase(0.9),
            Phase::Train
        );
    }

    #[test]
    fn straight_through_weights_are_the_stored_ones() {
        for scheme in [Scheme::Int8, Scheme::Int4] {
            let mut model = Model::davies();
            let schemes = layer_schemes(scheme, &activations(&model));
            for (l, &s) in model.layers.iter_mut().zip(&schemes) {
                l.scheme = s;
            }
            let mut net = Mlp::from_model(&model);
            net.initialize(Init::Glorot, 5);
            let before = net.weights(1).to_vec();
            let mut qat = Qat::new(schemes, 2.5, QatMethod::Ste, 0.5);
            let prepared = qat.prepare(&mut net, 0.9);
            qat.finish(&mut net);
            net.store_into(&mut model);
            // Bit-identical to what the writer and parser produce, clipped int4 rows included.
            let parsed = nsdf::parse(&nsdf::to_bytes(&model).unwrap()).unwrap();
            for (l, (p, w)) in parsed
                .model
                .layers
                .iter()
                .zip(&prepared.weights)
                .enumerate()
            {
                assert_eq!(&p.weights, w, "{scheme:?} layer {l}");
                assert_eq!(&model.as_stored().layers[l].weights, w);
            }
            assert_ne!(prepared.weights[1], before);
        }
        let relu = [Activation::Relu; 9];
        let s = layer_schemes(Scheme::Int4, &relu);
        assert_eq!(
            (s[0], s[1], s[7], s[8]),
            (Scheme::Int8, Scheme::Int4, Scheme::Int4, Scheme::Int8)
        );
        assert!(layer_schemes(Scheme::Int8Half, &relu)
            .iter()
            .all(|&s| s == Scheme::Int8Half));
        let mut sine = [Activation::Sine(30.0); 9];
        sine[8] = Activation::Tanh;
        for scheme in [Scheme::Int8Half, Scheme::Int8, Scheme::Int4, Scheme::F16] {
            let s = layer_schemes(scheme, &sine);
            assert_eq!(s[0], Scheme::F16, "{scheme:?}");
            assert_eq!(s[1], scheme, "{scheme:?}");
        }
        assert!(layer_schemes(Scheme::F32, &sine)
            .iter()
            .all(|&s| s == Scheme::F32));
    }
}
