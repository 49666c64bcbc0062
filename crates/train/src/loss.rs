//! The training loss: L1 between network output and true distance, optionally clamped so that
//! far-away points (whose exact value matters little for a surface) stop pulling on the network.

/// Loss on the network output `f` against the true signed distance `d`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    /// `|f − d|` (Davies et al.).
    L1,
    /// `|clamp(f, ±δ) − clamp(d, ±δ)|` (DeepSDF).
    ClampedL1(f32),
    /// `||f| − d|` against an *unsigned* distance `d` (Atzmon & Lipman's SAL): raw data has no
    /// inside, so either sign fits and the sign comes from the initialisation (a sphere) and
    /// the smoothness of the network, not from the targets.
    SignAgnostic,
}

impl Loss {
    /// Value and derivative ∂/∂f at one sample.
    #[inline]
    pub fn eval(self, f: f32, d: f32) -> (f32, f32) {
        match self {
            Loss::L1 => {
                let e = f - d;
                (e.abs(), sign(e))
            }
            Loss::ClampedL1(delta) => {
                let (cf, cd) = (f.clamp(-delta, delta), d.clamp(-delta, delta));
                let e = cf - cd;
                let inside = (f > -delta && f < delta) as u32 as f32;
                (e.abs(), sign(e) * inside)
            }
            Loss::SignAgnostic => {
                let e = f.abs() - d;
                (e.abs(), sign(e) * sign(f))
            }
        }
    }

    /// Sums the loss over `f` vs `d` and writes `scale × ∂loss/∂f` per sample into `grad`.
    pub fn batch(self, f: &[f32], d: &[f32], scale: f32, grad: &mut [f32]) -> f64 {
        let mut total = 0.0f64;
        for ((&f, &d), g) in f.iter().zip(d).zip(grad.iter_mut()) {
            let (l, dl) = self.eval(f, d);
            total += l as f64;
            *g = scale * dl;
        }
        total
    }
}

/// Sign with sign(0) = 0 (the subgradient of |x| that leaves exact fits alone).
#[inline(always)]
fn sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_differences() {
        for loss in [Loss::L1, Loss::ClampedL1(0.1), Loss::SignAgnostic] {
            for &(f, d) in &[
                (0.3f32, 0.1f32),
                (-0.05, 0.02),
                (0.02, -0.3),
                (0.5, 0.6),
                (-0.2, 0.05),
            ] {
                let h = 1e-3;
                let numeric = (loss.eval(f + h, d).0 - loss.eval(f - h, d).0) / (2.0 * h);
                assert!(
                    (loss.eval(f, d).1 - numeric).abs() < 1e-3,
                    "{loss:?} at {f} vs {d}"
                );
            }
        }
        // Sign-agnostic: either sign of the right size is a perfect fit.
        assert_eq!(Loss::SignAgnostic.eval(-0.2, 0.2), (0.0, 0.0));
        assert_eq!(Loss::SignAgnostic.eval(0.2, 0.2), (0.0, 0.0));
        // Both beyond the clamp on the same side: no loss, no pull.
        assert_eq!(Loss::ClampedL1(0.1).eval(0.5, 0.7), (0.0, 0.0));
    }

    #[test]
    fn batch_sums_and_scales() {
        let mut g = [0.0; 3];
        let total = Loss::L1.batch(&[1.0, -1.0, 0.5], &[0.0, 0.0, 0.5], 0.5, &mut g);
        assert_eq!(total, 2.0);
        assert_eq!(g, [0.5, -0.5, 0.0]);
    }
}
