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

use nsdf::Scheme;

use super::mlp::{Mlp, Prepared};
use super::progress::Phase;

/// How training adapts the network to its stored precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QatMethod {
    Progressive,
    Ste,
}

/// The quantization-aware part of a training run: from progress `start` to the end.
#[derive(Clone, Debug)]
pub struct Qat {
    scheme: Scheme,
    method: QatMethod,
    start: f32,
    /// Rounded weights of the layers frozen so far (progressive method).
    frozen: Vec<Vec<f32>>,
}

impl Qat {
    /// Quantization-aware training over the last `fraction` of progress, for weights stored with
    /// `scheme` (nothing happens for f32).
    pub fn new(scheme: Scheme, method: QatMethod, fraction: f32) -> Qat {
        let fraction = if scheme == Scheme::F32 {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        Qat {
            scheme,
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
            QatMethod::Ste => fake_quantized(net, self.scheme),
            QatMethod::Progressive => {
                // Layer l freezes at start + (1 − start)·l/(L + 1): the last one leaves 2/(L + 1)
                // of the phase for the biases alone.
                let layers = net.layers.len();
                let into = (progress - self.start) / (1.0 - self.start).max(1e-6);
                let due = ((into * (layers + 1) as f32).floor() as usize + 1).min(layers);
                while self.frozen.len() < due {
                    let l = self.frozen.len();
                    let s = net.layers[l];
                    let rounded = self.scheme.round_trip(net.weights(l), s.inputs);
                    net.params[s.offset..s.offset + rounded.len()].copy_from_slice(&rounded);
                    self.frozen.push(rounded);
                }
                Prepared::plain(net)
            }
        }
    }

    /// Ends training: a time budget may stop it before the last layers were due, so they are
    /// rounded now (for the straight-through method the writer's rounding is the same thing).
    pub fn finish(&mut self, net: &mut Mlp) {
        if self.method == QatMethod::Progressive && self.start < 1.0 {
            self.prepare(net, 1.0);
        }
    }

    /// Undoes the optimizer's changes to frozen weights (call after every step).
    pub fn after_step(&self, net: &mut Mlp) {
        for (l, w) in self.frozen.iter().enumerate() {
            let o = net.layers[l].offset;
            net.params[o..o + w.len()].copy_from_slice(w);
        }
    }
}

/// The passes' view of `net` when the file stores its weights with `scheme`.
pub fn fake_quantized(net: &Mlp, scheme: Scheme) -> Prepared {
    Prepared::new(net, |s, w| scheme.round_trip(w, s.inputs))
}

#[cfg(test)]
mod tests {
    use super::super::mlp::Init;
    use nsdf::Model;
    use super::*;

    #[test]
    fn progressive_freezes_layers_in_order_and_keeps_them() {
        let mut net = Mlp::from_model(&Model::davies());
        net.initialize(Init::Glorot, 1);
        let mut qat = Qat::new(Scheme::Int8, QatMethod::Progressive, 0.5);
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
            Qat::new(Scheme::F32, QatMethod::Progressive, 0.5).phase(0.9),
            Phase::Train
        );
    }

    #[test]
    fn fake_quantized_weights_are_the_stored_ones() {
        let mut model = Model::davies().with_scheme(Scheme::Int8);
        let mut net = Mlp::from_model(&model);
        net.initialize(Init::Glorot, 5);
        net.store_into(&mut model);
        let prepared = fake_quantized(&net, Scheme::Int8);
        let stored = model.as_stored();
        // Bit-identical to what the writer and parser produce.
        let parsed = nsdf::parse(&nsdf::to_bytes(&model).unwrap()).unwrap();
        for ((l, p), w) in stored
            .layers
            .iter()
            .zip(&parsed.model.layers)
            .zip(&prepared.weights)
        {
            assert_eq!(&l.weights, w);
            assert_eq!(&p.weights, w);
        }
        assert_ne!(prepared.weights[1], net.weights(1));
    }
}
