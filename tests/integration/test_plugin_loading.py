#!/usr/bin/env python3
"""Plugin loading: emberd (root) opens only the files of enabled plugins, only
from paths nobody else can write to, and loads each first in a trial process.

- An enabled plugin in a world-writable directory, and one in a 0755
  directory under a world-writable (not sticky) one: refused with a message
  naming the directory; its constructor never runs; the agent writes windows.
- A plugin file in a trusted plugin directory that the config does not
  enable: never opened (its constructor never runs).
- The same plugin enabled in a root-owned 0755 directory: it loads; its
  constructor runs in the trial process and in the agent, its configure in
  the agent.
- A plugin whose constructor aborts: the log names it and the signal, and the
  agent writes windows without it; marked required, the agent refuses to start.

Truth: marker_sink.so (plugins/marker_sink.cpp) appends "constructor PID" and
"configured PID" to $EMBER_IT_PLUGIN_MARKER when its code runs; the file is
absent when none of its code ran.
"""
import os
import shutil
import time
import unittest

import ember_it as it

PLUGIN_FILE = "ember_sink_marker.so"


class PluginLoading(unittest.TestCase):
    def setUp(self):
        self.tmp = it.scratch_dir(self)
        self.marker = os.path.join(self.tmp, "marker")
        self.windows = os.path.join(self.tmp, "windows")
        self.log_path = os.path.join(self.tmp, "emberd.log")
        self.workload = it.start(self, [it.copy_workload(self, "spin", "plug_load"), 60])

    def plugin_dir(self, *parts, plugin="marker_sink.so"):
        """A directory under the scratch one holding `plugin` as the marker
        sink's file, every directory 0755 until the test says otherwise."""
        directory = os.path.join(self.tmp, *parts)
        os.makedirs(directory, 0o755, exist_ok=True)
        shutil.copy(os.path.join(it.FAKE_PLUGINS, plugin), os.path.join(directory, PLUGIN_FILE))
        os.chmod(os.path.join(directory, PLUGIN_FILE), 0o644)
        return directory

    def run_agent(self, plugin_dir, enabled=True, required=False):
        """emberd until it wrote a window (or exited); returns (exit code or
        None if it was still running, its log, its pid)."""
        config = os.path.join(self.tmp, "ember.toml")
        with open(config, "w") as f:
            f.write(f"""
[agent]
plugin_dirs = ["{plugin_dir}"]
window_seconds = 1
[processes]
pids = [{self.workload.pid}]
[runtime.native]
enabled = true
[sink.files]
enabled = true
directory = "{self.windows}"
formats = ["folded"]
[sink.marker]
enabled = {str(enabled).lower()}
required = {str(required).lower()}
""")
        env = dict(os.environ, EMBER_IT_PLUGIN_MARKER=self.marker)
        agent = it.start_emberd(self, config, self.log_path, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and agent.poll() is None:
            if os.path.isdir(self.windows) and any(n.endswith(".folded")
                                                   for n in os.listdir(self.windows)):
                break
            time.sleep(0.1)
        code = agent.poll()
        if code is None:
            agent.terminate()
            agent.wait(timeout=20)
        with open(self.log_path) as f:
            log_text = f.read()
        return code, log_text, agent.pid

    def marks(self):
        """[(what, pid)] from the marker file; [] when no plugin code ran."""
        if not os.path.exists(self.marker):
            return []
        with open(self.marker) as f:
            return [(w, int(p)) for w, p in (line.split() for line in f if line.strip())]

    def check_ran_without_plugin_code(self, code, log):
        self.assertIsNone(code, f"emberd exited ({code})\n{log}")
        self.assertEqual(self.marks(), [], "the plugin's code ran\n" + log)
        self.assertTrue(os.listdir(self.windows), "no window written\n" + log)

    def test_world_writable_plugin_directory_is_refused(self):
        directory = self.plugin_dir("open")
        os.chmod(directory, 0o777)
        code, log, _ = self.run_agent(directory)
        self.assertIn(f"plugin directory {directory}: refused: writable by everyone (mode 0777)",
                      log)
        self.check_ran_without_plugin_code(code, log)

    def test_world_writable_directory_above_the_plugins_is_refused(self):
        directory = self.plugin_dir("open", "plugins")
        above = os.path.dirname(directory)
        os.chmod(above, 0o777)
        code, log, _ = self.run_agent(directory)
        self.assertIn(f"directory {above}: refused: writable by everyone (mode 0777)", log)
        self.assertIn(f"above plugin {directory}/{PLUGIN_FILE}", log)
        self.check_ran_without_plugin_code(code, log)

    def test_a_plugin_the_config_does_not_enable_is_never_opened(self):
        directory = self.plugin_dir("trusted")
        code, log, _ = self.run_agent(directory, enabled=False)
        self.check_ran_without_plugin_code(code, log)

    def test_a_correct_plugin_in_a_root_owned_0755_directory_loads(self):
        directory = self.plugin_dir("trusted")
        self.assertEqual(os.stat(directory).st_uid, 0)
        code, log, pid = self.run_agent(directory)
        self.assertIsNone(code, f"emberd exited ({code})\n{log}")
        marks = self.marks()
        self.assertIn(("configured", pid), marks, log)
        self.assertIn(("constructor", pid), marks, log)
        trials = [p for w, p in marks if w == "constructor" and p != pid]
        self.assertTrue(trials, f"no trial load before the agent's: {marks}\n{log}")

    def test_a_plugin_that_crashes_while_loading_is_named_and_left_out(self):
        directory = self.plugin_dir("trusted", plugin="crashing_sink.so")
        code, log, pid = self.run_agent(directory)
        self.assertIsNone(code, f"a crashing optional plugin stopped emberd ({code})\n{log}")
        self.assertIn(f"sink.marker: plugin {directory}/{PLUGIN_FILE}: not loaded: it crashed "
                      "while loading", log)
        self.assertIn("signal 6", log)
        self.assertNotIn(("constructor", pid), self.marks(), "it crashed in the agent")
        self.assertTrue(os.listdir(self.windows), "no window written\n" + log)

    def test_a_required_plugin_that_crashes_while_loading_stops_the_agent(self):
        directory = self.plugin_dir("trusted", plugin="crashing_sink.so")
        code, log, pid = self.run_agent(directory, required=True)
        self.assertIsNotNone(code, "emberd ran without its required plugin\n" + log)
        self.assertNotEqual(code, 0, log)
        self.assertGreater(code, 0, f"emberd died of signal {-code}\n{log}")
        self.assertIn("required plugin sink.marker", log)
        self.assertIn("crashed while loading", log)


if __name__ == "__main__":
    it.main()
