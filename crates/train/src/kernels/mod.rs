//! The two matrix products a dense layer needs in training, on the CPU's best instructions.
//!
//! Activations are stored *feature-major*: a layer's `n × c` block holds feature `j` of the `c`
//! samples of a chunk at `[j * c .. (j + 1) * c]`. Then both products are cheap for the tiny
//! (≤ 64-wide) matrices of an SDF network:
//! - [`Kernel::matmul`]: `Y = W · X (+ b)`, optionally fused with ReLU or with the ReLU mask of the
//!   backward pass. Forward (`W`) and backward-to-input (`Wᵀ`) are both this product.
//! - [`Kernel::weight_grad`]: `dW = dZ · Xᵀ` and `db = dZ · 1`, a sum over the chunk's samples.
//!
//! Backends: AVX-512 and AVX2+FMA (hand-blocked over the runtime's `nsdf::simd` tokens, chosen at
//! run time), the `gemm` crate (portable,
//! e.g. NEON on ARM), and a scalar reference the others are tested against.

use nsdf::Activation;

mod gemm;
mod scalar;
mod simd;
#[cfg(target_arch = "x86_64")]
mod x86;

/// Chunk sizes (samples) must be a multiple of this, so every SIMD width divides them.
pub const LANES: usize = 16;

/// What is done with `W · X + b` before it is stored.
#[derive(Clone, Copy, Debug)]
pub enum Epilogue<'a> {
    /// Store as is.
    Store,
    /// Store `max(0, ·)` (forward through a ReLU layer).
    Relu,
    /// Store `·` where `mask > 0`, else 0 (backward through a ReLU layer whose output is `mask`).
    MaskPositive(&'a [f32]),
}

/// A matrix-product backend. Only constructible for backends this CPU supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Kernel(Backend);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Backend {
    Scalar,
    Gemm,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Kernel {
    /// The plain-Rust reference.
    pub const SCALAR: Kernel = Kernel(Backend::Scalar);

    /// Every backend this CPU can run, best last.
    pub fn available() -> Vec<Kernel> {
        let mut all = vec![Kernel(Backend::Scalar), Kernel(Backend::Gemm)];
        #[cfg(target_arch = "x86_64")]
        {
            if nsdf::simd::Avx2::new().is_some() {
                all.push(Kernel(Backend::Avx2));
            }
            if nsdf::simd::Avx512::new().is_some() {
                all.push(Kernel(Backend::Avx512));
            }
        }
        all
    }

    /// The fastest backend this CPU supports.
    pub fn detect() -> Kernel {
        *Kernel::available().last().unwrap_or(&Kernel::SCALAR)
    }

    /// The backend called `name` (`scalar`, `gemm`, `avx2`, `avx512`) if this CPU supports it.
    pub fn by_name(name: &str) -> Option<Kernel> {
        Kernel::available().into_iter().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self.0 {
            Backend::Scalar => "scalar",
            Backend::Gemm => "gemm",
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => "avx2",
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => "avx512",
        }
    }

    /// `y[rows × c] = epilogue(w[rows × k] · x[k × c] + bias)`, all row-major.
    ///
    /// `c` must be a multiple of [`LANES`]; `bias` (if any) has `rows` entries; a mask has the
    /// shape of `y`.
    #[allow(clippy::too_many_arguments)]
    pub fn matmul(
        self,
        w: &[f32],
        bias: Option<&[f32]>,
        x: &[f32],
        y: &mut [f32],
        rows: usize,
        k: usize,
        c: usize,
        epilogue: Epilogue,
    ) {
        assert!(
            c.is_multiple_of(LANES),
            "chunk of {c} samples is not a multiple of {LANES}"
        );
        assert!(w.len() >= rows * k && x.len() >= k * c && y.len() >= rows * c);
        assert!(bias.is_none_or(|b| b.len() >= rows));
        if let Epilogue::MaskPositive(m) = epilogue {
            assert!(m.len() >= rows * c);
        }
        let y = &mut y[..rows * c];
        match self.0 {
            Backend::Scalar => scalar::matmul(w, bias, x, y, rows, k, c, epilogue),
            Backend::Gemm => gemm::matmul(w, bias, x, y, rows, k, c, epilogue),
            // SAFETY: the variant exists only if `available()` got the token (the CPU has the
            // features), and the asserts above bound every access the kernels make.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => unsafe {
                x86::matmul_avx2(
                    nsdf::simd::Avx2::new_unchecked(),
                    w,
                    bias,
                    x,
                    y,
                    rows,
                    k,
                    c,
                    epilogue,
                )
            },
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe {
                x86::matmul_avx512(
                    nsdf::simd::Avx512::new_unchecked(),
                    w,
                    bias,
                    x,
                    y,
                    rows,
                    k,
                    c,
                    epilogue,
                )
            },
        }
    }

    /// `dw[rows × k] = dz[rows × c] · x[k × c]ᵀ` and `db[rows] = Σ_t dz[·, t]` (overwritten).
    #[allow(clippy::too_many_arguments)]
    pub fn weight_grad(
        self,
        dz: &[f32],
        x: &[f32],
        dw: &mut [f32],
        db: &mut [f32],
        rows: usize,
        k: usize,
        c: usize,
    ) {
        assert!(
            c.is_multiple_of(LANES),
            "chunk of {c} samples is not a multiple of {LANES}"
        );
        assert!(
            dz.len() >= rows * c && x.len() >= k * c && dw.len() >= rows * k && db.len() >= rows
        );
        match self.0 {
            Backend::Scalar => scalar::weight_grad(dz, x, dw, db, rows, k, c),
            Backend::Gemm => gemm::weight_grad(dz, x, dw, db, rows, k, c),
            // SAFETY: as in `matmul`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => unsafe {
                x86::weight_grad_avx2(nsdf::simd::Avx2::new_unchecked(), dz, x, dw, db, rows, k, c)
            },
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe {
                x86::weight_grad_avx512(
                    nsdf::simd::Avx512::new_unchecked(),
                    dz,
                    x,
                    dw,
                    db,
                    rows,
                    k,
                    c,
                )
            },
        }
    }

    /// `out[..z.len()] = act(z)` element by element: hidden activations without a fused
    /// epilogue (sine, leaky ReLU). The x86 backends use the runtime's vectorized activations;
    /// the others, [`Activation::apply`] (libm's `sinf` made sine units train at a fifth of
    /// ReLU's rate).
    pub fn activate(self, act: Activation, z: &[f32], out: &mut [f32]) {
        let out = &mut out[..z.len()];
        match self.0 {
            Backend::Scalar | Backend::Gemm => {
                out.iter_mut().zip(z).for_each(|(a, &z)| *a = act.apply(z))
            }
            // SAFETY: as in `matmul`; `out` is as long as `z`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => unsafe {
                x86::activate_avx2(nsdf::simd::Avx2::new_unchecked(), act, z, out)
            },
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe {
                x86::activate_avx512(nsdf::simd::Avx512::new_unchecked(), act, z, out)
            },
        }
    }

    /// `d[..z.len()] *= act'(z)` element by element: the chain rule through [`Kernel::activate`].
    pub fn times_derivative(self, act: Activation, z: &[f32], d: &mut [f32]) {
        let d = &mut d[..z.len()];
        match self.0 {
            Backend::Scalar | Backend::Gemm => d
                .iter_mut()
                .zip(z)
                .for_each(|(d, &z)| *d *= act.derivative(z)),
            // SAFETY: as in `matmul`; `d` is as long as `z`.
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => unsafe {
                x86::times_derivative_avx2(nsdf::simd::Avx2::new_unchecked(), act, z, d)
            },
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => unsafe {
                x86::times_derivative_avx512(nsdf::simd::Avx512::new_unchecked(), act, z, d)
            },
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::Rng;
    use super::*;

    fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.uniform(-1.0, 1.0)).collect()
    }

    /// Every backend's activations and derivatives against [`Activation::apply`] and
    /// [`Activation::derivative`], over whole vectors, a remainder, and arguments beyond the
    /// polynomials' range (libm there).
    #[test]
    fn activations_agree_with_scalar() {
        let mut rng = Rng::new(12);
        let acts = [
            Activation::Sine(30.0),
            Activation::Sine(1.0),
            Activation::LeakyRelu(0.01),
            Activation::Tanh,
            Activation::Relu,
            Activation::Identity,
        ];
        for n in [0, 5, 16, 37, 256] {
            let mut z: Vec<f32> = random(n, &mut rng).iter().map(|v| 2.0 * v).collect();
            if n > 20 {
                z[20] = 1e5; // sin(30 · 1e5): past the reduction's limit
            }
            let d0 = random(n, &mut rng);
            for kernel in Kernel::available() {
                for act in acts {
                    let mut got = vec![f32::NAN; n + 3];
                    kernel.activate(act, &z, &mut got);
                    let mut d = d0.clone();
                    kernel.times_derivative(act, &z, &mut d);
                    let scale = match act {
                        Activation::Sine(w) => w,
                        _ => 1.0,
                    };
                    for i in 0..n {
                        let (want, dwant) = (act.apply(z[i]), d0[i] * act.derivative(z[i]));
                        assert!(
                            (got[i] - want).abs() <= 1e-6 && (d[i] - dwant).abs() <= 1e-6 * scale,
                            "{kernel} {act:?} at {}: {} {} vs {want} {dwant}",
                            z[i],
                            got[i],
                            d[i]
                        );
                    }
                    assert!(got[n..].iter().all(|v| v.is_nan()), "{kernel} wrote past z");
                }
            }
        }
    }

    /// Every backend against the scalar reference, on shapes that exercise the block remainders.
    #[test]
    fn backends_agree_with_scalar() {
        let mut rng = Rng::new(11);
        for &(rows, k, c) in &[
            (32, 32, 256),
            (1, 32, 48),
            (32, 1, 16),
            (32, 3, 64),
            (7, 5, 80),
            (13, 33, 112),
        ] {
            let w = random(rows * k, &mut rng);
            let b = random(rows, &mut rng);
            let x = random(k * c, &mut rng);
            let mask = random(rows * c, &mut rng);
            let dz = random(rows * c, &mut rng);
            let epilogues = [
                Epilogue::Store,
                Epilogue::Relu,
                Epilogue::MaskPositive(&mask),
            ];
            let tol = 1e-5 * k as f32;
            for kernel in Kernel::available() {
                for (e, &epi) in epilogues.iter().enumerate() {
                    for bias in [None, Some(&b[..])] {
                        let mut want = vec![0.0; rows * c];
                        let mut got = vec![f32::NAN; rows * c];
                        Kernel::SCALAR.matmul(&w, bias, &x, &mut want, rows, k, c, epi);
                        kernel.matmul(&w, bias, &x, &mut got, rows, k, c, epi);
                        for (g, w) in got.iter().zip(&want) {
                            assert!(
                                (g - w).abs() <= tol,
                                "{kernel} matmul {rows}x{k}x{c} epilogue {e}: {g} vs {w}"
                            );
                        }
                    }
                }
                let (mut dw0, mut db0) = (vec![0.0; rows * k], vec![0.0; rows]);
                let (mut dw1, mut db1) = (vec![f32::NAN; rows * k], vec![f32::NAN; rows]);
                Kernel::SCALAR.weight_grad(&dz, &x, &mut dw0, &mut db0, rows, k, c);
                kernel.weight_grad(&dz, &x, &mut dw1, &mut db1, rows, k, c);
                let tol = 1e-5 * c as f32;
                for (g, w) in dw1.iter().zip(&dw0).chain(db1.iter().zip(&db0)) {
                    assert!(
                        (g - w).abs() <= tol,
                        "{kernel} weight_grad {rows}x{k}x{c}: {g} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn scalar_matmul_is_the_textbook_product() {
        let w = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2 × 3
        let x: Vec<f32> = (0..3 * 16).map(|i| (i % 5) as f32 - 2.0).collect(); // 3 × 16
        let mut y = vec![0.0; 2 * 16];
        Kernel::SCALAR.matmul(
            &w,
            Some(&[0.5, -100.0]),
            &x,
            &mut y,
            2,
            3,
            16,
            Epilogue::Relu,
        );
        for t in 0..16 {
            let z0 = 0.5 + (0..3).map(|i| w[i] * x[i * 16 + t]).sum::<f32>();
            assert_eq!(y[t], z0.max(0.0));
            assert_eq!(y[16 + t], 0.0);
        }
    }

    #[test]
    fn names_round_trip() {
        for k in Kernel::available() {
            assert_eq!(Kernel::by_name(k.name()), Some(k));
        }
        assert_eq!(Kernel::by_name("nope"), None);
    }
}
