//! Error paths and results of every entry point, called the way C would call them.

use super::*;
use std::ffi::CString;
use std::ptr::{null, null_mut};

/// A small random Davies-shaped model (so distances vary from point to point).
fn sample_bytes() -> Vec<u8> {
    let mut m = nsdf::Model::davies();
    let mut state = 0x1234_5678u32;
    for l in &mut m.layers {
        let s = (6.0 / l.inputs as f32).sqrt();
        for w in l.weights.iter_mut().chain(l.bias.iter_mut()) {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *w = s * ((state >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0);
        }
    }
    nsdf::to_bytes(&m).unwrap()
}

fn last() -> String {
    unsafe { CStr::from_ptr(nsdf_last_error()) }
        .to_string_lossy()
        .into_owned()
}

fn open(bytes: &[u8]) -> *mut NsdfShape {
    let mut h = null_mut();
    assert_eq!(
        unsafe { nsdf_open_memory(bytes.as_ptr(), bytes.len(), &mut h) },
        NsdfStatus::NsdfOk
    );
    assert!(!h.is_null());
    h
}

#[test]
fn open_memory_rejects_null_and_invalid_bytes() {
    let bytes = sample_bytes();
    let mut h = std::ptr::dangling_mut::<NsdfShape>(); // garbage the call must overwrite
    let s = unsafe { nsdf_open_memory(null(), 10, &mut h) };
    assert_eq!((s, h), (NsdfStatus::NsdfErrNullPointer, null_mut()));
    assert_eq!(last(), "data is NULL");
    let s = unsafe { nsdf_open_memory(bytes.as_ptr(), bytes.len(), null_mut()) };
    assert_eq!(s, NsdfStatus::NsdfErrNullPointer);

    let s = unsafe { nsdf_open_memory(bytes.as_ptr(), bytes.len() / 2, &mut h) };
    assert_eq!((s, h), (NsdfStatus::NsdfErrInvalidFile, null_mut()));
    assert!(last().starts_with("NSDF-E"), "{}", last());
    let s = unsafe { nsdf_open_memory(bytes.as_ptr(), 20, &mut h) };
    assert_eq!(s, NsdfStatus::NsdfErrInvalidFile);
    assert!(
        last().starts_with("NSDF-E001") && last().contains("offset"),
        "{}",
        last()
    );

    let s = unsafe { nsdf_open_memory(bytes.as_ptr(), usize::MAX, &mut h) };
    assert_eq!(s, NsdfStatus::NsdfErrInvalidArgument);
    let text = b"hello, not a shape";
    let s = unsafe { nsdf_open_memory(text.as_ptr(), text.len(), &mut h) };
    assert_eq!(s, NsdfStatus::NsdfErrInvalidFile);
    assert!(last().starts_with("NSDF-E002"), "{}", last());
}

#[test]
fn open_path_reports_io_and_null() {
    let mut h = null_mut();
    let missing = CString::new("/nonexistent/dir/shape.nsdf").unwrap();
    assert_eq!(
        unsafe { nsdf_open_path(missing.as_ptr(), &mut h) },
        NsdfStatus::NsdfErrIo
    );
    assert!(h.is_null());
    assert!(last().contains("/nonexistent/dir/shape.nsdf"), "{}", last());
    assert_eq!(
        unsafe { nsdf_open_path(null(), &mut h) },
        NsdfStatus::NsdfErrNullPointer
    );
    assert_eq!(
        unsafe { nsdf_open_path(missing.as_ptr(), null_mut()) },
        NsdfStatus::NsdfErrNullPointer
    );
}

#[test]
fn open_path_loads_a_file() {
    let bytes = sample_bytes();
    let path = std::env::temp_dir().join(format!("nsdf-capi-unit-{}.nsdf", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let c = CString::new(path.to_str().unwrap()).unwrap();
    let mut h = null_mut();
    let s = unsafe { nsdf_open_path(c.as_ptr(), &mut h) };
    std::fs::remove_file(&path).unwrap();
    assert_eq!(s, NsdfStatus::NsdfOk, "{}", last());
    let mut info = NsdfInfo::default();
    assert_eq!(unsafe { nsdf_info(h, &mut info) }, NsdfStatus::NsdfOk);
    assert_eq!(info.file_size, bytes.len() as u64);
    unsafe { nsdf_close(h) };
}

#[test]
fn info_matches_the_shape() {
    let bytes = sample_bytes();
    let shape = nsdf::Shape::from_bytes(&bytes).unwrap();
    let h = open(&bytes);
    let mut info = NsdfInfo::default();
    assert_eq!(unsafe { nsdf_info(h, &mut info) }, NsdfStatus::NsdfOk);
    assert_eq!(last(), "");
    assert_eq!(info.parameter_count, 7553);
    assert_eq!(info.layer_count, 9);
    assert_eq!([info.bounds_min, info.bounds_max], shape.bounds());
    assert_eq!((info.version_major, info.version_minor), shape.version());
    assert_eq!(info.has_stats, shape.stats().is_some());
    assert_eq!(info.gradient_bound, shape.gradient_bound());
    assert_eq!(
        unsafe { nsdf_info(null(), &mut info) },
        NsdfStatus::NsdfErrNullPointer
    );
    assert_eq!(
        unsafe { nsdf_info(h, null_mut()) },
        NsdfStatus::NsdfErrNullPointer
    );
    unsafe { nsdf_close(h) };
    unsafe { nsdf_close(null_mut()) };
}

#[test]
fn distances_and_gradients_match_the_runtime() {
    let bytes = sample_bytes();
    let shape = nsdf::Shape::from_bytes(&bytes).unwrap();
    let h = open(&bytes);
    let pts: Vec<[f32; 3]> = (0..100)
        .map(|i| [i as f32 * 0.02 - 1.0, 0.3, -0.1 * (i % 7) as f32])
        .collect();
    let flat: Vec<f32> = pts.iter().flatten().copied().collect();
    let (mut want_d, mut want_g) = (vec![0.0; 100], vec![[0.0; 3]; 100]);
    shape.gradients(&pts, &mut want_d, &mut want_g);

    let mut d = vec![0.0f32; 100];
    assert_eq!(
        unsafe { nsdf_distances(h, flat.as_ptr(), 100, d.as_mut_ptr()) },
        NsdfStatus::NsdfOk
    );
    let mut want = vec![0.0; 100];
    shape.distances(&pts, &mut want);
    assert_eq!(d, want);

    let (mut d, mut g) = (vec![0.0f32; 100], vec![0.0f32; 300]);
    let s = unsafe { nsdf_gradients(h, flat.as_ptr(), 100, d.as_mut_ptr(), g.as_mut_ptr()) };
    assert_eq!(s, NsdfStatus::NsdfOk);
    assert_eq!(d, want_d);
    assert_eq!(g, want_g.iter().flatten().copied().collect::<Vec<_>>());

    let mut g2 = vec![0.0f32; 300];
    let s = unsafe { nsdf_gradients(h, flat.as_ptr(), 100, null_mut(), g2.as_mut_ptr()) };
    assert_eq!(s, NsdfStatus::NsdfOk);
    assert_eq!(g2, g);

    // An empty batch is fine.
    assert_eq!(
        unsafe { nsdf_distances(h, flat.as_ptr(), 0, d.as_mut_ptr()) },
        NsdfStatus::NsdfOk
    );
    unsafe { nsdf_close(h) };
}

#[test]
fn batch_arguments_are_checked() {
    let h = open(&sample_bytes());
    let xyz = [0.0f32; 12];
    let mut out = [0.0f32; 12];
    let o = out.as_mut_ptr();
    let check = |s: NsdfStatus, want: NsdfStatus, msg: &str| {
        assert_eq!(s, want, "{}", last());
        assert!(last().contains(msg), "{:?} should mention {msg:?}", last());
    };
    use NsdfStatus::*;
    unsafe {
        check(
            nsdf_distances(null(), xyz.as_ptr(), 4, o),
            NsdfErrNullPointer,
            "shape",
        );
        check(nsdf_distances(h, null(), 4, o), NsdfErrNullPointer, "xyz");
        check(
            nsdf_distances(h, xyz.as_ptr(), 4, null_mut()),
            NsdfErrNullPointer,
            "out",
        );
        check(
            nsdf_distances(h, xyz.as_ptr(), usize::MAX, o),
            NsdfErrInvalidArgument,
            "overflow",
        );
        check(
            nsdf_distances(h, xyz.as_ptr(), usize::MAX / 3 + 1, o),
            NsdfErrInvalidArgument,
            "overflow",
        );
        check(
            nsdf_distances(h, xyz.as_ptr(), 4, o.cast::<u8>().add(1).cast()),
            NsdfErrInvalidArgument,
            "aligned",
        );
        check(
            nsdf_distances(h, o, 2, o.add(5)),
            NsdfErrInvalidArgument,
            "overlaps",
        );
        check(
            nsdf_gradients(h, xyz.as_ptr(), 2, o, o.add(1)),
            NsdfErrInvalidArgument,
            "overlaps",
        );
        check(
            nsdf_gradients(h, xyz.as_ptr(), 2, o, null_mut()),
            NsdfErrNullPointer,
            "grad_out",
        );
        check(
            nsdf_gradients(h, xyz.as_ptr(), usize::MAX / 2, null_mut(), o),
            NsdfErrInvalidArgument,
            "overflow",
        );
        // Adjacent, non-overlapping outputs are fine.
        check(nsdf_gradients(h, xyz.as_ptr(), 2, o, o.add(2)), NsdfOk, "");
        nsdf_close(h);
    }
}

#[test]
fn shapes_are_shared_across_threads() {
    struct Handle(*mut NsdfShape);
    // SAFETY: the C API documents shapes as immutable and shareable.
    unsafe impl Sync for Handle {}
    impl Handle {
        // A method, so closures capture the whole `Sync` wrapper rather than the raw field.
        fn get(&self) -> *mut NsdfShape {
            self.0
        }
    }
    let bytes = sample_bytes();
    let h = Handle(open(&bytes));
    let xyz = [0.25f32, -0.5, 0.75];
    let mut first = 0.0f32;
    unsafe { nsdf_distances(h.0, xyz.as_ptr(), 1, &mut first) };
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut d = 0.0f32;
                assert_eq!(
                    unsafe { nsdf_distances(h.get(), xyz.as_ptr(), 1, &mut d) },
                    NsdfStatus::NsdfOk
                );
                assert_eq!(d, first);
            });
        }
    });
    unsafe { nsdf_close(h.0) };
}

#[test]
fn version_is_the_crate_version() {
    let v = unsafe { CStr::from_ptr(nsdf_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}
