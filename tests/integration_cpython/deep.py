"""A Python stack deeper than any frame bound: descend() recurses DEPTH
times under main, then spins in leaf(). Prints "ready" once at the bottom."""

import sys
import time

DEPTH = 200


def leaf(deadline):
    total = 0
    while time.time() < deadline:
        for i in range(10000):
            total += i  # line-leaf
    return total


def descend(depth, deadline):
    if depth == 0:
        print("ready")
        sys.stdout.flush()
        return leaf(deadline)
    return descend(depth - 1, deadline)


def main():
    sys.setrecursionlimit(10 * DEPTH)
    descend(DEPTH, time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 30))


if __name__ == "__main__":
    main()
