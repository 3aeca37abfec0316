"""A fixed amount of CPU-bound work (for benchmarks): `rounds` calls of
`hot` and `cold`, hot doing four times cold's work. Prints the CPU time it
used: cpu=<seconds>."""

import sys
import time


def hot(n):
    x = 0
    for i in range(4 * n):
        x += i * i
    return x


def cold(n):
    x = 0
    for i in range(n):
        x += i * i
    return x


def main(rounds):
    for _ in range(rounds):
        hot(5000)
        cold(5000)


main(int(sys.argv[1]))
print(f"cpu={time.process_time():.6f}")
