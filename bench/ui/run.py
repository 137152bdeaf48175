#!/usr/bin/env python3
"""The web UI's costs over bench/store's synthetic host (`ember_bench_store
--hours 24` writes the store): `ember ui` on a free loopback port, then

- API latency: wall time of each endpoint for the last hour and the whole
  day: the first request of a fresh `ember ui` (it reads the store; also
  that process' CPU time for it, steadier than wall time on a busy machine)
  and the first request after the range's timeline (as the UI asks: the store was
  read by the timeline), and the median of --repeat more (answered from
  what was kept: core/ui/lru_cache.hpp), answer size;
- with --paint RUNS, in Chromium (playwright-core from tests/e2e,
  paint.mjs): over the whole span of each --paint-store, a fresh `ember ui`
  per run, the time from navigation to the first drawn flame graph, the
  redraw after a range change (the span's second half) and after a click to
  zoom, the canvas draw alone and a hover's tooltip; medians of the runs.
  The UI marks each render (`ember:render-start`, `ember:drawn`, the measure
  `ember:render`: web/src/app.js).

    build/bin/ember_bench_store --hours 24
    bench/ui/run.py --ember build/bin/ember [--store /tmp/ember-bench-store.db]
                    [--baseline OLD_EMBER [--baseline-store OLD_STORE]]
                    [--first-cpu RUNS]
                    [--paint RUNS [--paint-store STORE]...]

--first-cpu RUNS measures only the CPU of a fresh `ember ui`'s first flame
graph and function table of the host (1 h and 24 h), RUNS times each,
the binaries alternating, and prints their medians (and ratio).

With --baseline (an older `ember` binary), each measurement is taken with
both binaries in turn, in the same run, and the table shows before -> after
and their ratio; an older ember refuses a store of a newer schema, so it may
read its own copy of the synthetic host (--baseline-store). Prints tables
for docs/benchmarks.md; asserts nothing.
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
START = 1_795_600_000  # ember_bench_store's first window (epoch seconds)
DAY = 24 * 3600


def cpu_seconds(pid):
    """User + system CPU of a process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get(url):
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
    return time.perf_counter() - began, body


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ember", default=os.path.join(ROOT, "build", "bin", "ember"))
    parser.add_argument("--store", default="/tmp/ember-bench-store.db")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", help="an older ember binary to measure side by side")
    parser.add_argument("--first-cpu", type=int, metavar="RUNS",
                        help="only the first requests' CPU, RUNS times each, alternating")
    parser.add_argument("--paint", type=int, metavar="RUNS",
                        help="only the browser's times, RUNS fresh `ember ui` each")
    parser.add_argument("--paint-store", action="append", metavar="STORE",
                        help="a store whose whole span --paint shows (repeatable; "
                             "default --store)")
    parser.add_argument("--baseline-store",
                        help="the store the baseline reads (a copy of --store written by the "
                             "older ember, when its schema is older); default --store")
    args = parser.parse_args()
    binaries = [args.baseline, args.ember] if args.baseline else [args.ember]
    stores = {args.ember: args.store}
    if args.baseline:
        stores[args.baseline] = args.baseline_store or args.store

    def serve(binary=args.ember):
        ui = subprocess.Popen([binary, "ui", "--store", stores[binary], "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, text=True)
        return ui, ui.stdout.readline().split()[3]

    def shown(times):
        """"1,234 ms" or, with a baseline, "1,234 -> 123 ms (10.0x)"."""
        if len(times) == 1:
            return f"{times[0] * 1000:,.0f} ms"
        return (f"{times[0] * 1000:,.0f} -> {times[1] * 1000:,.0f} ms "
                f"({times[0] / times[1]:.1f}x)")

    def stop(ui):
        ui.terminate()
        ui.wait()

    hour = (START + DAY - 3600, START + DAY)
    day = (START, START + DAY)
    if args.first_cpu:
        return first_cpu(args.first_cpu, binaries, serve, stop, hour, day)
    if args.paint:
        def serve_store(binary, path):
            ui = subprocess.Popen([binary, "ui", "--store", path, "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, text=True)
            return ui, ui.stdout.readline().split()[3]
        return paint(args.paint, args.paint_store or [args.store], args.ember, serve_store)
    ui, url = serve()
    targets = json.loads(get(f"{url}api/v1/targets?from={hour[0]}&to={hour[1]}&limit=500")[1])
    stop(ui)
    pid = next(t for t in targets["targets"] if t["param"] == "pid")
    print("| endpoint | range | selection | first request | its CPU | after the timeline "
          "| again (median) | answer |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (a, b) in (("1 h", hour), ("24 h", day)):
        for endpoint in ("timeline", "targets", "flamegraph", "functions"):
            for selection in ("", f"&pid={pid['value']}"):
                if endpoint == "targets" and selection:
                    continue
                path = f"api/v1/{endpoint}?from={a}&to={b}{selection}"
                firsts, cpus, afters, agains = [], [], [], []
                for binary in binaries:
                    ui, url = serve(binary)
                    try:
                        cpu_before = cpu_seconds(ui.pid)
                        first, body = get(url + path)
                        cpus.append(cpu_seconds(ui.pid) - cpu_before)
                    finally:
                        stop(ui)
                    ui, url = serve(binary)
                    try:
                        get(f"{url}api/v1/timeline?from={a}&to={b}{selection}")
                        after_timeline = get(url + path)[0]
                        times = [get(url + path)[0] for _ in range(args.repeat)]
                    finally:
                        stop(ui)
                    firsts.append(first)
                    afters.append(after_timeline)
                    agains.append(statistics.median(times))
                what = f"pid {pid['value']}" if selection else "host"
                print(f"| {endpoint} | {name} | {what} | {shown(firsts)} | {shown(cpus)} "
                      f"| {shown(afters)} "
                      f"| {shown(agains)} | {len(body) / 1024:,.0f} KiB |", flush=True)


def store_span(path):
    """(first window start, last window end, distinct stacks) of a store, epoch seconds."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        first, last = db.execute("SELECT min(start_ns), max(end_ns) FROM windows").fetchone()
        stacks = db.execute("SELECT count(*) FROM stacks").fetchone()[0]
    finally:
        db.close()
    return first // 10**9, -(-last // 10**9), stacks


def paint(runs, store_paths, binary, serve_store):
    """The browser's times (paint.mjs) over each store's whole span, a fresh
    `ember ui` per run; medians (and ranges) in a table."""
    print("| store | distinct stacks | tree nodes | frames drawn | first paint | of which scripts "
          "loaded | of which API answers | redraw after a range change | click to zoom "
          "| canvas draw | hover to next frame |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path in store_paths:
        first, last, stacks = store_span(path)
        query = f"?from={first}&to={last}"
        new_from = str((first + last) // 2)
        results = []
        for _ in range(runs):
            ui, url = serve_store(binary, path)
            try:
                node = subprocess.run(["node", os.path.join(HERE, "paint.mjs"), url, query, new_from],
                                      capture_output=True, text=True, timeout=900,
                                      cwd=os.path.join(ROOT, "tests", "e2e"))
            finally:
                ui.terminate()
                ui.wait()
            if node.returncode != 0:
                sys.exit(f"paint.mjs failed over {path}:\n{node.stdout}{node.stderr}")
            results.append(json.loads(node.stdout.strip().splitlines()[-1]))

        def cell(key):
            values = [r[key] for r in results]
            return (f"{statistics.median(values):,.0f} ms "
                    f"({min(values):,.0f}-{max(values):,.0f})")
        hover = statistics.median(r["hover"] for r in results)
        print(f"| {os.path.basename(path)} | {stacks:,} | {results[0]['nodes']:,} "
              f"| {results[0]['drawn']:,} | {cell('first')} | {cell('scripts')} | {cell('api')} "
              f"| {cell('redraw')} | {cell('zoom')} "
              f"| {cell('draw')} | {hover:,.1f} ms |", flush=True)


def first_cpu(runs, binaries, serve, stop, hour, day):
    """CPU of a fresh `ember ui`'s first request, `runs` times per binary in turn."""
    print("| first request, CPU (ms) | range | " + " | ".join(binaries) +
          (" | ratio |" if len(binaries) == 2 else " |"))
    print("|---|---|" + "---|" * (len(binaries) + (len(binaries) == 2)))
    for name, (a, b) in (("1 h", hour), ("24 h", day)):
        for endpoint in ("flamegraph", "functions"):
            cpus = {binary: [] for binary in binaries}
            for _ in range(runs):
                for binary in binaries:
                    ui, url = serve(binary)
                    try:
                        before = cpu_seconds(ui.pid)
                        get(f"{url}api/v1/{endpoint}?from={a}&to={b}")
                        cpus[binary].append((cpu_seconds(ui.pid) - before) * 1000)
                    finally:
                        stop(ui)
            medians = [statistics.median(cpus[binary]) for binary in binaries]
            cells = [f"{m:,.0f} ({min(cpus[x]):,.0f}-{max(cpus[x]):,.0f})"
                     for m, x in zip(medians, binaries)]
            ratio = f" | {medians[0] / medians[1]:.2f}x" if len(binaries) == 2 else ""
            print(f"| {endpoint}, host | {name} | " + " | ".join(cells) + ratio + " |", flush=True)


if __name__ == "__main__":
    main()
