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
    /// Curriculum DeepSDF (Duan et al.) as Sergeev et al. extend it: the clamped L1 error less
    /// a tolerance ε, floored at 0, times `1 + λ·sign(d̄)·sign(d̄ − f̄)` (more weight where the
    /// network has the sign wrong). [`Loss::at`] sets ε and λ from [`CURRICULUM`].
    Curriculum {
        delta: f32,
        epsilon: f32,
        lambda: f32,
    },
    /// SIREN's value terms (Sitzmann et al. 2020): `surface · |f|` on surface samples (target
    /// distance exactly 0), `off_surface · exp(−alpha·|f|)` elsewhere, which only asks the
    /// field not to vanish off the surface (the gradient terms shape it).
    Siren {
        surface: f32,
        off_surface: f32,
        alpha: f32,
    },
}

/// Sergeev et al.'s Table 2, with its start epochs (of 15,000) as fractions of training and ε
/// in the training frame (the shape's ball has radius 0.9 here, 1 there): (from, ε, λ).
pub const CURRICULUM: [(f32, f32, f32); 5] = [
    (0.0, 0.025 * 0.9, 0.0),
    (200.0 / 15000.0, 0.01 * 0.9, 0.1),
    (600.0 / 15000.0, 0.0025 * 0.9, 0.2),
    (1000.0 / 15000.0, 0.0, 0.5),
    (5000.0 / 15000.0, 0.0, 0.8),
];

impl Loss {
    /// The loss at `fraction` of training: the [`CURRICULUM`] stage for a curriculum, itself
    /// otherwise.
    pub fn at(self, fraction: f32) -> Loss {
        match self {
            Loss::Curriculum { delta, .. } => {
                let (_, epsilon, lambda) = CURRICULUM
                    .iter()
                    .copied()
                    .rfind(|s| s.0 <= fraction)
                    .unwrap_or(CURRICULUM[0]);
                Loss::Curriculum {
                    delta,
                    epsilon,
                    lambda,
                }
            }
            other => other,
        }
    }

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
            Loss::Curriculum {
                delta,
                epsilon,
                lambda,
            } => {
                let (cf, cd) = (f.clamp(-delta, delta), d.clamp(-delta, delta));
                let e = cf - cd;
                if e.abs() <= epsilon {
                    return (0.0, 0.0);
                }
                // The weight is piecewise constant in f: it has no derivative of its own.
                let k = 1.0 + lambda * sign(cd) * sign(cd - cf);
                let inside = (f > -delta && f < delta) as u32 as f32;
                (k * (e.abs() - epsilon), k * sign(e) * inside)
            }
            Loss::Siren {
                surface,
                off_surface,
                alpha,
            } => {
                if d == 0.0 {
                    (surface * f.abs(), surface * sign(f))
                } else {
                    let e = (-alpha * f.abs()).exp();
                    (off_surface * e, -alpha * off_surface * sign(f) * e)
                }
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
        let curriculum = Loss::Curriculum {
            delta: 0.1,
            epsilon: 0.01,
            lambda: 0.5,
        };
        // SIREN's weights are 3e3, 1e2 and 100: smaller here so finite differences resolve it.
        let siren = Loss::Siren {
            surface: 3.0,
            off_surface: 1.0,
            alpha: 10.0,
        };
        for loss in [
            siren,
            Loss::L1,
            Loss::ClampedL1(0.1),
            Loss::SignAgnostic,
            curriculum,
        ] {
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
    fn the_curriculum_follows_sergeev_et_al_table_2() {
        let c = Loss::Curriculum {
            delta: 0.09,
            epsilon: 0.0,
            lambda: 0.0,
        };
        let stage = |f: f32| match c.at(f) {
            Loss::Curriculum {
                epsilon, lambda, ..
            } => (epsilon, lambda),
            _ => unreachable!(),
        };
        assert_eq!(stage(0.0), (0.025 * 0.9, 0.0));
        assert_eq!(stage(0.02), (0.01 * 0.9, 0.1));
        assert_eq!(stage(0.05), (0.0025 * 0.9, 0.2));
        assert_eq!(stage(0.2), (0.0, 0.5));
        assert_eq!(stage(1.0), (0.0, 0.8));
        assert_eq!(Loss::L1.at(0.5), Loss::L1);
        // Within the tolerance: nothing. Beyond it: the excess, weighted up (1 + λ) where the
        // network has the wrong sign (truth inside, f above it), down (1 − λ) where it overshoots
        // on the right side.
        let l = Loss::Curriculum {
            delta: 0.1,
            epsilon: 0.01,
            lambda: 0.5,
        };
        assert_eq!(l.eval(0.005, 0.0), (0.0, 0.0));
        let (v, g) = l.eval(0.03, -0.02);
        assert!((v - 1.5 * 0.04).abs() < 1e-6 && g == 1.5, "{v} {g}");
        let (v, g) = l.eval(-0.05, -0.02);
        assert!((v - 0.5 * 0.02).abs() < 1e-6 && g == -0.5, "{v} {g}");
    }

    #[test]
    fn batch_sums_and_scales() {
        let mut g = [0.0; 3];
        let total = Loss::L1.batch(&[1.0, -1.0, 0.5], &[0.0, 0.0, 0.5], 0.5, &mut g);
        assert_eq!(total, 2.0);
        assert_eq!(g, [0.5, -0.5, 0.0]);
    }
}
