//! Any bytes as point-cloud text (`.xyz`/`.pts`): `nsdf_mesh::load_input_bytes` must return an
//! error or a cloud of enough finite points; never panic, never allocate without bound.
#![no_main]

mod mesh_common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mesh_common::check(data, nsdf_mesh::Format::Points);
});
