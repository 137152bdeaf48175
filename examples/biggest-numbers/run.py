#!/usr/bin/python3
"""Runs the biggest-numbers story end to end: the app twice, once with the
naive __get_biggest_five_of and once with heapq.nlargest, each under its own
load loop, both recorded by one `ember record` (so both see the same machine),
then prints how much of each app's CPU went into __get_biggest_five_of and
where the profiles are.

    make build && sudo examples/biggest-numbers/run.py

Needs root (ember loads BPF programs). Nothing in the app is changed or
instrumented for profiling.
"""

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HOT_FUNCTION = "__get_biggest_five_of"
VIEW = "top_five_payments"
IMPLEMENTATIONS = ("naive", "heapq")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10, help="seconds recorded (default 10)")
    parser.add_argument("--frequency", type=int, default=499, help="samples/s per CPU (default 499)")
    parser.add_argument("--count", type=int, default=3000, help="payments per request (default 3000)")
    parser.add_argument("--output-dir", help="where profiles go (default: a new directory in /tmp)")
    parser.add_argument("--ember", default=os.environ.get("EMBER_BIN") or
                        os.path.join(REPO, "build", "bin", "ember"),
                        help="the ember binary (default: $EMBER_BIN, else build/bin/ember)")
    parser.add_argument("--plugin-dir", default=os.environ.get("EMBER_PLUGIN_DIR"),
                        help="ember's plugin directory (default: next to the binary)")
    parser.add_argument("--python", default="/usr/bin/python3.11",
                        help="the interpreter that runs the app (needs Flask; default: "
                             "Debian's /usr/bin/python3.11 with python3-flask)")
    parser.add_argument("--summary", help="also write the results as JSON to this file")
    return parser.parse_args()


def fail(message):
    print(f"run.py: {message}", file=sys.stderr)
    sys.exit(1)


class Child:
    """A process of this run, in its own session so it can be stopped whole."""

    def __init__(self, argv, log_path, **kwargs):
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)

    def first_line(self, prefix, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith(prefix):
                return line.strip()
        fail(f"{self.proc.args} printed no '{prefix}' (see {self.log.name})")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            out, _ = self.proc.communicate()
        self.log.close()
        return out


def ember_config(output_dir, plugin_dir):
    config = os.path.join(HERE, "ember.toml")
    if not plugin_dir:
        return config
    path = os.path.join(output_dir, "ember.toml")
    with open(config) as src, open(path, "w") as dst:
        dst.write(f'[agent]\nplugin_dirs = ["{plugin_dir}"]\n\n' + src.read())
    return path


def read_profile(path):
    """{pid: Counter(stack tuple root first -> samples)} and the frame kinds."""
    with open(path) as f:
        doc = json.load(f)
    frames = doc["shared"]["frames"]
    kinds = doc.get("ember", {}).get("frame_kinds") or ["?"] * len(frames)
    by_pid = collections.defaultdict(collections.Counter)
    for profile in doc["profiles"]:
        # "comm (pid N) / thread (tid N)"
        pid = int(profile["name"].split("(pid ", 1)[1].split(")", 1)[0])
        for sample, weight in zip(profile["samples"], profile["weights"]):
            by_pid[pid][tuple(sample)] += weight
    return frames, kinds, by_pid


def summarize(frames, kinds, stacks):
    total = sum(stacks.values())
    hot = sum(n for stack, n in stacks.items()
              if any(frames[i]["name"].endswith(HOT_FUNCTION) for i in stack))
    # The heaviest path from the view function down to the last Python frame,
    # as a user would read it in the flame graph: Python frames and the C
    # functions between them (a builtin calling back into Python), without
    # what runs below the last Python frame.
    paths = collections.Counter()
    for stack, n in stacks.items():
        names = [frames[i]["name"] for i in stack]
        python = [k for k, i in enumerate(stack) if kinds[i] == "python"]
        views = [k for k in python if names[k].endswith(VIEW)]
        if views:
            paths[" → ".join(names[views[-1]:python[-1] + 1])] += n
    return {"samples": total, "hot_samples": hot,
            "hot_share": 100.0 * hot / total if total else 0.0,
            "hottest_paths": paths.most_common(3)}


def write_folded(path, frames, stacks):
    with open(path, "w") as f:
        for stack, n in sorted(stacks.items(), key=lambda item: -item[1]):
            names = [frames[i]["name"].replace(";", ":").replace(" ", "_") for i in stack]
            f.write(";".join(names) + f" {n}\n")


def main():
    args = parse_args()
    if os.geteuid() != 0:
        fail("ember needs root to load its BPF programs: run `sudo " + " ".join(sys.argv) + "`")
    if not os.access(args.ember, os.X_OK):
        fail(f"no ember binary at {args.ember}: run `make build` first (or pass --ember)")
    if not os.access(args.python, os.X_OK):
        fail(f"no {args.python}: install python3-flask (scripts/install-deps.sh) or pass --python")
    out = args.output_dir or tempfile.mkdtemp(prefix="ember-biggest-numbers-")
    os.makedirs(out, exist_ok=True)

    children = []
    try:
        apps = {}
        for impl in IMPLEMENTATIONS:
            app = Child([args.python, os.path.join(HERE, "app.py"), "--port", "0",
                         "--implementation", impl], os.path.join(out, f"{impl}-app.log"))
            children.append(app)
            apps[impl] = app
        urls = {}
        for impl, app in apps.items():
            urls[impl] = app.first_line("listening on ").split()[2]
            print(f"{impl:5}: app pid {app.proc.pid} at {urls[impl]}")
        clients = {}
        for impl in IMPLEMENTATIONS:
            client = Child([args.python, os.path.join(HERE, "load.py"), urls[impl],
                            "--count", str(args.count)], os.path.join(out, f"{impl}-load.log"))
            children.append(client)
            clients[impl] = client
        time.sleep(1)  # the first requests: imports, caches

        profile = os.path.join(out, "biggest-numbers.speedscope.json")
        cmd = [args.ember, "record", "--duration", str(args.duration),
               "--frequency", str(args.frequency), "--output", profile,
               "--config", ember_config(out, args.plugin_dir)]
        for app in apps.values():
            cmd += ["--pid", str(app.proc.pid)]
        print(f"recording both apps with ember for {args.duration:g} s at "
              f"{args.frequency} Hz ...", flush=True)
        with open(os.path.join(out, "ember.log"), "w") as log:
            recorded = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, timeout=args.duration + 60)
        if recorded.returncode != 0:
            fail(f"ember record failed ({recorded.returncode}); see {log.name}")
        served = {impl: clients[impl].stop().strip() for impl in IMPLEMENTATIONS}
    finally:
        for child in reversed(children):
            child.stop()

    frames, kinds, by_pid = read_profile(profile)
    results = {"profile": profile, "output_dir": out, "versions": {}}
    for impl, app in apps.items():
        stacks = by_pid.get(app.proc.pid, collections.Counter())
        folded = os.path.join(out, f"{impl}.folded")
        write_folded(folded, frames, stacks)
        summary = summarize(frames, kinds, stacks)
        summary.update(pid=app.proc.pid, folded=folded, load=served[impl])
        results["versions"][impl] = summary

    print(f"\nshare of the app's CPU samples in {HOT_FUNCTION} (and what it calls):")
    for impl, s in results["versions"].items():
        print(f"  {impl:5}  {s['hot_share']:5.1f} %  ({s['hot_samples']} of {s['samples']} "
              f"samples; load client: {s['load']})")
    for impl, s in results["versions"].items():
        print(f"\nheaviest stacks under the request handler, to the last Python frame ({impl}):")
        for path, n in s["hottest_paths"]:
            print(f"  {100.0 * n / s['samples']:5.1f} %  {path}")
    print(f"\nprofiles in {out}:\n"
          f"  {os.path.basename(profile)}  both apps, one profile per thread: open it in "
          f"https://www.speedscope.app\n"
          f"  naive.folded, heapq.folded  collapsed stacks per app: flamegraph.pl naive.folded "
          f"> naive.svg")
    if args.summary:
        with open(args.summary, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
