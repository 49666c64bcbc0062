//! Golden renders (as fidget does): small pictures of analytic fields compared with stored PNGs
//! within a tolerance. Regenerate with `NSDF_BLESS=1 cargo test -p nsdf-render --test render`.

use nsdf_mesh::surface::FnField;
use nsdf_render::{render, Image, Options, View};
use std::path::PathBuf;

fn golden(name: &str, image: &Image) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.png"));
    if std::env::var_os("NSDF_BLESS").is_some() {
        std::fs::write(&path, image.to_png().unwrap()).unwrap();
        return;
    }
    let want = Image::from_png(
        &std::fs::read(&path).expect("golden image missing; run with NSDF_BLESS=1"),
    )
    .unwrap();
    assert_eq!((want.width, want.height), (image.width, image.height));
    let diffs: Vec<u32> = want
        .rgb
        .iter()
        .zip(&image.rgb)
        .map(|(a, b)| a.abs_diff(*b) as u32)
        .collect();
    let mean = diffs.iter().sum::<u32>() as f64 / diffs.len() as f64;
    let big = diffs.iter().filter(|&&d| d > 16).count();
    // Tolerates last-bit differences across CPUs (libm, FMA), not a changed picture.
    assert!(
        mean < 0.5 && big < diffs.len() / 200,
        "{name}: mean diff {mean:.3}, {big} channels differ by > 16"
    );
}

fn view() -> View {
    View {
        width: 96,
        height: 64,
        azimuth: 30.0,
        elevation: 20.0,
        fov: 30.0,
    }
}

#[test]
fn torus() {
    let field = FnField {
        f: |p: [f32; 3]| {
            let q = (p[0] * p[0] + p[2] * p[2]).sqrt() - 0.6;
            (q * q + p[1] * p[1]).sqrt() - 0.25
        },
        lipschitz: 1.0,
    };
    let r = render(
        &field,
        [[-0.85, -0.25, -0.85], [0.85, 0.25, 0.85]],
        &view(),
        &Options::default(),
    )
    .unwrap();
    assert!(r.hits > 500, "the torus covers a good part of the frame");
    golden("torus", &r.image);
}

#[test]
fn rounded_box_with_heat_map() {
    let field = FnField {
        f: |p: [f32; 3]| {
            let q = p.map(|x| x.abs() - 0.4);
            let o = q.map(|x| x.max(0.0));
            (o[0] * o[0] + o[1] * o[1] + o[2] * o[2]).sqrt() + q[0].max(q[1]).max(q[2]).min(0.0)
                - 0.1
        },
        lipschitz: 1.0,
    };
    let colour = |pts: &[[f32; 3]]| {
        pts.iter()
            .map(|p| nsdf_render::shade::heat(0.5 + p[1]))
            .collect()
    };
    let opts = Options {
        colouring: Some(&colour),
        ..Options::default()
    };
    let r = render(&field, [[-0.5; 3], [0.5; 3]], &view(), &opts).unwrap();
    golden("box-heat", &r.image);
}

#[test]
fn bad_views_are_errors() {
    let field = FnField {
        f: |p: [f32; 3]| p[0],
        lipschitz: 1.0,
    };
    let b = [[-1.0; 3], [1.0; 3]];
    for v in [
        View { width: 0, ..view() },
        View {
            height: 1 << 20,
            ..view()
        },
        View { fov: 0.0, ..view() },
        View {
            azimuth: f32::NAN,
            ..view()
        },
    ] {
        assert!(render(&field, b, &v, &Options::default()).is_err(), "{v:?}");
    }
    assert!(render(&field, [[1.0; 3], [-1.0; 3]], &view(), &Options::default()).is_err());
}
