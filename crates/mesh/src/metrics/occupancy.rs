//! Inside/outside agreement between a predicted and a true signed distance on the same points.
//!
//! Inside ⇔ value < 0 (the positive class). With TP, FP, FN, TN counted over the points:
//! sign agreement = (TP + TN) / n, F1 = 2TP / (2TP + FP + FN), IoU = TP / (TP + FP + FN).
//! When neither side has any inside point F1 and IoU are 1 (the two agree perfectly).

/// Occupancy agreement on one point set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Occupancy {
    pub sign_agreement: f64,
    pub f1: f64,
    pub iou: f64,
}

/// Compares `predicted` with `truth` (same length). A NaN prediction counts as outside.
pub fn occupancy(predicted: &[f32], truth: &[f32]) -> Occupancy {
    assert_eq!(predicted.len(), truth.len(), "occupancy: lengths differ");
    let (mut tp, mut fp, mut fneg, mut tn) = (0u64, 0u64, 0u64, 0u64);
    for (&p, &t) in predicted.iter().zip(truth) {
        match (p < 0.0, t < 0.0) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            (false, false) => tn += 1,
        }
    }
    let n = predicted.len().max(1) as f64;
    let wrong = (fp + fneg) as f64;
    let ratio = |num: f64, den: f64| if den > 0.0 { num / den } else { 1.0 };
    Occupancy {
        sign_agreement: (tp + tn) as f64 / n,
        f1: ratio(2.0 * tp as f64, 2.0 * tp as f64 + wrong),
        iou: ratio(tp as f64, tp as f64 + wrong),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_hand() {
        // TP: 2, FP: 1, FN: 1, TN: 1.
        let pred = [-1.0, -0.5, -0.1, 0.3, 0.2];
        let truth = [-2.0, -0.1, 0.4, -0.3, 0.1];
        let o = occupancy(&pred, &truth);
        assert_eq!(o.sign_agreement, 3.0 / 5.0);
        assert_eq!(o.f1, 4.0 / 6.0);
        assert_eq!(o.iou, 2.0 / 4.0);
    }

    #[test]
    fn all_outside_agree_perfectly_and_nan_is_outside() {
        let o = occupancy(&[1.0, f32::NAN], &[0.5, 2.0]);
        assert_eq!((o.sign_agreement, o.f1, o.iou), (1.0, 1.0, 1.0));
    }
}
