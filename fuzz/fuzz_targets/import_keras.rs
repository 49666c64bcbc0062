//! Keras HDF5 import (`nsdf_import::keras::read`, through `hdf5-pure`): any bytes as a weight
//! file, activations from its `model_config` or Davies et al.'s convention. Whatever reads must
//! hold finite weights of the declared shapes and build a model or fail with a message; the
//! HDF5 reader must not panic (the importer catches panics and says so, which this target
//! treats as a crash); memory must stay within 64 × the file + 4 MiB.
#![no_main]

#[path = "import_support/counting.rs"]
mod counting;

use libfuzzer_sys::fuzz_target;
use nsdf_import::{keras, Frame, Provenance};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fuzz_target!(|data: &[u8]| {
    let bytes = data.to_vec();
    let (used, layers) = counting::requested(|| keras::read(bytes, None));
    let limit = 64 * data.len() + (4 << 20);
    assert!(
        used <= limit,
        "keras::read requested {used} bytes, limit {limit}"
    );
    let layers = match layers {
        Ok(layers) => layers,
        Err(e) => {
            assert!(
                !e.0.contains("the HDF5 reader failed"),
                "hdf5-pure panicked: {e}"
            );
            return;
        }
    };
    for l in &layers {
        assert_eq!(l.weights.len(), l.inputs * l.outputs, "{}", l.name);
        assert_eq!(l.bias.len(), l.outputs, "{}", l.name);
        assert!(l.weights.iter().chain(&l.bias).all(|x| x.is_finite()));
    }
    let frame = Frame {
        center: [0.0; 3],
        radius: None,
        network_radius: 0.9,
        flip_sign: false,
    };
    let provenance = Provenance::new("keras-hdf5", "fuzz".into(), "fuzz".into(), data);
    let _ = nsdf_import::build_model(
        nsdf::Encoding::None,
        layers,
        &frame,
        &provenance,
        nsdf::Scheme::F32,
    );
});
