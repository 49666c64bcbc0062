//! The KTX 2.0 header of a single-level, single-channel float 3D texture (Khronos KTX 2.0
//! specification, sections 3-4; the data format descriptor is the Khronos Data Format
//! specification 1.3's basic block). The texels follow it directly.

use crate::{Texel, Volume};

const IDENTIFIER: [u8; 12] = [
    0xAB, 0x4B, 0x54, 0x58, 0x20, 0x32, 0x30, 0xBB, 0x0D, 0x0A, 0x1A, 0x0A,
];

/// `VK_FORMAT_R16_SFLOAT` and `VK_FORMAT_R32_SFLOAT`.
pub fn vk_format(texel: Texel) -> u32 {
    match texel {
        Texel::F16 => 76,
        Texel::F32 => 100,
    }
}

/// Everything before the texels: header, index, one level, the data format descriptor, the
/// key/value data (`KTXwriter`, and `description` under `nsdf.volume`) and the padding that
/// aligns the level.
pub fn header(v: &Volume, texel: Texel, description: &str) -> Vec<u8> {
    const HEADER: usize = 12 + 9 * 4;
    const INDEX: usize = 4 * 4 + 2 * 8;
    const LEVELS: usize = 3 * 8;
    let dfd = data_format_descriptor(texel);
    let kvd = key_values(&[
        (
            "KTXwriter",
            concat!("nsdf-bake ", env!("CARGO_PKG_VERSION")).as_bytes(),
        ),
        ("nsdf.volume", description.as_bytes()),
    ]);
    let dfd_offset = HEADER + INDEX + LEVELS;
    let kvd_offset = dfd_offset + dfd.len();
    // The level starts at a multiple of lcm(texel size, 4) = 4.
    let level_offset = (kvd_offset + kvd.len()).next_multiple_of(4);
    let level_len = v.texels() * texel.bytes() as u64;

    let mut out = Vec::with_capacity(level_offset);
    out.extend_from_slice(&IDENTIFIER);
    let u32s = [
        vk_format(texel),
        texel.bytes() as u32, // typeSize
        v.dims[0] as u32,
        v.dims[1] as u32,
        v.dims[2] as u32,
        0, // layerCount: not an array
        1, // faceCount
        1, // levelCount
        0, // supercompressionScheme: none
        dfd_offset as u32,
        dfd.len() as u32,
        kvd_offset as u32,
        kvd.len() as u32,
    ];
    for x in u32s {
        out.extend_from_slice(&x.to_le_bytes());
    }
    // No supercompression global data; then the one level's offset, length, uncompressed length.
    for x in [0, 0, level_offset as u64, level_len, level_len] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&dfd);
    out.extend_from_slice(&kvd);
    out.resize(level_offset, 0);
    out
}

/// The descriptor of one signed float channel (red), linear, in a 1×1×1 block.
fn data_format_descriptor(texel: Texel) -> Vec<u8> {
    const KHR_DF_VERSIONNUMBER_1_3: u32 = 2;
    const BLOCK_SIZE: u32 = 24 + 16; // the basic block's header and one sample
    const MODEL_RGBSDA: u32 = 1;
    const PRIMARIES_BT709: u32 = 1;
    const TRANSFER_LINEAR: u32 = 1;
    const CHANNEL_RED_FLOAT_SIGNED: u32 = 0x80 | 0x40;
    let bytes = texel.bytes() as u32;
    let words = [
        4 + BLOCK_SIZE, // dfdTotalSize
        0,              // vendor Khronos, descriptor type basic
        KHR_DF_VERSIONNUMBER_1_3 | (BLOCK_SIZE << 16),
        MODEL_RGBSDA | (PRIMARIES_BT709 << 8) | (TRANSFER_LINEAR << 16),
        0,     // texel block dimensions 1×1×1×1 (stored minus one)
        bytes, // bytesPlane0
        0,     // bytesPlane4..7
        // The sample: bit offset 0, bit length − 1, channel and qualifiers; position 0; and
        // for float channels the float32 bit patterns of −1 and 1 as lower and upper.
        ((bytes * 8 - 1) << 16) | (CHANNEL_RED_FLOAT_SIGNED << 24),
        0,
        (-1.0f32).to_bits(),
        1.0f32.to_bits(),
    ];
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// Key/value pairs, sorted by key as the specification requires; values are NUL-terminated
/// strings, each pair padded to 4 bytes.
fn key_values(pairs: &[(&str, &[u8])]) -> Vec<u8> {
    let mut pairs = pairs.to_vec();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = Vec::new();
    for (key, value) in pairs {
        let len = key.len() + 1 + value.len() + 1;
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.push(0);
        out.extend_from_slice(value);
        out.push(0);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    out
}
