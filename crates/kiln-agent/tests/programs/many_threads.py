"""`count` threads that each wait until the spy has seen them, burn
`seconds` of their own CPU in `burn`, and wait again so the spy sees them
after it: every thread must be paid for its CPU time."""

import sys
import threading
import time


def burn(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def work(seconds):
    time.sleep(0.3)
    burn(seconds)
    time.sleep(0.3)


count, seconds = int(sys.argv[1]), float(sys.argv[2])
threads = [threading.Thread(target=work, args=(seconds,), name=f"worker-{i}") for i in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
