/* The parent forks a child; each spins in its own function, then the
 * parent waits for the child. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noipa)) void spin(double seconds, uint64_t k) {
    uint64_t x = k;
    double start = now();
    while (now() - start < seconds)
        for (int i = 0; i < 100000; i++) x = x * 2862933555777941757ULL + k;
    sink += x;
}

/* Not tail calls, so each keeps its own frame. */
__attribute__((noipa)) void child_work(double s) { spin(s, 7); sink += 1; }
__attribute__((noipa)) void parent_work(double s) { spin(s, 9); sink += 1; }

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    pid_t pid = fork();
    if (pid == 0) {
        child_work(seconds);
        _exit(0);
    }
    parent_work(seconds);
    waitpid(pid, NULL, 0);
    return 0;
}
