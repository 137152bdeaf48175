#!/usr/bin/env python3
"""The Python package over bench/store's synthetic store: wall and CPU time of
open + profile() (the whole range) + top(25), then of to_dataframe() (per frame
and per function), and the process's peak RSS after each step.

    build/bin/ember_bench_store --hours 24 --path /tmp/ember-bench-store.db
    PYTHONPATH=build/python /usr/bin/python3 bench/store/python_bench.py \\
        /tmp/ember-bench-store.db

Prints one markdown table row (the columns of docs/benchmarks.md).
"""
import resource
import sys
import time

t0, c0 = time.perf_counter(), time.process_time()
import ember  # noqa: E402  (the import is part of what a script pays)


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(path):
    store = ember.open_store(path)
    profile = store.profile()
    rows = profile.top(25)
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    load_rss = peak_mb()
    t1, c1 = time.perf_counter(), time.process_time()
    frames = profile.to_dataframe()
    df_s, df_cpu = time.perf_counter() - t1, time.process_time() - c1
    df_rss = peak_mb()
    t2 = time.perf_counter()
    functions = profile.to_dataframe(per="function")
    fn_s = time.perf_counter() - t2
    print(f"| {profile.total:,} samples, {len(list(profile.frames())):,} frames "
          f"| {load_s:.2f} s ({load_cpu:.2f} s CPU) | {load_rss:.0f} MB "
          f"| {df_s:.2f} s ({df_cpu:.2f} s CPU), {len(frames):,} rows | {df_rss:.0f} MB "
          f"| {fn_s:.2f} s, {len(functions):,} rows | top: {rows[0].name} {rows[0].self:.2%} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/ember-bench-store.db")
