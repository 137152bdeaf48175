#!/usr/bin/env python3
"""The web UI end to end: the real agent records a Python service whose hot
function changes partway (switch_hot.py: parse_requests for 12 s of CPU
time, then render_pages for 8 s) into a store, beside another process of the same
code outside the service running only render_pages (compare mode's other
target); `ember ui` serves it on a free loopback
port; ui_browser_test.mjs drives Debian's Chromium through playwright-core
and checks what a person sees against the truth `ember report` computes from
the same store (see that file for the steps). Screenshots of each step go to
tests/e2e/artifacts/.
"""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import ember_it as it  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3.11"
FREQUENCY = 199
SERVICE = "switcher"
FIRST, SECOND = "parse_requests", "render_pages"


def config(test, store, pids):
    return it.config_file(test, (
        f"[processes]\npids = [{', '.join(map(str, pids))}]\n\n"
        f'[[service]]\nname = "{SERVICE}"\nmatch_cmdline = "switch_hot\\\\.py 12 8"\n\n'
        "[runtime.native]\nenabled = true\n\n"
        "[runtime.cpython]\nenabled = true\nrequired = true\n\n"
        f'[sink.store]\nenabled = true\nrequired = true\npath = "{store}"\n'),
        agent="window_seconds = 1", plugin_dirs=[it.PLUGIN_DIR])


def shares(store, *range_args):
    """Each function's share of the service's samples (0..1) in a range, from
    `ember report`'s collapsed stacks: the truth the page is checked against."""
    res = it.run_ember(["report", "--store", store, "--service", SERVICE, "--format", "folded",
                        *range_args])
    if res.returncode != 0:
        raise AssertionError("ember report failed\n" + res.describe())
    total, per = 0, {}
    for line in res.stdout.splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for name in set(stack.split(";")):
            per[name] = per.get(name, 0) + int(count)
    return {name: n / total for name, n in per.items()}, total


class UiBrowser(unittest.TestCase):
    def setUp(self):
        for path, what in ((PYTHON, "Debian's python3.11"), ("/usr/bin/chromium", "chromium"),
                           (os.path.join(HERE, "node_modules", "playwright-core"),
                            "playwright-core (scripts/install-deps.sh runs npm ci in tests/e2e)")):
            if not os.path.exists(path):
                self.fail(f"{what} is missing: {path}")

    def record(self, store):
        service = it.start(self, [PYTHON, os.path.join(HERE, "switch_hot.py"), "12", "8"])
        # Another process of the same code beside the service, outside it (the
        # service rule matches the arguments too), running only SECOND for the
        # whole recording: compare mode's other target.
        other = it.start(self, [PYTHON, os.path.join(HERE, "switch_hot.py"), "0", "20"])
        agent = it.Background(["agent", "--config", config(self, store, [service.pid, other.pid]),
                               "--frequency", str(FREQUENCY)])
        self.addCleanup(agent.kill)
        agent.wait_sampling()
        time.sleep(1.0)  # the CPython plugin attaches at the first samples
        other.proc.send_signal(signal.SIGUSR1)
        service.proc.send_signal(signal.SIGUSR1)
        lines = service.wait_line("done", timeout=60)
        agent.proc.send_signal(signal.SIGTERM)
        res = agent.finish()
        self.assertEqual(res.returncode, 0, "the agent failed\n" + res.describe())
        times = {w[0]: int(w[1]) for w in (line.split() for line in lines) if len(w) == 2}
        return times["start"], times["switch"], times["done"], other.pid

    def serve(self, store):
        ui = subprocess.Popen([it.EMBER, "ui", "--store", store, "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
        self.addCleanup(lambda: (ui.poll() is None and ui.terminate(), ui.wait(10)))
        line = ui.stdout.readline()
        if not line.startswith("ember ui: serving http://127.0.0.1:"):
            ui.kill()
            self.fail(f"ember ui did not start: {line!r} {ui.stderr.read()}")
        return line.split()[3], ui

    def test_the_story_in_a_browser(self):
        store = os.path.join(it.scratch_dir(self), "ember.db")
        start, switch, done, other_pid = self.record(store)
        overall, samples = shares(store)
        self.assertGreater(samples, 1000, "too few samples to check shares")
        self.assertGreater(overall.get(FIRST, 0), overall.get(SECOND, 0),
                           f"the first function is not the hotter overall: {overall}")
        second_from = (switch + 1_500_000_000) / 1e9
        late, _ = shares(store, "--from", f"{second_from:.3f}")
        early, _ = shares(store, "--to", f"{switch / 1e9:.3f}")
        url, ui = self.serve(store)

        truth = {
            "service": SERVICE, "first": FIRST, "second": SECOND,
            "first_share": overall.get(FIRST, 0), "second_share_late": late.get(SECOND, 0),
            "start": start / 1e9, "switch": switch / 1e9, "done": done / 1e9,
            "second_from": second_from, "other_pid": other_pid,
        }
        print(f"truth: {samples} samples, {FIRST} {overall.get(FIRST, 0):.2%} overall, "
              f"{SECOND} {late.get(SECOND, 0):.2%} after the switch, "
              f"{FIRST} {early.get(FIRST, 0):.2%} before it")
        artifacts = os.environ.get("EMBER_E2E_ARTIFACTS", os.path.join(HERE, "artifacts"))
        os.makedirs(artifacts, exist_ok=True)
        env = dict(os.environ, EMBER_UI_URL=url, EMBER_UI_TRUTH=json.dumps(truth),
                   EMBER_E2E_ARTIFACTS=artifacts)
        node = subprocess.run(["node", os.path.join(HERE, "ui_browser_test.mjs")], env=env,
                              capture_output=True, text=True, timeout=180)
        sys.stdout.write(node.stdout)
        ui.send_signal(signal.SIGTERM)
        _, ui_err = ui.communicate(timeout=10)
        self.assertEqual(node.returncode, 0, f"the browser test failed:\n{node.stdout}\n"
                         f"{node.stderr}\nember ui's stderr:\n{ui_err}")
        self.assertEqual(ui.returncode, 0, f"ember ui exited {ui.returncode}: {ui_err}")


if __name__ == "__main__":
    it.main()
