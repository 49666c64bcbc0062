//! The DirectDraw Surface header of a volume texture: `DDS_HEADER` with the `DX10` extension
//! (Microsoft's "DDS" programming guide), one mip level. The texels follow it directly.

use crate::{Texel, Volume};

/// `DXGI_FORMAT_R16_FLOAT` and `DXGI_FORMAT_R32_FLOAT`.
pub fn dxgi_format(texel: Texel) -> u32 {
    match texel {
        Texel::F16 => 54,
        Texel::F32 => 41,
    }
}

pub fn header(v: &Volume, texel: Texel) -> Vec<u8> {
    const CAPS: u32 = 0x1;
    const HEIGHT: u32 = 0x2;
    const WIDTH: u32 = 0x4;
    const PITCH: u32 = 0x8;
    const PIXELFORMAT: u32 = 0x1000;
    const MIPMAPCOUNT: u32 = 0x20000;
    const DEPTH: u32 = 0x80_0000;
    const PF_FOURCC: u32 = 0x4;
    const CAPS_COMPLEX: u32 = 0x8;
    const CAPS_TEXTURE: u32 = 0x1000;
    const CAPS2_VOLUME: u32 = 0x20_0000;
    const DIMENSION_TEXTURE3D: u32 = 4;
    let mut words = vec![
        u32::from_le_bytes(*b"DDS "),
        124, // dwSize
        CAPS | HEIGHT | WIDTH | PITCH | PIXELFORMAT | MIPMAPCOUNT | DEPTH,
        v.dims[1] as u32,
        v.dims[0] as u32,
        (v.dims[0] * texel.bytes()) as u32, // row pitch
        v.dims[2] as u32,
        1, // mip levels
    ];
    words.extend([0; 11]); // dwReserved1
    words.extend([32, PF_FOURCC, u32::from_le_bytes(*b"DX10"), 0, 0, 0, 0, 0]);
    words.extend([CAPS_TEXTURE | CAPS_COMPLEX, CAPS2_VOLUME, 0, 0, 0]);
    // DDS_HEADER_DXT10: format, dimension, misc flags, array size, alpha mode (unknown).
    words.extend([dxgi_format(texel), DIMENSION_TEXTURE3D, 0, 1, 0]);
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}
