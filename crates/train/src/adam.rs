//! Adam (Kingma & Ba) with bias correction, over the flat parameter vector.

/// Adam's hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    pub beta1: f32,
    pub beta2: f32,
    /// Keras' default 1e-7, as in Davies et al.'s recipe.
    pub epsilon: f32,
}

impl Default for AdamConfig {
    fn default() -> AdamConfig {
        AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        }
    }
}

impl AdamConfig {
    /// Step size and epsilon at step `t` (from 1) with the bias corrections folded in (the
    /// usual efficient form).
    fn corrected(&self, t: u32, lr: f32) -> (f32, f32) {
        let c1 = 1.0 - (self.beta1 as f64).powi(t as i32);
        let c2 = 1.0 - (self.beta2 as f64).powi(t as i32);
        (
            (lr as f64 * c2.sqrt() / c1) as f32,
            (self.epsilon as f64 * c2.sqrt()) as f32,
        )
    }
}

/// Optimizer state: first and second moment estimates.
#[derive(Clone, Debug)]
pub struct Adam {
    pub config: AdamConfig,
    m: Vec<f32>,
    v: Vec<f32>,
    steps: u32,
}

impl Adam {
    pub fn new(parameters: usize, config: AdamConfig) -> Adam {
        Adam {
            config,
            m: vec![0.0; parameters],
            v: vec![0.0; parameters],
            steps: 0,
        }
    }

    /// One update of `params` along `grad` with learning rate `lr`.
    pub fn step(&mut self, params: &mut [f32], grad: &[f32], lr: f32) {
        assert!(params.len() == self.m.len() && grad.len() == self.m.len());
        self.steps += 1;
        let (beta1, beta2) = (self.config.beta1, self.config.beta2);
        let (step, eps) = self.config.corrected(self.steps, lr);
        for (((p, &g), m), v) in params
            .iter_mut()
            .zip(grad)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            *p -= step * *m / (v.sqrt() + eps);
        }
    }
}

/// Adam for a hash grid's features: each step updates only the entries the batch touched
/// (PyTorch's `SparseAdam`), so a step costs what the batch touched, not the table size; an
/// untouched entry keeps its moments until a sample reaches it again. Bias correction uses the
/// global step count.
#[derive(Clone, Debug)]
pub struct SparseAdam {
    pub config: AdamConfig,
    m: Vec<f32>,
    v: Vec<f32>,
    /// The batch gradient being summed, and which entries it has touched (in first-touch order).
    grad: Vec<f32>,
    touched: Vec<u32>,
    seen: Vec<bool>,
    steps: u32,
}

impl SparseAdam {
    pub fn new(parameters: usize, config: AdamConfig) -> SparseAdam {
        SparseAdam {
            config,
            m: vec![0.0; parameters],
            v: vec![0.0; parameters],
            grad: vec![0.0; parameters],
            touched: Vec::new(),
            seen: vec![false; parameters],
            steps: 0,
        }
    }

    /// Adds `value` at each `(index, value)` to the batch gradient.
    pub fn accumulate(&mut self, entries: &[(u32, f32)]) {
        for &(i, g) in entries {
            let i = i as usize;
            if !self.seen[i] {
                self.seen[i] = true;
                self.touched.push(i as u32);
            }
            self.grad[i] += g;
        }
    }

    /// Updates the touched entries of `params` along the summed gradient, then clears it.
    pub fn step(&mut self, params: &mut [f32], lr: f32) {
        assert_eq!(params.len(), self.m.len());
        self.steps += 1;
        let (beta1, beta2) = (self.config.beta1, self.config.beta2);
        let (step, eps) = self.config.corrected(self.steps, lr);
        for &i in &self.touched {
            let i = i as usize;
            let g = std::mem::take(&mut self.grad[i]);
            self.seen[i] = false;
            let (m, v) = (&mut self.m[i], &mut self.v[i]);
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            params[i] -= step * *m / (v.sqrt() + eps);
        }
        self.touched.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sparse Adam moves exactly the touched entries, as dense Adam would on the first step,
    /// and sums repeated indices.
    #[test]
    fn sparse_step_touches_only_what_the_batch_reached() {
        let mut adam = SparseAdam::new(4, AdamConfig::default());
        let mut p = [1.0f32; 4];
        adam.accumulate(&[(2, 1.0), (0, -2.0), (2, 0.5)]);
        adam.step(&mut p, 0.01);
        assert!((p[0] - 1.01).abs() < 1e-6 && (p[2] - 0.99).abs() < 1e-6);
        assert_eq!((p[1], p[3]), (1.0, 1.0));
        // The summed gradient was cleared: a step with nothing touched changes nothing.
        adam.step(&mut p, 0.01);
        assert!((p[0] - 1.01).abs() < 1e-6 && (p[2] - 0.99).abs() < 1e-6);
    }

    /// The first step moves every parameter by lr against the gradient's sign (m̂/√v̂ = ±1).
    #[test]
    fn first_step_is_lr_times_sign() {
        let mut adam = Adam::new(3, AdamConfig::default());
        let mut p = [1.0f32, 2.0, 3.0];
        adam.step(&mut p, &[0.5, -2.0, 0.0], 0.01);
        assert!(
            (p[0] - 0.99).abs() < 1e-6 && (p[1] - 2.01).abs() < 1e-6 && p[2] == 3.0,
            "{p:?}"
        );
    }

    #[test]
    fn minimises_a_quadratic() {
        let mut adam = Adam::new(2, AdamConfig::default());
        let mut p = [3.0f32, -2.0];
        for _ in 0..2000 {
            let g = [2.0 * (p[0] - 1.0), 2.0 * (p[1] + 0.5)];
            adam.step(&mut p, &g, 0.01);
        }
        assert!(
            (p[0] - 1.0).abs() < 1e-2 && (p[1] + 0.5).abs() < 1e-2,
            "{p:?}"
        );
    }
}
