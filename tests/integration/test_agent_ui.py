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
- The HTTP side is a module (lib/ember/ember-http.so) loaded only for the UI:
  the agent without it maps neither the module nor cpp-httplib, OpenSSL or
  Brotli (/proc/PID/maps once it stored a window); with --ui it maps the
  module and cpp-httplib, and the UI answers.

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


# The HTTP module and what it pulls in, as the file names in /proc/PID/maps start.
HTTP_LIBRARIES = ("ember-http.so", "libcpp-httplib", "libssl", "libcrypto", "libbrotli")


def mapped_http_libraries(pid):
    """The HTTP libraries among the files `pid` maps, by file name."""
    with open(f"/proc/{pid}/maps") as f:
        paths = {line.split()[-1] for line in f if len(line.split()) >= 6}
    return sorted({os.path.basename(p) for p in paths
                   if os.path.basename(p).startswith(HTTP_LIBRARIES)})


def ui_config(test, comm):
    """A spin workload named `comm`, a store and a config with the store sink
    and [ui] listen on a free port: (workload, store, port, config)."""
    tmp = it.scratch_dir(test)
    store = os.path.join(tmp, "ember.db")
    spin = it.start(test, [it.copy_workload(test, "spin", comm, tmp), 60])
    port = free_port()
    config = write_config(test, tmp, store, [spin.pid])
    with open(config, "a") as f:
        f.write(f'\n[ui]\nlisten = "127.0.0.1:{port}"\n')
    return spin, store, port, config


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
        spin, store, port, config = ui_config(self, "ui_spin")
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

    def test_http_libraries_are_mapped_only_with_the_ui(self):
        _, store, port, config = ui_config(self, "ui_spin3")
        run = ["agent", "--config", config, "--window", "1", "--frequency", str(FREQUENCY)]

        without = it.Background(run)
        self.addCleanup(without.kill)
        wait_windows(self, store, 1, without)  # started, sampled and stored: all loaded
        self.assertEqual(mapped_http_libraries(without.proc.pid), [],
                         "the agent without its UI maps HTTP libraries")
        without.kill()

        served = it.Background(run + ["--ui"])
        self.addCleanup(served.kill)
        summary = wait_api(self, port, served)
        self.assertIn("windows", summary)
        mapped = mapped_http_libraries(served.proc.pid)
        for name in ("ember-http.so", "libcpp-httplib"):
            self.assertTrue(any(m.startswith(name) for m in mapped),
                            f"the agent serving its UI maps {mapped}, not {name}")

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
