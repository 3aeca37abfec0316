/* A hot loop in "JIT" code: a countdown loop copied into an anonymous
 * executable mapping and announced in /tmp/perf-PID.map as jit_spin, as
 * Node's --perf-basic-prof and the JVM's perf agents do, called for
 * SECONDS (the first argument) of wall time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* mov ecx, 100000; 1: dec ecx; jnz 1b; ret */
static const unsigned char code[] = {0xb9, 0xa0, 0x86, 0x01, 0x00, 0xff, 0xc9, 0x75, 0xfc, 0xc3};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    double end = now() + (argc > 1 ? atof(argv[1]) : 2.0);
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return 1;
    memcpy(page, code, sizeof code);
    char path[64];
    snprintf(path, sizeof path, "/tmp/perf-%d.map", getpid());
    FILE *map = fopen(path, "w");
    if (!map) return 1;
    fprintf(map, "%lx %zx jit_spin\n", (unsigned long)page, sizeof code);
    fclose(map);
    void (*spin)(void) = (void (*)(void))page;
    while (now() < end) spin();
    unlink(path);
    return 0;
}
