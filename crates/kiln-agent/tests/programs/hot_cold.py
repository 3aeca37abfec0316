"""CPU-bound for `seconds` of CPU time: `hot` does four times the work of
`cold`, so it takes about 80% of it. Prints what it measured itself:
hot_share=<fraction of hot+cold's time in hot>, main_cpu=<CPU seconds in main>."""

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
    # The rounds are timed with `perf_counter`, read without a system call.
    # A CPU-time clock (`thread_time`) is one, and on a busy machine the
    # kernel preempts a thread whose time slice ran out at such a call: a spy
    # reading the stopped thread then finds it on that line of `main` far
    # more often than the line's CPU time warrants (py-spy too). So the CPU
    # clock is read only every 32 rounds (~40 ms).
    start = time.thread_time()
    spent = {"hot": 0.0, "cold": 0.0}
    while time.thread_time() - start < seconds:
        for _ in range(32):
            t0 = time.perf_counter()
            hot(5000)
            t1 = time.perf_counter()
            cold(5000)
            t2 = time.perf_counter()
            spent["hot"] += t1 - t0
            spent["cold"] += t2 - t1
    print(f"hot_share={spent['hot'] / (spent['hot'] + spent['cold']):.4f}", flush=True)
    print(f"main_cpu={time.thread_time() - start:.4f}", flush=True)


main(float(sys.argv[1]))
