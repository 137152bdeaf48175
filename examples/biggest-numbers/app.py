#!/usr/bin/python3.11
"""The biggest-numbers service: a small Flask app that answers "which were the
five biggest payments in this range?".

    GET /payments/top5?start=<index>&count=<how many>

It keeps 200,000 payment amounts in memory, as `Amount`s: whole cents,
compared by value. Each request takes `count` of them from `start` on and returns the
five biggest. Which code finds them is chosen when the app starts, so the same
file runs before and after the fix:

    BIGGEST_FIVE=naive  (default)  five passes of max() + list.remove()
    BIGGEST_FIVE=heapq             heapq.nlargest(5, ...)

or `--implementation naive|heapq`. The app prints `listening on http://HOST:PORT`
once it accepts requests; `--port 0` picks a free port.
"""

import argparse
import functools
import heapq
import os
import random
import sys

from flask import Flask, abort, jsonify, request
from werkzeug.serving import make_server

IMPLEMENTATIONS = ("naive", "heapq")


@functools.total_ordering
class Amount:
    """An amount of money in cents. Amounts compare by value, so max(),
    list.remove() and heapq work on them as on numbers (total_ordering
    derives >, <= and >= from < and ==)."""

    __slots__ = ("cents",)

    def __init__(self, cents):
        self.cents = cents

    def __eq__(self, other):
        return isinstance(other, Amount) and self.cents == other.cents

    def __hash__(self):
        return hash(self.cents)

    def __lt__(self, other):
        return self.cents < other.cents

    def __str__(self):
        return f"{self.cents // 100}.{self.cents % 100:02d}"


class Payments:
    def __init__(self, implementation, size=200_000, seed=42):
        rng = random.Random(seed)
        # From 0.01 to 10,000.00.
        self.__amounts = [Amount(rng.randrange(1, 1_000_000)) for _ in range(size)]
        self.__use_heapq = implementation == "heapq"

    def __len__(self):
        return len(self.__amounts)

    def biggest_five(self, start, count):
        return self.__get_biggest_five_of(self.__amounts[start:start + count])

    def __get_biggest_five_of(self, numbers):
        if self.__use_heapq:
            return heapq.nlargest(5, numbers)
        numbers = list(numbers)
        biggest = []
        for _ in range(5):
            top = max(numbers)
            numbers.remove(top)
            biggest.append(top)
        return biggest


app = Flask(__name__)
payments = None  # set by serve()


@app.get("/payments/top5")
def top_five_payments():
    start = request.args.get("start", 0, type=int)
    count = request.args.get("count", 3_000, type=int)
    if not (0 <= start < len(payments) and 1 <= count <= len(payments) - start):
        abort(400, f"need 0 <= start < {len(payments)} and 1 <= count <= {len(payments)} - start")
    return jsonify(start=start, count=count,
                   top=[str(amount) for amount in payments.biggest_five(start, count)])


def serve(implementation, host, port):
    global payments
    payments = Payments(implementation)
    # One thread serves every request, so a profile has one thread to read.
    server = make_server(host, port, app, threaded=False)
    print(f"listening on http://{host}:{server.server_port} ({implementation}, pid {os.getpid()})",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--implementation", default=os.environ.get("BIGGEST_FIVE", "naive"),
                        help="naive or heapq (default: $BIGGEST_FIVE, else naive)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    if args.implementation not in IMPLEMENTATIONS:
        parser.error(f"implementation {args.implementation!r}: use one of {IMPLEMENTATIONS}")
    serve(args.implementation, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
