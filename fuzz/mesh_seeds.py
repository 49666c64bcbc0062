#!/usr/bin/env python3
"""Writes seeds for the mesh fuzz targets into CORPUS/mesh_{obj,ply,stl,gltf}: a small cube in
every format and encoding (OBJ, ASCII and binary PLY, ASCII and binary STL, .gltf with a data
URI, .glb), and, given OBJ files as further arguments, each converted to binary PLY, binary STL
and GLB (only `v` and triangle/polygon `f` lines are read, fanned into triangles).

    fuzz/mesh_seeds.py fuzz/corpus [mesh.obj ...]
"""
import base64, json, os, struct, sys

CUBE_P = [[(-1.0, 1.0)[i & 1], (-0.5, 0.5)[(i >> 1) & 1], (0.0, 2.0)[(i >> 2) & 1]] for i in range(8)]
CUBE_T = [[0, 2, 1], [1, 2, 3], [4, 5, 6], [5, 7, 6], [0, 1, 4], [1, 5, 4],
          [2, 6, 3], [3, 6, 7], [0, 4, 2], [2, 4, 6], [1, 3, 5], [3, 7, 5]]


def obj(p, t):
    s = "".join(f"v {x} {y} {z}\n" for x, y, z in p)
    s += "".join(f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in t)
    return s.encode()


def ply_header(fmt, p, t, idx="int"):
    return (f"ply\nformat {fmt} 1.0\nelement vertex {len(p)}\nproperty float x\nproperty float y\n"
            f"property float z\nelement face {len(t)}\nproperty list uchar {idx} vertex_indices\n"
            "end_header\n").encode()


def ply_ascii(p, t):
    body = "".join(f"{x} {y} {z}\n" for x, y, z in p) + "".join(f"3 {a} {b} {c}\n" for a, b, c in t)
    return ply_header("ascii", p, t) + body.encode()


def ply_binary(p, t, big=False):
    e = ">" if big else "<"
    out = ply_header("binary_big_endian" if big else "binary_little_endian", p, t, "uint")
    out += b"".join(struct.pack(e + "3f", *v) for v in p)
    out += b"".join(struct.pack(e + "B3I", 3, *f) for f in t)
    return out


def stl_ascii(p, t):
    s = "solid s\n"
    for f in t:
        s += " facet normal 0 0 0\n  outer loop\n"
        s += "".join("   vertex %r %r %r\n" % tuple(p[i]) for i in f)
        s += "  endloop\n endfacet\n"
    return (s + "endsolid s\n").encode()


def stl_binary(p, t):
    out = b"\0" * 80 + struct.pack("<I", len(t))
    for f in t:
        out += struct.pack("<3f", 0, 0, 0) + b"".join(struct.pack("<3f", *p[i]) for i in f) + b"\0\0"
    return out


def gltf_parts(p, t):
    bin_ = b"".join(struct.pack("<3f", *v) for v in p)
    n = len(bin_)
    bin_ += b"".join(struct.pack("<3I", *f) for f in t)
    doc = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": len(p), "type": "VEC3"},
            {"bufferView": 1, "componentType": 5125, "count": 3 * len(t), "type": "SCALAR"}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": n},
                        {"buffer": 0, "byteOffset": n, "byteLength": len(bin_) - n}],
        "buffers": [{"byteLength": len(bin_)}],
    }
    return doc, bin_


def glb(p, t):
    doc, bin_ = gltf_parts(p, t)
    j = json.dumps(doc, separators=(",", ":")).encode()
    j += b" " * (-len(j) % 4)
    bin_ += b"\0" * (-len(bin_) % 4)
    total = 12 + 8 + len(j) + 8 + len(bin_)
    return (b"glTF" + struct.pack("<II", 2, total) + struct.pack("<I", len(j)) + b"JSON" + j
            + struct.pack("<I", len(bin_)) + b"BIN\0" + bin_)


def gltf_json(p, t):
    doc, bin_ = gltf_parts(p, t)
    doc["buffers"][0]["uri"] = "data:application/octet-stream;base64," + base64.b64encode(bin_).decode()
    return json.dumps(doc).encode()


def read_obj(path):
    p, t = [], []
    for line in open(path, errors="replace"):
        w = line.split()
        if not w:
            continue
        if w[0] == "v":
            p.append([float(x) for x in w[1:4]])
        elif w[0] == "f":
            idx = [int(x.split("/")[0]) for x in w[1:]]
            idx = [i - 1 if i > 0 else len(p) + i for i in idx]
            t += [[idx[0], idx[k - 1], idx[k]] for k in range(2, len(idx))]
    return p, t


def write(corpus, target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    corpus = sys.argv[1]
    p, t = CUBE_P, CUBE_T
    write(corpus, "mesh_obj", "cube.obj", obj(p, t))
    write(corpus, "mesh_obj", "cube_quads.obj", b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nvt 0 0\nvn 0 0 1\n"
          b"o a\nf 1/1/1 4/1/1 3/1/1 2/1/1\ng b\nf -5 -4 -1\nf 2//1 3//1 5//1\nf 3 4 5\nf 4 1 5\n")
    write(corpus, "mesh_ply", "cube_ascii.ply", ply_ascii(p, t))
    write(corpus, "mesh_ply", "cube_le.ply", ply_binary(p, t))
    write(corpus, "mesh_ply", "cube_be.ply", ply_binary(p, t, big=True))
    write(corpus, "mesh_stl", "cube_ascii.stl", stl_ascii(p, t))
    write(corpus, "mesh_stl", "cube_bin.stl", stl_binary(p, t))
    write(corpus, "mesh_gltf", "cube.glb", glb(p, t))
    write(corpus, "mesh_gltf", "cube.gltf", gltf_json(p, t))
    # Point clouds: the cube's corners and edge midpoints (20 points), with and without normals,
    # as text and as a vertex-only binary PLY.
    cloud = [[(a + b) / 2 for a, b in zip(p[i], p[j])] for i in range(8) for j in range(i, 8)][:20]
    xyz = "".join("%g %g %g\n" % tuple(q) for q in cloud).encode()
    write(corpus, "mesh_points", "cloud.xyz", xyz)
    write(corpus, "mesh_points", "cloud_normals.pts", ("%d\n" % len(cloud)).encode()
          + "".join("%g %g %g 0 0 1\n" % tuple(q) for q in cloud).encode())
    header = ("ply\nformat binary_little_endian 1.0\nelement vertex %d\n" % len(cloud)
              + "".join("property float %s\n" % k for k in ["x", "y", "z", "nx", "ny", "nz"]) + "end_header\n")
    write(corpus, "mesh_ply", "cloud.ply", header.encode()
          + b"".join(struct.pack("<6f", *q, 0, 0, 1) for q in cloud))
    # The GLB-wrapping half of mesh_gltf splits its input at the first NUL: JSON, then binary.
    doc, bin_ = gltf_parts(p, t)
    write(corpus, "mesh_gltf", "cube_split", json.dumps(doc).encode() + b"\0" + bin_)
    for path in sys.argv[2:]:
        name = "shared-" + os.path.splitext(os.path.basename(path))[0]
        mp, mt = read_obj(path)
        with open(path, "rb") as f:
            write(corpus, "mesh_obj", name + ".obj", f.read())
        write(corpus, "mesh_ply", name + ".ply", ply_binary(mp, mt))
        write(corpus, "mesh_stl", name + ".stl", stl_binary(mp, mt))
        write(corpus, "mesh_gltf", name + ".glb", glb(mp, mt))


main()
