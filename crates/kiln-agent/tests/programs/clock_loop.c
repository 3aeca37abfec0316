/* A hot loop in the vDSO: clock_gettime(CLOCK_MONOTONIC) without a system
 * call, for SECONDS (the first argument) of wall time. */
#include <stdlib.h>
#include <time.h>

volatile long sink;

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    struct timespec ts, start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sink += ts.tv_nsec;
    } while ((ts.tv_sec - start.tv_sec) + (ts.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    return 0;
}
