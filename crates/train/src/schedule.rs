//! Learning-rate schedules, as a function of training progress in [0, 1] (a fraction of the
//! steps, or of the time budget, whichever is further), so they fit a time budget as well as an
//! epoch count.

/// How the learning rate moves over training.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// The base rate throughout (Davies et al., before plateau reductions).
    Constant,
    /// Linear warm-up over the first `warmup` of progress, then half a cosine from the base rate
    /// down to `floor × base`.
    Cosine { warmup: f32, floor: f32 },
}

impl Schedule {
    /// The learning rate at `progress` for base rate `base`.
    pub fn rate(self, base: f32, progress: f32) -> f32 {
        let p = progress.clamp(0.0, 1.0);
        match self {
            Schedule::Constant => base,
            Schedule::Cosine { warmup, floor } => {
                if p < warmup {
                    return base * (0.05 + 0.95 * p / warmup);
                }
                let q = (p - warmup) / (1.0 - warmup).max(1e-6);
                let cos = 0.5 * (1.0 + (std::f32::consts::PI * q).cos());
                base * (floor + (1.0 - floor) * cos)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_warms_up_peaks_and_decays_to_the_floor() {
        let s = Schedule::Cosine {
            warmup: 0.1,
            floor: 0.01,
        };
        assert!(s.rate(1.0, 0.0) < 0.1);
        assert!((s.rate(1.0, 0.1) - 1.0).abs() < 1e-6);
        assert!((s.rate(1.0, 1.0) - 0.01).abs() < 1e-6);
        let mut last = f32::INFINITY;
        for i in 10..=100 {
            let r = s.rate(1.0, i as f32 / 100.0);
            assert!(r <= last);
            last = r;
        }
        assert_eq!(Schedule::Constant.rate(0.3, 0.7), 0.3);
    }
}
