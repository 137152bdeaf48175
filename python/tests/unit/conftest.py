"""Fixtures of the Python package's unit tests (no BPF, no root): the ember CLI
and a small synthetic store written by bench/store's writer."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))


def _required(name):
    path = os.environ.get(name, "")
    if not path or not os.path.exists(path):
        pytest.fail(f"{name}={path!r} does not exist: run through ctest after building")
    return path


@pytest.fixture(scope="session")
def ember_cli():
    return _required("EMBER_BIN")


@pytest.fixture(scope="session")
def synthetic_store(tmp_path_factory):
    """12 minutes of bench/store's synthetic host (10 processes, 1-minute windows)."""
    path = str(tmp_path_factory.mktemp("store") / "synthetic.db")
    subprocess.run([_required("EMBER_BENCH_STORE"), "--hours", "0.2", "--processes", "10",
                    "--path", path], check=True, capture_output=True, timeout=120)
    return path
