#!/usr/bin/env python3
"""A CI gate on CPU regressions: compares two time ranges of an ember store and
fails when a function's total share of the samples grew by more than
--max-growth percentage points.

    regression_gate.py --store ember.db --before -2h..-1h --after -1h..now \\
        [--service api] [--max-growth 5]

Exits 0 when nothing grew past the limit, 1 when something did (the offenders
are printed), 2 for bad arguments or an unreadable store.
"""
import argparse
import sys

import ember


def time_range(text):
    if ".." not in text:
        raise argparse.ArgumentTypeError(f"expected FROM..TO, got {text!r}")
    first, last = text.split("..", 1)
    return first, last


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="the store (default: as `ember report` finds it)")
    parser.add_argument("--before", type=time_range, required=True,
                        help="baseline range FROM..TO (ember report's times)")
    parser.add_argument("--after", type=time_range, required=True, help="range to check")
    parser.add_argument("--service", action="append", help="only this service (repeatable)")
    parser.add_argument("--process", action="append", help="only this process (repeatable)")
    parser.add_argument("--max-growth", type=float, required=True,
                        help="percentage points of total share a function may gain")
    args = parser.parse_args(argv)
    try:
        store = ember.open_store(args.store)
        filters = dict(service=args.service, process=args.process)
        before = store.profile(*args.before, **filters)
        after = store.profile(*args.after, **filters)
    except (OSError, ValueError) as e:
        print(f"regression_gate: {e}", file=sys.stderr)
        return 2
    rows = before.diff(after, n=0)
    offenders = [r for r in rows if r.delta * 100 > args.max_growth]
    print(f"before: {before.total} samples, after: {after.total} samples; "
          f"limit +{args.max_growth:g} points of total share")
    if not offenders:
        print("ok: no function grew past the limit")
        return 0
    print(f"{len(offenders)} offenders:")
    for r in offenders:
        print(f"  {r.before:7.2%} -> {r.after:7.2%}  ({r.delta * 100:+.2f} points)  "
              f"{r.kind:7} {r.name}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
