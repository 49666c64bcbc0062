/* Loads a .nsdf shape with the nsdf C API, prints its info, evaluates distances and gradients
 * at a few points inside its bounds, and checks the API's error paths.
 *
 * Build (from the repository root, after `cargo build --release -p nsdf-capi`):
 *   cc -std=c99 -Wall -Icapi/include examples/c/load_and_eval.c \
 *      target/release/libnsdf_capi.a -lpthread -ldl -lm -o load_and_eval
 * Run: ./load_and_eval shape.nsdf
 * Exit status: 0 when everything behaved as documented, 1 otherwise. */
#include "nsdf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_POINTS 5

static int failures = 0;

/* Records a failed expectation (with the library's last error) instead of stopping. */
static void expect(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "FAILED: %s (last error: \"%s\")\n", what, nsdf_last_error());
        failures++;
    }
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc(size > 0 ? (size_t)size : 1);
        if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

static void print_info(const nsdf_shape_info *info) {
    printf("info parameters %llu layers %u version %u.%u file_size %llu has_stats %d\n",
           (unsigned long long)info->parameter_count, (unsigned)info->layer_count,
           (unsigned)info->version_major, (unsigned)info->version_minor,
           (unsigned long long)info->file_size, info->has_stats ? 1 : 0);
    printf("bounds %.9g %.9g %.9g %.9g %.9g %.9g\n", info->bounds_min[0], info->bounds_min[1],
           info->bounds_min[2], info->bounds_max[0], info->bounds_max[1], info->bounds_max[2]);
    printf("gradient_bound %.9g\n", info->gradient_bound);
    if (info->has_stats) {
        printf("stats surface_mean %.9g surface_max %.9g near_sign %.9g volume_sign %.9g\n",
               info->surface_mean_error, info->surface_max_error, info->near_sign_agreement,
               info->volume_sign_agreement);
    }
}

/* Checks that every documented error comes back as a status code plus a message. */
static void error_paths(nsdf_shape *shape, const uint8_t *bytes, size_t len, const float *xyz) {
    nsdf_shape *other = (nsdf_shape *)&other; /* garbage: a failed open must set it to NULL */
    nsdf_status st = nsdf_open_path("/nonexistent/dir/missing.nsdf", &other);
    printf("error missing-file %d %s\n", (int)st, nsdf_last_error());
    expect(st == NSDF_ERR_IO && other == NULL, "missing file gives NSDF_ERR_IO and a NULL handle");

    st = nsdf_open_memory(bytes, len / 2, &other);
    printf("error truncated-memory %d %s\n", (int)st, nsdf_last_error());
    expect(st == NSDF_ERR_INVALID_FILE && other == NULL, "truncated buffer gives NSDF_ERR_INVALID_FILE");
    expect(strncmp(nsdf_last_error(), "NSDF-E", 6) == 0, "invalid-file message starts with its code");

    float dist[N_POINTS], grad[3 * N_POINTS];
    nsdf_shape_info info;
    expect(nsdf_open_path(NULL, &other) == NSDF_ERR_NULL_POINTER, "NULL path");
    expect(nsdf_open_memory(NULL, 16, &other) == NSDF_ERR_NULL_POINTER, "NULL data");
    expect(nsdf_open_memory(bytes, len, NULL) == NSDF_ERR_NULL_POINTER, "NULL out");
    expect(nsdf_info(NULL, &info) == NSDF_ERR_NULL_POINTER, "NULL shape to nsdf_info");
    expect(nsdf_info(shape, NULL) == NSDF_ERR_NULL_POINTER, "NULL info");
    expect(nsdf_distances(shape, NULL, N_POINTS, dist) == NSDF_ERR_NULL_POINTER, "NULL points");
    expect(nsdf_distances(shape, xyz, N_POINTS, NULL) == NSDF_ERR_NULL_POINTER, "NULL distances");
    expect(nsdf_gradients(shape, xyz, N_POINTS, dist, NULL) == NSDF_ERR_NULL_POINTER, "NULL gradients");
    expect(nsdf_distances(shape, xyz, SIZE_MAX, dist) == NSDF_ERR_INVALID_ARGUMENT, "count overflow");
    printf("error overflow %s\n", nsdf_last_error());
    expect(nsdf_gradients(shape, xyz, N_POINTS, grad, grad + 1) == NSDF_ERR_INVALID_ARGUMENT,
           "overlapping outputs");
    nsdf_close(NULL); /* allowed */
    expect(nsdf_info(shape, &info) == NSDF_OK && nsdf_last_error()[0] == '\0',
           "success clears the last error");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.nsdf\n", argv[0]);
        return 2;
    }
    printf("nsdf %s\n", nsdf_version());

    nsdf_shape *shape = NULL;
    if (nsdf_open_path(argv[1], &shape) != NSDF_OK) {
        fprintf(stderr, "cannot open %s: %s\n", argv[1], nsdf_last_error());
        return 1;
    }
    nsdf_shape_info info;
    expect(nsdf_info(shape, &info) == NSDF_OK, "nsdf_info");
    print_info(&info);

    /* Points spread through the bounding box, from near one corner to near the other. */
    float xyz[3 * N_POINTS];
    for (int i = 0; i < N_POINTS; i++) {
        float t = (i + 0.5f) / N_POINTS;
        for (int k = 0; k < 3; k++) {
            float tk = k == 1 ? 1.0f - t : t;
            xyz[3 * i + k] = info.bounds_min[k] + tk * (info.bounds_max[k] - info.bounds_min[k]);
        }
    }
    float dist[N_POINTS], dist2[N_POINTS], grad[3 * N_POINTS], grad2[3 * N_POINTS];
    expect(nsdf_distances(shape, xyz, N_POINTS, dist) == NSDF_OK, "nsdf_distances");
    expect(nsdf_gradients(shape, xyz, N_POINTS, dist2, grad) == NSDF_OK, "nsdf_gradients");
    expect(nsdf_gradients(shape, xyz, N_POINTS, NULL, grad2) == NSDF_OK, "nsdf_gradients without distances");
    expect(memcmp(dist, dist2, sizeof dist) == 0, "batch distance equals gradient's distance");
    expect(memcmp(grad, grad2, sizeof grad) == 0, "gradients do not depend on dist_out");
    for (int i = 0; i < N_POINTS; i++) {
        printf("point %.9g %.9g %.9g distance %.9g gradient %.9g %.9g %.9g\n", xyz[3 * i], xyz[3 * i + 1],
               xyz[3 * i + 2], dist[i], grad[3 * i], grad[3 * i + 1], grad[3 * i + 2]);
    }

    /* The same file from memory; the buffer may be freed once the shape is open. */
    size_t len = 0;
    uint8_t *bytes = read_file(argv[1], &len);
    expect(bytes != NULL, "read the file into memory");
    if (bytes) {
        nsdf_shape *from_memory = NULL;
        expect(nsdf_open_memory(bytes, len, &from_memory) == NSDF_OK, "nsdf_open_memory");
        error_paths(shape, bytes, len, xyz);
        free(bytes);
        float dist3[N_POINTS];
        expect(nsdf_distances(from_memory, xyz, N_POINTS, dist3) == NSDF_OK, "distances from memory");
        expect(memcmp(dist, dist3, sizeof dist) == 0, "memory and path shapes agree");
        nsdf_close(from_memory);
    }
    nsdf_close(shape);

    if (failures == 0) printf("error-paths ok\n");
    return failures == 0 ? 0 : 1;
}
