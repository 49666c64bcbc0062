//! An RGB8 image and its PNG encoding.

#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// Row-major RGB, 3 bytes per pixel, top row first.
    pub rgb: Vec<u8>,
}

impl Image {
    pub fn new(width: u32, height: u32) -> Image {
        Image {
            width,
            height,
            rgb: vec![0; width as usize * height as usize * 3],
        }
    }

    pub fn set(&mut self, x: u32, y: u32, c: [u8; 3]) {
        let i = 3 * (y as usize * self.width as usize + x as usize);
        self.rgb[i..i + 3].copy_from_slice(&c);
    }

    /// Places `other` to the right of `self` (same height).
    pub fn beside(&self, other: &Image) -> Image {
        let mut out = Image::new(self.width + other.width, self.height.max(other.height));
        for y in 0..out.height {
            for (img, x0) in [(self, 0), (other, self.width)] {
                if y < img.height {
                    let src =
                        &img.rgb[3 * (y * img.width) as usize..3 * ((y + 1) * img.width) as usize];
                    let at = 3 * (y * out.width + x0) as usize;
                    out.rgb[at..at + src.len()].copy_from_slice(src);
                }
            }
        }
        out
    }

    pub fn to_png(&self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| format!("PNG encoding failed: {e}"))?;
        w.write_image_data(&self.rgb)
            .map_err(|e| format!("PNG encoding failed: {e}"))?;
        w.finish()
            .map_err(|e| format!("PNG encoding failed: {e}"))?;
        Ok(out)
    }

    pub fn from_png(bytes: &[u8]) -> Result<Image, String> {
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut r = dec
            .read_info()
            .map_err(|e| format!("PNG decoding failed: {e}"))?;
        let mut buf = vec![0; r.output_buffer_size().ok_or("PNG too large")?];
        let info = r
            .next_frame(&mut buf)
            .map_err(|e| format!("PNG decoding failed: {e}"))?;
        if info.color_type != png::ColorType::Rgb || info.bit_depth != png::BitDepth::Eight {
            return Err("expected an 8-bit RGB PNG".into());
        }
        buf.truncate(info.buffer_size());
        Ok(Image {
            width: info.width,
            height: info.height,
            rgb: buf,
        })
    }
}
