"""A pure-Python workload with a known call tree: main -> work -> hot_a / hot_b.

hot_a and hot_b run the same loop; work calls hot_a with 7 units and hot_b
with 3, so the truth is about 70 % / 30 %. The workload also measures the
thread CPU time each function takes and prints it on SIGTERM:
`truth hot_a=<percent> hot_b=<percent>`. Runs on 2.7 and 3.6+ (no f-strings,
no time.thread_time).
"""

import signal
import sys
import time

from thread_clock import thread_time

UNIT = 20000
spent = {"hot_a": 0.0, "hot_b": 0.0}


def hot_a(units):
    total = 0
    for i in range(units * UNIT):
        total += i * i  # line-hot_a
    return total


def hot_b(units):
    total = 0
    for i in range(units * UNIT):
        total += i * i  # line-hot_b
    return total


def work():
    t0 = thread_time()
    hot_a(7)  # line-work-a
    t1 = thread_time()
    hot_b(3)  # line-work-b
    t2 = thread_time()
    spent["hot_a"] += t1 - t0
    spent["hot_b"] += t2 - t1


def report(*_):
    whole = spent["hot_a"] + spent["hot_b"]
    if whole > 0:
        print("truth hot_a=%.2f hot_b=%.2f" % (100 * spent["hot_a"] / whole,
                                                100 * spent["hot_b"] / whole))
        sys.stdout.flush()
    sys.exit(0)


def main():
    signal.signal(signal.SIGTERM, report)
    deadline = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 30)
    print("ready")
    sys.stdout.flush()
    while time.time() < deadline:
        work()  # line-main
    report()


if __name__ == "__main__":
    main()
