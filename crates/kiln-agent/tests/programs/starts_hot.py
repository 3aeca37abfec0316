"""Burns CPU in `first_burst` as its very first action, then in `second`,
then exits with the status given: a short run whose beginning must be seen."""

import sys
import time


def spin(seconds):
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        x += 1
    return x


def first_burst():
    return spin(0.15)


def second():
    return spin(0.15)


first_burst()
second()
sys.exit(int(sys.argv[1]))
