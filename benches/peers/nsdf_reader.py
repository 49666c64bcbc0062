"""A minimal reader of .nsdf v1 files in Python + numpy, written from the format description
(spec/nsdf-v1.md and the layout comments in src/format/*.rs), independent of the Rust crate.

It exists to show the format can be read from another language, and to let the peer benchmarks
(mlp_eval.py) build the same network in PyTorch and onnxruntime. It checks the container
(magic, version, length, directory layout, CRC-32C checksums, zero padding) and decodes the
ARCH, WGHT (f32, f16, int8, int4 and int8h schemes), XFRM, GRID (the hash-grid encoding of format 1.2),
META and STAT chunks; unknown optional chunks are skipped and unknown REQUIRED ones rejected. It
is not a full validator: see `nsdf validate`.

    python nsdf_reader.py FILE [x y z]    # summary, and the distance at a world point
    python nsdf_reader.py --vectors DIR   # check spec/vectors: valid ones match, invalid rejected
"""

import struct
import sys
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"\x89NSDF\r\n\x1a"
HEADER_LEN = 64
DIR_ENTRY_LEN = 32
FLAG_REQUIRED = 1
KNOWN_TAGS = {b"ARCH", b"WGHT", b"XFRM", b"META", b"STAT", b"GRID"}
ACTIVATIONS = {0: "identity", 1: "relu", 2: "leaky_relu", 3: "tanh", 4: "sine"}
SCHEMES = {0: "f32", 1: "f16", 2: "int8", 3: "int4", 4: "int8h"}
# instant-NGP's hashing primes, one per axis.
PRIMES = (1, 2654435761, 805459861)


class NsdfError(ValueError):
    """A file this reader rejects; the message names the problem and the byte offset."""


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), continuing from `crc` (0 to start)."""
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


@dataclass
class Layer:
    inputs: int
    outputs: int
    activation: str
    param: float  # leaky ReLU slope or sine omega0; 0 otherwise
    scheme: str
    weights: np.ndarray  # float32, outputs x inputs, dequantized exactly as the spec defines
    bias: np.ndarray  # float32, outputs


@dataclass
class Grid:
    features: int  # per level and vertex
    log2_table: int
    resolutions: list  # cells per axis, per level
    scheme: str  # "f32" or "f16"
    tables: list  # per level, float32 (entries x features)


@dataclass
class Model:
    version: tuple
    fourier_frequencies: int  # 0: no encoding
    layers: list
    scale: float
    translation: np.ndarray
    distance_scale: float
    bounds: np.ndarray  # 2 x 3: min, max
    metadata: dict = field(default_factory=dict)
    stats: dict = None
    grid: Grid = None  # the hash-grid encoding's features, when ARCH declares it

    @property
    def parameter_count(self):
        return sum(l.inputs * l.outputs + l.outputs for l in self.layers)


def _zeros(data, start, end, what):
    if any(data[start:end]):
        raise NsdfError(f"{what} at offset {start} is not zero")


def read(data):
    """Parses .nsdf bytes into a Model, or raises NsdfError."""
    data = bytes(data)
    if len(data) < 8 or data[:8] != MAGIC:
        raise NsdfError("not an .nsdf file (bad magic at offset 0)")
    if len(data) < HEADER_LEN:
        raise NsdfError(f"truncated header: {len(data)} bytes, need {HEADER_LEN}")
    major, minor, flags, length, count = struct.unpack_from("<HHIQI", data, 8)
    if major != 1:
        raise NsdfError(f"unsupported major version {major}.{minor} at offset 8")
    if flags != 0:
        raise NsdfError("header flags at offset 12 are not zero")
    if length != len(data):
        raise NsdfError(f"recorded length {length} (offset 16) differs from the file's {len(data)} bytes")
    if not 1 <= count <= 64:
        raise NsdfError(f"chunk count {count} at offset 24 outside 1..64")
    _zeros(data, 28, 60, "reserved header bytes")
    dir_end = HEADER_LEN + DIR_ENTRY_LEN * count
    if dir_end > len(data):
        raise NsdfError("truncated chunk directory")
    (stored,) = struct.unpack_from("<I", data, 60)
    if crc32c(data[HEADER_LEN:dir_end], crc32c(data[:60])) != stored:
        raise NsdfError("header checksum mismatch (offset 60)")
    chunks = {}
    expected = (dir_end + 63) // 64 * 64
    _zeros(data, dir_end, expected, "directory padding")
    for i in range(count):
        at = HEADER_LEN + DIR_ENTRY_LEN * i
        tag, cflags, offset, clen, crc, reserved = struct.unpack_from("<4sIQQII", data, at)
        if cflags & ~FLAG_REQUIRED or reserved:
            raise NsdfError(f"reserved bits set in directory entry at offset {at}")
        if offset != expected:
            raise NsdfError(f"chunk {tag!r} at offset {offset}, expected {expected}")
        end = offset + clen
        if end > len(data):
            raise NsdfError(f"chunk {tag!r} at offset {offset} runs past the end of the file")
        if crc32c(data[offset:end]) != crc:
            raise NsdfError(f"chunk {tag!r} at offset {offset}: checksum mismatch")
        if tag in chunks:
            raise NsdfError(f"duplicate chunk {tag!r} at offset {at}")
        if tag not in KNOWN_TAGS and cflags & FLAG_REQUIRED:
            raise NsdfError(f"unknown required chunk {tag!r} at offset {at}")
        nxt = (end + 63) // 64 * 64 if i + 1 < count else end
        _zeros(data, end, nxt, "chunk padding")
        chunks[tag] = (offset, data[offset:end])
        expected = nxt
    if expected != len(data):
        raise NsdfError(f"trailing bytes at offset {expected}")
    for tag in (b"ARCH", b"WGHT", b"XFRM"):
        if tag not in chunks:
            raise NsdfError(f"missing required chunk {tag.decode()}")
    freqs, grid_features, shapes = _arch(*chunks[b"ARCH"])
    layers = _weights(*chunks[b"WGHT"], shapes)
    xf = _transform(*chunks[b"XFRM"])
    grid = None
    if grid_features:
        if b"GRID" not in chunks:
            raise NsdfError("missing required chunk GRID (ARCH declares a hash-grid encoding)")
        grid = _grid(*chunks[b"GRID"], grid_features)
    elif b"GRID" in chunks:
        raise NsdfError(f"GRID chunk at offset {chunks[b'GRID'][0]}, but ARCH's encoding is not a hash grid")
    meta = _meta(*chunks[b"META"]) if b"META" in chunks else {}
    stats = _stats(*chunks[b"STAT"]) if b"STAT" in chunks else None
    return Model((major, minor), freqs, layers, *xf, metadata=meta, stats=stats, grid=grid)


def _arch(base, b):
    if len(b) < 16:
        raise NsdfError(f"ARCH at offset {base} is too short")
    input_dim, encoding, param, count = struct.unpack_from("<IIII", b, 0)
    if input_dim != 3:
        raise NsdfError(f"input dimension {input_dim} at offset {base}, must be 3")
    freqs = grid_features = 0
    if encoding == 1 and 1 <= param <= 16:
        freqs = param
    elif encoding == 2 and 1 <= param <= 256:
        grid_features = param  # levels x features per level, the levels in GRID
    elif encoding != 0 or param != 0:
        raise NsdfError(f"bad input encoding {encoding} ({param}) at offset {base + 4}")
    if not 1 <= count <= 64 or len(b) != 16 + 16 * count:
        raise NsdfError(f"ARCH at offset {base}: bad layer count {count} or chunk length {len(b)}")
    shapes, width = [], 3 + 6 * freqs + grid_features
    for i in range(count):
        inputs, outputs, code, p = struct.unpack_from("<IIIf", b, 16 + 16 * i)
        if inputs != width or not 1 <= outputs <= 4096 or code not in ACTIVATIONS:
            raise NsdfError(f"bad layer {i} at offset {base + 16 + 16 * i}")
        if not np.isfinite(p) or (code in (0, 1, 3) and p != 0) or (code == 4 and p == 0):
            raise NsdfError(f"bad activation parameter of layer {i} at offset {base + 28 + 16 * i}")
        shapes.append((inputs, outputs, ACTIVATIONS[code], p))
        width = outputs
    if width != 1:
        raise NsdfError("the last layer must have 1 output")
    return freqs, grid_features, shapes


def _align16(n):
    return (n + 15) // 16 * 16


def _floats(b, at, n, base, what):
    v = np.frombuffer(b, dtype="<f4", count=n, offset=at).astype(np.float32)
    if not np.all(np.isfinite(v)):
        raise NsdfError(f"non-finite {what} at offset {base + at}")
    return v


def _halves(b, at, n, base, what):
    h = np.frombuffer(b, dtype="<u2", count=n, offset=at)
    if np.any(h & 0x7C00 == 0x7C00):
        raise NsdfError(f"infinite or NaN f16 {what} at offset {base + at}")
    return h.view("<f2").astype(np.float32)  # exact


def _weights(base, b, shapes):
    (count,) = struct.unpack_from("<I", b, 0)
    if count != len(shapes):
        raise NsdfError(f"WGHT at offset {base} has {count} layers, ARCH {len(shapes)}")
    codes = struct.unpack_from(f"<{count}I", b, 4)
    if any(c not in SCHEMES for c in codes):
        raise NsdfError(f"unknown weight scheme at offset {base + 4}")
    at = _align16(4 + 4 * count)
    _zeros(b, 4 + 4 * count, at, "WGHT header padding")
    layers = []
    for (inputs, outputs, act, p), code in zip(shapes, codes):
        scheme, n, start = SCHEMES[code], inputs * outputs, at
        row4 = (inputs + 1) // 2  # int4: two weights a byte, rows padded to a whole byte
        wbytes = {"f32": 4 * n, "f16": 2 * n, "int8": 4 * outputs + n, "int4": outputs * row4, "int8h": n}[scheme]
        end = start + _align16(4 * outputs + wbytes)  # int4, int8h: f16 biases and f16 scales
        if end > len(b):
            raise NsdfError(f"WGHT at offset {base} is too short")
        if scheme == "int8h":
            # int8 rows with f16 biases and scales (format 1.3).
            bias = _halves(b, at, outputs, base, "bias")
            scales = _halves(b, at + 2 * outputs, outputs, base, "int8h scale")
            at += 4 * outputs
            q = np.frombuffer(b, dtype=np.int8, count=n, offset=at)
            if np.any(q == -128) or np.any(scales < 0):
                raise NsdfError(f"int8h weight -128 or negative scale in block at offset {base + at}")
            w = q.reshape(outputs, inputs).astype(np.float32) * scales[:, None]
            at += n
            _zeros(b, at, end, "WGHT block padding")
            at = end
            layers.append(Layer(inputs, outputs, act, p, scheme, w, bias))
            continue
        if scheme == "int4":
            # Rows of 4-bit two's-complement weights, low nibble first.
            bias = _halves(b, at, outputs, base, "bias")
            scales = _halves(b, at + 2 * outputs, outputs, base, "int4 scale")
            at += 4 * outputs
            rows = np.frombuffer(b, dtype=np.uint8, count=outputs * row4, offset=at).reshape(outputs, row4)
            nib = np.stack([rows & 0xF, rows >> 4], axis=2).reshape(outputs, 2 * row4)
            if np.any(scales < 0) or np.any(nib[:, :inputs] == 8) or np.any(nib[:, inputs:]):
                raise NsdfError(f"int4 weight -8, negative scale or row padding in block at offset {base + at}")
            q = np.where(nib[:, :inputs] >= 8, nib[:, :inputs].astype(np.int16) - 16, nib[:, :inputs])
            w = q.astype(np.float32) * scales[:, None]
            at += outputs * row4
            _zeros(b, at, end, "WGHT block padding")
            at = end
            layers.append(Layer(inputs, outputs, act, p, scheme, w, bias))
            continue
        bias = _floats(b, at, outputs, base, "bias")
        at += 4 * outputs
        if scheme == "f32":
            w = _floats(b, at, n, base, "weight")
        elif scheme == "f16":
            w = _halves(b, at, n, base, "weight")
        else:
            scales = _floats(b, at, outputs, base, "int8 scale")
            at += 4 * outputs
            q = np.frombuffer(b, dtype=np.int8, count=n, offset=at)
            if np.any(q == -128) or np.any(scales < 0):
                raise NsdfError(f"int8 weight -128 or negative scale in block at offset {base + at}")
            # One f32 multiply per weight: w = q * scale.
            w = q.reshape(outputs, inputs).astype(np.float32) * scales[:, None]
            wbytes = n
        at += wbytes
        _zeros(b, at, end, "WGHT block padding")
        at = end
        layers.append(Layer(inputs, outputs, act, p, scheme, w.reshape(outputs, inputs), bias))
    if at != len(b):
        raise NsdfError(f"WGHT at offset {base}: length {len(b)}, expected {at}")
    return layers


def _grid(base, b, features):
    """GRID: L levels of F features (L*F = ARCH's encoding_param), a table of 2^log2_table
    entries, the f32/f16 scheme, each level's cells per axis; then every level's vertex features."""
    if len(b) < 16:
        raise NsdfError(f"GRID at offset {base} is too short")
    levels, per_level, log2_table, code = struct.unpack_from("<4I", b, 0)
    if not 1 <= levels <= 32 or per_level not in (1, 2, 4, 8):
        raise NsdfError(f"GRID at offset {base}: {levels} levels of {per_level} features")
    if levels * per_level != features:
        raise NsdfError(f"GRID at offset {base}: {levels} x {per_level} features, ARCH declares {features}")
    if not 4 <= log2_table <= 24:
        raise NsdfError(f"hash-grid log2 table size {log2_table} at offset {base + 8} outside 4..24")
    if code not in (0, 1):
        raise NsdfError(f"unknown grid scheme {code} at offset {base + 12}")
    head = _align16(16 + 4 * levels)
    if len(b) < head:
        raise NsdfError(f"GRID at offset {base} is too short")
    res = list(struct.unpack_from(f"<{levels}I", b, 16))
    if not all(1 <= n <= 1 << 20 for n in res):
        raise NsdfError(f"hash-grid resolution outside 1..2^20 at offset {base + 16}")
    # A level stores every vertex when they fit the table, else the whole (hashed) table.
    entries = [min((n + 1) ** 3, 1 << log2_table) for n in res]
    count = sum(entries) * per_level
    if count > 1 << 26:
        raise NsdfError(f"GRID at offset {base}: {count} values, over the limit of 2^26")
    _zeros(b, 16 + 4 * levels, head, "GRID header padding")
    size = 4 if code == 0 else 2
    if len(b) != head + size * count:
        raise NsdfError(f"GRID at offset {base}: length {len(b)}, expected {head + size * count}")
    values = (_floats if code == 0 else _halves)(b, head, count, base, "grid feature")
    tables = np.split(values, np.cumsum(entries[:-1]) * per_level)
    return Grid(per_level, log2_table, res, SCHEMES[code], [t.reshape(-1, per_level) for t in tables])


def _grid_features(g, q):
    """Per level, the features trilinearly interpolated at network-frame points q (N x 3)."""
    out = []
    for n, table in zip(g.resolutions, g.tables):
        s = np.clip((q + 1) * 0.5, 0, 1) * n
        # NaN coordinates index vertex 0 (and stay NaN through the weights), as in the runtime.
        k = np.minimum(np.floor(np.nan_to_num(s)), n - 1)
        w, k = s - k, k.astype(np.int64)
        side, acc = n + 1, 0
        for c in range(8):
            bit = [(c >> a) & 1 for a in range(3)]
            v = k + np.array(bit)
            if side**3 <= len(table):
                idx = v[:, 0] + side * (v[:, 1] + side * v[:, 2])
            else:
                # The low bits of the 32-bit hash: the products fit int64 (v < 2^21).
                idx = (v[:, 0] * PRIMES[0] ^ v[:, 1] * PRIMES[1] ^ v[:, 2] * PRIMES[2]) & (len(table) - 1)
            t = [w[:, a] if bit[a] else 1 - w[:, a] for a in range(3)]
            acc = acc + ((t[0] * t[1]) * t[2])[:, None] * table[idx].astype(q.dtype)
        out.append(acc)
    return out


def _transform(base, b):
    if len(b) != 48:
        raise NsdfError(f"XFRM at offset {base}: length {len(b)}, expected 48")
    v = np.frombuffer(b, dtype="<f4", count=11).astype(np.float32)
    if not np.all(np.isfinite(v)) or v[0] <= 0 or v[4] == 0 or np.any(v[5:8] > v[8:11]):
        raise NsdfError(f"invalid transform at offset {base}")
    _zeros(b, 44, 48, "XFRM reserved field")
    return float(v[0]), v[1:4].copy(), float(v[4]), v[5:11].reshape(2, 3).copy()


_KEY_CHARS = set(b"abcdefghijklmnopqrstuvwxyz0123456789._-")


def _meta(base, b):
    (count,) = struct.unpack_from("<I", b, 0)
    at, out, prev = 4, {}, None
    for _ in range(count):
        klen, typ, reserved, vlen = struct.unpack_from("<HBBI", b, at)
        key = b[at + 8 : at + 8 + klen]
        val = b[at + 8 + klen : at + 8 + klen + vlen]
        if reserved or typ > 2 or len(key) != klen or len(val) != vlen:
            raise NsdfError(f"bad metadata entry at offset {base + at}")
        if not 1 <= klen <= 255 or not set(key) <= _KEY_CHARS or not key[:1].isalpha():
            raise NsdfError(f"bad metadata key {key!r} at offset {base + at + 8}")
        if prev is not None and key <= prev:
            raise NsdfError(f"metadata keys not strictly ascending at offset {base + at + 8}")
        if typ == 0:
            value = val.decode("utf-8")
        elif vlen != 8:
            raise NsdfError(f"metadata number of {vlen} bytes at offset {base + at}")
        else:
            value = struct.unpack("<q" if typ == 1 else "<d", val)[0]
            if typ == 2 and not np.isfinite(value):
                raise NsdfError(f"non-finite metadata float at offset {base + at + 8 + klen}")
        out[key.decode("ascii")] = value
        prev = key
        at += 8 + klen + vlen
    if at != len(b):
        raise NsdfError(f"META at offset {base}: {len(b) - at} bytes after the last entry")
    return out


def _stats(base, b):
    if len(b) != 32:
        raise NsdfError(f"STAT at offset {base}: length {len(b)}, expected 32")
    names = ["surface_mean_error", "surface_max_error", "near_sign_agreement", "volume_sign_agreement",
             "near_sigma", "gradient_bound"]
    v = struct.unpack_from("<6f2I", b, 0)
    return dict(zip(names + ["surface_samples", "volume_samples"], v))


def evaluate(m, points, dtype=np.float64):
    """Distances at world points (N x 3), in numpy with the given float type: the reference
    the peers' outputs are checked against."""
    p = np.asarray(points, dtype=dtype)
    q = p * dtype(m.scale) + m.translation.astype(dtype)
    feats = [q]
    for k in range(m.fourier_frequencies):
        f = dtype(np.pi * 2.0**k)
        feats += [np.sin(f * q), np.cos(f * q)]
    if m.grid is not None:
        feats += _grid_features(m.grid, q)
    x = np.concatenate(feats, axis=1)
    for l in m.layers:
        z = x @ l.weights.astype(dtype).T + l.bias.astype(dtype)
        if l.activation == "relu":
            z = np.maximum(z, 0)
        elif l.activation == "leaky_relu":
            z = np.where(z >= 0, z, dtype(l.param) * z)
        elif l.activation == "tanh":
            z = np.tanh(z)
        elif l.activation == "sine":
            z = np.sin(dtype(l.param) * z)
        x = z
    return dtype(m.distance_scale) * x[:, 0]


def check_vectors(root):
    """Reads every test vector under `root` (spec/vectors): each valid file must parse and give
    the expected distances within the stated tolerance, each invalid one must be rejected.
    Returns the number of failures."""
    import pathlib

    failures = 0
    for path in sorted(pathlib.Path(root, "valid").glob("*.nsdf")):
        m = read(path.read_bytes())
        rows, tol = [], (1e-5, 1e-5)
        for line in path.with_suffix(".expected.txt").read_text().splitlines():
            if line.startswith("tolerance distance"):
                tol = tuple(float(v) for v in line.split()[2:4])
            elif line and not line.startswith(("#", "tolerance")):
                rows.append([float(v) for v in line.split()])
        rows = np.array(rows)
        pts = rows[:, :3].astype(np.float32)
        got = evaluate(m, pts)
        err = np.abs(got - rows[:, 3]) - (tol[0] + tol[1] * np.abs(rows[:, 3]))
        ok = bool(np.all(err <= 0))
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} valid   {path.name}: {len(rows)} points")
    for path in sorted(pathlib.Path(root, "invalid").glob("*.nsdf")):
        try:
            read(path.read_bytes())
            print(f"FAIL invalid {path.name}: accepted")
            failures += 1
        except (NsdfError, struct.error, UnicodeDecodeError, KeyError, ValueError) as e:
            print(f"ok   invalid {path.name}: {e}")
    return failures


def main(argv):
    if len(argv) == 3 and argv[1] == "--vectors":
        return 1 if check_vectors(argv[2]) else 0
    if len(argv) not in (2, 5):
        print("\n".join(__doc__.strip().splitlines()[-2:]), file=sys.stderr)
        return 2
    try:
        with open(argv[1], "rb") as f:
            m = read(f.read())
    except (OSError, NsdfError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    enc = f"fourier({m.fourier_frequencies})" if m.fourier_frequencies else "none"
    if m.grid is not None:
        g = m.grid
        enc = f"hashgrid({len(g.resolutions)} levels x {g.features}, 2^{g.log2_table} table, {g.scheme})"
    print(f"nsdf {m.version[0]}.{m.version[1]}, encoding {enc}, {len(m.layers)} layers, "
          f"{m.parameter_count} parameters")
    for i, l in enumerate(m.layers):
        print(f"  layer {i}: {l.inputs} -> {l.outputs} {l.activation} ({l.scheme})")
    print(f"  transform: scale {m.scale}, translation {m.translation.tolist()}, "
          f"distance scale {m.distance_scale}")
    for k, v in sorted(m.metadata.items()):
        print(f"  {k} = {v}")
    if len(argv) == 5:
        p = np.array([[float(a) for a in argv[2:5]]])
        print(f"distance at {p[0].tolist()}: {evaluate(m, p)[0]:.7g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
