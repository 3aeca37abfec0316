/* main -> run -> hot (about 80% of CPU) and cold (about 20%), for about
 * SECONDS of CPU time. hot and cold run the same dependency chain; their
 * measured thread CPU time is printed so the test knows the true split. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>

static volatile uint64_t sink;

/* Inlined into hot and cold: DWARF keeps it as its own (inlined) frame. */
static inline __attribute__((always_inline)) uint64_t step(uint64_t x, uint64_t k) {
    for (int j = 0; j < 16; j++) x = x * 6364136223846793005ULL + k;
    return x;
}

__attribute__((noipa)) uint64_t hot(long n) {
    uint64_t x = 1;
    for (long i = 0; i < n; i++) x = step(x, 1442695040888963407ULL);
    return x;
}

__attribute__((noipa)) uint64_t cold(long n) {
    uint64_t x = 3;
    for (long i = 0; i < n; i++) x = step(x, 1013904223ULL);
    return x;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Rounds of a few ms whose length varies at random: rounds of one fixed
 * length (it came to 10.1 ms on this machine) alias with a 100 or 200 Hz
 * sampler, whose samples then keep landing at the same point of a round
 * (seen: 50% in hot instead of 80%). perf samples the same way. */
__attribute__((noipa)) void run(double seconds) {
    uint64_t r = 88172645463325252ULL;
    double hot_s = 0, cold_s = 0, start = now();
    while (now() - start < seconds) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        long chunk = 60000 + (long)(r % 130000); /* 125000 on average */
        double t0 = now();
        sink += hot(4 * chunk);
        double t1 = now();
        sink += cold(chunk);
        double t2 = now();
        hot_s += t1 - t0;
        cold_s += t2 - t1;
    }
    printf("hot_seconds=%f cold_seconds=%f\n", hot_s, cold_s);
}

int main(int argc, char **argv) {
    run(argc > 1 ? atof(argv[1]) : 2.0);
    return 0;
}
