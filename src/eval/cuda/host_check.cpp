// Runs kernel.cu's per-point functions on the CPU, so tests/cuda_kernel_host.rs can compare them
// with the scalar reference on machines without a GPU.
//
//   host_check BLOB POINTS OUT FAST_DISTANCE FAST_GRADIENT
// BLOB: the packed network (u32 words, src/eval/cuda/blob.rs); POINTS: n x 3 f32; little endian.
// OUT receives 10 f32 per point: generic distance; fast-path distance (NaN unless FAST_DISTANCE
// is 1); generic gradient: distance, x, y, z; fast gradient: distance, x, y, z (NaN unless
// FAST_GRADIENT is 1). The fast distance kernel evaluates NSDF_FAST_POINTS points per thread:
// it gets points i, i + 1, ... of the file together (wrapping to the start for the last group),
// so every slot carries a different point and every point's result comes from its own slot.
#include "kernel.cu"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>

static std::vector<char> slurp(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    std::vector<char> v;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + n);
    fclose(f);
    return v;
}

int main(int argc, char** argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: host_check BLOB POINTS OUT FAST_DISTANCE FAST_GRADIENT\n");
        return 2;
    }
    std::vector<char> b = slurp(argv[1]), p = slurp(argv[2]);
    std::vector<unsigned> blob(b.size() / 4 + 4);
    memcpy(blob.data(), b.data(), b.size());
    const float* pts = (const float*)p.data();
    size_t n = p.size() / 12;
    bool fast = argv[4][0] == '1', fast_gradient = argv[5][0] == '1';
    const int K = 10;
    std::vector<float> out(K * n);
    for (size_t i = 0; i < n; i++) {
        float q[3] = {pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]}, g[3];
        float* o = &out[K * i];
        o[0] = nsdf_distance_point(blob.data(), q);
        o[1] = NAN;
        o[2] = nsdf_gradient_point(blob.data(), q, g);
        o[3] = g[0];
        o[4] = g[1];
        o[5] = g[2];
        o[6] = o[7] = o[8] = o[9] = NAN;
        if (fast_gradient) {
            o[6] = nsdf_fast_gradient_point(blob.data(), q, g);
            o[7] = g[0];
            o[8] = g[1];
            o[9] = g[2];
        }
    }
    // The fast distance kernel, NSDF_FAST_POINTS different points at a time.
    for (size_t i = 0; fast && i < n; i += NSDF_FAST_POINTS) {
        float fp[NSDF_FAST_POINTS][3], r[NSDF_FAST_POINTS];
        for (int j = 0; j < NSDF_FAST_POINTS; j++)
            for (int a = 0; a < 3; a++) fp[j][a] = pts[3 * ((i + j) % n) + a];
        nsdf_fast_points(blob.data(), fp, r);
        for (int j = 0; j < NSDF_FAST_POINTS && i + j < n; j++) out[K * (i + j) + 1] = r[j];
    }
    FILE* f = fopen(argv[3], "wb");
    if (!f || fwrite(out.data(), 4, out.size(), f) != out.size() || fclose(f) != 0) {
        perror(argv[3]);
        return 2;
    }
    return 0;
}
