// A reader of `.nsdf` version 1 files in JavaScript, written from spec/nsdf-v1.md: the second
// independent reader (after benches/peers/nsdf_reader.py), used by the browser viewer. It checks
// every rule of the spec in the order of its section 7.3, so it reports the same first error
// code and byte offset as `nsdf validate`, and evaluates distance and gradient in double
// precision (spec section 5). No dependencies; runs in browsers and in Node (ES module).

const SIGNATURE = [0x89, 0x4e, 0x53, 0x44, 0x46, 0x0d, 0x0a, 0x1a];
const HEADER_LEN = 64;
const ENTRY_LEN = 32;
const REQUIRED = 1;
const KNOWN_TAGS = ["ARCH", "WGHT", "XFRM", "META", "STAT", "GRID"];
const MAX_FILE_LEN = 268435456;
const MAX_CHUNKS = 64;
const MAX_LAYERS = 64;
const MAX_WIDTH = 4096;
const MAX_PARAMETERS = 16777216;
const MAX_FREQUENCIES = 16;
const MAX_GRID_LEVELS = 32;
const MAX_GRID_RESOLUTION = 1048576;
const MAX_GRID_VALUES = 67108864;
// instant-NGP's hashing primes, one per axis (spec section 3.6).
const PRIMES = [1, 2654435761, 805459861];
const MAX_META_LEN = 1048576;
const MAX_META_ENTRIES = 4096;
const ACTIVATIONS = ["identity", "relu", "leaky_relu", "tanh", "sine"];
const SCHEMES = ["f32", "f16", "int8", "int4", "int8h"];
const RESERVED_KEYS = {
  "nsdf.name": 0,
  "nsdf.source.name": 0,
  "nsdf.source.sha256": 0,
  "nsdf.source.triangles": 1,
  "nsdf.creator": 0,
  "nsdf.creator.version": 0,
  "nsdf.created": 1,
  "nsdf.train.recipe": 0,
  "nsdf.train.seed": 1,
  "nsdf.train.samples": 1,
  "nsdf.train.epochs": 1,
  "nsdf.train.seconds": 2,
};

/** A file this reader rejects: `code` is the spec's stable code, `offset` the byte offset (or null). */
export class NsdfError extends Error {
  constructor(code, offset, message) {
    super(`${code}${offset === null ? "" : ` at offset ${offset}`}: ${message}`);
    this.name = "NsdfError";
    this.code = code;
    this.offset = offset;
  }
}

const fail = (code, offset, message) => {
  throw new NsdfError(code, offset, message);
};

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of `bytes`, continuing from `crc` (0 to start). */
export function crc32c(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (c >>> 8) ^ CRC_TABLE[(c ^ bytes[i]) & 0xff];
  return ~c >>> 0;
}

const align = (n, a) => Math.ceil(n / a) * a;

/** Bounds-checked little-endian reads of a chunk (or the whole file): reading past its end is
 * NSDF-E001 at the field's file offset. */
class Reader {
  constructor(bytes, start, end) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.start = start; // file offset of byte 0
    this.end = end; // file offset one past the last byte
  }
  get length() {
    return this.end - this.start;
  }
  need(at, n) {
    const p = this.start + at;
    if (at < 0 || p + n > this.end) {
      fail("NSDF-E001", p, `truncated: ${n} bytes needed at offset ${p}, but the data ends at offset ${this.end}`);
    }
    return p;
  }
  u8(at) {
    return this.bytes[this.need(at, 1)];
  }
  u16(at) {
    return this.view.getUint16(this.need(at, 2), true);
  }
  u32(at) {
    return this.view.getUint32(this.need(at, 4), true);
  }
  u64(at) {
    // Exact up to 2^53, and any larger value is over every limit anyway.
    const p = this.need(at, 8);
    return this.view.getUint32(p, true) + this.view.getUint32(p + 4, true) * 2 ** 32;
  }
  f32(at) {
    return this.view.getFloat32(this.need(at, 4), true);
  }
  f64(at) {
    return this.view.getFloat64(this.need(at, 8), true);
  }
  slice(at, n) {
    const p = this.need(at, n);
    return this.bytes.subarray(p, p + n);
  }
  /** NSDF-E006 at the first non-zero byte of [at, at + n). */
  zeros(at, n, what) {
    const s = this.slice(at, n);
    const i = s.findIndex((b) => b !== 0);
    if (i >= 0) fail("NSDF-E006", this.start + at + i, `${what} at offset ${this.start + at + i} must be zero`);
  }
}

const tagName = (bytes) => String.fromCharCode(...bytes).replace(/[^\x20-\x7e]/g, "?");

/**
 * Parses `.nsdf` bytes (a Uint8Array or ArrayBuffer) into a model:
 * `{ version: [major, minor], frequencies, layers: [{inputs, outputs, activation, param,
 * scheme, weights: Float32Array (row-major, one row per output), bias: Float32Array}],
 * grid: {features, log2Table, resolutions, scheme, tables: [Float32Array per level]} | null,
 * transform: {scale, translation, distanceScale, boundsMin, boundsMax}, metadata: {key: value},
 * stats: {...} | null, parameters, fileLength }`. Throws NsdfError for any file the spec rejects.
 */
export function parse(input) {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const n = bytes.length;
  const file = new Reader(bytes, 0, n);

  // 1. Signature, then the header's length.
  const head = Math.min(8, n);
  const signed = SIGNATURE.slice(0, head).every((b, i) => bytes[i] === b);
  if (!signed) {
    if (n >= 5 && tagName(bytes.subarray(1, 5)) === "NSDF") {
      fail("NSDF-E003", 0, `nsdf signature damaged in transfer (${damage(bytes)}); re-copy the file in binary mode`);
    }
    fail("NSDF-E002", 0, "not an nsdf file (bad signature)");
  }
  if (n < HEADER_LEN) fail("NSDF-E001", 0, `truncated: ${HEADER_LEN} bytes needed at offset 0, but the data ends at offset ${n}`);

  // 2. Header and directory entries.
  const major = file.u16(8);
  const minor = file.u16(10);
  if (major !== 1) fail("NSDF-E004", 8, `format version ${major}.${minor} is not supported (this reader reads major version 1)`);
  if (file.u32(12) !== 0) fail("NSDF-E006", 12, "header flags at offset 12 must be zero");
  const fileLength = file.u64(16);
  if (fileLength > MAX_FILE_LEN) fail("NSDF-E009", 16, `file length ${fileLength} is over the limit of ${MAX_FILE_LEN}`);
  if (fileLength !== n) fail("NSDF-E005", 16, `header records a file length of ${fileLength} bytes but the file has ${n}`);
  const count = file.u32(24);
  if (count < 1 || count > MAX_CHUNKS) fail("NSDF-E009", 24, `chunk count is ${count} at offset 24, outside 1..${MAX_CHUNKS}`);
  file.zeros(28, 32, "reserved header bytes");
  const dirEnd = HEADER_LEN + ENTRY_LEN * count;
  file.need(HEADER_LEN, ENTRY_LEN * count);
  const stored = file.u32(60);
  const computed = crc32c(bytes.subarray(HEADER_LEN, dirEnd), crc32c(bytes.subarray(0, 60)));
  if (stored !== computed) fail("NSDF-E007", 60, `header checksum mismatch (stored ${hex(stored)}, computed ${hex(computed)})`);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER_LEN + ENTRY_LEN * i;
    const flags = file.u32(at + 4);
    if ((flags & ~REQUIRED) !== 0) fail("NSDF-E006", at + 4, `directory flags at offset ${at + 4} must be zero but for bit 0`);
    if (file.u32(at + 28) !== 0) fail("NSDF-E006", at + 28, `directory reserved field at offset ${at + 28} must be zero`);
    entries.push({ at, tag: tagName(bytes.subarray(at, at + 4)), flags, offset: file.u64(at + 8), length: file.u64(at + 16), crc: file.u32(at + 24) });
  }

  // 3. Layout: every chunk at its one canonical place, zero padding, checksums.
  let expected = align(dirEnd, 64);
  file.need(dirEnd, expected - dirEnd);
  file.zeros(dirEnd, expected - dirEnd, "directory padding");
  const chunks = {};
  entries.forEach((e, i) => {
    if (e.offset !== expected) fail("NSDF-E010", e.offset, `chunk ${e.tag} starts at offset ${e.offset}, but the layout puts it at ${expected}`);
    const end = e.offset + e.length;
    if (end > n) fail("NSDF-E001", e.offset, `truncated: ${e.length} bytes needed at offset ${e.offset}, but the data ends at offset ${n}`);
    if (e.tag in chunks) fail("NSDF-E012", e.at, `chunk ${e.tag} appears twice (second at directory offset ${e.at})`);
    const crc = crc32c(bytes.subarray(e.offset, end));
    if (crc !== e.crc) fail("NSDF-E008", e.offset, `chunk ${e.tag} at offset ${e.offset}: checksum mismatch (stored ${hex(e.crc)}, computed ${hex(crc)})`);
    const next = i + 1 < count ? align(end, 64) : end;
    file.need(end, next - end);
    file.zeros(end, next - end, "chunk padding");
    if (!KNOWN_TAGS.includes(e.tag) && e.flags & REQUIRED) {
      fail("NSDF-E014", e.at, `chunk ${e.tag} (directory offset ${e.at}) is marked required but this reader does not know it`);
    }
    chunks[e.tag] = new Reader(bytes, e.offset, end);
    expected = next;
  });
  if (expected !== n) fail("NSDF-E011", expected, `unexpected bytes after the last chunk, from offset ${expected}`);

  // 4. Chunks.
  const need = (tag) => chunks[tag] ?? fail("NSDF-E013", null, `required chunk ${tag} is missing`);
  const arch = readArch(need("ARCH"));
  const layers = readWeights(need("WGHT"), arch.layers);
  const transform = readTransform(need("XFRM"));
  let grid = null;
  if (arch.gridFeatures) grid = readGrid(need("GRID"), arch.gridFeatures);
  else if (chunks.GRID) fail("NSDF-E017", chunks.GRID.start, `bad architecture at offset ${chunks.GRID.start}: a GRID chunk, but ARCH's encoding is not a hash grid`);
  const metadata = chunks.META ? readMeta(chunks.META) : {};
  const stats = chunks.STAT ? readStats(chunks.STAT) : null;
  const parameters = layers.reduce((s, l) => s + l.inputs * l.outputs + l.outputs, 0);
  return { version: [major, minor], frequencies: arch.frequencies, layers, grid, transform, metadata, stats, parameters, fileLength: n };
}

function damage(b) {
  if (b[0] === 0x09) return "a 7-bit transfer cleared the high bit of byte 0";
  if (b[5] === 0x0a && b[6] === 0x1a) return "CR LF was converted to LF";
  if (b[5] === 0x0d && b[6] === 0x0d && b[7] === 0x0a) return "LF was converted to CR LF";
  if (b[0] === 0x3f || b[0] === 0xef) return "a text encoder replaced byte 0";
  return "the signature's bytes were altered";
}

const hex = (x) => `0x${x.toString(16).padStart(8, "0")}`;

function readArch(c) {
  const base = c.start;
  const inputDim = c.u32(0);
  if (inputDim !== 3) fail("NSDF-E017", base, `bad architecture at offset ${base}: input dimension ${inputDim}, must be 3`);
  const encoding = c.u32(4);
  const param = c.u32(8);
  let frequencies = 0;
  let gridFeatures = 0;
  if (encoding === 0) {
    if (param !== 0) fail("NSDF-E006", base + 8, `encoding parameter at offset ${base + 8} must be zero for encoding none`);
  } else if (encoding === 1) {
    if (param < 1 || param > MAX_FREQUENCIES) fail("NSDF-E009", base + 8, `Fourier frequency count ${param} outside 1..${MAX_FREQUENCIES}`);
    frequencies = param;
  } else if (encoding === 2) {
    // Hash grid (1.2): levels × features per level, the levels in GRID.
    if (param < 1 || param > 8 * MAX_GRID_LEVELS) fail("NSDF-E009", base + 8, `hash-grid feature count ${param} outside 1..${8 * MAX_GRID_LEVELS}`);
    gridFeatures = param;
  } else {
    fail("NSDF-E016", base + 4, `unknown input encoding ${encoding} at offset ${base + 4}`);
  }
  const count = c.u32(12);
  if (count < 1 || count > MAX_LAYERS) fail("NSDF-E009", base + 12, `layer count is ${count} at offset ${base + 12}, outside 1..${MAX_LAYERS}`);
  if (c.length !== 16 + 16 * count) fail("NSDF-E015", base, `chunk ARCH at offset ${base} is ${c.length} bytes long, expected ${16 + 16 * count}`);
  const layers = [];
  let width = 3 + 6 * frequencies + gridFeatures;
  let parameters = 0;
  for (let i = 0; i < count; i++) {
    const at = 16 + 16 * i;
    const inputs = c.u32(at);
    const outputs = c.u32(at + 4);
    if (inputs < 1 || inputs > MAX_WIDTH) fail("NSDF-E009", base + at, `layer ${i} has ${inputs} inputs, outside 1..${MAX_WIDTH}`);
    if (outputs < 1 || outputs > MAX_WIDTH) fail("NSDF-E009", base + at + 4, `layer ${i} has ${outputs} outputs, outside 1..${MAX_WIDTH}`);
    if (inputs !== width) fail("NSDF-E017", base + at, `bad architecture at offset ${base + at}: layer ${i} has ${inputs} inputs, the previous width is ${width}`);
    const code = c.u32(at + 8);
    const p = c.f32(at + 12);
    const bits = c.u32(at + 12);
    if (!Number.isFinite(p)) fail("NSDF-E018", base + at + 12, `activation parameter of layer ${i} is not finite`);
    if (code >= ACTIVATIONS.length) fail("NSDF-E016", base + at + 8, `unknown activation ${code} at offset ${base + at + 8}`);
    if ((code === 0 || code === 1 || code === 3) && bits !== 0) fail("NSDF-E006", base + at + 12, `activation parameter at offset ${base + at + 12} must be +0.0`);
    if (code === 4 && p === 0) fail("NSDF-E018", base + at + 12, `sine frequency of layer ${i} is 0`);
    parameters += inputs * outputs + outputs;
    if (parameters > MAX_PARAMETERS) fail("NSDF-E009", base + at, `parameter count ${parameters} is over the limit of ${MAX_PARAMETERS}`);
    layers.push({ inputs, outputs, activation: ACTIVATIONS[code], param: p });
    width = outputs;
  }
  if (width !== 1) fail("NSDF-E017", base + 16 * count + 4, `bad architecture at offset ${base + 16 * count + 4}: the last layer has ${width} outputs, must be 1`);
  return { frequencies, gridFeatures, layers };
}

function readWeights(c, shapes) {
  const base = c.start;
  const count = c.u32(0);
  if (count !== shapes.length) fail("NSDF-E017", base, `bad architecture at offset ${base}: WGHT has ${count} layers, ARCH ${shapes.length}`);
  const schemes = shapes.map((_, i) => {
    const s = c.u32(4 + 4 * i);
    if (s >= SCHEMES.length) fail("NSDF-E016", base + 4 + 4 * i, `unknown weight scheme ${s} at offset ${base + 4 + 4 * i}`);
    return SCHEMES[s];
  });
  const h = align(4 + 4 * count, 16);
  c.zeros(4 + 4 * count, h - 4 - 4 * count, "WGHT header padding");
  const row4 = (I) => Math.ceil(I / 2);
  const blockLen = (s, I, O) => align({ f32: 4 * O + 4 * O * I, f16: 4 * O + 2 * O * I, int8: 8 * O + O * I, int4: 4 * O + O * row4(I), int8h: 4 * O + O * I }[s], 16);
  const total = shapes.reduce((t, l, i) => t + blockLen(schemes[i], l.inputs, l.outputs), h);
  if (c.length !== total) fail("NSDF-E015", base, `chunk WGHT at offset ${base} is ${c.length} bytes long, expected ${total}`);
  let at = h;
  return shapes.map((l, i) => {
    const { inputs: I, outputs: O } = l;
    const scheme = schemes[i];
    const end = at + blockLen(scheme, I, O);
    const finite = (k, what) => {
      const v = c.f32(k);
      if (!Number.isFinite(v)) fail("NSDF-E018", base + k, `${what} at offset ${base + k} is ${v}, which is not allowed`);
      return v;
    };
    const half = (k, what) => {
      const bits = c.u16(k);
      if ((bits & 0x7c00) === 0x7c00) fail("NSDF-E018", base + k, `${what} at offset ${base + k} is infinite or NaN`);
      return halfToFloat(bits);
    };
    const bias = new Float32Array(O);
    // int4 and int8h (format 1.3) store f16 biases and scales.
    const halfRows = scheme === "int4" || scheme === "int8h";
    const biasBytes = halfRows ? 2 : 4;
    for (let o = 0; o < O; o++) bias[o] = halfRows ? half(at + 2 * o, "f16 bias") : finite(at + 4 * o, "bias");
    let w = at + biasBytes * O;
    const weights = new Float32Array(O * I);
    if (scheme === "int4") {
      const scales = new Float32Array(O);
      for (let o = 0; o < O; o++) {
        const s = half(w + 2 * o, "int4 scale");
        if (s < 0) fail("NSDF-E018", base + w + 2 * o, `int4 scale at offset ${base + w + 2 * o} is ${s}, which is not allowed`);
        scales[o] = s;
      }
      w += 2 * O;
      const R = row4(I);
      for (let o = 0; o < O; o++) {
        for (let i = 0; i < I; i++) {
          const k = w + o * R + (i >> 1);
          const nibble = (c.u8(k) >> (4 * (i & 1))) & 0xf;
          if (nibble === 8) fail("NSDF-E016", base + k, `unknown int4 weight 8 at offset ${base + k}`);
          weights[o * I + i] = Math.fround(((nibble << 28) >> 28) * scales[o]);
        }
        if (I % 2 === 1 && c.u8(w + o * R + R - 1) >> 4 !== 0) {
          fail("NSDF-E006", base + w + o * R + R - 1, `int4 row padding at offset ${base + w + o * R + R - 1} must be zero`);
        }
      }
      w += O * R;
    } else if (scheme === "f32") {
      for (let k = 0; k < O * I; k++) weights[k] = finite(w + 4 * k, "weight");
      w += 4 * O * I;
    } else if (scheme === "f16") {
      for (let k = 0; k < O * I; k++) {
        const bits = c.u16(w + 2 * k);
        if ((bits & 0x7c00) === 0x7c00) fail("NSDF-E018", base + w + 2 * k, `f16 weight at offset ${base + w + 2 * k} is infinite or NaN`);
        weights[k] = halfToFloat(bits);
      }
      w += 2 * O * I;
    } else {
      const scales = new Float32Array(O);
      const size = scheme === "int8h" ? 2 : 4;
      for (let o = 0; o < O; o++) {
        const s = scheme === "int8h" ? half(w + 2 * o, "int8h scale") : finite(w + 4 * o, "int8 scale");
        if (s < 0 || !Number.isFinite(Math.fround(127 * s))) fail("NSDF-E018", base + w + size * o, `${scheme} scale at offset ${base + w + size * o} is ${s}, which is not allowed`);
        scales[o] = s;
      }
      w += size * O;
      for (let k = 0; k < O * I; k++) {
        const q = (c.u8(w + k) << 24) >> 24;
        if (q === -128) fail("NSDF-E016", base + w + k, `int8 weight -128 at offset ${base + w + k}`);
        weights[k] = Math.fround(q * scales[Math.floor(k / I)]);
      }
      w += O * I;
    }
    c.zeros(w, end - w, "WGHT block padding");
    at = end;
    return { ...l, scheme, weights, bias };
  });
}

/** Table entries of a level of `n` cells per axis: its vertices when they fit the table
 * (dense), else the table (hashed). */
const levelEntries = (n, log2Table) => Math.min((n + 1) ** 3, 2 ** log2Table);

function readGrid(c, features) {
  const base = c.start;
  const levels = c.u32(0);
  if (levels < 1 || levels > MAX_GRID_LEVELS) fail("NSDF-E009", base, `hash-grid level count is ${levels} at offset ${base}, outside 1..${MAX_GRID_LEVELS}`);
  const perLevel = c.u32(4);
  if (![1, 2, 4, 8].includes(perLevel)) fail("NSDF-E009", base + 4, `hash-grid features per level is ${perLevel} at offset ${base + 4}, not 1, 2, 4 or 8`);
  if (levels * perLevel !== features) fail("NSDF-E017", base, `bad architecture at offset ${base}: GRID has ${levels} levels of ${perLevel} features, ARCH declares ${features} grid features`);
  const log2Table = c.u32(8);
  if (log2Table < 4 || log2Table > 24) fail("NSDF-E009", base + 8, `hash-grid log2 table size is ${log2Table} at offset ${base + 8}, outside 4..24`);
  const code = c.u32(12);
  if (code > 1) fail("NSDF-E016", base + 12, `unknown grid scheme ${code} at offset ${base + 12}`);
  const resolutions = [];
  let count = 0;
  for (let l = 0; l < levels; l++) {
    const at = 16 + 4 * l;
    const n = c.u32(at);
    if (n < 1 || n > MAX_GRID_RESOLUTION) fail("NSDF-E009", base + at, `hash-grid resolution is ${n} at offset ${base + at}, outside 1..${MAX_GRID_RESOLUTION}`);
    count += levelEntries(n, log2Table) * perLevel;
    if (count > MAX_GRID_VALUES) fail("NSDF-E009", base + at, `hash-grid value count ${count} is over the limit of ${MAX_GRID_VALUES}`);
    resolutions.push(n);
  }
  const h = align(16 + 4 * levels, 16);
  c.zeros(16 + 4 * levels, h - 16 - 4 * levels, "GRID header padding");
  const size = code === 1 ? 2 : 4;
  if (c.length !== h + size * count) fail("NSDF-E015", base, `chunk GRID at offset ${base} is ${c.length} bytes long, expected ${h + size * count}`);
  const values = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const at = h + size * k;
    if (code === 1) {
      const bits = c.u16(at);
      if ((bits & 0x7c00) === 0x7c00) fail("NSDF-E018", base + at, `f16 grid feature at offset ${base + at} is infinite or NaN`);
      values[k] = halfToFloat(bits);
    } else {
      const v = c.f32(at);
      if (!Number.isFinite(v)) fail("NSDF-E018", base + at, `grid feature at offset ${base + at} is ${v}, which is not allowed`);
      values[k] = v;
    }
  }
  let start = 0;
  const tables = resolutions.map((n) => {
    const end = start + levelEntries(n, log2Table) * perLevel;
    const t = values.subarray(start, end);
    start = end;
    return t;
  });
  return { features: perLevel, log2Table, resolutions, scheme: SCHEMES[code], tables };
}

/** binary16 bits to a number (exact). */
export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

function readTransform(c) {
  const base = c.start;
  if (c.length !== 48) fail("NSDF-E015", base, `chunk XFRM at offset ${base} is ${c.length} bytes long, expected 48`);
  const f = (at, what, ok = () => true) => {
    const v = c.f32(at);
    if (!Number.isFinite(v) || !ok(v)) fail("NSDF-E018", base + at, `transform ${what} at offset ${base + at} is ${v}, which is not allowed`);
    return v;
  };
  const scale = f(0, "scale", (v) => v > 0);
  const translation = [0, 1, 2].map((a) => f(4 + 4 * a, "translation"));
  const distanceScale = f(16, "distance scale", (v) => v !== 0);
  const boundsMin = [0, 1, 2].map((a) => f(20 + 4 * a, "bounds min"));
  const boundsMax = [0, 1, 2].map((a) => f(32 + 4 * a, "bounds max", (v) => v >= boundsMin[a]));
  if (c.u32(44) !== 0) fail("NSDF-E006", base + 44, `XFRM reserved field at offset ${base + 44} must be zero`);
  return { scale, translation, distanceScale, boundsMin, boundsMax };
}

const KEY = /^[a-z][a-z0-9._-]{0,254}$/;

function readMeta(c) {
  const base = c.start;
  if (c.length > MAX_META_LEN) fail("NSDF-E009", base, `metadata length ${c.length} is over the limit of ${MAX_META_LEN}`);
  const count = c.u32(0);
  if (count > MAX_META_ENTRIES) fail("NSDF-E009", base, `metadata entry count ${count} is over the limit of ${MAX_META_ENTRIES}`);
  if (c.length < 4 + 9 * count) fail("NSDF-E019", base, `bad metadata at offset ${base}: ${count} entries cannot fit in ${c.length} bytes`);
  const out = {};
  let prev = null;
  let at = 4;
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < count; i++) {
    const keyLen = c.u16(at);
    const type = c.u8(at + 2);
    if (c.u8(at + 3) !== 0) fail("NSDF-E006", base + at + 3, `metadata entry reserved byte at offset ${base + at + 3} must be zero`);
    const valueLen = c.u32(at + 4);
    const keyAt = at + 8;
    const key = String.fromCharCode(...c.slice(keyAt, keyLen));
    if (!KEY.test(key)) fail("NSDF-E019", base + keyAt, `bad metadata at offset ${base + keyAt}: key must be 1-255 bytes of [a-z0-9._-] starting with a letter`);
    if (prev !== null && prev >= key) fail("NSDF-E019", base + keyAt, `bad metadata at offset ${base + keyAt}: key '${key}' is out of order or repeated`);
    const valAt = keyAt + keyLen;
    const raw = c.slice(valAt, valueLen);
    let value;
    if (type === 0) {
      try {
        value = utf8.decode(raw);
      } catch {
        fail("NSDF-E019", base + valAt, `bad metadata at offset ${base + valAt}: value of '${key}' is not UTF-8`);
      }
    } else if ((type === 1 || type === 2) && valueLen !== 8) {
      fail("NSDF-E019", base + at + 4, `bad metadata at offset ${base + at + 4}: numeric value of '${key}' must be 8 bytes`);
    } else if (type === 1) {
      value = new DataView(raw.buffer, raw.byteOffset, 8).getBigInt64(0, true);
    } else if (type === 2) {
      value = c.f64(valAt);
      if (!Number.isFinite(value)) fail("NSDF-E018", base + valAt, `metadata float at offset ${base + valAt} is not finite`);
    } else {
      fail("NSDF-E016", base + at + 2, `unknown metadata type ${type} at offset ${base + at + 2}`);
    }
    if (key in RESERVED_KEYS && RESERVED_KEYS[key] !== type) fail("NSDF-E019", base + at + 2, `bad metadata at offset ${base + at + 2}: reserved key '${key}' has the wrong type`);
    out[key] = value;
    prev = key;
    at = valAt + valueLen;
  }
  if (at !== c.length) fail("NSDF-E015", base, `chunk META at offset ${base} is ${c.length} bytes long, expected ${at}`);
  return out;
}

function readStats(c) {
  const base = c.start;
  if (c.length !== 32) fail("NSDF-E015", base, `chunk STAT at offset ${base} is ${c.length} bytes long, expected 32`);
  const s = {};
  const f = (at, name, ok) => {
    const v = c.f32(at);
    if (!Number.isFinite(v) || !ok(v)) fail("NSDF-E018", base + at, `statistic ${name} at offset ${base + at} is ${v}, which is not allowed`);
    s[name] = v;
  };
  f(0, "surfaceMeanError", (v) => v >= 0);
  f(4, "surfaceMaxError", (v) => v >= s.surfaceMeanError);
  f(8, "nearSignAgreement", (v) => v >= 0 && v <= 1);
  f(12, "volumeSignAgreement", (v) => v >= 0 && v <= 1);
  f(16, "nearSigma", (v) => v >= 0);
  f(20, "gradientBound", (v) => v >= 2 ** -126);
  s.surfaceSamples = c.u32(24);
  s.volumeSamples = c.u32(28);
  return s;
}

const PI32 = Math.fround(Math.PI);

const act = {
  identity: (z) => [z, 1],
  relu: (z) => [Math.max(z, 0), z > 0 ? 1 : 0],
  leaky_relu: (z, a) => [z >= 0 ? z : a * z, z > 0 ? 1 : a],
  tanh: (z) => {
    const t = Math.tanh(z);
    return [t, 1 - t * t];
  },
  sine: (z, w) => [Math.sin(w * z), w * Math.cos(w * z)],
};

/** The eight vertices around network-frame point `q` at a level of `n` cells per axis whose
 * table has `entries` entries: `{ index: [entry per corner], t: [[1 - w, w] per axis], slope }`;
 * corner c's bit a set is the upper vertex along axis a. */
function gridCell(n, entries, q) {
  const k = [];
  const t = [];
  const slope = [];
  for (let a = 0; a < 3; a++) {
    const s = Math.min(Math.max((q[a] + 1) * 0.5, 0), 1) * n;
    // NaN indexes vertex 0 and stays NaN through the weights, as in the runtime.
    const i = Number.isNaN(s) ? 0 : Math.min(Math.floor(s), n - 1);
    k.push(i);
    t.push([1 - (s - i), s - i]);
    slope.push(q[a] > -1 && q[a] < 1 ? 0.5 * n : 0);
  }
  const side = n + 1;
  const dense = side ** 3 <= entries;
  const index = [];
  for (let c = 0; c < 8; c++) {
    const [x, y, z] = [0, 1, 2].map((a) => k[a] + ((c >> a) & 1));
    index.push(dense ? x + side * (y + side * z) : (Math.imul(x, PRIMES[0]) ^ Math.imul(y, PRIMES[1]) ^ Math.imul(z, PRIMES[2])) & (entries - 1));
  }
  return { index, t, slope };
}

/** Distance and analytic gradient at the world point `p` ([x, y, z]), spec section 5, in
 * double precision: `{ distance, gradient: [gx, gy, gz] }`. */
export function evaluate(model, p) {
  const { scale, translation, distanceScale } = model.transform;
  const q = [0, 1, 2].map((a) => scale * p[a] + translation[a]);
  let x = [...q];
  for (let k = 0; k < model.frequencies; k++) {
    const w = PI32 * 2 ** k;
    x.push(...q.map((v) => Math.sin(w * v)), ...q.map((v) => Math.cos(w * v)));
  }
  const grid = model.grid;
  const cells = grid ? grid.resolutions.map((n, l) => gridCell(n, grid.tables[l].length / grid.features, q)) : [];
  cells.forEach((cell, l) => {
    const F = grid.features;
    for (let f = 0; f < F; f++) {
      let v = 0;
      for (let c = 0; c < 8; c++) {
        const [t0, t1, t2] = [0, 1, 2].map((a) => cell.t[a][(c >> a) & 1]);
        v += t0 * t1 * t2 * grid.tables[l][cell.index[c] * F + f];
      }
      x.push(v);
    }
  });
  const slopes = [];
  for (const l of model.layers) {
    const y = new Array(l.outputs);
    const s = new Array(l.outputs);
    for (let o = 0; o < l.outputs; o++) {
      let z = l.bias[o];
      const row = o * l.inputs;
      for (let i = 0; i < l.inputs; i++) z += l.weights[row + i] * x[i];
      [y[o], s[o]] = act[l.activation](z, l.param);
    }
    slopes.push(s);
    x = y;
  }
  let g = [1];
  for (let k = model.layers.length - 1; k >= 0; k--) {
    const l = model.layers[k];
    const h = g.map((v, o) => v * slopes[k][o]);
    const back = new Array(l.inputs).fill(0);
    for (let o = 0; o < l.outputs; o++) {
      const row = o * l.inputs;
      for (let i = 0; i < l.inputs; i++) back[i] += l.weights[row + i] * h[o];
    }
    g = back;
  }
  const dq = [0, 1, 2].map((a) => {
    let v = g[a];
    for (let k = 0; k < model.frequencies; k++) {
      const w = PI32 * 2 ** k;
      v += w * (Math.cos(w * q[a]) * g[3 + 6 * k + a] - Math.sin(w * q[a]) * g[6 + 6 * k + a]);
    }
    // Through the grid: the weights' derivative along axis a, the other two axes' weights.
    cells.forEach((cell, l) => {
      const F = grid.features;
      const [b, d] = [(a + 1) % 3, (a + 2) % 3];
      for (let c = 0; c < 8; c++) {
        const dw = (((c >> a) & 1) ? 1 : -1) * cell.t[b][(c >> b) & 1] * cell.t[d][(c >> d) & 1] * cell.slope[a];
        for (let f = 0; f < F; f++) v += g[3 + l * F + f] * dw * grid.tables[l][cell.index[c] * F + f];
      }
    });
    return v;
  });
  return { distance: distanceScale * x[0], gradient: dq.map((v) => distanceScale * scale * v) };
}
