//! Reference distance: encode, then each dense layer `act(W x + b)` summed in input order.

use crate::eval::network::{encode, Network};

/// Distance at one world point.
pub fn distance(net: &Network, p: [f32; 3]) -> f32 {
    let mut a = vec![0.0f32; net.max_width];
    let mut b = vec![0.0f32; net.max_width];
    distance_with(net, p, &mut a, &mut b)
}

/// Distances at many world points.
pub fn distances(net: &Network, points: &[[f32; 3]], out: &mut [f32]) {
    let mut a = vec![0.0f32; net.max_width];
    let mut b = vec![0.0f32; net.max_width];
    for (p, d) in points.iter().zip(out) {
        *d = distance_with(net, *p, &mut a, &mut b);
    }
}

fn distance_with(net: &Network, p: [f32; 3], a: &mut [f32], b: &mut [f32]) -> f32 {
    let t = &net.transform;
    encode(net, t.to_network(p), a);
    let (mut x, mut y) = (a, b);
    for l in &net.layers {
        for ((out, row), b) in y.iter_mut().zip(l.w.chunks_exact(l.inputs)).zip(&l.b) {
            let mut acc = *b;
            for (w, v) in row.iter().zip(&x[..l.inputs]) {
                acc += w * v;
            }
            *out = l.activation.apply(acc);
        }
        std::mem::swap(&mut x, &mut y);
    }
    t.distance_scale * x[0]
}
