"""Spins in `busy` until killed; prints `ready` once it runs."""

import time


def busy():
    x = 0
    while True:
        for i in range(1000):
            x += i


print("ready", flush=True)
time.sleep(0.05)
busy()
