//! Bounds-checked little-endian reads: every read names the file offset it failed at.

use crate::error::{Error, Result};

/// A window of the file: `data` starts at file offset `base`.
#[derive(Clone, Copy)]
pub(crate) struct Bytes<'a> {
    pub data: &'a [u8],
    pub base: u64,
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8], base: u64) -> Self {
        Bytes { data, base }
    }

    /// File offset of position `at` in this window.
    pub fn offset(&self, at: usize) -> u64 {
        self.base + at as u64
    }

    /// `len` bytes at `at`, or `Truncated`.
    pub fn slice(&self, at: usize, len: usize) -> Result<&'a [u8]> {
        at.checked_add(len)
            .and_then(|end| self.data.get(at..end))
            .ok_or(Error::Truncated {
                offset: self.offset(at),
                needed: len as u64,
                len: self.base + self.data.len() as u64,
            })
    }

    pub fn array<const N: usize>(&self, at: usize) -> Result<[u8; N]> {
        let s = self.slice(at, N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub fn u8(&self, at: usize) -> Result<u8> {
        Ok(self.array::<1>(at)?[0])
    }

    pub fn u16(&self, at: usize) -> Result<u16> {
        self.array(at).map(u16::from_le_bytes)
    }

    pub fn u32(&self, at: usize) -> Result<u32> {
        self.array(at).map(u32::from_le_bytes)
    }

    pub fn u64(&self, at: usize) -> Result<u64> {
        self.array(at).map(u64::from_le_bytes)
    }

    /// A float that must be finite.
    pub fn f32(&self, at: usize, what: &'static str) -> Result<f32> {
        let v = f32::from_le_bytes(self.array(at)?);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(Error::BadFloat {
                offset: self.offset(at),
                what,
                value: v,
            })
        }
    }

    /// A u32 count that must lie in `range` (`LimitExceeded`, naming the range's top).
    pub fn count(
        &self,
        at: usize,
        what: &'static str,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<u32> {
        let v = self.u32(at)?;
        if !range.contains(&v) {
            return Err(Error::LimitExceeded {
                offset: self.offset(at),
                what,
                value: v as u64,
                limit: *range.end() as u64,
            });
        }
        Ok(v)
    }

    /// A u32 that must be zero.
    pub fn zero32(&self, at: usize, what: &'static str) -> Result<()> {
        if self.u32(at)? != 0 {
            return Err(Error::NonZeroReserved {
                offset: self.offset(at),
                what,
            });
        }
        Ok(())
    }

    /// A range of bytes that must all be zero (padding, reserved).
    pub fn zeros(&self, at: usize, len: usize, what: &'static str) -> Result<()> {
        let s = self.slice(at, len)?;
        match s.iter().position(|&b| b != 0) {
            None => Ok(()),
            Some(i) => Err(Error::NonZeroReserved {
                offset: self.offset(at + i),
                what,
            }),
        }
    }
}
