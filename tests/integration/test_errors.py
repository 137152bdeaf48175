#!/usr/bin/env python3
"""Acceptance 6: clear errors that a user can act on.

- Config errors (unknown key, wrong type, value out of range): ember exits
  non-zero and the message names the file, the line and the key.
- Plugin host: a corrupt .so (random bytes), a .so that is not an ember
  plugin, and a plugin built for ABI version 999, each enabled and in an
  extra plugin directory: a message naming the file (and, for the ABI, both versions), and
  the recording carries on with the rest (exit 0, native frames named).
- The same broken plugin marked `required = true`: ember refuses to run.
- Mistakes in a plugin's table (a runtime's unknown key, a sink's bad value,
  a plugin name no plugin has) are errors like the core's: `--check-config`
  exits non-zero naming file:line:key, and the agent refuses to start; the
  shipped configs/ember.toml passes `--check-config`.

Truth: the config files and plugins are made by the test; bad_abi.so
(plugins/bad_abi.cpp) exports ember_abi_version = 999 through BOOST_DLL_ALIAS.
"""
import os
import re
import shutil
import unittest

import ember_it as it


def toml_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ConfigErrors(unittest.TestCase):
    CASES = [
        # (name, text, line, key, message)
        ("unknown_key", "# unknown key\n[sampler]\nfrequency_hz = 99\nbogus_key = 1\n",
         4, "sampler.bogus_key", "unknown key"),
        ("wrong_type", "[sampler]\nfrequency_hz = \"fast\"\n",
         2, "sampler.frequency_hz", "expected"),
        ("out_of_range_frequency", "[agent]\nlog_level = \"info\"\n\n[sampler]\nfrequency_hz = 0\n",
         5, "sampler.frequency_hz", "must be between"),
        ("out_of_range_window", "[agent]\nwindow_seconds = 999999\n",
         2, "agent.window_seconds", "must be between"),
        ("wrong_type_list", "[agent]\nplugin_dirs = \"/not/a/list\"\n",
         2, "agent.plugin_dirs", "expected"),
    ]

    def test_config_errors_name_file_line_and_key(self):
        tmp = it.scratch_dir(self)
        out = os.path.join(tmp, "never.folded")
        for name, text, line, key, message in self.CASES:
            with self.subTest(name):
                path = os.path.join(tmp, f"{name}.toml")
                with open(path, "w") as f:
                    f.write(text)
                res = it.run_ember(it.record_args(output=out, config=path, duration=1),
                                   timeout=30)
                self.assertNotEqual(res.returncode, 0, res.describe())
                pattern = (re.escape(path) + rf":{line}:\d+: " + re.escape(key) + r": "
                           + re.escape(message))
                self.assertRegex(res.stderr, pattern, res.describe())
                self.assertNotIn("Traceback", res.stderr)
        self.assertFalse(os.path.exists(out), "a failed config still wrote a profile")


class PluginTableErrors(unittest.TestCase):
    CASES = [
        # (name, text, line, key, message); {tmp} is a scratch directory
        ("runtime_unknown_key", "[runtime.cpython]\nenabled = true\nmax_frams = 8\n",
         3, "runtime.cpython.max_frams", "unknown key"),
        ("runtime_bad_value", "[runtime.node]\nenabled = true\nmax_frames = 0\n",
         3, "runtime.node.max_frames", "must be between"),
        ("store_bad_age", '[sink.store]\nenabled = true\npath = "{tmp}/s.db"\n'
         'max_age = "7 days"\n', 4, "sink.store.max_age", '"7 days" is not an age'),
        ("files_bad_format", '[sink.files]\nenabled = true\ndirectory = "{tmp}/f"\n'
         'formats = ["flamegraph"]\n', 4, "sink.files.formats", 'unknown format "flamegraph"'),
        ("unknown_runtime", "[runtime.native]\nenabled = true\n\n[runtime.cpyton]\n"
         "enabled = true\n", 4, "runtime.cpyton", "no plugin named 'cpyton' (runtime plugins: "),
    ]

    def test_check_config_and_start_refuse_plugin_table_mistakes(self):
        tmp = it.scratch_dir(self)
        for name, text, line, key, message in self.CASES:
            with self.subTest(name):
                path = os.path.join(tmp, f"{name}.toml")
                with open(path, "w") as f:
                    f.write(text.replace("{tmp}", tmp))
                pattern = (re.escape(path) + rf":{line}:\d+: " + re.escape(key) + r": "
                           + re.escape(message))
                for args in (["agent", "--config", path, "--check-config"],
                             ["agent", "--config", path]):
                    res = it.run_ember(args, timeout=30)
                    self.assertNotEqual(res.returncode, 0, res.describe())
                    self.assertRegex(res.stderr, pattern, res.describe())
                    self.assertNotIn(": ok", res.stdout, res.describe())
        self.assertFalse(os.path.exists(os.path.join(tmp, "s.db")),
                         "a refused config created the store")

    def test_the_shipped_config_passes(self):
        shipped = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "ember.toml")
        res = it.run_ember(["agent", "--config", shipped, "--check-config"], timeout=30)
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertIn(": ok", res.stdout, res.describe())


def enable(name):
    """The config table that enables runtime plugin `name`: only enabled
    plugins' files (ember_runtime_<name>.so) are opened."""
    return f"\n[runtime.{name}]\nenabled = true\n"


class PluginErrors(unittest.TestCase):
    def setUp(self):
        self.tmp = it.scratch_dir(self)
        self.extra = os.path.join(self.tmp, "plugins")
        os.mkdir(self.extra)

    def config(self, extra_tables=""):
        path = os.path.join(self.tmp, "ember.toml")
        with open(path, "w") as f:
            # Only the extra directory: the built-in plugins (native) load anyway.
            f.write("[agent]\n"
                    f"plugin_dirs = [{toml_string(self.extra)}]\n\n"
                    "[runtime.native]\nenabled = true\n" + extra_tables)
        return path

    def record_with(self, so_name, config_tables=""):
        """Records the spin workload with the extra plugin dir; returns (result, stacks)."""
        w = it.start(self, [it.copy_workload(self, "spin", "plug_spin"), 30])
        out = os.path.join(self.tmp, "out.folded")
        res = it.run_ember(it.record_args(output=out, pids=[w.pid], duration=2,
                                          frequency=199, config=self.config(config_tables)),
                           timeout=45, output=out)
        w.kill()
        return res

    def check_carried_on(self, res):
        self.assertEqual(res.returncode, 0, "a broken optional plugin stopped ember\n"
                         + res.describe())
        self.assertTrue(os.path.exists(res.output), res.describe())
        mine = it.folded_by_comm(it.parse_folded(res.output), "plug_spin")
        named = sum(c for f, c in mine if it.contains_run(f, ["main", "spin_outer", "spin_leaf"]))
        self.assertGreater(named, 0, "no named native stacks after a plugin failed:\n"
                           + it.summarize(mine) + "\n" + res.describe())

    def test_corrupt_so(self):
        so = os.path.join(self.extra, "ember_runtime_corrupt.so")
        with open(so, "wb") as f:
            f.write(os.urandom(8192))
        res = self.record_with("corrupt.so", enable("corrupt"))
        self.assertIn(f"plugin {so}: cannot load:", res.stderr, res.describe())
        self.check_carried_on(res)

    def test_not_an_ember_plugin(self):
        so = os.path.join(self.extra, "ember_runtime_not_ember.so")
        shutil.copy(os.path.join(it.FAKE_PLUGINS, "not_ember.so"), so)
        res = self.record_with("not_ember.so", enable("not_ember"))
        self.assertIn(f"plugin {so}: not an ember plugin", res.stderr, res.describe())
        self.check_carried_on(res)

    def test_wrong_abi_version(self):
        # Both a bare version export and one with a (future) descriptor: the
        # version is what the host must read first.
        sos = []
        for name in ("bad_abi", "bad_abi_full"):
            sos.append(os.path.join(self.extra, f"ember_runtime_{name}.so"))
            shutil.copy(os.path.join(it.FAKE_PLUGINS, name + ".so"), sos[-1])
        res = self.record_with("bad_abi.so", enable("bad_abi") + enable("bad_abi_full"))
        for so in sos:
            with self.subTest(os.path.basename(so)):
                self.assertIn(f"plugin {so}: built for ember plugin ABI version 999, "
                              f"this ember supports version {it.ABI_VERSION}", res.stderr,
                              res.describe())
        self.check_carried_on(res)

    def test_world_writable_plugin_directory_is_refused(self):
        so = os.path.join(self.extra, "ember_runtime_bad_abi.so")
        shutil.copy(os.path.join(it.FAKE_PLUGINS, "bad_abi.so"), so)
        os.chmod(self.extra, 0o777)
        res = self.record_with("bad_abi.so", enable("bad_abi"))
        self.assertIn(f"plugin directory {self.extra}: refused: writable by everyone (mode 0777)",
                      res.stderr, res.describe())
        self.assertNotIn("ABI version 999", res.stderr,
                         "a plugin in a refused directory was opened\n" + res.describe())
        self.check_carried_on(res)

    def test_required_plugin_that_fails_is_fatal(self):
        so = os.path.join(self.extra, "ember_runtime_bad_abi.so")
        shutil.copy(os.path.join(it.FAKE_PLUGINS, "bad_abi.so"), so)
        res = self.record_with("bad_abi.so",
                               "\n[runtime.bad_abi]\nenabled = true\nrequired = true\n")
        self.assertNotEqual(res.returncode, 0, "a failed required plugin did not stop ember\n"
                            + res.describe())
        self.assertIn("required plugin", res.stderr, res.describe())
        self.assertIn("bad_abi", res.stderr, res.describe())


if __name__ == "__main__":
    it.main()
