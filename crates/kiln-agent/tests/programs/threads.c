/* Three threads, each spinning in its own function for SECONDS. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static volatile uint64_t sink;
static double seconds = 1.0;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define SPIN(name, k)                                                   \
    __attribute__((noipa)) void *name(void *arg) {                      \
        (void)arg;                                                      \
        uint64_t x = k;                                                 \
        double start = now();                                           \
        while (now() - start < seconds)                                 \
            for (int i = 0; i < 100000; i++) x = x * 2862933555777941757ULL + k; \
        sink += x;                                                      \
        return NULL;                                                    \
    }

SPIN(worker_alpha, 1)
SPIN(worker_beta, 3)
SPIN(worker_gamma, 5)

int main(int argc, char **argv) {
    if (argc > 1) seconds = atof(argv[1]);
    pthread_t a, b;
    pthread_create(&a, NULL, worker_alpha, NULL);
    pthread_create(&b, NULL, worker_beta, NULL);
    worker_gamma(NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
