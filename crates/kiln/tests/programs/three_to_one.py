"""`kiln exec`'s Python test program: heavy (3 parts) and light (1 part)
for SECONDS (argv[1]) of CPU time; prints the CPU seconds each measured."""
import random
import sys
import time


def heavy(n):
    total = 0
    for i in range(3 * n):
        total += i * i
    return total


def light(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


def main(seconds):
    heavy_s = light_s = 0.0
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        n = random.randint(2000, 8000)
        t0 = time.thread_time()
        heavy(n)
        t1 = time.thread_time()
        light(n)
        heavy_s += t1 - t0
        light_s += time.thread_time() - t1
    print(f"heavy_seconds={heavy_s:f} light_seconds={light_s:f}", flush=True)


main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
