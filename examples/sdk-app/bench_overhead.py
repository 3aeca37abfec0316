#!/usr/bin/env python3
"""kiln-sdk's overhead beside the Pyroscope Rust SDK's (pprof-rs backend).

Runs the example's fixed workload (--rounds N, one thread) unprofiled and
profiled at 100 Hz, interleaved, RUNS times each, for sdk-app (kiln-sdk) and
pyroscope-peer (each against its own unprofiled run), pushing to the kiln
server at URL every 10 s. CPU time is user + sys of the whole process
(collector threads included). For each workload size it prints the medians
and the overhead; with two sizes it also prints the marginal overhead,
(profiled long - profiled short) / (unprofiled long - unprofiled short) - 1,
which leaves out the fixed cost of a run (starting the agent, loading the
binary's debug info for the first symbolisation, the last push).

usage: bench_overhead.py SDK_APP PYROSCOPE_PEER URL [ROUNDS[,ROUNDS]] [RUNS]
"""
import os
import statistics
import subprocess
import sys
import time


def run(mode, exe, args):
    started = time.monotonic()
    child = subprocess.Popen([exe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate()
    status = child.returncode
    wall = time.monotonic() - started
    text = out.decode() + err.decode()
    if status != 0 or ("kiln-sdk" in mode and "pushes_failed=0" not in text):
        sys.exit(f"{mode}: {exe} {args} failed: {text}")
    return wall


def cpu_of(exe, args, mode):
    """Runs once; returns (cpu seconds, wall seconds) from the child's rusage."""
    before = os.times()
    wall = run(mode, exe, args)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system), wall


def main():
    sdk_app, peer, url = sys.argv[1:4]
    sizes = (sys.argv[4] if len(sys.argv) > 4 else "6000").split(",")
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    profiled = ["--server", url, "--rate", "100", "--interval-ms", "10000"]
    pairs = [("kiln-sdk", sdk_app), ("pyroscope", peer)]
    results = {}
    print(f"load average before: {os.getloadavg()}")
    for _ in range(runs):
        for rounds in sizes:
            for name, exe in pairs:
                for profiled_mode in (False, True):
                    key = (name, rounds, profiled_mode)
                    args = ["--rounds", rounds] + (profiled if profiled_mode else [])
                    mode = name if profiled_mode else "unprofiled"
                    results.setdefault(key, []).append(cpu_of(exe, args, mode))
    print(f"runs={runs} load average after: {os.getloadavg()}")
    median = {k: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v)) for k, v in results.items()}
    for (name, rounds, profiled_mode), samples in results.items():
        cpu, wall = median[(name, rounds, profiled_mode)]
        label = f"{name} {'profiled 100 Hz' if profiled_mode else 'unprofiled'} rounds={rounds}"
        runs_text = ", ".join(f"{c:.3f}" for c, _ in samples)
        print(f"{label:45} cpu {cpu:7.3f} s  wall {wall:7.3f} s  (cpu runs: {runs_text})")
    for name, _ in pairs:
        for rounds in sizes:
            p, u = median[(name, rounds, True)], median[(name, rounds, False)]
            print(f"{name:10} rounds={rounds:6}: overhead cpu {100 * (p[0] / u[0] - 1):+.2f}%  wall {100 * (p[1] / u[1] - 1):+.2f}%")
        if len(sizes) > 1:
            short, long = sizes[0], sizes[-1]
            profiled_delta = median[(name, long, True)][0] - median[(name, short, True)][0]
            unprofiled_delta = median[(name, long, False)][0] - median[(name, short, False)][0]
            print(f"{name:10} marginal cpu overhead ({short} -> {long} rounds): {100 * (profiled_delta / unprofiled_delta - 1):+.2f}%")


if __name__ == "__main__":
    main()
