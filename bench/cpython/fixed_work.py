"""A fixed amount of the test workload's work (main -> work -> hot_a / hot_b,
tests/integration_cpython/workload.py), started on a "go" line on stdin so a
profiler can attach first. Prints "ready", then after the work
`cpu=<process CPU seconds of the work> wall=<seconds>`."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration_cpython"))
import workload  # noqa: E402


def main():
    cycles = int(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    cpu0, wall0 = time.process_time(), time.monotonic()
    for _ in range(cycles):
        workload.work()
    print("cpu=%.6f wall=%.6f" % (time.process_time() - cpu0, time.monotonic() - wall0),
          flush=True)


if __name__ == "__main__":
    main()
