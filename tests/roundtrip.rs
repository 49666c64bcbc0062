//! Build → write → parse → evaluate, for random architectures, schemes, transforms and metadata:
//! the parsed model is the quantize round trip of the built one, writing is deterministic, and
//! every backend evaluates it like an independent f64 evaluator of the stored weights.

use nsdf::{Activation, Backend, Encoding, Layer, Model, Scheme, Shape, Stats, Transform, Value};
use nsdf_testing::{oracle, reference};
use proptest::prelude::*;

fn activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Identity),
        Just(Activation::Relu),
        (-0.5f32..0.5).prop_map(Activation::LeakyRelu),
        Just(Activation::Tanh),
        (0.5f32..3.0).prop_map(Activation::Sine),
    ]
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop_oneof![
        Just(Scheme::F32),
        Just(Scheme::F16),
        Just(Scheme::Int8),
        Just(Scheme::Int8Half)
    ]
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        Just(Encoding::None),
        (1u32..=3).prop_map(|frequencies| Encoding::Fourier { frequencies })
    ]
}

fn transform() -> impl Strategy<Value = Transform> {
    (
        0.1f32..10.0,
        prop::array::uniform3(-5f32..5.0),
        0.1f32..10.0,
        any::<bool>(),
        prop::array::uniform3(-5f32..5.0),
        prop::array::uniform3(0f32..5.0),
    )
        .prop_map(|(scale, translation, ds, flip, lo, size)| Transform {
            scale,
            translation,
            distance_scale: if flip { -ds } else { ds },
            bounds: [lo, std::array::from_fn(|a| lo[a] + size[a])],
        })
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        ".{0,40}".prop_map(Value::String),
        any::<i64>().prop_map(Value::Int),
        (-1e300f64..1e300).prop_map(Value::Float),
    ]
}

/// Vendor keys of any type, plus reserved keys with their required types.
fn metadata() -> impl Strategy<Value = Vec<(String, Value)>> {
    let vendor = prop::collection::btree_map("[a-z][a-z0-9._-]{0,20}", value(), 0..6);
    let reserved = (
        prop::option::of(".{0,20}"),
        prop::option::of(any::<i64>()),
        prop::option::of(0f64..1e6),
    );
    (vendor, reserved).prop_map(|(vendor, (name, seed, secs))| {
        let mut m: Vec<(String, Value)> = vendor
            .into_iter()
            .filter(|(k, _)| !k.starts_with("nsdf."))
            .collect();
        m.extend(name.map(|s| ("nsdf.name".to_string(), Value::String(s))));
        m.extend(seed.map(|s| ("nsdf.train.seed".to_string(), Value::Int(s))));
        m.extend(secs.map(|s| ("nsdf.train.seconds".to_string(), Value::Float(s))));
        m.reverse(); // the writer sorts
        m
    })
}

fn stats() -> impl Strategy<Value = Option<Stats>> {
    prop::option::of(
        (
            0f32..0.1,
            0f32..0.1,
            0f32..=1.0,
            0f32..=1.0,
            0f32..0.1,
            0.01f32..10.0,
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(|(mean, extra, near, vol, sigma, grad, ns, nv)| Stats {
                surface_mean_error: mean,
                surface_max_error: mean + extra,
                near_sign_agreement: near,
                volume_sign_agreement: vol,
                near_sigma: sigma,
                gradient_bound: grad,
                surface_samples: ns,
                volume_samples: nv,
            }),
    )
}

/// A random network: 0–3 hidden layers of width 1–24, each layer with its own activation and
/// scheme; weights in ±1.5/√inputs, some rows all zero (int8 scale 0).
fn model() -> impl Strategy<Value = Model> {
    let layers = prop::collection::vec((1usize..=24, activation(), scheme()), 0..=3);
    (
        encoding(),
        layers,
        activation(),
        scheme(),
        transform(),
        metadata(),
        stats(),
        any::<u64>(),
    )
        .prop_map(
            |(encoding, hidden, out_act, out_scheme, transform, metadata, stats, seed)| {
                let mut rng = nsdf_testing::Rng(seed);
                let mut layers = Vec::new();
                let mut inputs = encoding.output_dim();
                for (outputs, act, scheme) in hidden.into_iter().chain([(1, out_act, out_scheme)]) {
                    let mut l = Layer::zeros(inputs, outputs, act);
                    l.scheme = scheme;
                    let s = 1.5 / (inputs as f32).sqrt();
                    l.weights.iter_mut().for_each(|w| *w = rng.uniform(-s, s));
                    l.bias.iter_mut().for_each(|b| *b = rng.uniform(-0.2, 0.2));
                    if outputs > 1 && rng.next_u64() & 3 == 0 {
                        l.weights[..inputs].fill(0.0);
                    }
                    layers.push(l);
                    inputs = outputs;
                }
                Model {
                    encoding,
                    layers,
                    grid: None,
                    transform,
                    metadata,
                    stats,
                }
            },
        )
}

/// The model as the file stores it: weights through their scheme, metadata sorted.
fn stored(m: &Model) -> Model {
    let mut s = nsdf_testing::as_stored(m);
    s.metadata.sort_by(|a, b| a.0.cmp(&b.0));
    s
}

proptest! {
    // Failing cases print their seed; integration tests have no lib.rs for proptest to persist them beside.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn write_parse_gives_the_quantized_model(m in model()) {
        let bytes = nsdf::to_bytes(&m).unwrap();
        prop_assert_eq!(nsdf::to_bytes(&m).unwrap(), bytes.clone(), "writing is not deterministic");
        let parsed = nsdf::parse(&bytes).unwrap();
        // Format 1.3 exactly when a layer is int8h (spec §2.3).
        let minor = if m.layers.iter().any(|l| l.scheme == Scheme::Int8Half) { 3 } else { 0 };
        prop_assert_eq!(parsed.version, (1, minor));
        prop_assert_eq!(&parsed.model, &stored(&m));
        prop_assert!(nsdf::validate(&bytes).iter().all(|i| i.severity != nsdf::Severity::Error));
        // Re-saving a parsed file gives the same bytes (int8 aside: a scale may move one ulp).
        if m.layers.iter().all(|l| l.scheme != Scheme::Int8) {
            prop_assert_eq!(nsdf::to_bytes(&parsed.model).unwrap(), bytes);
        }
    }

    #[test]
    fn every_backend_evaluates_the_parsed_model_like_the_f64_reference(m in model(), seed in any::<u64>()) {
        let bytes = nsdf::to_bytes(&m).unwrap();
        let s = stored(&m);
        let mut rng = nsdf_testing::Rng(seed);
        let [lo, hi] = m.transform.bounds;
        let points: Vec<[f32; 3]> = (0..16).map(|_| std::array::from_fn(|a| rng.uniform(lo[a] - 0.5, hi[a] + 0.5))).collect();
        for &b in Backend::ALL.iter().filter(|b| b.is_available()) {
            let shape = Shape::from_bytes(&bytes).unwrap().with_backend(b).unwrap();
            for &p in &points {
                let want = reference::eval(&s, p);
                // f32 rounding grows with the size of the terms summed, bounded here by the
                // oracle's magnitude bound (an f64 abs-sum through the network).
                let scale = magnitude(&s, p);
                let d = shape.distance(p) as f64;
                prop_assert!((d - want.distance).abs() <= 1e-5 * scale, "{} distance at {:?}: {} vs {}", b.name(), p, d, want.distance);
                if want.kink_margin > 1e-3 {
                    let (_, g) = shape.gradient(p);
                    for (a, (&got, &w)) in g.iter().zip(&want.gradient).enumerate() {
                        let got = got as f64;
                        prop_assert!((got - w).abs() <= 1e-4 * scale, "{} ∂{} at {:?}: {} vs {}", b.name(), a, p, got, w);
                    }
                }
            }
        }
    }
}

fn magnitude(m: &Model, p: [f32; 3]) -> f64 {
    oracle::magnitude_bound(m, p).max(1.0)
}

/// The writer refuses what the reader would reject, so `to_bytes` never hands out a bad file.
#[test]
fn the_writer_refuses_models_the_reader_would_reject() {
    let small = |act| Model::zeros(Encoding::None, &[4], act, Activation::Identity);
    let mut bad = vec![
        small(Activation::Sine(0.0)),
        Model::zeros(
            Encoding::Fourier { frequencies: 17 },
            &[4],
            Activation::Relu,
            Activation::Identity,
        ),
        Model::zeros(
            Encoding::None,
            &[4097],
            Activation::Relu,
            Activation::Identity,
        ),
        Model::zeros(
            Encoding::None,
            &[1; 64],
            Activation::Relu,
            Activation::Identity,
        ),
    ];
    let mut m = small(Activation::Relu).with_scheme(Scheme::Int8);
    m.layers[0].weights[0] = f32::MAX; // the int8 scale would dequantize to infinity
    bad.push(m);
    let mut m = small(Activation::Relu).with_scheme(Scheme::F16);
    m.layers[0].weights[0] = 70000.0;
    bad.push(m);
    // int8h's f16 scale (max / 127) and f16 biases.
    let mut m = small(Activation::Relu).with_scheme(Scheme::Int8Half);
    m.layers[0].weights[0] = 127.0 * 70000.0;
    bad.push(m);
    let mut m = small(Activation::Relu).with_scheme(Scheme::Int8Half);
    m.layers[0].bias[0] = 70000.0;
    bad.push(m);
    for key in [
        "Upper",
        "",
        "9lives",
        &"k".repeat(256),
        &format!("a{}", "b".repeat(65536)),
    ] {
        let mut m = small(Activation::Relu);
        m.set_meta(key, Value::Int(1));
        bad.push(m);
    }
    let mut m = small(Activation::Relu);
    m.set_meta("nsdf.name", Value::Int(1)); // reserved key of the wrong type
    bad.push(m);
    let mut m = small(Activation::Relu);
    m.metadata = vec![("a".into(), Value::Int(1)), ("a".into(), Value::Int(2))];
    bad.push(m);
    let mut m = small(Activation::Relu);
    m.set_meta("x", Value::Float(f64::NAN));
    bad.push(m);
    let mut m = small(Activation::Relu);
    m.stats = Some(Stats {
        surface_mean_error: 1.0,
        surface_max_error: 0.5,
        near_sign_agreement: 1.0,
        volume_sign_agreement: 1.0,
        near_sigma: 0.0,
        gradient_bound: 1.0,
        surface_samples: 0,
        volume_samples: 0,
    });
    bad.push(m);
    for (i, m) in bad.iter().enumerate() {
        let e = nsdf::to_bytes(m).expect_err(&format!("case {i} was written"));
        assert_eq!(e.code(), "NSDF-E101", "case {i}: {e}");
    }
}
