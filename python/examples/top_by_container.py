#!/usr/bin/env python3
"""The hottest functions of each container over a time range of an ember store.

    top_by_container.py [--store ember.db] [--from -1h] [--to now] [-n 5]

Processes outside containers are grouped under "(host)".
"""
import argparse
import collections

import ember


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="the store (default: as `ember report` finds it)")
    parser.add_argument("--from", dest="start", default=None, help="start (default: oldest)")
    parser.add_argument("--to", dest="end", default=None, help="end (default: now)")
    parser.add_argument("-n", type=int, default=5, help="functions per container")
    args = parser.parse_args(argv)
    store = ember.open_store(args.store)
    profile = store.profile(args.start, args.end)
    pids = collections.defaultdict(list)
    for process in profile.processes():
        pids[process.container or "(host)"].append(process.pid)
    for container, members in sorted(pids.items()):
        part = profile.filter(pid=members)
        print(f"{container}: {part.total} samples "
              f"({part.total / profile.total:.1%} of the range)")
        for row in part.top(args.n):
            print(f"  {row.self:7.2%} self {row.total:7.2%} total  {row.kind:7} {row.name}")


if __name__ == "__main__":
    main()
