"""`kiln exec`'s Python test program: heavy (3 parts) and light (1 part)
for SECONDS (argv[1]) of CPU time; prints the seconds each measured."""
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
    # Rounds are timed with perf_counter (no system call). The CPU clock is
    # a system call at which the kernel preempts a thread whose slice ran
    # out, so on a busy machine a spy would find the thread on that line far
    # more often than its cost; it is read only every 40 rounds.
    heavy_s = light_s = 0.0
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        for _ in range(40):
            t0 = time.perf_counter()
            heavy(4000)
            t1 = time.perf_counter()
            light(4000)
            heavy_s += t1 - t0
            light_s += time.perf_counter() - t1
    print(f"heavy_seconds={heavy_s:f} light_seconds={light_s:f}", flush=True)


main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
