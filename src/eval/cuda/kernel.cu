// nsdf CUDA kernels: batch distance and gradient of an nsdf network.
//
// This file is compiled three ways:
//   - by NVRTC into kernel.ptx (build_ptx.py; the PTX is checked in and embedded in the crate, so
//     users need only the driver);
//   - by NVRTC at run time, as a fallback, where the driver cannot JIT the embedded PTX;
//   - by the system C++ compiler, with host_check.cpp, so the per-point math is tested against
//     the scalar reference on machines without a GPU (tests/cuda_kernel_host.rs).
// Design notes and measured figures: docs/cuda.md.
//
// The network arrives as one 32-bit word array, the "blob" (packed by src/eval/cuda/blob.rs):
//   [0] layer count L   [1] Fourier frequencies (0 = no encoding)
//   [2] scale  [3..5] translation  [6] distance_scale  (f32 bits)
//   [7] offset G of the hash-grid descriptor (0 = no hash grid)
//   [8 + 6k ..] layer k: inputs, outputs, activation code, activation parameter (f32 bits),
//               weight offset, bias offset (in words; weight offsets are multiples of 4)
//   then the weights (row-major outputs x inputs) and biases, f32;
//   then, with a hash grid, its descriptor at G: level count, features per level F, log2 of the
//   table size, and per level l (at G + 3 + 2l) its cells per axis N_l and the offset of its
//   values; then the values, f32, level after level, F per table entry (src/grid.rs).
// Offsets are in words from the start of the blob.

#ifdef __CUDACC__
#define NSDF_FN __device__ __forceinline__
#define NSDF_CALL __device__ __noinline__
#define NSDF_LDG(p) __ldg(p)
#else
#include <math.h>
#define NSDF_FN static inline
#define NSDF_CALL static
#define NSDF_LDG(p) (*(p))
struct alignas(16) float4 {
    float x, y, z, w;
};
#endif

// Widest layer (and encoding) the generic kernels hold per thread; the loader rejects wider
// models with a clear error.
#define NSDF_MAX_WIDTH 64
// Hidden width of the fast kernel (Davies et al.'s 8 x 32 network).
#define NSDF_FAST_WIDTH 32
// Points per thread of the fast kernel: two independent chains per weight read.
#define NSDF_FAST_POINTS 2
// The fast kernel keeps the whole blob in shared memory: at most this many words (48 KiB, the
// limit without opting in to more).
#define NSDF_FAST_MAX_WORDS 12288

#define NSDF_ACT_IDENTITY 0
#define NSDF_ACT_RELU 1
#define NSDF_ACT_LEAKY_RELU 2
#define NSDF_ACT_TANH 3
#define NSDF_ACT_SINE 4

#define NSDF_HEADER_WORDS 8
#define NSDF_LAYER_WORDS 6
#define NSDF_GRID_WORDS 3
#define NSDF_GRID_LEVEL_WORDS 2

NSDF_FN float nsdf_as_float(unsigned u) {
#ifdef __CUDACC__
    return __uint_as_float(u);
#else
    union { unsigned u; float f; } c;
    c.u = u;
    return c.f;
#endif
}

NSDF_FN float nsdf_act(unsigned code, float param, float x) {
    switch (code) {
    case NSDF_ACT_RELU: return fmaxf(x, 0.0f);
    case NSDF_ACT_LEAKY_RELU: return x >= 0.0f ? x : param * x;
    case NSDF_ACT_TANH: return tanhf(x);
    case NSDF_ACT_SINE: return sinf(param * x);
    default: return x;
    }
}

// The same as a call: the fast kernel's unrolled loops would otherwise inline 32 copies of
// tanhf/sinf per layer (a megabyte of PTX) for activations other than ReLU.
NSDF_CALL float nsdf_act_call(unsigned code, float param, float x) {
    return nsdf_act(code, param, x);
}

// Derivative with respect to the pre-activation; 0 at ReLU's kink, as the CPU backends.
NSDF_FN float nsdf_act_derivative(unsigned code, float param, float x) {
    switch (code) {
    case NSDF_ACT_RELU: return x > 0.0f ? 1.0f : 0.0f;
    case NSDF_ACT_LEAKY_RELU: return x > 0.0f ? 1.0f : param;
    case NSDF_ACT_TANH: {
        float t = tanhf(x);
        return 1.0f - t * t;
    }
    case NSDF_ACT_SINE: return param * cosf(param * x);
    default: return 1.0f;
    }
}

// Hash-grid level l's features at network-frame point q into x[3 + lF + f], as grid.rs's
// `cell` and HashGrid::encode, and where dx is not null their derivatives along the axes into
// dx[a][3 + lF + f] (zeroed by the caller). Corner by corner, each added to every feature, so
// only one corner's index and weights are live: the generic kernels keep the register count
// (and so the occupancy) they have without grid code. ptxas's allocation is sensitive to the
// form of these loops: check build_ptx.py --ptxas after changing them (docs/cuda.md's figures).
NSDF_FN void nsdf_grid_level(const unsigned* grid, unsigned l, const float* blob_f,
                             const float q[3], float* x, float (*dx)[NSDF_MAX_WIDTH]) {
    unsigned features = NSDF_LDG(grid + 1), log2_table = NSDF_LDG(grid + 2);
    const unsigned* d = grid + NSDF_GRID_WORDS + NSDF_GRID_LEVEL_WORDS * l;
    unsigned n = NSDF_LDG(d);
    const float* table = blob_f + NSDF_LDG(d + 1);
    unsigned k[3];
    float w[3], slope[3];
    for (int a = 0; a < 3; a++) {
        // fmaxf/fminf send NaN to 0 where grid.rs's clamp keeps it (and `as u32` then gives 0):
        // the same cell, and the conversion below is defined for every input. A NaN point's
        // distance is NaN either way, through q itself.
        float u = fminf(fmaxf((q[a] + 1.0f) * 0.5f, 0.0f), 1.0f);
        float s = u * (float)n;
        unsigned i = (unsigned)floorf(s);
        k[a] = i < n - 1 ? i : n - 1;
        w[a] = s - (float)k[a];
        slope[a] = q[a] > -1.0f && q[a] < 1.0f ? 0.5f * (float)n : 0.0f;
    }
    // Dense when every vertex has its own entry ((N + 1)^3 reaches 2^60: 64-bit), else hashed
    // with instant-NGP's primes in wrapping 32-bit arithmetic.
    unsigned side = n + 1;
    unsigned long long entries = 1ull << log2_table;
    bool dense = (unsigned long long)side * side * side <= entries;
    unsigned mask = (unsigned)(entries - 1);
    float* out = x + 3 + l * features;
    for (unsigned f = 0; f < features; f++) out[f] = 0.0f;
    // Corner c: bit a set, the upper vertex along axis a. Not unrolled: unrolled, ptxas keeps
    // several corners live and the distance kernel needs 48 registers on sm_80 instead of 40.
#pragma unroll 1
    for (unsigned c = 0; c < 8; c++) {
        unsigned bx = c & 1, by = (c >> 1) & 1, bz = (c >> 2) & 1;
        unsigned vx = k[0] + bx, vy = k[1] + by, vz = k[2] + bz;
        unsigned index = dense ? vx + side * (vy + side * vz)
                               : ((vx * 1u) ^ (vy * 2654435761u) ^ (vz * 805459861u)) & mask;
        const float* e = table + index * features;
        float tx = bx ? w[0] : 1.0f - w[0];
        float ty = by ? w[1] : 1.0f - w[1];
        float tz = bz ? w[2] : 1.0f - w[2];
        float weight = tx * ty * tz;
        for (unsigned f = 0; f < features; f++) out[f] = fmaf(weight, NSDF_LDG(e + f), out[f]);
        if (dx) {
            // d weight / d w_a (times d w_a / d q_a, applied once below).
            float d0 = bx ? ty * tz : -(ty * tz);
            float d1 = by ? tx * tz : -(tx * tz);
            float d2 = bz ? tx * ty : -(tx * ty);
            for (unsigned f = 0; f < features; f++) {
                unsigned i = 3 + l * features + f;
                float v = NSDF_LDG(e + f);
                dx[0][i] = fmaf(d0, v, dx[0][i]);
                dx[1][i] = fmaf(d1, v, dx[1][i]);
                dx[2][i] = fmaf(d2, v, dx[2][i]);
            }
        }
    }
    if (dx) {
        for (unsigned f = 0; f < features; f++) {
            unsigned i = 3 + l * features + f;
            for (int a = 0; a < 3; a++) dx[a][i] *= slope[a];
        }
    }
}

// World point -> network frame q, then the encoded input x: q, then either the Fourier features
// (x[3 + 6k + a] = sin, x[6 + 6k + a] = cos of 2^k pi q_a) or the hash-grid features
// (x[3 + lF + f], feature f of level l, as HashGrid::encode). Where dx is not null, also the
// encoding's tangents dx[c][i] = d x_i / d q_c, for the forward-mode gradient.
NSDF_FN void nsdf_encode(const unsigned* blob, const float p[3], float q[3], float* x,
                         float (*dx)[NSDF_MAX_WIDTH]) {
    float scale = nsdf_as_float(NSDF_LDG(blob + 2));
    for (int a = 0; a < 3; a++) {
        q[a] = scale * p[a] + nsdf_as_float(NSDF_LDG(blob + 3 + a));
        x[a] = q[a];
    }
    unsigned freqs = NSDF_LDG(blob + 1);
    unsigned g = NSDF_LDG(blob + 7);
    unsigned levels = g ? NSDF_LDG(blob + g) : 0, features = g ? NSDF_LDG(blob + g + 1) : 0;
    if (dx) {
        unsigned dim = 3 + 6 * freqs + levels * features;
        for (int c = 0; c < 3; c++) {
            for (unsigned i = 0; i < dim; i++) dx[c][i] = 0.0f;
            dx[c][c] = 1.0f;
        }
    }
    for (unsigned k = 0; k < freqs; k++) {
        float f = 3.14159265358979323846f * (float)(1u << k);
        for (int a = 0; a < 3; a++) {
            x[3 + 6 * k + a] = sinf(f * q[a]);
            x[6 + 6 * k + a] = cosf(f * q[a]);
            if (dx) {
                dx[a][3 + 6 * k + a] = f * x[6 + 6 * k + a];
                dx[a][6 + 6 * k + a] = -f * x[3 + 6 * k + a];
            }
        }
    }
    for (unsigned l = 0; l < levels; l++)
        nsdf_grid_level(blob + g, l, (const float*)blob, q, x, dx);
}

// Distance at one world point, any architecture with widths <= NSDF_MAX_WIDTH; weights read
// through the read-only cache (every thread of a warp reads the same word: one broadcast).
NSDF_FN float nsdf_distance_point(const unsigned* blob, const float p[3]) {
    float a[NSDF_MAX_WIDTH], b[NSDF_MAX_WIDTH], q[3];
    nsdf_encode(blob, p, q, a, 0);
    float* x = a;
    float* y = b;
    unsigned layers = NSDF_LDG(blob);
    for (unsigned k = 0; k < layers; k++) {
        const unsigned* d = blob + NSDF_HEADER_WORDS + NSDF_LAYER_WORDS * k;
        unsigned in = NSDF_LDG(d), out = NSDF_LDG(d + 1), act = NSDF_LDG(d + 2);
        float param = nsdf_as_float(NSDF_LDG(d + 3));
        const float* w = (const float*)blob + NSDF_LDG(d + 4);
        const float* bias = (const float*)blob + NSDF_LDG(d + 5);
        for (unsigned o = 0; o < out; o++) {
            float acc = NSDF_LDG(bias + o);
            for (unsigned i = 0; i < in; i++) acc = fmaf(NSDF_LDG(w + o * in + i), x[i], acc);
            y[o] = nsdf_act(act, param, acc);
        }
        float* t = x;
        x = y;
        y = t;
    }
    return nsdf_as_float(NSDF_LDG(blob + 6)) * x[0];
}

// Distance and world-space gradient at one point by forward-mode differentiation: every unit
// carries its value and its derivatives along the three network-frame axes. That needs no
// per-layer storage (reverse mode would keep every layer's pre-activations per thread), and the
// value is computed with exactly the operations of nsdf_distance_point, so the distances match.
NSDF_FN float nsdf_gradient_point(const unsigned* blob, const float p[3], float g[3]) {
    float a[4][NSDF_MAX_WIDTH], b[4][NSDF_MAX_WIDTH], q[3];
    nsdf_encode(blob, p, q, a[0], a + 1);
    float(*x)[NSDF_MAX_WIDTH] = a;
    float(*y)[NSDF_MAX_WIDTH] = b;
    unsigned layers = NSDF_LDG(blob);
    for (unsigned k = 0; k < layers; k++) {
        const unsigned* d = blob + NSDF_HEADER_WORDS + NSDF_LAYER_WORDS * k;
        unsigned in = NSDF_LDG(d), out = NSDF_LDG(d + 1), act = NSDF_LDG(d + 2);
        float param = nsdf_as_float(NSDF_LDG(d + 3));
        const float* w = (const float*)blob + NSDF_LDG(d + 4);
        const float* bias = (const float*)blob + NSDF_LDG(d + 5);
        for (unsigned o = 0; o < out; o++) {
            float acc = NSDF_LDG(bias + o), t0 = 0.0f, t1 = 0.0f, t2 = 0.0f;
            for (unsigned i = 0; i < in; i++) {
                float wi = NSDF_LDG(w + o * in + i);
                acc = fmaf(wi, x[0][i], acc);
                t0 = fmaf(wi, x[1][i], t0);
                t1 = fmaf(wi, x[2][i], t1);
                t2 = fmaf(wi, x[3][i], t2);
            }
            float dz = nsdf_act_derivative(act, param, acc);
            y[0][o] = nsdf_act(act, param, acc);
            y[1][o] = dz * t0;
            y[2][o] = dz * t1;
            y[3][o] = dz * t2;
        }
        float(*t)[NSDF_MAX_WIDTH] = x;
        x = y;
        y = t;
    }
    float ds = nsdf_as_float(NSDF_LDG(blob + 6));
    float s = ds * nsdf_as_float(NSDF_LDG(blob + 2));
    g[0] = s * x[1][0];
    g[1] = s * x[2][0];
    g[2] = s * x[3][0];
    return ds * x[0][0];
}

// One layer of the fast path: y = act(W x + b) for P points, W a
// 32 x 32 (or 32 x IN) matrix in shared memory. Every thread reads the same weight at the same
// time (a broadcast, no bank conflicts); one 16-byte read feeds 4 x NSDF_FAST_POINTS FMAs. The
// loops are fully unrolled so the activations stay in registers.
template <int P, int IN, int OUT>
NSDF_FN void nsdf_fast_layer(const float* w, const float* bias, unsigned act, float param,
                             const float (&x)[P][IN], float (&y)[P][OUT]) {
#pragma unroll
    for (int o = 0; o < OUT; o++) {
        float acc[P];
#pragma unroll
        for (int p = 0; p < P; p++) acc[p] = bias[o];
        if (IN % 4 == 0) {
#pragma unroll
            for (int i = 0; i < IN; i += 4) {
                float4 w4 = *(const float4*)(w + o * IN + i);
                float w0 = w4.x, w1 = w4.y, w2 = w4.z, w3 = w4.w;
#pragma unroll
                for (int p = 0; p < P; p++) {
                    acc[p] = fmaf(w0, x[p][i], acc[p]);
                    acc[p] = fmaf(w1, x[p][i + 1], acc[p]);
                    acc[p] = fmaf(w2, x[p][i + 2], acc[p]);
                    acc[p] = fmaf(w3, x[p][i + 3], acc[p]);
                }
            }
        } else {
#pragma unroll
            for (int i = 0; i < IN; i++) {
                float wi = w[o * IN + i];
#pragma unroll
                for (int p = 0; p < P; p++) acc[p] = fmaf(wi, x[p][i], acc[p]);
            }
        }
#pragma unroll
        for (int p = 0; p < P; p++) y[p][o] = acc[p];
    }
    // One uniform branch per layer, outside the unrolled loops.
    switch (act) {
    case NSDF_ACT_IDENTITY: break;
    case NSDF_ACT_RELU:
#pragma unroll
        for (int p = 0; p < P; p++)
#pragma unroll
            for (int o = 0; o < OUT; o++) y[p][o] = fmaxf(y[p][o], 0.0f);
        break;
    default:
#pragma unroll
        for (int p = 0; p < P; p++)
#pragma unroll
            for (int o = 0; o < OUT; o++) y[p][o] = nsdf_act_call(act, param, y[p][o]);
        break;
    }
}

// Distances at NSDF_FAST_POINTS world points for a network 3 -> 32 -> ... -> 32 -> 1 (no
// encoding), blob already in (shared) memory. Same operations, in the same order, as
// nsdf_distance_point, so both paths give the same results.
NSDF_FN void nsdf_fast_points(const unsigned* blob, const float (&p)[NSDF_FAST_POINTS][3],
                              float (&out)[NSDF_FAST_POINTS]) {
    const int W = NSDF_FAST_WIDTH;
    const float* f = (const float*)blob;
    float scale = f[2];
    float q[NSDF_FAST_POINTS][3];
#pragma unroll
    for (int i = 0; i < NSDF_FAST_POINTS; i++)
#pragma unroll
        for (int a = 0; a < 3; a++) q[i][a] = scale * p[i][a] + f[3 + a];
    unsigned layers = blob[0];
    const unsigned* d = blob + NSDF_HEADER_WORDS;
    float x[NSDF_FAST_POINTS][W], y[NSDF_FAST_POINTS][W];
    nsdf_fast_layer<NSDF_FAST_POINTS, 3, W>(f + d[4], f + d[5], d[2], nsdf_as_float(d[3]), q, x);
    for (unsigned k = 1; k + 1 < layers; k++) {
        d = blob + NSDF_HEADER_WORDS + NSDF_LAYER_WORDS * k;
        nsdf_fast_layer<NSDF_FAST_POINTS, W, W>(f + d[4], f + d[5], d[2], nsdf_as_float(d[3]), x, y);
#pragma unroll
        for (int i = 0; i < NSDF_FAST_POINTS; i++)
#pragma unroll
            for (int o = 0; o < W; o++) x[i][o] = y[i][o];
    }
    d = blob + NSDF_HEADER_WORDS + NSDF_LAYER_WORDS * (layers - 1);
    float r[NSDF_FAST_POINTS][1];
    nsdf_fast_layer<NSDF_FAST_POINTS, W, 1>(f + d[4], f + d[5], d[2], nsdf_as_float(d[3]), x, r);
#pragma unroll
    for (int i = 0; i < NSDF_FAST_POINTS; i++) out[i] = f[6] * r[i][0];
}

// Largest layer count of the fast kernels (a 48 KiB blob holds at most 11 layers 32 wide).
#define NSDF_FAST_MAX_LAYERS 12

// Distance and gradient at one point for the fast kernel's networks whose hidden activations are
// piecewise linear (identity, ReLU, leaky ReLU): reverse mode, where each hidden layer's
// derivative is remembered as one bit per unit (pre-activation > 0), so the backward pass needs
// 32 bits per layer instead of the pre-activations. The backward pass walks the weight rows in
// the same order as the forward pass (gin[i] += W[o][i] * gz[o]), so it reads shared memory the
// same way, with activations and gradients in registers.
NSDF_FN float nsdf_fast_gradient_point(const unsigned* blob, const float p[3], float g[3]) {
    const int W = NSDF_FAST_WIDTH;
    const float* f = (const float*)blob;
    float q[1][3];
    for (int a = 0; a < 3; a++) q[0][a] = f[2] * p[a] + f[3 + a];
    unsigned layers = blob[0];
    unsigned mask[NSDF_FAST_MAX_LAYERS];
    float x[1][W], y[1][W];
    const unsigned* d = blob + NSDF_HEADER_WORDS;
    nsdf_fast_layer<1, 3, W>(f + d[4], f + d[5], NSDF_ACT_IDENTITY, 0.0f, q, y);
    for (unsigned k = 0; k + 1 < layers; k++) {
        d = blob + NSDF_HEADER_WORDS + NSDF_LAYER_WORDS * k;
        if (k > 0) nsdf_fast_layer<1, W, W>(f + d[4], f + d[5], NSDF_ACT_IDENTITY, 0.0f, x, y);
        unsigned bits = 0;
#pragma unroll
        for (int o = 0; o < W; o++) {
            bits |= (y[0][o] > 0.0f ? 1u : 0u) << o;
            x[0][o] = nsdf_act(d[2], nsdf_as_float(d[3]), y[0][o]);
        }
        mask[k] = bits;
    }
    d = blob + NSDF_HEADER_WORDS + NSDF_LAYER_WORDS * (layers - 1);
    float z[1][1];
    nsdf_fast_layer<1, W, 1>(f + d[4], f + d[5], NSDF_ACT_IDENTITY, 0.0f, x, z);
    unsigned out_act = d[2];
    float out_param = nsdf_as_float(d[3]);
    float value = f[6] * nsdf_act(out_act, out_param, z[0][0]);
    // Backward: gx = d f / d (output of the layer below the current one).
    float gz = nsdf_act_derivative(out_act, out_param, z[0][0]);
    const float* w = f + d[4];
#pragma unroll
    for (int i = 0; i < W; i++) x[0][i] = w[i] * gz;
    for (unsigned k = layers - 2; k > 0; k--) {
        d = blob + NSDF_HEADER_WORDS + NSDF_LAYER_WORDS * k;
        w = f + d[4];
        float slope = d[2] == NSDF_ACT_IDENTITY ? 1.0f
                      : d[2] == NSDF_ACT_RELU  ? 0.0f
                                               : nsdf_as_float(d[3]);
#pragma unroll
        for (int i = 0; i < W; i++) y[0][i] = 0.0f;
#pragma unroll
        for (int o = 0; o < W; o++) {
            float go = x[0][o] * ((mask[k] >> o) & 1u ? 1.0f : slope);
#pragma unroll
            for (int i = 0; i < W; i += 4) {
                float4 w4 = *(const float4*)(w + o * W + i);
                y[0][i] = fmaf(w4.x, go, y[0][i]);
                y[0][i + 1] = fmaf(w4.y, go, y[0][i + 1]);
                y[0][i + 2] = fmaf(w4.z, go, y[0][i + 2]);
                y[0][i + 3] = fmaf(w4.w, go, y[0][i + 3]);
            }
        }
#pragma unroll
        for (int i = 0; i < W; i++) x[0][i] = y[0][i];
    }
    d = blob + NSDF_HEADER_WORDS;
    w = f + d[4];
    float slope = d[2] == NSDF_ACT_IDENTITY ? 1.0f : d[2] == NSDF_ACT_RELU ? 0.0f : nsdf_as_float(d[3]);
    float gq[3] = {0.0f, 0.0f, 0.0f};
#pragma unroll
    for (int o = 0; o < W; o++) {
        float go = x[0][o] * ((mask[0] >> o) & 1u ? 1.0f : slope);
        for (int a = 0; a < 3; a++) gq[a] = fmaf(w[o * 3 + a], go, gq[a]);
    }
    float s = f[6] * f[2];
    for (int a = 0; a < 3; a++) g[a] = s * gq[a];
    return value;
}

#ifdef __CUDACC__

// Grid-stride loops: the launcher sizes the grid to fill the GPU once, so the fast kernel's
// per-block copy of the weights into shared memory is paid once per block, not per point.

extern "C" __global__ void nsdf_distance_generic(const unsigned* __restrict__ blob,
                                                 const float* __restrict__ points,
                                                 float* __restrict__ out, unsigned long long n) {
    unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += stride) {
        float p[3] = {points[3 * i], points[3 * i + 1], points[3 * i + 2]};
        out[i] = nsdf_distance_point(blob, p);
    }
}

extern "C" __global__ void nsdf_gradient_generic(const unsigned* __restrict__ blob,
                                                 const float* __restrict__ points,
                                                 float* __restrict__ dist,
                                                 float* __restrict__ grad,
                                                 unsigned long long n) {
    unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += stride) {
        float p[3] = {points[3 * i], points[3 * i + 1], points[3 * i + 2]};
        float g[3];
        dist[i] = nsdf_gradient_point(blob, p, g);
        grad[3 * i] = g[0];
        grad[3 * i + 1] = g[1];
        grad[3 * i + 2] = g[2];
    }
}

extern "C" __global__ void nsdf_distance_fast(const unsigned* __restrict__ blob,
                                              unsigned words,
                                              const float* __restrict__ points,
                                              float* __restrict__ out, unsigned long long n) {
    extern __shared__ unsigned shared_blob[];
    for (unsigned i = threadIdx.x; i < words; i += blockDim.x) shared_blob[i] = blob[i];
    __syncthreads();
    const unsigned long long per_block = (unsigned long long)blockDim.x * NSDF_FAST_POINTS;
    for (unsigned long long base = (unsigned long long)blockIdx.x * per_block; base < n;
         base += (unsigned long long)gridDim.x * per_block) {
        // Point j of this thread is base + j * blockDim.x + threadIdx.x: consecutive threads
        // read consecutive points (coalesced).
        float p[NSDF_FAST_POINTS][3], r[NSDF_FAST_POINTS];
#pragma unroll
        for (int j = 0; j < NSDF_FAST_POINTS; j++) {
            unsigned long long i = base + (unsigned long long)j * blockDim.x + threadIdx.x;
            unsigned long long c = i < n ? i : n - 1;
            p[j][0] = points[3 * c];
            p[j][1] = points[3 * c + 1];
            p[j][2] = points[3 * c + 2];
        }
        nsdf_fast_points(shared_blob, p, r);
#pragma unroll
        for (int j = 0; j < NSDF_FAST_POINTS; j++) {
            unsigned long long i = base + (unsigned long long)j * blockDim.x + threadIdx.x;
            if (i < n) out[i] = r[j];
        }
    }
}

extern "C" __global__ void nsdf_gradient_fast(const unsigned* __restrict__ blob, unsigned words,
                                              const float* __restrict__ points,
                                              float* __restrict__ dist,
                                              float* __restrict__ grad, unsigned long long n) {
    extern __shared__ unsigned shared_blob[];
    for (unsigned i = threadIdx.x; i < words; i += blockDim.x) shared_blob[i] = blob[i];
    __syncthreads();
    unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += stride) {
        float p[3] = {points[3 * i], points[3 * i + 1], points[3 * i + 2]};
        float g[3];
        dist[i] = nsdf_fast_gradient_point(shared_blob, p, g);
        grad[3 * i] = g[0];
        grad[3 * i + 1] = g[1];
        grad[3 * i + 2] = g[2];
    }
}

#endif
