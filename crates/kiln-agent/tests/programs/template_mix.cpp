// C++ whose hot functions are template instantiations from the standard
// library and from this file: std::sort with a comparison functor, a
// std::map keyed by std::string, and a class template multiplying small
// matrices of two element types. Runs for about SECONDS (argument 1) of
// wall time.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace kiln_test {

template <typename T, int N>
struct Matrix {
    T cells[N][N];

    __attribute__((noinline)) Matrix multiply(const Matrix &other) const {
        Matrix out{};
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++)
                for (int j = 0; j < N; j++) out.cells[i][j] += cells[i][k] * other.cells[k][j];
        return out;
    }
};

struct ByLowBits {
    bool operator()(std::uint32_t a, std::uint32_t b) const { return (a & 0xffff) < (b & 0xffff); }
};

static volatile double sink;

__attribute__((noinline)) void sort_round(std::vector<std::uint32_t> &v, std::uint32_t seed) {
    for (auto &x : v) x = seed = seed * 1664525u + 1013904223u;
    std::sort(v.begin(), v.end(), ByLowBits());
}

__attribute__((noinline)) void map_round(std::map<std::string, int> &m, int round) {
    m.clear();
    for (int i = 0; i < 2000; i++) m["key-" + std::to_string((i * 7919 + round) % 5000)] += i;
}

template <typename T>
__attribute__((noinline)) T matrix_round(int n) {
    Matrix<T, 24> a{}, b{};
    for (int i = 0; i < 24; i++)
        for (int j = 0; j < 24; j++) a.cells[i][j] = b.cells[i][j] = T(i + j + n) / T(7);
    Matrix<T, 24> c = a.multiply(b);
    return c.cells[3][5];
}

}  // namespace kiln_test

int main(int argc, char **argv) {
    double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    std::vector<std::uint32_t> v(20000);
    std::map<std::string, int> m;
    for (int round = 0; std::chrono::steady_clock::now() < end; round++) {
        kiln_test::sort_round(v, round);
        kiln_test::map_round(m, round);
        kiln_test::sink = kiln_test::sink + kiln_test::matrix_round<double>(round) +
                          kiln_test::matrix_round<float>(round);
    }
    return 0;
}
