"""Runs generated modules one after another, each compiled from its own
source (file modN.py) whose top level calls its function spin_N for 0.1 s.
A module's namespace is kept, so its function stays, but its top-level code
object is freed once it ran, and the next module's top-level code object is
often allocated at the same address. Argument: seconds. Runs on 2.7 and
3.6+."""

import sys
import time

SOURCE = """
def spin_%(n)d(deadline):
    total = 0
    while time.time() < deadline:
        for i in range(2000):
            total += i * i
    return total

spin_%(n)d(time.time() + 0.1)
"""


def main():
    end = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 2)
    kept = []
    n = 0
    print("ready")
    sys.stdout.flush()
    while time.time() < end:
        namespace = {"time": time}
        exec(compile(SOURCE % {"n": n}, "mod%d.py" % n, "exec"), namespace)
        kept.append(namespace)
        n += 1


if __name__ == "__main__":
    main()
