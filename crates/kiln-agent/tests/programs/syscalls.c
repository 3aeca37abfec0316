/* Reads /dev/zero in 64 KiB blocks until the process has used SECONDS of
 * CPU time: nearly all of it is system time, spent inside read(2). */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noipa)) void read_zeros(int fd, char *buf, size_t len) {
    for (int i = 0; i < 1000; i++)
        if (read(fd, buf, len) < 0) exit(1);
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    static char buf[65536];
    int fd = open("/dev/zero", O_RDONLY);
    if (fd < 0) return 1;
    double start = cpu_seconds();
    while (cpu_seconds() - start < seconds) read_zeros(fd, buf, sizeof buf);
    return 0;
}
