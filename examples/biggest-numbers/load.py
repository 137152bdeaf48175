#!/usr/bin/python3.11
"""A load loop for app.py: one request after another to /payments/top5 with a
random start, until the duration ends or SIGTERM/SIGINT; then prints
`requests=<n> errors=<n> seconds=<s>`."""

import argparse
import http.client
import random
import signal
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", help="the app's base URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--duration", type=float, default=0, help="seconds; 0: until stopped")
    parser.add_argument("--count", type=int, default=3_000, help="payments per request")
    args = parser.parse_args()
    host, _, port = args.url.removeprefix("http://").rstrip("/").partition(":")

    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    rng = random.Random(7)
    requests = errors = 0
    started = time.monotonic()
    deadline = started + args.duration if args.duration > 0 else float("inf")
    while not stopping and time.monotonic() < deadline:
        start = rng.randrange(200_000 - args.count)
        try:
            conn = http.client.HTTPConnection(host, int(port or 80), timeout=10)
            conn.request("GET", f"/payments/top5?start={start}&count={args.count}")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                requests += 1
            else:
                errors += 1
        except OSError:
            if stopping:
                break
            errors += 1
            time.sleep(0.05)
    print(f"requests={requests} errors={errors} seconds={time.monotonic() - started:.2f}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
