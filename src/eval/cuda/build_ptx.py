#!/usr/bin/env python3
"""Regenerates kernel.ptx from kernel.cu with NVRTC, no CUDA toolkit or GPU needed.

    python3 -m venv target/cuda-venv/venv
    target/cuda-venv/venv/bin/pip install -r src/eval/cuda/requirements.txt
    target/cuda-venv/venv/bin/python src/eval/cuda/build_ptx.py           # rewrite kernel.ptx
    target/cuda-venv/venv/bin/python src/eval/cuda/build_ptx.py --check   # fail if stale
    target/cuda-venv/venv/bin/python src/eval/cuda/build_ptx.py --ptxas   # registers, spills

NVRTC 11.8 is used on purpose: its PTX (ISA 7.8, target compute_70) is JIT-compiled by every
driver since 520 (CUDA 11.8), while PTX from a newer NVRTC fails on older drivers with
CUDA_ERROR_UNSUPPORTED_PTX_VERSION. `--ptxas` assembles the PTX for sm_80 and sm_90 with the
ptxas of the nvidia-cuda-nvcc-cu12 wheel and prints its resource report (docs/cuda.md quotes it).

The first line of kernel.ptx records the FNV-1a 64 hash of kernel.cu; tests/cuda.rs checks it, so
a kernel.cu edited without regenerating fails the tests everywhere, NVRTC or not. (NVRTC 11.8's
output is not byte-reproducible, its virtual register numbers vary between runs, so --check
compares the header, not the bytes.)
"""

import ctypes
import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "kernel.cu")
OUTPUT = os.path.join(HERE, "kernel.ptx")
ARCH = "compute_70"
OPTIONS = [f"--gpu-architecture={ARCH}", "--std=c++14", "--fmad=true"]


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def site_packages() -> str:
    import site

    for p in site.getsitepackages():
        if os.path.isdir(os.path.join(p, "nvidia")):
            return p
    sys.exit("build_ptx.py: the nvidia-* wheels are not installed in this Python (see the docstring)")


def nvrtc():
    libs = glob.glob(os.path.join(site_packages(), "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.11*"))
    if not libs:
        sys.exit("build_ptx.py: libnvrtc.so.11.* not found; pip install -r requirements.txt")
    return ctypes.CDLL(libs[0])


def compile_ptx(source: bytes) -> tuple[str, str]:
    lib = nvrtc()

    def check(result, what):
        if result != 0:
            lib.nvrtcGetErrorString.restype = ctypes.c_char_p
            raise RuntimeError(f"{what}: {lib.nvrtcGetErrorString(result).decode()}")

    major, minor = ctypes.c_int(), ctypes.c_int()
    check(lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)), "nvrtcVersion")
    prog = ctypes.c_void_p()
    check(
        lib.nvrtcCreateProgram(ctypes.byref(prog), source, b"kernel.cu", 0, None, None),
        "nvrtcCreateProgram",
    )
    opts = (ctypes.c_char_p * len(OPTIONS))(*[o.encode() for o in OPTIONS])
    result = lib.nvrtcCompileProgram(prog, len(OPTIONS), opts)
    size = ctypes.c_size_t()
    lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(prog, log)
    if result != 0:
        sys.exit(f"build_ptx.py: NVRTC failed:\n{log.value.decode()}")
    check(lib.nvrtcGetPTXSize(prog, ctypes.byref(size)), "nvrtcGetPTXSize")
    ptx = ctypes.create_string_buffer(size.value)
    check(lib.nvrtcGetPTX(prog, ptx), "nvrtcGetPTX")
    lib.nvrtcDestroyProgram(ctypes.byref(prog))
    return ptx.value.decode(), f"NVRTC {major.value}.{minor.value}"


def generate() -> tuple[str, str]:
    """The header lines and the PTX."""
    source = open(SOURCE, "rb").read()
    ptx, version = compile_ptx(source)
    header = (
        f"// kernel.cu fnv1a64 {fnv1a64(source):016x}\n"
        f"// Generated from kernel.cu by build_ptx.py ({version}, {' '.join(OPTIONS)}). Do not edit.\n"
    )
    return header, ptx


def ptxas_report(ptx: str) -> None:
    ptxas = os.path.join(site_packages(), "nvidia", "cuda_nvcc", "bin", "ptxas")
    if not os.path.exists(ptxas):
        sys.exit("build_ptx.py: ptxas not found; pip install -r requirements.txt")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "kernel.ptx")
        open(path, "w").write(ptx)
        for sm in ["sm_80", "sm_90"]:
            out = os.path.join(tmp, f"kernel.{sm}.cubin")
            r = subprocess.run([ptxas, "-v", f"-arch={sm}", path, "-o", out], capture_output=True, text=True)
            print(f"== ptxas -v -arch={sm}")
            print(r.stdout + r.stderr)
            if r.returncode != 0:
                sys.exit(f"build_ptx.py: ptxas failed for {sm}")


def main() -> None:
    header, ptx = generate()
    if "--check" in sys.argv:
        # NVRTC 11.8 numbers virtual registers differently from run to run, so the PTX is not
        # byte-reproducible: compare the header (source hash, compiler, options) instead.
        if not open(OUTPUT).read().startswith(header):
            sys.exit("build_ptx.py: kernel.ptx is stale; rerun build_ptx.py")
        print("kernel.ptx is up to date (source hash, NVRTC version and options match)")
        ptx = open(OUTPUT).read()
    else:
        ptx = header + ptx
        open(OUTPUT, "w").write(ptx)
        print(f"wrote {OUTPUT} ({len(ptx)} bytes)")
    if "--ptxas" in sys.argv:
        ptxas_report(ptx)


if __name__ == "__main__":
    main()
