//! Any bytes as STL, ASCII and binary (the size and `solid` pick): `nsdf_mesh::load_bytes` must return an error or a mesh whose
//! positions are finite and whose indices are in range; never panic, never allocate without
//! bound (libFuzzer's -rss_limit_mb, 2 GiB by default, catches that).
#![no_main]

mod mesh_common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mesh_common::check(data, nsdf_mesh::Format::Stl);
});
