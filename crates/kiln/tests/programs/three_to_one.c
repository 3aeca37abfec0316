/* `kiln exec`'s test program: main -> work -> heavy (3 parts) and light
 * (1 part) for SECONDS (argv[1]) of CPU time, in rounds of random length
 * so a fixed-rate sampler cannot alias with them. Prints the CPU seconds
 * each function measured itself, the split the server must show. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>

static volatile uint64_t out;

__attribute__((noipa)) uint64_t heavy(long n) {
    uint64_t x = 7;
    for (long i = 0; i < n; i++) x = x * 2862933555777941757ULL + 3037000493ULL;
    return x;
}

__attribute__((noipa)) uint64_t light(long n) {
    uint64_t x = 11;
    for (long i = 0; i < n; i++) x = x * 2862933555777941757ULL + 3037000493ULL;
    return x;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noipa)) void work(double seconds) {
    uint64_t r = 0x9E3779B97F4A7C15ULL;
    double heavy_s = 0, light_s = 0, start = cpu_now();
    while (cpu_now() - start < seconds) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        long n = 200000 + (long)(r % 600000);
        double t0 = cpu_now();
        out += heavy(3 * n);
        double t1 = cpu_now();
        out += light(n);
        heavy_s += t1 - t0;
        light_s += cpu_now() - t1;
    }
    printf("heavy_seconds=%f light_seconds=%f\n", heavy_s, light_s);
    fflush(stdout);
}

int main(int argc, char **argv) {
    work(argc > 1 ? atof(argv[1]) : 3.0);
    return argc > 2 ? atoi(argv[2]) : 0;
}
