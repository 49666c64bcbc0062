//! Turning caller-supplied (pointer, count) pairs into slices, with every check that makes that
//! sound: non-NULL, aligned, a byte size that fits in `isize`, and outputs that overlap nothing.

use crate::status::Failure;
use std::ops::Range;

/// A validated caller buffer of `len` elements of `T`.
pub(crate) struct Region {
    name: &'static str,
    bytes: Range<usize>,
}

impl Region {
    pub fn check<T>(ptr: *const T, len: usize, name: &'static str) -> Result<Region, Failure> {
        if ptr.is_null() {
            return Err(Failure::null(name));
        }
        if !(ptr as usize).is_multiple_of(std::mem::align_of::<T>()) {
            return Err(Failure::argument(format!(
                "{name} is not aligned to {} bytes",
                std::mem::align_of::<T>()
            )));
        }
        let size = len
            .checked_mul(std::mem::size_of::<T>())
            .filter(|&s| s <= isize::MAX as usize)
            .and_then(|s| (ptr as usize).checked_add(s).map(|end| (s, end)));
        let Some((_, end)) = size else {
            return Err(Failure::argument(format!(
                "{name}: {len} elements overflow the address space"
            )));
        };
        Ok(Region {
            name,
            bytes: ptr as usize..end,
        })
    }

    /// Errors if an output region shares bytes with another region (Rust may not alias them).
    pub fn disjoint(&self, other: &Region) -> Result<(), Failure> {
        let overlap = self.bytes.start < other.bytes.end && other.bytes.start < self.bytes.end;
        if overlap {
            return Err(Failure::argument(format!(
                "{} overlaps {}",
                self.name, other.name
            )));
        }
        Ok(())
    }
}

/// The points of a batch: `count` triples of x, y, z.
///
/// # Safety
/// `xyz` must be NULL or point to `3 * count` readable floats that stay unchanged during the call.
pub(crate) unsafe fn points<'a>(
    xyz: *const f32,
    count: usize,
) -> Result<(&'a [[f32; 3]], Region), Failure> {
    let region = Region::check(xyz.cast::<[f32; 3]>(), count, "xyz")?;
    Ok((
        std::slice::from_raw_parts(xyz.cast::<[f32; 3]>(), count),
        region,
    ))
}

/// An output buffer of `len` elements, checked not to overlap `inputs`.
///
/// # Safety
/// `ptr` must be NULL or point to `len` writable elements that nothing else accesses during the
/// call.
pub(crate) unsafe fn output<'a, T>(
    ptr: *mut T,
    len: usize,
    name: &'static str,
    others: &[&Region],
) -> Result<(&'a mut [T], Region), Failure> {
    let region = Region::check(ptr.cast_const(), len, name)?;
    for other in others {
        region.disjoint(other)?;
    }
    Ok((std::slice::from_raw_parts_mut(ptr, len), region))
}
