/* A hot loop in libc: memcmp of two equal 64 KiB buffers, then memcpy
 * between them, for SECONDS (the first argument) of wall time. libc is
 * stripped to .dynsym; its local names (__memcmp_evex_movbe, ...) come
 * from its debug file, as perf finds them. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEN (64 * 1024)

static char a[LEN], b[LEN];
volatile int sink;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 2.0, end = now() + seconds;
    memset(a, 7, LEN);
    memset(b, 7, LEN);
    while (now() < end) {
        for (int i = 0; i < 64; i++) {
            sink += memcmp(a, b, LEN);
            memcpy(b, a, LEN / 2);
        }
    }
    return 0;
}
