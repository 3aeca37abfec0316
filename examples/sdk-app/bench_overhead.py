#!/usr/bin/env python3
"""kiln-sdk's overhead beside the Pyroscope Rust SDK's (pprof-rs backend).

Runs the example's fixed workload (--rounds N, one thread) unprofiled and
profiled at 100 Hz, interleaved, RUNS times each, for both sdk-app (kiln-sdk)
and pyroscope-peer (each against its own unprofiled build), pushing to the
kiln server at URL every 10 s. Prints the median CPU time (user + sys of the
whole process, collector threads included) and wall time of each, and the
profiled/unprofiled ratios.

usage: bench_overhead.py SDK_APP PYROSCOPE_PEER URL [ROUNDS] [RUNS]
"""
import os
import statistics
import subprocess
import sys
import time


def run(mode, exe, args):
    started = time.monotonic()
    child = subprocess.Popen([exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    out = child.stdout.read().decode() + child.stderr.read().decode()
    if status != 0 or ("kiln-sdk" in mode and "pushes_failed=0" not in out):
        sys.exit(f"{mode}: {exe} {args} failed: {out}")
    return usage.ru_utime + usage.ru_stime, wall


def main():
    sdk_app, peer, url = sys.argv[1:4]
    rounds = sys.argv[4] if len(sys.argv) > 4 else "6000"
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    work = ["--rounds", rounds]
    profiled = ["--server", url, "--rate", "100", "--interval-ms", "10000"]
    modes = {
        "sdk-app unprofiled": (sdk_app, work),
        "sdk-app kiln-sdk 100 Hz": (sdk_app, work + profiled),
        "pyroscope-peer unprofiled": (peer, work),
        "pyroscope-peer pyroscope 100 Hz": (peer, work + profiled),
    }
    results = {mode: [] for mode in modes}
    print(f"load average before: {os.getloadavg()}")
    for _ in range(runs):
        for mode, (exe, args) in modes.items():
            results[mode].append(run(mode, exe, args))
    print(f"rounds={rounds} runs={runs} load average after: {os.getloadavg()}")
    medians = {}
    for mode, samples in results.items():
        cpu = statistics.median(s[0] for s in samples)
        wall = statistics.median(s[1] for s in samples)
        medians[mode] = (cpu, wall)
        print(f"{mode:34} cpu {cpu:7.3f} s  wall {wall:7.3f} s  (cpu runs: {', '.join(f'{s[0]:.3f}' for s in samples)})")
    for sdk, base in [("sdk-app kiln-sdk 100 Hz", "sdk-app unprofiled"),
                      ("pyroscope-peer pyroscope 100 Hz", "pyroscope-peer unprofiled")]:
        cpu = 100 * (medians[sdk][0] / medians[base][0] - 1)
        wall = 100 * (medians[sdk][1] / medians[base][1] - 1)
        print(f"{sdk:34} overhead: cpu {cpu:+.2f}%  wall {wall:+.2f}%")


if __name__ == "__main__":
    main()
