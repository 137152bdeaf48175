#!/usr/bin/env python3
"""The agent serves the web UI over its own store ([ui] enabled = true).

- `ember agent --ui` (what emberd runs under `make run`) with the store sink
  and `[ui] listen = 127.0.0.1:<free port>` against a spin workload: the API answers on that
  port while the agent profiles; /api/v1/summary names the workload, and the
  flame graph of the first three stored windows holds exactly the samples
  the store holds for the workload in them (read back through StoreReader,
  tools/store_dump), most of them in spin_leaf.
- Requests do not stall sampling: while the API answers a burst of flame
  graph requests, the agent goes on closing windows with the workload's
  samples in each.
- `[ui] enabled` without the store sink is refused at start and by
  --check-config, naming the key.

Truth: the store the agent wrote (and the workload's code).
"""
import json
import os
import socket
import time
import unittest
import urllib.error
import urllib.request

import ember_it as it
from test_store import FREQUENCY, dump, wait_windows, write_config


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, timeout=30):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return json.loads(r.read())


def wait_api(test, port, agent, timeout=15.0):
    """The summary, once the agent's server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if agent.proc.poll() is not None:
            raise AssertionError("the agent exited early\n" + agent.finish().describe())
        try:
            return get(port, "/api/v1/summary")
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"nothing answers on 127.0.0.1:{port} after {timeout} s")


class AgentUi(unittest.TestCase):
    def setUp(self):
        store_dump = os.environ.get("EMBER_IT_STORE_DUMP", "")
        if not store_dump or not os.path.exists(store_dump):
            self.fail(f"EMBER_IT_STORE_DUMP={store_dump!r} does not exist; build first")

    def test_agent_serves_what_it_stored(self):
        tmp = it.scratch_dir(self)
        store = os.path.join(tmp, "ember.db")
        spin = it.start(self, [it.copy_workload(self, "spin", "ui_spin", tmp), 60])
        port = free_port()
        config = write_config(self, tmp, store, [spin.pid])
        with open(config, "a") as f:
            f.write(f'\n[ui]\nlisten = "127.0.0.1:{port}"\n')
        agent = it.Background(["agent", "--config", config, "--ui", "--window", "1",
                               "--frequency", str(FREQUENCY)])
        self.addCleanup(agent.kill)
        wait_api(self, port, agent)
        doc = wait_windows(self, store, 3, agent)

        summary = get(port, "/api/v1/summary")
        self.assertGreaterEqual(summary["windows"], 3, summary)
        self.assertIn("ui_spin", summary["processes"], summary)

        first = doc["windows"][:3]
        truth = 0
        for w in first:
            truth += sum(p["samples"] for p in w["processes"] if p["pid"] == spin.pid)
        self.assertGreater(truth, 60, "the workload has too few samples to compare")
        query = (f"/api/v1/flamegraph?pid={spin.pid}&view=native&resolution=0"
                 f"&from={first[0]['start_ns']}&to={first[-1]['end_ns']}")
        answer = get(port, query)
        nodes, strings = answer["nodes"], answer["strings"]
        self.assertEqual(answer["range"]["samples"], truth, answer["range"])
        self.assertEqual(nodes[0][6], truth)
        leaf = sum(n[5] for n in nodes if strings[n[0]] == "spin_leaf")
        self.assertGreater(it.share(leaf, truth), 80.0,
                           f"spin_leaf has {leaf} of {truth} samples")

        # A burst of requests (no answer repeats, a new window moves "now") while
        # the agent samples: windows keep closing, each with the workload.
        before = len(dump(store)["windows"])
        began = time.monotonic()
        for n in range(12):
            get(port, f"/api/v1/flamegraph?pid={spin.pid}&resolution={n}")
            get(port, f"/api/v1/timeline?from=-{n + 1}m")
        later = wait_windows(self, store, before + 3, agent)
        for w in later["windows"][before:before + 3]:
            samples = sum(p["samples"] for p in w["processes"] if p["pid"] == spin.pid)
            self.assertGreater(samples, 20, f"window {w['start_ns']}: {samples} samples "
                               f"of ui_spin while the UI answered")
        print(f"\nagent ui: {truth} samples in 3 windows; 24 requests in "
              f"{time.monotonic() - began:.1f} s")

    def test_ui_without_the_store_sink_is_refused(self):
        tmp = it.scratch_dir(self)
        spin = it.start(self, [it.copy_workload(self, "spin", "ui_spin2", tmp), 60])
        config = it.config_file(
            self, f"[processes]\npids = [{spin.pid}]\n\n[runtime.native]\nenabled = true\n\n"
            f'[ui]\nenabled = true\nlisten = "127.0.0.1:{free_port()}"\n',
            plugin_dirs=[it.PLUGIN_DIR])
        res = it.run_ember(["agent", "--config", config], timeout=30)
        self.assertEqual(res.returncode, 1, res.describe())
        self.assertIn("ui.enabled", res.stderr, res.describe())
        self.assertIn("[sink.store]", res.stderr, res.describe())
        checked = it.run_ember(["agent", "--config", config, "--check-config"], timeout=30)
        self.assertEqual(checked.returncode, 2, checked.describe())
        self.assertIn("ui.enabled", checked.stderr, checked.describe())


if __name__ == "__main__":
    it.main()
