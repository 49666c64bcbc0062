//! The one seeded generator of the tests, benchmarks and test vectors: SplitMix64 (Steele, Lea
//! and Flood 2014), so no test needs `rand` and every run sees the same numbers. The test vectors
//! of `spec/vectors/` are drawn from it: changing it changes them.

/// SplitMix64.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi), from the top 24 bits.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }

    /// A point uniform in the cube [-r, r)³.
    pub fn point(&mut self, r: f32) -> [f32; 3] {
        [
            self.uniform(-r, r),
            self.uniform(-r, r),
            self.uniform(-r, r),
        ]
    }

    /// `n` points uniform in the cube [-r, r)³.
    pub fn points(&mut self, n: usize, r: f32) -> Vec<[f32; 3]> {
        (0..n).map(|_| self.point(r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    /// The published SplitMix64 sequence for seed 0 (the test vectors depend on it).
    #[test]
    fn matches_splitmix64() {
        let mut r = Rng(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }
}
