//! Reference gradient by reverse-mode differentiation (the chain rule through every layer, not
//! finite differences): keep each layer's pre-activations, then walk back with Wᵀ.

use crate::eval::network::{encode, encode_backward, Network};

/// Distance and world-space gradient at one point.
pub fn gradient(net: &Network, p: [f32; 3]) -> (f32, [f32; 3]) {
    let mut s = Scratch::new(net);
    s.run(net, p)
}

/// Distances and gradients at many points.
pub fn gradients(net: &Network, points: &[[f32; 3]], dist: &mut [f32], grad: &mut [[f32; 3]]) {
    let mut s = Scratch::new(net);
    for ((p, d), g) in points.iter().zip(dist).zip(grad) {
        (*d, *g) = s.run(net, *p);
    }
}

struct Scratch {
    /// Layer inputs: `inputs[0]` is the encoding, `inputs[k]` the output of layer k-1.
    inputs: Vec<Vec<f32>>,
    /// Pre-activations of each layer.
    pre: Vec<Vec<f32>>,
    g: Vec<f32>,
    g_next: Vec<f32>,
}

impl Scratch {
    fn new(net: &Network) -> Scratch {
        let mut inputs = vec![vec![0.0; net.encoding.output_dim()]];
        inputs.extend(net.layers.iter().map(|l| vec![0.0; l.outputs]));
        Scratch {
            inputs,
            pre: net.layers.iter().map(|l| vec![0.0; l.outputs]).collect(),
            g: vec![0.0; net.max_width],
            g_next: vec![0.0; net.max_width],
        }
    }

    fn run(&mut self, net: &Network, p: [f32; 3]) -> (f32, [f32; 3]) {
        let t = &net.transform;
        let q = t.to_network(p);
        encode(net, q, &mut self.inputs[0]);
        for (k, l) in net.layers.iter().enumerate() {
            let (done, rest) = self.inputs.split_at_mut(k + 1);
            let x = &done[k];
            let rows = l.w.chunks_exact(l.inputs).zip(&l.b);
            for ((row, b), (pre, out)) in rows.zip(self.pre[k].iter_mut().zip(rest[0].iter_mut())) {
                let mut acc = *b;
                for (w, v) in row.iter().zip(x) {
                    acc += w * v;
                }
                *pre = acc;
                *out = l.activation.apply(acc);
            }
        }
        let f = self.inputs[net.layers.len()][0];
        // Backward: g holds ∂f/∂(output of layer k), starting with ∂f/∂f = 1.
        self.g[0] = 1.0;
        for (k, l) in net.layers.iter().enumerate().rev() {
            for o in 0..l.outputs {
                self.g[o] *= l.activation.derivative(self.pre[k][o]);
            }
            for i in 0..l.inputs {
                let col = &l.wt[i * l.outputs..(i + 1) * l.outputs];
                let mut acc = 0.0;
                for (w, g) in col.iter().zip(&self.g[..l.outputs]) {
                    acc += w * g;
                }
                self.g_next[i] = acc;
            }
            std::mem::swap(&mut self.g, &mut self.g_next);
        }
        let gq = encode_backward(net, q, &self.g);
        let s = t.distance_scale * t.scale;
        (t.distance_scale * f, [s * gq[0], s * gq[1], s * gq[2]])
    }
}
