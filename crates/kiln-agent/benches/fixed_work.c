/* A fixed amount of CPU-bound work (about 1 s), for overhead measurement:
 * unlike the tests' programs it never looks at the clock. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noipa)) uint64_t leaf(uint64_t x, long n) {
    for (long i = 0; i < n; i++) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
}

__attribute__((noipa)) uint64_t middle(uint64_t x, long n) { return leaf(x, n) ^ 1; }

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 300;
    uint64_t x = 1;
    for (long r = 0; r < rounds; r++) x = middle(x, 1000000);
    printf("%llu\n", (unsigned long long)x);
    return 0;
}
