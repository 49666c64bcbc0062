//! Plain-Rust reference kernels: simple loops, the definition the fast backends are tested
//! against.

use super::Epilogue;

/// Applies the epilogue to one output row `y` (already holding `W · X + b`).
pub(super) fn finish_row(y: &mut [f32], row: usize, c: usize, epilogue: Epilogue) {
    match epilogue {
        Epilogue::Store => {}
        Epilogue::Relu => y.iter_mut().for_each(|v| *v = v.max(0.0)),
        Epilogue::MaskPositive(mask) => {
            for (v, &m) in y.iter_mut().zip(&mask[row * c..(row + 1) * c]) {
                if m <= 0.0 {
                    *v = 0.0;
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn matmul(
    w: &[f32],
    bias: Option<&[f32]>,
    x: &[f32],
    y: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
    epilogue: Epilogue,
) {
    for o in 0..rows {
        let out = &mut y[o * c..(o + 1) * c];
        out.fill(bias.map_or(0.0, |b| b[o]));
        for i in 0..k {
            let wi = w[o * k + i];
            for (v, &xv) in out.iter_mut().zip(&x[i * c..(i + 1) * c]) {
                *v += wi * xv;
            }
        }
        finish_row(out, o, c, epilogue);
    }
}

pub(super) fn weight_grad(
    dz: &[f32],
    x: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    rows: usize,
    k: usize,
    c: usize,
) {
    for o in 0..rows {
        let d = &dz[o * c..(o + 1) * c];
        db[o] = d.iter().sum();
        for i in 0..k {
            dw[o * k + i] = d
                .iter()
                .zip(&x[i * c..(i + 1) * c])
                .map(|(a, b)| a * b)
                .sum();
        }
    }
}
