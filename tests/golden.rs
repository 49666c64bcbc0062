//! Format version 1.0, byte for byte: the complete bytes of a tiny model as `to_bytes` writes
//! them (so any change to the layout fails here first), and one test per error code, each a
//! minimal edit of those bytes with the exact code and offset it must produce (safetensors-style).

use nsdf::testing::{reseal, reseal_all};
use nsdf::{Activation, Encoding, Model, Scheme, Stats, Transform, Value};

/// 3 → 2 leaky ReLU(0.125), f16 → 1 identity, int8; one metadata entry; statistics.
fn tiny() -> Model {
    let mut m = Model::zeros(
        Encoding::None,
        &[2],
        Activation::LeakyRelu(0.125),
        Activation::Identity,
    );
    m.layers[0].scheme = Scheme::F16;
    m.layers[0].weights = vec![0.5, -0.25, 1.0, -1.5, 0.75, 0.1];
    m.layers[0].bias = vec![0.0625, -0.125];
    m.layers[1].scheme = Scheme::Int8;
    m.layers[1].weights = vec![1.27, -0.5];
    m.layers[1].bias = vec![0.25];
    m.transform = Transform {
        scale: 0.5,
        translation: [0.0, 0.25, -0.5],
        distance_scale: 2.0,
        bounds: [[-2.0, -2.5, -1.0], [2.0, 1.5, 3.0]],
    };
    m.set_meta("nsdf.name", Value::String("g".into()));
    m.stats = Some(Stats {
        surface_mean_error: 0.001,
        surface_max_error: 0.01,
        near_sign_agreement: 0.99,
        volume_sign_agreement: 1.0,
        near_sigma: 0.02,
        gradient_bound: 2.0,
        surface_samples: 1000,
        volume_samples: 2000,
    });
    m
}

/// `to_bytes(&tiny())`. Layout: header 0..64, directory 64..224, ARCH @256, WGHT @320,
/// XFRM @384, META @448, STAT @512, 544 bytes in all.
#[rustfmt::skip]
const GOLDEN: [u8; 544] = [
    0x89, 0x4e, 0x53, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //   0: header: magic, version 1.0, flags
    0x20, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //  16: file_length 544, chunk_count 5, reserved
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //  32: reserved
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfe, 0xe5, 0xbe, 0x7a, //  48: reserved, header_crc
    0x41, 0x52, 0x43, 0x48, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //  64: dir[0] ARCH REQUIRED @256 len 48
    0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4e, 0x4e, 0x20, 0xcd, 0x00, 0x00, 0x00, 0x00, //  80
    0x57, 0x47, 0x48, 0x54, 0x01, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //  96: dir[1] WGHT REQUIRED @320 len 64
    0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x3f, 0xfc, 0x00, 0x00, 0x00, 0x00, // 112
    0x58, 0x46, 0x52, 0x4d, 0x01, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 128: dir[2] XFRM REQUIRED @384 len 48
    0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xee, 0x66, 0xae, 0x31, 0x00, 0x00, 0x00, 0x00, // 144
    0x4d, 0x45, 0x54, 0x41, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 160: dir[3] META @448 len 22
    0x16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x72, 0x8e, 0xb9, 0xd1, 0x00, 0x00, 0x00, 0x00, // 176
    0x53, 0x54, 0x41, 0x54, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 192: dir[4] STAT @512 len 32
    0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6d, 0xab, 0xf5, 0x1d, 0x00, 0x00, 0x00, 0x00, // 208
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 224: padding to 256
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 240
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, // 256: ARCH: input 3, encoding none, 2 layers
    0x03, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3e, // 272: layer 0: 3→2 leaky_relu 0.125
    0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 288: layer 1: 2→1 identity
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 304: padding
    0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 320: WGHT: 2 layers, schemes f16 int8, pad
    0x00, 0x00, 0x80, 0x3d, 0x00, 0x00, 0x00, 0xbe, 0x00, 0x38, 0x00, 0xb4, 0x00, 0x3c, 0x00, 0xbe, // 336: layer 0 (f16): bias[2], weights[0..4]
    0x00, 0x3a, 0x66, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 352: weights[4..6], pad
    0x00, 0x00, 0x80, 0x3e, 0x0a, 0xd7, 0x23, 0x3c, 0x7f, 0xce, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 368: layer 1 (int8): bias, scale, q[2], pad
    0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x3e, 0x00, 0x00, 0x00, 0xbf, // 384: XFRM: scale 0.5, translation
    0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x20, 0xc0, 0x00, 0x00, 0x80, 0xbf, // 400: distance_scale 2, bounds_min
    0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x00, 0x00, // 416: bounds_max, reserved
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 432: padding
    0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x6e, 0x73, 0x64, 0x66, // 448: META: 1 entry "nsdf.name" = "g"
    0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x67, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 464
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 480: padding
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // 496
    0x6f, 0x12, 0x83, 0x3a, 0x0a, 0xd7, 0x23, 0x3c, 0xa4, 0x70, 0x7d, 0x3f, 0x00, 0x00, 0x80, 0x3f, // 512: STAT
    0x0a, 0xd7, 0xa3, 0x3c, 0x00, 0x00, 0x00, 0x40, 0xe8, 0x03, 0x00, 0x00, 0xd0, 0x07, 0x00, 0x00, // 528
];

#[test]
fn the_writer_produces_the_golden_bytes() {
    let bytes = nsdf::to_bytes(&tiny()).unwrap();
    assert_eq!(bytes.len(), GOLDEN.len());
    for (i, (a, b)) in bytes.iter().zip(&GOLDEN).enumerate() {
        assert_eq!(a, b, "byte {i} differs from format v1.0's golden bytes");
    }
}

#[test]
fn the_golden_bytes_read_back_and_evaluate_as_the_spec_says() {
    let p = nsdf::parse(&GOLDEN).unwrap();
    assert_eq!(p.version, (1, 0));
    let tags: Vec<String> = p.chunks.iter().map(|c| c.tag.to_string()).collect();
    assert_eq!(tags, ["ARCH", "WGHT", "XFRM", "META", "STAT"]);
    // Every weight of `tiny` is exactly representable in its scheme except 0.1 (f16 rounds it
    // to 0x2E66 = 0.0999755859375) and 1.27 (int8: scale 0.01, q = 127, 127 × 0.01f32).
    let m = &p.model;
    assert_eq!(
        m.layers[0].weights,
        [0.5, -0.25, 1.0, -1.5, 0.75, 0.099_975_586]
    );
    assert_eq!(m.layers[1].weights, [127.0 * (1.27f32 / 127.0), -0.5]);
    assert_eq!(nsdf::validate(&GOLDEN), []);
    // d(p) = 2 · (w1 · leaky(W0 · q + b0) + b1), q = 0.5 p + (0, 0.25, −0.5), evaluated by hand.
    let shape = nsdf::Shape::from_bytes(&GOLDEN).unwrap();
    let (x, y, z) = (0.5, 1.25, -1.0); // q at p = (1, 2, −1)
    let w = &m.layers[0].weights;
    let leaky = |v: f32| if v >= 0.0 { v } else { 0.125 * v };
    let h0 = leaky(w[0] * x + w[1] * y + w[2] * z + 0.0625);
    let h1 = leaky(w[3] * x + w[4] * y + w[5] * z - 0.125);
    let want = 2.0 * (m.layers[1].weights[0] * h0 + m.layers[1].weights[1] * h1 + 0.25);
    assert!((shape.distance([1.0, 2.0, -1.0]) - want).abs() < 1e-6);
}

/// Parses `bytes` and checks the error code and offset, and that `validate` reports the same.
#[track_caller]
fn fails(bytes: &[u8], code: &str, offset: Option<u64>) {
    let e = nsdf::parse(bytes).expect_err("must not parse");
    assert_eq!((e.code(), e.offset()), (code, offset), "{e}");
    let first = nsdf::validate(bytes)
        .into_iter()
        .find(|i| i.severity == nsdf::Severity::Error)
        .unwrap();
    assert_eq!(
        (first.code, first.offset),
        (code, offset),
        "validate: {}",
        first.message
    );
}

fn edit(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = GOLDEN.to_vec();
    f(&mut b);
    b
}

fn put(b: &mut [u8], at: usize, bytes: &[u8]) {
    b[at..at + bytes.len()].copy_from_slice(bytes);
}

#[test]
fn e001_truncated() {
    fails(&GOLDEN[..63], "NSDF-E001", Some(0));
    fails(&GOLDEN[..5], "NSDF-E001", Some(0));
    fails(&[], "NSDF-E001", Some(0));
    // The STAT directory entry claims 33 bytes; the file has 32 after offset 512.
    fails(
        &edit(|b| {
            b[208] = 33;
            reseal(b)
        }),
        "NSDF-E001",
        Some(512),
    );
    // The metadata value length (at 456) runs past the end of META (470).
    fails(
        &edit(|b| {
            b[456] = 30;
            reseal_all(b)
        }),
        "NSDF-E001",
        Some(469),
    );
}

#[test]
fn e002_bad_magic() {
    fails(b"GIF89a\x01\x00\x01\x00", "NSDF-E002", Some(0));
    fails(&edit(|b| b[1] = b'X'), "NSDF-E002", Some(0));
}

#[test]
fn e003_transfer_corruption() {
    // CR LF → LF, LF → CR LF, 7-bit stripping, and a text encoder replacing byte 0.
    fails(
        &edit(|b| {
            b.remove(5);
        }),
        "NSDF-E003",
        Some(0),
    );
    fails(&edit(|b| b.insert(5, b'\r')), "NSDF-E003", Some(0));
    fails(&edit(|b| b[0] = 0x09), "NSDF-E003", Some(0));
    fails(&edit(|b| b[0] = b'?'), "NSDF-E003", Some(0));
}

#[test]
fn e004_unsupported_version() {
    fails(
        &edit(|b| {
            b[8] = 2;
            reseal(b)
        }),
        "NSDF-E004",
        Some(8),
    );
    fails(
        &edit(|b| {
            b[8] = 0;
            reseal(b)
        }),
        "NSDF-E004",
        Some(8),
    );
}

#[test]
fn e005_length_mismatch() {
    fails(&GOLDEN[..543], "NSDF-E005", Some(16));
    fails(&edit(|b| b.push(0)), "NSDF-E005", Some(16));
}

#[test]
fn e006_nonzero_reserved() {
    fails(
        &edit(|b| {
            b[12] = 1;
            reseal(b)
        }),
        "NSDF-E006",
        Some(12),
    ); // header flags
    fails(
        &edit(|b| {
            b[40] = 1;
            reseal(b)
        }),
        "NSDF-E006",
        Some(40),
    ); // header reserved
    fails(
        &edit(|b| {
            b[164] = 2;
            reseal(b)
        }),
        "NSDF-E006",
        Some(164),
    ); // unknown directory flag bit
    fails(
        &edit(|b| {
            b[92] = 1;
            reseal(b)
        }),
        "NSDF-E006",
        Some(92),
    ); // directory entry reserved
    fails(&edit(|b| b[470] = 1), "NSDF-E006", Some(470)); // padding after META
    fails(
        &edit(|b| {
            put(b, 300, &1f32.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E006",
        Some(300),
    ); // identity's parameter
    fails(
        &edit(|b| {
            b[332] = 1;
            reseal_all(b)
        }),
        "NSDF-E006",
        Some(332),
    ); // WGHT header padding
    fails(
        &edit(|b| {
            b[380] = 1;
            reseal_all(b)
        }),
        "NSDF-E006",
        Some(380),
    ); // WGHT block padding
    fails(
        &edit(|b| {
            b[428] = 1;
            reseal_all(b)
        }),
        "NSDF-E006",
        Some(428),
    ); // XFRM reserved
    fails(
        &edit(|b| {
            b[455] = 1;
            reseal_all(b)
        }),
        "NSDF-E006",
        Some(455),
    ); // META entry reserved
}

#[test]
fn e007_header_checksum() {
    fails(&edit(|b| b[60] ^= 1), "NSDF-E007", Some(60));
    // Any directory byte is covered too: WGHT's length, changed without resealing.
    fails(&edit(|b| b[112] = 0x41), "NSDF-E007", Some(60));
}

#[test]
fn e008_chunk_checksum() {
    fails(&edit(|b| b[340] ^= 1), "NSDF-E008", Some(320));
    fails(&edit(|b| b[543] ^= 1), "NSDF-E008", Some(512));
}

#[test]
fn e009_limit_exceeded() {
    fails(
        &edit(|b| {
            b[24] = 65;
            reseal(b)
        }),
        "NSDF-E009",
        Some(24),
    ); // chunk count
    fails(
        &edit(|b| {
            b[24] = 0;
            reseal(b)
        }),
        "NSDF-E009",
        Some(24),
    ); // no chunks
    fails(
        &edit(|b| {
            put(b, 16, &(257u64 << 20).to_le_bytes());
            reseal(b)
        }),
        "NSDF-E009",
        Some(16),
    ); // file length
    fails(
        &edit(|b| {
            put(b, 276, &4097u32.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E009",
        Some(276),
    ); // layer width
    fails(
        &edit(|b| {
            b[268] = 65;
            reseal_all(b)
        }),
        "NSDF-E009",
        Some(268),
    ); // layer count
    fails(
        &edit(|b| {
            b[260] = 1;
            b[264] = 17;
            reseal_all(b)
        }),
        "NSDF-E009",
        Some(264),
    ); // Fourier frequencies
    fails(
        &edit(|b| {
            put(b, 448, &4097u32.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E009",
        Some(448),
    ); // metadata entries
}

#[test]
fn e010_chunk_layout() {
    // ARCH declared at 320 where the layout puts it at 256.
    fails(
        &edit(|b| {
            b[72] = 0x40;
            reseal(b)
        }),
        "NSDF-E010",
        Some(320),
    );
    // WGHT overlapping ARCH.
    fails(
        &edit(|b| {
            put(b, 104, &288u64.to_le_bytes());
            reseal(b)
        }),
        "NSDF-E010",
        Some(288),
    );
}

#[test]
fn e011_trailing_bytes() {
    let b = edit(|b| {
        b.extend_from_slice(&[0; 64]);
        put(b, 16, &608u64.to_le_bytes());
        reseal(b);
    });
    fails(&b, "NSDF-E011", Some(544));
}

#[test]
fn e012_duplicate_chunk() {
    // META's entry renamed STAT: the real STAT (entry 4, at 192) is then the second.
    fails(
        &edit(|b| {
            put(b, 160, b"STAT");
            reseal(b)
        }),
        "NSDF-E012",
        Some(192),
    );
}

#[test]
fn e013_missing_chunk() {
    // XFRM's entry renamed to an unknown optional chunk.
    fails(
        &edit(|b| {
            put(b, 128, b"xfrm");
            b[132] = 0;
            reseal(b)
        }),
        "NSDF-E013",
        None,
    );
}

#[test]
fn e014_unknown_required_chunk() {
    fails(
        &edit(|b| {
            put(b, 160, b"ZZZZ");
            b[164] = 1;
            reseal(b)
        }),
        "NSDF-E014",
        Some(160),
    );
}

#[test]
fn e015_chunk_length() {
    // ARCH says 1 layer but holds 2; STAT is not 32 bytes.
    fails(
        &edit(|b| {
            b[268] = 1;
            reseal_all(b)
        }),
        "NSDF-E015",
        Some(256),
    );
    let mut chunks = nsdf::testing::model_chunks(&tiny()).unwrap();
    chunks[4].2.pop();
    fails(&nsdf::testing::assemble(&chunks), "NSDF-E015", Some(512));
}

#[test]
fn e016_unknown_value() {
    fails(
        &edit(|b| {
            b[260] = 3;
            reseal_all(b)
        }),
        "NSDF-E016",
        Some(260),
    ); // encoding
    fails(
        &edit(|b| {
            b[280] = 5;
            reseal_all(b)
        }),
        "NSDF-E016",
        Some(280),
    ); // activation
    fails(
        &edit(|b| {
            b[328] = 5;
            reseal_all(b)
        }),
        "NSDF-E016",
        Some(328),
    ); // scheme 5 (undefined; 3 is int4 since 1.1, 4 int8h since 1.3)
    fails(
        &edit(|b| {
            b[376] = 0x80;
            reseal_all(b)
        }),
        "NSDF-E016",
        Some(376),
    ); // int8 weight −128
    fails(
        &edit(|b| {
            b[454] = 3;
            reseal_all(b)
        }),
        "NSDF-E016",
        Some(454),
    ); // metadata type
}

#[test]
fn e017_architecture() {
    fails(
        &edit(|b| {
            b[256] = 4;
            reseal_all(b)
        }),
        "NSDF-E017",
        Some(256),
    ); // input dimension
    fails(
        &edit(|b| {
            b[288] = 3;
            reseal_all(b)
        }),
        "NSDF-E017",
        Some(288),
    ); // widths do not chain
    fails(
        &edit(|b| {
            b[292] = 2;
            reseal_all(b)
        }),
        "NSDF-E017",
        Some(292),
    ); // 2 outputs
    fails(
        &edit(|b| {
            b[320] = 3;
            reseal_all(b)
        }),
        "NSDF-E017",
        Some(320),
    ); // WGHT layer count
}

#[test]
fn e018_bad_float() {
    fails(
        &edit(|b| {
            put(b, 336, &f32::NAN.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(336),
    ); // bias
    fails(
        &edit(|b| {
            put(b, 344, &0x7c00u16.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(344),
    ); // f16 infinity
    fails(
        &edit(|b| {
            b[375] |= 0x80;
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(372),
    ); // negative int8 scale
    fails(
        &edit(|b| {
            put(b, 372, &f32::MAX.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(372),
    ); // scale overflows
    fails(
        &edit(|b| {
            put(b, 284, &f32::INFINITY.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(284),
    ); // leaky α
    fails(
        &edit(|b| {
            put(b, 400, &0f32.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(400),
    ); // distance scale
    fails(
        &edit(|b| {
            put(b, 384, &0f32.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(384),
    ); // scale
    fails(
        &edit(|b| {
            put(b, 416, &(-3f32).to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(416),
    ); // max < min
    fails(
        &edit(|b| {
            put(b, 532, &0f32.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(532),
    ); // gradient bound
    fails(
        &edit(|b| {
            put(b, 520, &1.5f32.to_le_bytes());
            reseal_all(b)
        }),
        "NSDF-E018",
        Some(520),
    ); // sign agreement
}

#[test]
fn e019_metadata() {
    fails(
        &edit(|b| {
            b[460] = b'N';
            reseal_all(b)
        }),
        "NSDF-E019",
        Some(460),
    ); // key spelling
    fails(
        &edit(|b| {
            b[469] = 0xff;
            reseal_all(b)
        }),
        "NSDF-E019",
        Some(469),
    ); // value not UTF-8
    fails(
        &edit(|b| {
            b[454] = 1;
            reseal_all(b)
        }),
        "NSDF-E019",
        Some(456),
    ); // int of 1 byte
    fails(
        &edit(|b| {
            b[448] = 9;
            reseal_all(b)
        }),
        "NSDF-E019",
        Some(448),
    ); // 9 entries cannot fit in 22 bytes
}

#[test]
fn codes_without_a_file_offset() {
    let e = nsdf::Shape::open("/nonexistent/dir/x.nsdf").unwrap_err();
    assert_eq!((e.code(), e.offset()), ("NSDF-E100", None));
    let mut m = tiny();
    m.layers[0].activation = Activation::Sine(0.0);
    let e = nsdf::to_bytes(&m).unwrap_err();
    assert_eq!((e.code(), e.offset()), ("NSDF-E101", None));
}
