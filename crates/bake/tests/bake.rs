//! Baked volumes read back with third-party parsers (the `ktx2` and `ddsfile` crates) hold the
//! shape's distance at every texel centre; the band only clamps; bad fields fail whole.

use nsdf::Shape;
use nsdf_bake::{bake, sidecar, BakeError, Baked, Container, Options, Texel, Volume};
use nsdf_mesh::surface::FnField;
use std::ops::ControlFlow;

fn shape() -> Shape {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec/vectors/valid/davies-int8.nsdf"
    );
    Shape::open(path).unwrap()
}

fn options(v: Volume, texel: Texel, container: Container, band: Option<f32>) -> Options {
    Options {
        volume: v,
        texel,
        container,
        band,
        exact: false,
    }
}

fn run<F: nsdf_mesh::surface::Field>(
    field: &F,
    o: &Options,
) -> Result<(Vec<u8>, Baked), BakeError> {
    let mut out = Vec::new();
    let description = sidecar(o, "test.nsdf", "test.volume");
    let baked = bake(field, o, &description, &mut out, &mut |_, _| {
        ControlFlow::Continue(())
    })?;
    assert_eq!(baked.bytes, out.len() as u64);
    Ok((out, baked))
}

/// The shape's distances at the volume's texel centres, x fastest, computed here directly.
fn expected(shape: &Shape, v: &Volume) -> Vec<f32> {
    let mut points = Vec::new();
    for k in 0..v.dims[2] {
        for j in 0..v.dims[1] {
            for i in 0..v.dims[0] {
                points.push([0, 1, 2].map(|a| v.min[a] + ([i, j, k][a] as f32 + 0.5) * v.texel));
            }
        }
    }
    let mut d = vec![0.0; points.len()];
    shape.distances(&points, &mut d);
    d
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Decodes texels stored as `texel`.
fn decode(texel: Texel, bytes: &[u8]) -> Vec<f32> {
    match texel {
        Texel::F32 => f32s(bytes),
        Texel::F16 => bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes(b.try_into().unwrap()).to_f32())
            .collect(),
    }
}

/// Asserts the texels are `want` as `texel` stores them (rounded to nearest for f16), bit for bit.
fn assert_stored(texel: Texel, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        let w = match texel {
            Texel::F32 => *w,
            Texel::F16 => half::f16::from_f32(*w).to_f32(),
        };
        assert_eq!(g.to_bits(), w.to_bits(), "{g} != {w}");
    }
}

#[test]
fn ktx2_reads_back_with_the_ktx2_crate() {
    let s = shape();
    let v = Volume::around(s.bounds(), 20, 0.05).unwrap();
    let want = expected(&s, &v);
    for (texel, format) in [
        (Texel::F32, ktx2::Format::R32_SFLOAT),
        (Texel::F16, ktx2::Format::R16_SFLOAT),
    ] {
        let o = options(v.clone(), texel, Container::Ktx2, None);
        let (bytes, baked) = run(&s, &o).unwrap();
        let r = ktx2::Reader::new(&bytes[..]).expect("a valid KTX2 file");
        let h = r.header();
        assert_eq!(h.format, Some(format));
        assert_eq!(h.type_size, texel.bytes() as u32);
        let dims = [h.pixel_width, h.pixel_height, h.pixel_depth].map(|d| d as usize);
        assert_eq!(dims, v.dims);
        assert_eq!((h.layer_count, h.face_count, h.level_count), (0, 1, 1));
        assert_eq!(h.supercompression_scheme, None);
        // The descriptor is the one the crate derives from the format itself.
        let (basic, type_size) = ktx2::dfd::Basic::from_format(format).unwrap();
        assert_eq!(r.basic_dfd(), Some(&basic));
        assert_eq!(type_size, texel.bytes() as u32);
        // The key/value data: the writer and the sidecar's JSON.
        let kv: Vec<(&str, &[u8])> = r.key_value_data().collect();
        assert_eq!(kv[0].0, "KTXwriter");
        assert_eq!(kv[1].0, "nsdf.volume");
        let json = std::str::from_utf8(&kv[1].1[..kv[1].1.len() - 1]).unwrap();
        assert_eq!(json, sidecar(&o, "test.nsdf", "test.volume"));
        let levels: Vec<_> = r.levels().collect();
        assert_eq!(levels.len(), 1);
        assert_stored(texel, &decode(texel, levels[0].data), &want);
        assert_eq!(baked.evaluated, want.len() as u64);
        assert!(baked.min < 0.0 && baked.max > 0.0, "{baked:?}");
    }
}

#[test]
fn dds_reads_back_with_the_ddsfile_crate() {
    let s = shape();
    let v = Volume::around(s.bounds(), 17, 0.1).unwrap();
    let want = expected(&s, &v);
    for (texel, format) in [
        (Texel::F32, ddsfile::DxgiFormat::R32_Float),
        (Texel::F16, ddsfile::DxgiFormat::R16_Float),
    ] {
        let o = options(v.clone(), texel, Container::Dds, None);
        let (bytes, _) = run(&s, &o).unwrap();
        let dds = ddsfile::Dds::read(&bytes[..]).expect("a valid DDS file");
        assert_eq!(dds.get_dxgi_format(), Some(format));
        let dims = [dds.get_width(), dds.get_height(), dds.get_depth()].map(|d| d as usize);
        assert_eq!(dims, v.dims);
        assert_eq!(dds.get_num_mipmap_levels(), 1);
        let h10 = dds.header10.as_ref().unwrap();
        assert_eq!(
            h10.resource_dimension,
            ddsfile::D3D10ResourceDimension::Texture3D
        );
        assert_stored(texel, &decode(texel, dds.get_data(0).unwrap()), &want);
    }
}

#[test]
fn raw_is_the_texels_alone() {
    let s = shape();
    let v = Volume::around(s.bounds(), 9, 0.0).unwrap();
    let o = options(v.clone(), Texel::F32, Container::Raw, None);
    let (bytes, _) = run(&s, &o).unwrap();
    assert_eq!(f32s(&bytes), expected(&s, &v));
}

/// A band clamps, and nothing else: texels in culled blocks hold exactly ±band, the same as
/// clamping the full volume, while far fewer points are evaluated.
#[test]
fn a_band_only_clamps_and_skips_blocks_outside_it() {
    let s = shape();
    let v = Volume::around(s.bounds(), 128, 0.05).unwrap();
    let full = expected(&s, &v);
    let band = 3.0 * v.texel;
    let o = options(v.clone(), Texel::F32, Container::Raw, Some(band));
    let (bytes, baked) = run(&s, &o).unwrap();
    let got = f32s(&bytes);
    for (g, f) in got.iter().zip(&full) {
        assert_eq!(g.to_bits(), f.clamp(-band, band).to_bits(), "{g} vs {f}");
    }
    // Measured: 3.4% of the texels lie in the band, 25% are evaluated (the bounds over 4³
    // blocks are loose at this resolution; they tighten as blocks shrink).
    assert!(
        baked.evaluated * 3 < baked.texels,
        "culling evaluated {} of {} texels",
        baked.evaluated,
        baked.texels
    );
    assert!(baked.min == -band && baked.max <= band, "{baked:?}");
}

#[test]
fn distances_a_half_float_cannot_hold_are_an_error() {
    let far = FnField {
        f: |p: [f32; 3]| 1e5 + p[0],
        lipschitz: 1.0,
    };
    let v = Volume::around([[0.0; 3], [1.0; 3]], 4, 0.0).unwrap();
    let o = options(v.clone(), Texel::F16, Container::Ktx2, None);
    assert!(matches!(run(&far, &o), Err(BakeError::Overflow { .. })));
    // In f32 it is fine, and a band brings it within half range.
    run(&far, &options(v.clone(), Texel::F32, Container::Ktx2, None)).unwrap();
    run(&far, &options(v, Texel::F16, Container::Ktx2, Some(1.0))).unwrap();
}

#[test]
fn a_field_that_is_not_finite_is_an_error() {
    let nan = FnField {
        f: |p: [f32; 3]| if p[2] > 0.5 { f32::NAN } else { 0.0 },
        lipschitz: 1.0,
    };
    let v = Volume::around([[0.0; 3], [1.0; 3]], 16, 0.0).unwrap();
    let e = run(&nan, &options(v, Texel::F32, Container::Dds, None)).unwrap_err();
    match e {
        BakeError::NotFinite { at } => assert!(at[2] > 0.5, "{at:?}"),
        e => panic!("{e}"),
    }
}

#[test]
fn progress_counts_every_texel_and_can_stop_the_bake() {
    let sphere = FnField {
        f: |p: [f32; 3]| (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt() - 1.0,
        lipschitz: 1.0,
    };
    let v = Volume::around([[-1.0; 3], [1.0; 3]], 20, 0.1).unwrap();
    let o = options(v.clone(), Texel::F16, Container::Ktx2, None);
    let mut seen = Vec::new();
    let mut out = Vec::new();
    bake(&sphere, &o, "{}", &mut out, &mut |done, total| {
        seen.push((done, total));
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(seen.last(), Some(&(v.texels(), v.texels())));
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    let e = bake(&sphere, &o, "{}", &mut Vec::new(), &mut |_, _| {
        ControlFlow::Break(())
    });
    assert!(matches!(e, Err(BakeError::Cancelled)));
}
