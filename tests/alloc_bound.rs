//! Memory stays bounded on any input: a counting global allocator (this test binary only)
//! measures every byte `parse` and `validate` request, and the total must stay under
//! `PARSE_FACTOR × file length + PARSE_CONSTANT` for valid files and for hostile ones that
//! declare huge counts. (Spec, threat model: "bounded allocation".)

use nsdf::testing::{assemble, model_chunks, reseal_all};
use nsdf_testing::vectors;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The bound the spec states: total bytes requested while parsing, as a multiple of the file.
const PARSE_FACTOR: usize = 8;
const PARSE_CONSTANT: usize = 16 << 10;
/// `Shape::from_bytes` also lays out the weights for the kernels (row-major and transposed):
/// three f32 copies of weights that int4 stores in half a byte each.
const SHAPE_FACTOR: usize = 24;
const SHAPE_CONSTANT: usize = 64 << 10;

struct Counting;

thread_local! {
    /// Bytes requested on this thread (tests run on several threads; each counts its own).
    static REQUESTED: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        REQUESTED.with(|r| r.set(r.get() + layout.size()));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REQUESTED.with(|r| r.set(r.get() + new_size.saturating_sub(layout.size())));
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes requested while running `f`.
fn requested<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = REQUESTED.with(|r| r.get());
    let out = f();
    (REQUESTED.with(|r| r.get()) - before, out)
}

fn check(name: &str, bytes: &[u8]) {
    let limit = PARSE_FACTOR * bytes.len() + PARSE_CONSTANT;
    let (parse, r) = requested(|| nsdf::parse(bytes).map(drop));
    let (validate, _) = requested(|| nsdf::validate(bytes));
    let (shape, _) = requested(|| nsdf::Shape::from_bytes(bytes).map(drop));
    println!(
        "{name:32} {:>7} B  parse {parse:>7} B ({:.2}×)  validate {validate:>7} B  Shape {shape:>7} B  {}",
        bytes.len(),
        parse as f64 / bytes.len().max(1) as f64,
        r.err().map_or("ok".to_string(), |e| e.code().to_string())
    );
    assert!(
        parse <= limit,
        "{name}: parse requested {parse} bytes, limit {limit}"
    );
    assert!(
        validate <= limit,
        "{name}: validate requested {validate} bytes, limit {limit}"
    );
    assert!(
        shape <= SHAPE_FACTOR * bytes.len() + SHAPE_CONSTANT,
        "{name}: Shape requested {shape} bytes"
    );
}

/// A hash-grid file whose GRID chunk declares 32 levels at the finest resolution in 48 bytes.
fn hostile_grid() -> Vec<u8> {
    let grid = nsdf::HashGrid::zeros(2, 4, vec![1], nsdf::Scheme::F16);
    let m = nsdf::Model::with_grid(grid, &[4], nsdf::Activation::Relu, nsdf::Activation::Tanh);
    let mut c = model_chunks(&m).unwrap();
    let at = c
        .iter()
        .position(|c| c.0 == nsdf::testing::TAG_GRID)
        .unwrap();
    let mut g: Vec<u8> = [1u32, 2, 24, 1]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    g.extend_from_slice(&(1u32 << 20).to_le_bytes());
    g.resize(48, 0);
    c[at].2 = g;
    assemble(&c)
}

/// Hostile files that declare large counts or sizes in small files: the parser must refuse
/// them before allocating from the declared number.
fn hostile() -> Vec<(&'static str, Vec<u8>)> {
    let tiny = nsdf::Model::zeros(
        nsdf::Encoding::None,
        &[4],
        nsdf::Activation::Relu,
        nsdf::Activation::Tanh,
    );
    let base = model_chunks(&tiny).unwrap();
    let with_chunk = |i: usize, data: Vec<u8>| {
        let mut c = base.clone();
        c[i].2 = data;
        assemble(&c)
    };
    let mut out = Vec::new();
    // ARCH: 3 → 4096 → 4096 → … (over the parameter limit), and 3 → 4000 → 4000 → 1 (16M
    // parameters, within it) whose WGHT is a few bytes.
    let arch = |widths: &[u32]| {
        let mut a = vec![3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        a.extend_from_slice(&(widths.len() as u32 - 1).to_le_bytes());
        for w in widths.windows(2) {
            for v in [w[0], w[1], 1, 0] {
                a.extend_from_slice(&v.to_le_bytes());
            }
        }
        a
    };
    let mut widths = vec![3u32];
    widths.extend([4096; 62]);
    widths.push(1);
    out.push(("64 layers of 4096 × 4096", with_chunk(0, arch(&widths))));
    let mut c = base.clone();
    c[0].2 = arch(&[3, 4000, 4000, 1]);
    c[1].2 = [3u32, 2, 2, 2]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    out.push(("16M parameters, tiny WGHT", assemble(&c)));
    // WGHT declaring more layers than ARCH.
    out.push((
        "WGHT layer count 2^32-1",
        with_chunk(1, u32::MAX.to_le_bytes().to_vec()),
    ));
    // META: 4096 entries declared in 8 bytes; one entry whose value claims 4 GiB.
    let mut meta = 4096u32.to_le_bytes().to_vec();
    meta.extend_from_slice(&[0; 4]);
    out.push((
        "META 4096 entries in 8 bytes",
        with_chunk(3.min(base.len() - 1), meta),
    ));
    let mut meta = 1u32.to_le_bytes().to_vec();
    meta.extend_from_slice(&[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, b'a']);
    let mut c = base.clone();
    c.push((nsdf::testing::TAG_META, 0, meta));
    out.push(("META value of 4 GiB", assemble(&c)));
    // META: as many minimal entries as fit (the worst case for per-entry overhead).
    let mut meta = Vec::new();
    let keys: Vec<String> = (0..4096).map(|i| format!("k{i:05}")).collect();
    meta.extend_from_slice(&(keys.len() as u32).to_le_bytes());
    for k in &keys {
        meta.extend_from_slice(&(k.len() as u16).to_le_bytes());
        meta.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        meta.extend_from_slice(k.as_bytes());
    }
    let mut c = base.clone();
    c.push((nsdf::testing::TAG_META, 0, meta));
    out.push(("META 4096 empty strings", assemble(&c)));
    // Directory: 64 chunks whose lengths claim 2^63 bytes.
    let mut b = assemble(&base);
    for i in 0..3 {
        let at = 64 + 32 * i + 16;
        b[at..at + 8].copy_from_slice(&(1u64 << 63).to_le_bytes());
    }
    reseal_all(&mut b);
    out.push(("chunk lengths 2^63", b));
    // Header: file length and chunk count at their maxima.
    let mut b = assemble(&base);
    b[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    b[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
    reseal_all(&mut b);
    out.push(("header counts at maximum", b));
    out.push(("GRID of 2^24 entries in 48 bytes", hostile_grid()));
    out
}

#[test]
fn parsing_allocates_a_bounded_multiple_of_the_file_size() {
    for v in vectors::all() {
        check(&v.name, &v.bytes);
    }
    for (name, bytes) in hostile() {
        check(name, &bytes);
    }
    // A large valid file: 64 layers of 256 int8 weights per row (int8 costs 4 bytes per stored byte).
    let mut big = nsdf::Model::zeros(
        nsdf::Encoding::None,
        &[256; 40],
        nsdf::Activation::Relu,
        nsdf::Activation::Identity,
    )
    .with_scheme(nsdf::Scheme::Int8);
    big.layers.iter_mut().for_each(|l| {
        l.weights
            .iter_mut()
            .enumerate()
            .for_each(|(i, w)| *w = (i % 7) as f32 - 3.0)
    });
    check("int8 40 × 256", &nsdf::to_bytes(&big).unwrap());
    // int4 widens each stored byte (two weights) to 8 bytes: the bound's worst case.
    let big = big.with_scheme(nsdf::Scheme::Int4);
    check("int4 40 × 256", &nsdf::to_bytes(&big).unwrap());
    // A hash grid of f16 features (each stored 2 bytes read as f32, kept by the model and the
    // evaluator, which also packs the f16 pairs for its gathers): 16 levels of 2^14 entries.
    let grid = nsdf::HashGrid::geometric(16, 2, 14, 16, 1024, nsdf::Scheme::F16);
    let big = nsdf::Model::with_grid(
        grid,
        &[32, 32],
        nsdf::Activation::Relu,
        nsdf::Activation::Tanh,
    );
    check("hash grid 16 × 2^14 f16", &nsdf::to_bytes(&big).unwrap());
}
