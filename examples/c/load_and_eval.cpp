// Loads a .nsdf shape through a small RAII wrapper around the nsdf C API: the handle is closed
// by the destructor, and every failed call throws nsdfxx::Error (status code + message).
//
// Build (from the repository root, after `cargo build --release -p nsdf-capi`):
//   c++ -std=c++17 -Wall -Icapi/include examples/c/load_and_eval.cpp
//       target/release/libnsdf_capi.a -lpthread -ldl -lm -o load_and_eval_cpp
// Run: ./load_and_eval_cpp shape.nsdf
#include "nsdf.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nsdfxx {

using Point = std::array<float, 3>;
static_assert(sizeof(Point) == 3 * sizeof(float), "points must be packed x, y, z floats");

// A failed nsdf call: the status code and the library's message.
class Error : public std::runtime_error {
public:
    Error(nsdf_status status, const char *message) : std::runtime_error(message), status_(status) {}
    nsdf_status status() const { return status_; }

private:
    nsdf_status status_;
};

inline void check(nsdf_status status) {
    // The message is thread-local and valid until the next call: runtime_error copies it now.
    if (status != NSDF_OK) throw Error(status, nsdf_last_error());
}

// Owns one nsdf_shape. Movable, not copyable. Const methods may be called from many threads.
class Shape {
public:
    static Shape open(const std::string &path) {
        nsdf_shape *h = nullptr;
        check(nsdf_open_path(path.c_str(), &h));
        return Shape(h);
    }

    static Shape from_memory(const std::vector<std::uint8_t> &bytes) {
        nsdf_shape *h = nullptr;
        check(nsdf_open_memory(bytes.data(), bytes.size(), &h));
        return Shape(h);
    }

    Shape(Shape &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Shape &operator=(Shape &&other) noexcept {
        if (this != &other) {
            nsdf_close(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    Shape(const Shape &) = delete;
    Shape &operator=(const Shape &) = delete;
    ~Shape() { nsdf_close(handle_); }

    nsdf_shape_info info() const {
        nsdf_shape_info info{};
        check(nsdf_info(handle_, &info));
        return info;
    }

    std::vector<float> distances(const std::vector<Point> &points) const {
        std::vector<float> out(points.size());
        check(nsdf_distances(handle_, points.data()->data(), points.size(), out.data()));
        return out;
    }

    // Distances and gradients at `points`, written to `dist` and `grad` (resized to fit).
    void gradients(const std::vector<Point> &points, std::vector<float> &dist, std::vector<Point> &grad) const {
        dist.resize(points.size());
        grad.resize(points.size());
        check(nsdf_gradients(handle_, points.data()->data(), points.size(), dist.data(), grad.data()->data()));
    }

private:
    explicit Shape(nsdf_shape *handle) : handle_(handle) {}
    nsdf_shape *handle_ = nullptr;
};

}  // namespace nsdfxx

static std::vector<std::uint8_t> read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s FILE.nsdf\n", argv[0]);
        return 2;
    }
    try {
        std::printf("nsdf %s\n", nsdf_version());
        const nsdfxx::Shape shape = nsdfxx::Shape::open(argv[1]);
        const nsdf_shape_info info = shape.info();
        std::printf("info parameters %llu layers %u version %u.%u file_size %llu has_stats %d\n",
                    (unsigned long long)info.parameter_count, (unsigned)info.layer_count,
                    (unsigned)info.version_major, (unsigned)info.version_minor,
                    (unsigned long long)info.file_size, info.has_stats ? 1 : 0);
        std::printf("bounds %.9g %.9g %.9g %.9g %.9g %.9g\n", info.bounds_min[0], info.bounds_min[1],
                    info.bounds_min[2], info.bounds_max[0], info.bounds_max[1], info.bounds_max[2]);

        // Points along the box diagonal from near the minimum corner to near the maximum.
        std::vector<nsdfxx::Point> points;
        for (int i = 0; i < 4; i++) {
            float t = (i + 0.5f) / 4;
            nsdfxx::Point p;
            for (int k = 0; k < 3; k++) p[k] = info.bounds_min[k] + t * (info.bounds_max[k] - info.bounds_min[k]);
            points.push_back(p);
        }
        std::vector<float> dist;
        std::vector<nsdfxx::Point> grad;
        shape.gradients(points, dist, grad);
        if (shape.distances(points) != dist) throw std::runtime_error("distances and gradients disagree");
        for (size_t i = 0; i < points.size(); i++) {
            const auto &p = points[i];
            const auto &g = grad[i];
            std::printf("point %.9g %.9g %.9g distance %.9g gradient %.9g %.9g %.9g\n", p[0], p[1], p[2], dist[i],
                        g[0], g[1], g[2]);
        }

        // Moving transfers ownership; the moved-from wrapper closes nothing.
        nsdfxx::Shape from_memory = nsdfxx::Shape::from_memory(read_file(argv[1]));
        nsdfxx::Shape moved = std::move(from_memory);
        if (moved.distances(points) != dist) throw std::runtime_error("memory and path shapes disagree");

        // Failures arrive as exceptions carrying the status code.
        int caught = 0;
        try {
            nsdfxx::Shape::open("/nonexistent/dir/missing.nsdf");
        } catch (const nsdfxx::Error &e) {
            std::printf("error missing-file %d %s\n", (int)e.status(), e.what());
            caught += e.status() == NSDF_ERR_IO;
        }
        try {
            std::vector<std::uint8_t> bytes = read_file(argv[1]);
            bytes.resize(bytes.size() / 2);
            nsdfxx::Shape::from_memory(bytes);
        } catch (const nsdfxx::Error &e) {
            std::printf("error truncated-memory %d %s\n", (int)e.status(), e.what());
            caught += e.status() == NSDF_ERR_INVALID_FILE;
        }
        if (caught != 2) throw std::runtime_error("an error path did not throw the expected status");
        std::printf("error-paths ok\n");
    } catch (const std::exception &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
