//! The box of texels, and how each texel is stored.

use std::path::Path;

/// A box of cubic texels in world units: `dims` texels of side `texel` from `min`.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    pub min: [f32; 3],
    pub texel: f32,
    pub dims: [usize; 3],
}

/// The largest number of texels along a side (2048³ half floats are already 16 GiB).
pub const MAX_RESOLUTION: usize = 2048;

impl Volume {
    /// `resolution` texels along the longest side of `bounds` grown by `margin` (a fraction of
    /// that side, as `nsdf_mesh::surface::padded`); the other sides get as many texels of the
    /// same size as cover them, and the texture box is centred on the padded one.
    pub fn around(bounds: [[f32; 3]; 2], resolution: usize, margin: f32) -> Result<Volume, String> {
        if !(2..=MAX_RESOLUTION).contains(&resolution) {
            return Err(format!(
                "the resolution must be 2 to {MAX_RESOLUTION} texels, got {resolution}"
            ));
        }
        if !(margin.is_finite() && (0.0..=10.0).contains(&margin)) {
            return Err(format!(
                "the margin is a fraction of the longest side from 0 to 10, got {margin}"
            ));
        }
        let [lo, hi] = nsdf_mesh::surface::padded(bounds, margin);
        let side = [0, 1, 2].map(|a| hi[a] - lo[a]);
        if side.iter().any(|s| !s.is_finite() || *s <= 0.0) || lo.iter().any(|x| !x.is_finite()) {
            return Err(format!("the bounds {bounds:?} are not a finite box"));
        }
        let longest = side.iter().copied().fold(0.0f32, f32::max);
        let texel = longest / resolution as f32;
        // The small tolerance keeps a side that is an exact multiple from gaining a texel to
        // rounding.
        let dims = side.map(|s| ((s / texel - 1e-3).ceil() as usize).clamp(1, resolution));
        let min = [0, 1, 2].map(|a| 0.5 * (lo[a] + hi[a]) - 0.5 * dims[a] as f32 * texel);
        Ok(Volume { min, texel, dims })
    }

    pub fn max(&self) -> [f32; 3] {
        [0, 1, 2].map(|a| self.min[a] + self.dims[a] as f32 * self.texel)
    }

    pub fn texels(&self) -> u64 {
        self.dims.iter().map(|&d| d as u64).product()
    }

    /// Where texel `ijk` is sampled: its centre.
    pub fn texel_centre(&self, ijk: [usize; 3]) -> [f32; 3] {
        [0, 1, 2].map(|a| self.min[a] + (ijk[a] as f32 + 0.5) * self.texel)
    }

    /// The texel at position `i` of a slab of whole z-slices starting at slice `z0`.
    pub(crate) fn index_to_ijk(&self, i: usize, z0: usize) -> [usize; 3] {
        let [nx, ny, _] = self.dims;
        [i % nx, (i / nx) % ny, z0 + i / (nx * ny)]
    }
}

/// How one texel is stored (little-endian IEEE floats, the value in world units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Texel {
    /// Half float (`R16_SFLOAT`, `DXGI_FORMAT_R16_FLOAT`), rounded to nearest.
    F16,
    F32,
}

impl Texel {
    pub fn bytes(self) -> usize {
        match self {
            Texel::F16 => 2,
            Texel::F32 => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Texel::F16 => "f16",
            Texel::F32 => "f32",
        }
    }

    pub(crate) fn push(self, value: f32, out: &mut Vec<u8>) {
        match self {
            Texel::F16 => out.extend_from_slice(&half::f16::from_f32(value).to_le_bytes()),
            Texel::F32 => out.extend_from_slice(&value.to_le_bytes()),
        }
    }
}

/// The file the texels go into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// Khronos KTX 2.0: a 3D texture, one level, no supercompression.
    Ktx2,
    /// DirectDraw Surface with the DX10 header: a volume texture (`TEXTURE3D`).
    Dds,
    /// The texels alone; the sidecar says everything else.
    Raw,
}

impl Container {
    /// From the output's extension: `.ktx2`, `.dds`, `.raw`.
    pub fn from_path(path: &Path) -> Result<Container, String> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("ktx2") => Ok(Container::Ktx2),
            Some("dds") => Ok(Container::Dds),
            Some("raw") => Ok(Container::Raw),
            _ => Err(format!(
                "{}: the output must end in .ktx2, .dds or .raw",
                path.display()
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Container::Ktx2 => "ktx2",
            Container::Dds => "dds",
            Container::Raw => "raw",
        }
    }

    /// The texel format in the container's own terms.
    pub fn format_name(self, texel: Texel) -> &'static str {
        match (self, texel) {
            (Container::Ktx2, Texel::F16) => "VK_FORMAT_R16_SFLOAT",
            (Container::Ktx2, Texel::F32) => "VK_FORMAT_R32_SFLOAT",
            (Container::Dds, Texel::F16) => "DXGI_FORMAT_R16_FLOAT",
            (Container::Dds, Texel::F32) => "DXGI_FORMAT_R32_FLOAT",
            (Container::Raw, Texel::F16) => "little-endian IEEE half floats",
            (Container::Raw, Texel::F32) => "little-endian IEEE floats",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_has_cubic_texels_centred_on_the_padded_bounds() {
        let v = Volume::around([[-1.0, -0.5, 0.0], [1.0, 0.5, 0.25]], 64, 0.0).unwrap();
        assert_eq!(v.dims, [64, 32, 8]);
        assert!((v.texel - 2.0 / 64.0).abs() < 1e-7);
        assert_eq!(v.min, [-1.0, -0.5, 0.0]);
        // A side that is not a multiple of the texel gains a partial texel, split evenly.
        let v = Volume::around([[0.0; 3], [1.0, 0.3, 1.0]], 10, 0.0).unwrap();
        assert_eq!(v.dims, [10, 3, 10]);
        let v = Volume::around([[0.0; 3], [1.0, 0.31, 1.0]], 10, 0.0).unwrap();
        assert_eq!(v.dims, [10, 4, 10]);
        assert!((v.min[1] - (0.155 - 0.2)).abs() < 1e-6, "{:?}", v.min);
        // The margin grows every side by a fraction of the longest.
        let v = Volume::around([[0.0; 3], [1.0; 3]], 12, 0.1).unwrap();
        assert!((v.min[0] + 0.1).abs() < 1e-6 && (v.max()[0] - 1.1).abs() < 1e-6);
    }

    #[test]
    fn bad_boxes_and_resolutions_are_refused() {
        let b = [[0.0; 3], [1.0; 3]];
        assert!(Volume::around(b, 1, 0.0).is_err());
        assert!(Volume::around(b, MAX_RESOLUTION + 1, 0.0).is_err());
        assert!(Volume::around(b, 8, -0.1).is_err());
        assert!(Volume::around(b, 8, f32::NAN).is_err());
        assert!(Volume::around([[0.0; 3], [f32::INFINITY; 3]], 8, 0.0).is_err());
        assert!(Volume::around([[0.0; 3], [0.0; 3]], 8, 0.0).is_err());
    }
}
