//! End-to-end training on analytic shapes: accuracy reached, reproducibility, int8 without loss,
//! cancellation. Sizes are small so the tests stay quick in debug builds; the thresholds are
//! far beyond what an untrained or broken trainer reaches (see each test).

use std::ops::ControlFlow;
use std::time::Duration;

use nsdf::Scheme;
use nsdf_train::analytic::{Sphere, Torus};
use nsdf_train::mlp::Prepared;
use nsdf_train::trainer::evaluate;
use nsdf_train::{
    fit, Arch, Fit, FitConfig, FitError, Init, Kernel, Mlp, Probe, Progress, Recipe, Target,
};

/// A configuration small enough for a debug build: 16k samples, 5 epochs of batch 256.
fn small(seed: u64) -> FitConfig {
    let mut c = FitConfig {
        samples: 16_000,
        threads: 2,
        ..FitConfig::default()
    };
    c.train.epochs = 5;
    c.train.batch = 256;
    c.train.seed = seed;
    c
}

fn quiet(_: &Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

fn run(target: &dyn Target, config: &FitConfig) -> Fit {
    fit(target, config, &mut quiet).expect("training finishes")
}

/// Accuracy of the model as stored (weights rounded by its scheme).
fn stored_accuracy(fitted: &Fit, probe: &Probe) -> nsdf_train::Accuracy {
    let net = Mlp::from_model(&fitted.model.as_stored());
    let prepared = Prepared::plain(&net);
    probe.measure(|p, out| evaluate(&net, &prepared, p, out, Kernel::detect()))
}

#[test]
fn learns_a_sphere() {
    let sphere = Sphere::default();
    let mut config = small(1);
    // Glorot weights (the default): no head start from a sphere-shaped initial field.
    config.init = Init::Glorot;
    let fitted = run(&sphere, &config);
    let probe = Probe::new(&sphere, 20_000, 7);
    let acc = stored_accuracy(&fitted, &probe);
    eprintln!("sphere, {} steps: {acc}", fitted.report.steps);
    // Untrained Glorot weights give f ≈ 0.03 everywhere: surface error 0.034, F1 0, sign
    // agreement 0.61 in the cube. This budget reaches about 0.005, 0.82 and 0.994.
    assert!(acc.surface_mean < 0.01, "{acc}");
    assert!(acc.sign_near > 0.75 && acc.f1_near > 0.75, "{acc}");
    assert!(acc.sign_uniform > 0.99, "{acc}");
    assert!(
        fitted.report.final_loss < 0.01,
        "loss {}",
        fitted.report.final_loss
    );
}

#[test]
fn learns_a_torus_with_geometric_init() {
    let torus = Torus::default();
    let mut config = small(2);
    config.init = Init::Geometric { radius: 0.5 };
    let fitted = run(&torus, &config);
    let probe = Probe::new(&torus, 20_000, 8);
    let acc = stored_accuracy(&fitted, &probe);
    eprintln!("torus, {} steps: {acc}", fitted.report.steps);
    // The initial sphere has no hole: surface error 0.24, F1 near 0.53, sign agreement 0.69 in
    // the cube. This budget reaches about 0.007, 0.75 and 0.995.
    assert!(acc.surface_mean < 0.015, "{acc}");
    assert!(acc.sign_uniform > 0.985, "{acc}");
    assert!(acc.f1_near > 0.68, "{acc}");
}

#[test]
fn learns_a_torus_with_sine_units_from_siren_init() {
    let torus = Torus::default();
    let sine = nsdf::Activation::Sine(30.0);
    let defaults = FitConfig::for_activation(sine);
    assert_eq!(defaults.init, Init::Siren { omega0: 30.0 });
    let mut config = small(4);
    config.arch.activation = sine;
    config.init = defaults.init;
    config.train.learning_rate = defaults.train.learning_rate;
    config.hard_examples = defaults.hard_examples;
    config.train.resample_at = defaults.train.resample_at;
    // The smaller rate needs more steps than the ReLU tests' 300.
    config.train.epochs = 20;
    let probe = Probe::new(&torus, 20_000, 9);
    let siren = stored_accuracy(&run(&torus, &config), &probe);
    // The same budget from Glorot's weights, which sin(30·z) turns into noise.
    config.init = Init::Glorot;
    let glorot = stored_accuracy(&run(&torus, &config), &probe);
    eprintln!("torus, sine units: SIREN init {siren}\nGlorot init {glorot}");
    // This budget reaches about 0.003, sign agreement 0.82 near the surface and 0.986 in the
    // cube from SIREN's weights on the AVX2 kernels, 0.975 in the cube on AVX-512 (the kernels
    // round differently, and 20 epochs of sine units amplify it); from Glorot's, chance (0.50
    // and 0.53).
    assert!(siren.surface_mean < 0.015, "{siren}");
    assert!(
        siren.sign_near > 0.8 && siren.sign_uniform > 0.96,
        "{siren}"
    );
    assert!(glorot.sign_near < siren.sign_near - 0.1, "{glorot}");
}

#[test]
fn same_seed_gives_identical_weights_at_any_thread_count() {
    let torus = Torus::default();
    let mut config = small(3);
    config.samples = 6_000;
    config.train.epochs = 2;
    let a = run(&torus, &config);
    let b = run(&torus, &config);
    assert_eq!(a.model, b.model);
    config.threads = 1;
    assert_eq!(run(&torus, &config).model, a.model);
    config.threads = 3;
    assert_eq!(run(&torus, &config).model, a.model);
    config.train.seed = 4;
    assert_ne!(run(&torus, &config).model, a.model);
    // And the bytes written are identical too.
    assert_eq!(
        nsdf::to_bytes(&a.model).unwrap(),
        nsdf::to_bytes(&b.model).unwrap()
    );
}

/// Quantization-aware training makes the int8 and int8h files as accurate as an f32 one
/// trained alike.
#[test]
fn int8_is_as_accurate_as_f32() {
    let torus = Torus::default();
    let probe = Probe::new(&torus, 20_000, 9);
    let mut config = small(5);
    config.train.scheme = Scheme::F32;
    let float = run(&torus, &config);
    let float_acc = stored_accuracy(&float, &probe);
    for scheme in [Scheme::Int8, Scheme::Int8Half] {
        config.train.scheme = scheme;
        let int8 = run(&torus, &config);
        assert!(int8.model.layers.iter().all(|l| l.scheme == scheme));
        let int8_acc = stored_accuracy(&int8, &probe);
        eprintln!("f32:  {float_acc}\n{scheme:?}: {int8_acc}");
        assert!(
            int8_acc.surface_mean <= float_acc.surface_mean * 1.15 + 1e-4,
            "{scheme:?} {int8_acc}\nf32 {float_acc}"
        );
        assert!(
            int8_acc.f1_near >= float_acc.f1_near - 0.01,
            "{scheme:?} {int8_acc}\nf32 {float_acc}"
        );
        // What is measured is what a reader of the file gets.
        let parsed = nsdf::parse(&nsdf::to_bytes(&int8.model).unwrap())
            .unwrap()
            .model;
        let net = Mlp::from_model(&parsed);
        let read_back = probe
            .measure(|p, out| evaluate(&net, &Prepared::plain(&net), p, out, Kernel::detect()));
        assert_eq!(read_back, int8_acc);
    }
}

#[test]
fn the_callback_can_stop_training() {
    let mut seen = Vec::new();
    let mut stop_at_train = |p: &Progress| {
        seen.push(p.phase);
        if p.step >= 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let mut config = small(6);
    config.train.report_every = 1;
    let result = fit(&Sphere::default(), &config, &mut stop_at_train);
    assert_eq!(result.unwrap_err(), FitError::Cancelled);
    assert_eq!(seen.first(), Some(&nsdf_train::Phase::Sampling));
    assert_eq!(seen.len(), 4);
}

#[test]
fn a_time_budget_ends_training_early() {
    let mut config = small(7);
    config.train.epochs = 1_000_000;
    config.train.time_budget = Some(Duration::from_millis(300));
    let fitted = run(&Sphere::default(), &config);
    assert!(fitted.report.stopped_by_budget);
    assert!(
        fitted.report.elapsed < Duration::from_secs(5),
        "{:?}",
        fitted.report.elapsed
    );
    assert!(fitted.report.steps > 0);
}

#[test]
fn other_architectures_train() {
    let mut config = small(8);
    config.arch = Arch {
        layers: 3,
        width: 24,
        ..Arch::DAVIES
    };
    config.train.scheme = Scheme::F16;
    let fitted = run(&Sphere::default(), &config);
    assert_eq!(
        fitted.model.parameter_count(),
        3 * 24 + 24 + 2 * (24 * 24 + 24) + 25
    );
    assert!(
        fitted.report.final_loss < 0.05,
        "loss {}",
        fitted.report.final_loss
    );
}

/// A shape's unsigned distances: raw data, as the sign-agnostic recipe sees it.
struct Unsigned<T>(T);

impl<T: Target> Target for Unsigned<T> {
    fn distances(&self, points: &[[f32; 3]], out: &mut [f32]) {
        self.0.distances(points, out);
        out.iter_mut().for_each(|d| *d = d.abs());
    }
    fn surface_points(&self, n: usize, seed: u64) -> Vec<[f32; 3]> {
        self.0.surface_points(n, seed)
    }
    fn is_signed(&self) -> bool {
        false
    }
}

#[test]
fn learns_a_signed_torus_from_unsigned_distances() {
    let torus = Torus::default();
    let mut config = small(3).with_recipe(Recipe::Sal);
    config.train.epochs = 20;
    let fitted = run(&Unsigned(torus), &config);
    // Measured against the torus' signed distances: the sign came from training alone, and
    // the starting sphere had to open a hole. About 0.0030, 0.89 and 0.998 (5 epochs reach
    // only 0.0077, 0.68 and 0.969).
    let acc = stored_accuracy(&fitted, &Probe::new(&torus, 20_000, 9));
    eprintln!("unsigned torus, {} steps: {acc}", fitted.report.steps);
    assert!(acc.surface_mean < 0.006, "{acc}");
    assert!(acc.sign_uniform > 0.99, "{acc}");
    assert!(acc.f1_near > 0.8, "{acc}");
    // The signed recipe cannot fit unsigned targets, and says so.
    assert_eq!(
        fit(&Unsigned(torus), &small(3), &mut quiet).err(),
        Some(FitError::UnsignedTarget)
    );
}

#[test]
fn learns_a_torus_with_the_siren_recipe_from_oriented_points() {
    let torus = Torus::default();
    let mut config = small(5).with_recipe(Recipe::Siren);
    config.train.epochs = 10;
    let fitted = run(&torus, &config);
    let acc = stored_accuracy(&fitted, &Probe::new(&torus, 20_000, 10));
    eprintln!("torus, siren recipe, {} steps: {acc}", fitted.report.steps);
    assert_eq!(
        fitted.model.layers[0].activation,
        nsdf::Activation::Sine(30.0)
    );
    // About 0.005 and F1 near 0.81 at this size (untrained: no surface at all); the far field
    // is SIREN's weak side (sign agreement in the cube 0.65: spurious surfaces away from the
    // data, which only the eikonal and exp(−100|f|) terms discourage).
    assert!(acc.surface_mean < 0.01, "{acc}");
    assert!(acc.f1_near > 0.7, "{acc}");
}
