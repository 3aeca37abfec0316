"""A main thread, a second thread, a child started with subprocess (a fresh
interpreter) and one forked by multiprocessing, each burning `seconds` of
its own CPU time in its own function. Prints `subprocess=<pid>` and
`forked=<pid>`."""

import multiprocessing
import subprocess
import sys
import threading
import time


def burn(seconds):
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        for i in range(1000):
            x += i
    return x


def main_work(seconds):
    return burn(seconds)


def thread_work(seconds):
    return burn(seconds)


def sub_work(seconds):
    return burn(seconds)


def fork_work(seconds):
    return burn(seconds)


def main(seconds):
    sub = subprocess.Popen([sys.executable, __file__, "sub", str(seconds)])
    print(f"subprocess={sub.pid}", flush=True)
    forked = multiprocessing.get_context("fork").Process(target=fork_work, args=(seconds,))
    forked.start()
    print(f"forked={forked.pid}", flush=True)
    worker = threading.Thread(target=thread_work, args=(seconds,))
    worker.start()
    main_work(seconds)
    worker.join()
    forked.join()
    sub.wait()


if sys.argv[1] == "sub":
    sub_work(float(sys.argv[2]))
else:
    main(float(sys.argv[1]))
