"""What the CPython integration tests share: the interpreters (pyenv 2.7,
3.6-3.13 and Debian's /usr/bin/python3.11), the workloads, a config with the
plugin on, and reading the marked lines of a workload."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import ember_it as it  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workload.py")
THREADS = os.path.join(HERE, "threads.py")
DEEP = os.path.join(HERE, "deep.py")
PYENV_ROOT = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
FREQUENCY = 999
EVAL_FUNCTIONS = ("_PyEval_EvalFrameDefault", "PyEval_EvalFrameEx")
PYENV_MINORS = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13")


def pyenv_python(minor):
    versions = os.path.join(PYENV_ROOT, "versions")
    found = sorted(v for v in (os.listdir(versions) if os.path.isdir(versions) else [])
                   if v.startswith(minor + "."))
    return os.path.join(versions, found[-1], "bin", "python" + minor) if found else None


def interpreters():
    """(label, path or None) of every interpreter the plugin supports."""
    out = [("pyenv " + minor, pyenv_python(minor)) for minor in PYENV_MINORS]
    out.append(("debian 3.11", "/usr/bin/python3.11"))
    only = os.environ.get("EMBER_IT_PYTHONS")  # e.g. "3.9,3.10" while iterating
    if only:
        out = [(label, path) for label, path in out if label.split()[-1] in only.split(",")]
    return out


def marker_lines(path):
    lines = {}
    with open(path) as f:
        for number, text in enumerate(f, 1):
            m = re.search(r"# (line-[\w-]+)", text)
            if m:
                lines[m.group(1)] = number
    return lines


def python_frames(profile, name):
    return [fr for fr, kind in zip(profile.frames, profile.kinds)
            if fr["name"] == name and kind == "python"]


class CpythonTestCase(unittest.TestCase):
    def config(self, extra=""):
        config = os.path.join(it.scratch_dir(self), "cpython.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\nplugin_dirs = ["{it.PLUGIN_DIR}"]\n'
                    '[runtime.native]\nenabled = true\n'
                    '[runtime.cpython]\nenabled = true\nrequired = true\n' + extra)
        return config

    def require(self, python, label=None):
        """Fails under CI=1, else skips saying so, when python is missing."""
        if not python or not os.path.exists(python):
            reason = f"{label or python or 'the interpreter'} is not installed"
            if os.environ.get("CI"):
                self.fail(reason)
            self.skipTest(reason)
