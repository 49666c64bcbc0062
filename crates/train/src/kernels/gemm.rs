//! Backend on the `gemm` crate: portable SIMD (AVX2/AVX-512 on x86, NEON on ARM) chosen by the
//! crate at run time, for CPUs the hand-written kernels do not cover.

use gemm::{gemm, Parallelism};

use super::{scalar::finish_row, Epilogue};

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
        y[o * c..(o + 1) * c].fill(bias.map_or(0.0, |b| b[o]));
    }
    // SAFETY: y is rows × c (row stride c), w is rows × k (stride k), x is k × c (stride c); the
    // caller checked the lengths.
    unsafe {
        gemm(
            rows,
            c,
            k,
            y.as_mut_ptr(),
            1,
            c as isize,
            true,
            w.as_ptr(),
            1,
            k as isize,
            x.as_ptr(),
            1,
            c as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
    for o in 0..rows {
        finish_row(&mut y[o * c..(o + 1) * c], o, c, epilogue);
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
        db[o] = dz[o * c..(o + 1) * c].iter().sum();
    }
    // SAFETY: dw is rows × k (stride k); dz is rows × c (stride c); xᵀ is c × k, i.e. x read
    // with row stride 1 and column stride c. Lengths checked by the caller.
    unsafe {
        gemm(
            rows,
            k,
            c,
            dw.as_mut_ptr(),
            1,
            k as isize,
            false,
            dz.as_ptr(),
            1,
            c as isize,
            x.as_ptr(),
            c as isize,
            1,
            0.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}
