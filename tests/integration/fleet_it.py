"""Shared helpers of the fleet server's ClickHouse tests (stdlib only, no
BPF): loopback ports, the query API and ClickHouse over HTTP, `ember server`
processes and their logs, and answers compared byte for byte."""

import os
import re
import socket
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request


def require(**paths):
    """Each path ctest's environment gives (EMBER_BIN=..., ...) exists: a
    clear error otherwise, never a skip."""
    for name, path in paths.items():
        if not path or not os.path.exists(path):
            raise AssertionError(f"{name}={path!r} does not exist; run through ctest")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_get(url, token):
    """(status, body) of a GET with the bearer token; HTTP errors answered too."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def clickhouse(url, sql):
    request = urllib.request.Request(url, data=sql.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.read().decode().strip()


class Servers:
    """`ember server` processes started in `directory`, each logging to a file
    of its own there."""

    def __init__(self, ember, token_file, directory):
        self.ember, self.token_file, self.directory = ember, token_file, directory
        self.started = []  # (process, log path)

    def start(self, database, args):
        """The server's URL, once it says it listens (an error with the logs if not)."""
        log = os.path.join(self.directory, f"server-{len(self.started)}.log")
        with open(log, "w") as err:
            server = subprocess.Popen(
                [self.ember, "server", "--token-file", self.token_file, "--database", database,
                 "--listen", "127.0.0.1:0"] + args,
                stdout=subprocess.PIPE, stderr=err, text=True, stdin=subprocess.DEVNULL)
        self.started.append((server, log))
        line = server.stdout.readline()
        match = re.search(r"listening on (http://[^ ]+/)", line)
        if not match:
            raise AssertionError(f"ember server did not start: {line!r}\n{self.logs()}")
        return match.group(1)

    def logs(self):
        text = ""
        for _, log in self.started:
            with open(log) as f:
                text += f"--- {log}\n{f.read()[-3000:]}"
        return text

    def stop(self):
        for server, _ in self.started:
            if server.poll() is None:
                server.terminate()
        for server, _ in self.started:
            if server.poll() is None:
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


def assert_same(test, a, b, what):
    """Every answer of `a` (a dict of bodies) equal to `b`'s; the message shows
    the bytes around the first difference."""
    for key in a:
        if a[key] != b[key]:
            at = next(i for i, (x, y) in enumerate(zip(a[key] + b" ", b[key])) if x != y)
            test.fail(f"{what}: {key} differs at byte {at}: "
                      f"{a[key][max(0, at - 80):at + 80]!r} vs {b[key][max(0, at - 80):at + 80]!r}")


class StartedOnce(unittest.TestCase):
    """A test class whose servers start once for all its tests: setUpClass
    makes cls.tmp (prefix TMP_PREFIX), sets cls.servers to None, calls
    prepare() (what tearDownClass needs, even when a start fails) and
    start_all(); a failure in them tears down what did start."""

    TMP_PREFIX = "ember-it-"

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix=cls.TMP_PREFIX)
        cls.servers = None
        cls.prepare()
        try:
            cls.start_all()
        except BaseException:
            cls.tearDownClass()
            raise
