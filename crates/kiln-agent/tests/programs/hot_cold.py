"""CPU-bound for `seconds` of CPU time: `hot` does four times the work of
`cold`, so it takes about 80% of it. Prints what it measured itself, in CPU
time: hot_share=<fraction of main's CPU in hot>, main_cpu=<seconds in main>."""

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


def main(seconds):
    start = time.thread_time()
    spent = {"hot": 0.0, "cold": 0.0}
    while time.thread_time() - start < seconds:
        t0 = time.thread_time()
        hot(5000)
        t1 = time.thread_time()
        cold(5000)
        t2 = time.thread_time()
        spent["hot"] += t1 - t0
        spent["cold"] += t2 - t1
    print(f"hot_share={spent['hot'] / (spent['hot'] + spent['cold']):.4f}", flush=True)
    print(f"main_cpu={time.thread_time() - start:.4f}", flush=True)


main(float(sys.argv[1]))
