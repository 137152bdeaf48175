"""`ember record` and `ember report` of a slow Python service as a first-time user reads it: the
agent stores a stdlib HTTP server whose handler does a naive top-k
(slow_service.py), and the default table's first Python row must be the
culprit, select_top_naive, with the interpreter's builtins folded into it;
`--native` must show the table as recorded, the interpreter's own functions
(or a stripped interpreter's unnamed code) on top and the culprit's self time
near zero. On Debian's stripped python3.11 and a pyenv 3.12 (libpython with
symbols). `ember record`'s file is written in the same view by default: the
culprit is the leaf of most samples; with --native it is nearly never one."""

import os
import time

from cpython_it import HERE, CpythonTestCase, pyenv_python
import ember_it as it
from test_store import start_agent, wait_windows

SERVICE = os.path.join(HERE, "slow_service.py")
CULPRIT = "select_top_naive"


def table(text):
    """[(self%, kind, function)] of a top table, in its order."""
    rows, in_table = [], False
    for line in text.splitlines():
        fields = line.split()
        if fields[:1] == ["SELF%"]:
            in_table = True
        elif in_table and len(fields) >= 6 and fields[0].endswith("%"):
            rows.append((float(fields[0][:-1]), fields[4], fields[5]))
    return rows


class ReportRuntimeView(CpythonTestCase):
    def report(self, store, pid, *flags):
        res = it.run_ember(["report", "--store", store, "--pid", str(pid), "--format", "top",
                            "--limit", "0", *flags], timeout=30)
        self.assertEqual(res.returncode, 0, res.describe())
        return res.stdout, table(res.stdout)

    def test_the_culprit_is_the_first_python_row(self):
        for label, python in (("debian 3.11", "/usr/bin/python3.11"),
                              ("pyenv 3.12", pyenv_python("3.12"))):
            with self.subTest(label):
                self.require(python, label)
                tmp = it.scratch_dir(self)
                store = os.path.join(tmp, "ember.db")
                service = it.start(self, [python, SERVICE, "6"])
                config = it.config_file(
                    self, f"[processes]\npids = [{service.pid}]\n"
                    "[runtime.native]\nenabled = true\nrequired = true\n"
                    "[runtime.cpython]\nenabled = true\nrequired = true\n"
                    f'[sink.store]\nenabled = true\nrequired = true\npath = "{store}"\n',
                    plugin_dirs=[it.PLUGIN_DIR])
                agent = start_agent(self, config)
                wait_windows(self, store, 4, agent, timeout=30)
                agent.kill()

                text, rows = self.report(store, service.pid)
                why = f"\n{label}, default table:\n{text}"
                python_rows = [r for r in rows if r[1] == "python"]
                self.assertTrue(python_rows, "no Python rows" + why)
                self.assertEqual(python_rows[0][2], CULPRIT, why)
                culprit_self = python_rows[0][0]
                self.assertGreater(culprit_self, 40.0, why)
                self.assertIn("runtime view:", text, why)

                native_text, native_rows = self.report(store, service.pid, "--native")
                why += f"\n--native table:\n{native_text}"
                self.assertNotIn("runtime view:", native_text, why)
                native_self = next((r[0] for r in native_rows if r[2] == CULPRIT), 0.0)
                # As recorded, the builtins' time is theirs, not the culprit's.
                self.assertLess(native_self, culprit_self / 4, why)
                self.assertNotEqual(native_rows[0][1], "python", why)

    def leaf_share(self, pid, *flags):
        out = os.path.join(it.scratch_dir(self), "service.folded")
        res = it.run_ember(it.record_args(output=out, pids=[pid], duration=2,
                                          extra=list(flags)), timeout=45, output=out)
        self.assertEqual(res.returncode, 0, res.describe())
        stacks = it.parse_folded(out)
        total = sum(count for _, count in stacks)
        self.assertGreater(total, 50, res.describe())
        leaf = sum(count for frames, count in stacks if frames[-1] == CULPRIT)
        return it.share(leaf, total), it.summarize(stacks, 5)

    def test_record_writes_the_runtime_view(self):
        python = "/usr/bin/python3.11"
        self.require(python, "debian 3.11")
        service = it.start(self, [python, SERVICE, "12"])
        runtime, runtime_top = self.leaf_share(service.pid)
        native, native_top = self.leaf_share(service.pid, "--native")
        print(f"\nrecord: {CULPRIT} is the leaf of {runtime:.1f}% of samples by default, "
              f"{native:.1f}% with --native")
        why = f"\ndefault:\n{runtime_top}\n--native:\n{native_top}"
        self.assertGreater(runtime, 40.0, why)
        self.assertLess(native, runtime / 4, why)


if __name__ == "__main__":
    it.main()
