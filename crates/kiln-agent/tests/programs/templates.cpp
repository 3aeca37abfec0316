// C++ names to demangle: a namespace, a class template and an overload.
#include <cstdint>
#include <cstdlib>
#include <ctime>

namespace kiln_test {
static volatile std::uint64_t sink;

template <typename T>
struct Spinner {
    __attribute__((noipa)) static T spin(T seed, long n) {
        T x = seed;
        for (long i = 0; i < n; i++) x = x * 2862933555777941757ULL + seed;
        return x;
    }
};

__attribute__((noipa)) void busy(double seconds) {
    std::clock_t start = std::clock();
    while (double(std::clock() - start) / CLOCKS_PER_SEC < seconds)
        sink = sink + Spinner<std::uint64_t>::spin(3, 1000000);
}
}  // namespace kiln_test

int main(int argc, char **argv) {
    kiln_test::busy(argc > 1 ? std::atof(argv[1]) : 1.0);
    return 0;
}
