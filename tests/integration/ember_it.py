"""Shared helpers of ember's integration tests (stdlib only).

The tests run real workloads under the real BPF profiler, so they need root.
`main()` is every test file's entry point: not root -> exit 77 (ctest SKIP)
saying why, or fail when the CI environment variable is set.

Paths come from the environment, set by tests/integration/CMakeLists.txt:
  EMBER_BIN             the ember binary
  EMBER_PLUGIN_DIR      the build's plugin directory
  EMBER_IT_WORKLOADS    directory of the workload binaries
  EMBER_IT_FAKE_PLUGINS directory of bad_abi.so and not_ember.so
  EMBER_IT_ABI_VERSION  the ABI version of sdk/include/ember/abi.hpp
"""

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SKIP = 77


def env_path(name):
    value = os.environ.get(name, "")
    return value


EMBER = env_path("EMBER_BIN")
PLUGIN_DIR = env_path("EMBER_PLUGIN_DIR")
WORKLOADS = env_path("EMBER_IT_WORKLOADS")
FAKE_PLUGINS = env_path("EMBER_IT_FAKE_PLUGINS")
ABI_VERSION = os.environ.get("EMBER_IT_ABI_VERSION", "")


def _refuse(reason):
    """Fails under CI, skips (exit 77) elsewhere."""
    if os.environ.get("CI"):
        print(f"FAIL: {reason} (CI is set, so this is a failure, not a skip)",
              file=sys.stderr)
        sys.exit(1)
    print(f"SKIP: {reason}", file=sys.stderr)
    sys.exit(SKIP)


def main():
    if os.geteuid() != 0:
        _refuse("integration tests load BPF programs and need root "
                "(run ctest as root, e.g. `sudo ctest -L integration`)")
    for name, path in (("EMBER_BIN", EMBER), ("EMBER_IT_WORKLOADS", WORKLOADS)):
        if not path or not os.path.exists(path):
            _refuse(f"{name}={path!r} does not exist; run through ctest after "
                    "building (cmake --build <build>)")
    unittest.main(verbosity=2)


def workload(name):
    return os.path.join(WORKLOADS, name)


# --- running ember ---------------------------------------------------------

class Result:
    def __init__(self, args, returncode, stdout, stderr, output):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.output = output  # path of --output, may not exist

    def describe(self):
        return (f"ember {' '.join(self.args)}\nexit status {self.returncode}\n"
                f"--- stderr ---\n{self.stderr[-4000:]}\n"
                f"--- stdout ---\n{self.stdout[-2000:]}")


SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def check_sanitizers(res):
    """In a sanitizer build a report fails the test whatever the exit status
    (the error tests expect non-zero exits for other reasons)."""
    for marker in SANITIZER_REPORTS:
        if marker in res.stderr:
            raise AssertionError(f"sanitizer report from ember ({marker!r})\n" + res.describe())
    return res


def record_args(output=None, pids=(), duration=None, frequency=None, config=None,
                extra=(), min_samples=None):
    """`min_samples`: record past `duration` until the profile has that many
    samples (at most 4 x duration): a busy CI machine that starves the
    workload makes the recording longer, not the test's statistics weaker."""
    args = ["record"]
    for pid in pids:
        args += ["--pid", str(pid)]
    if duration is not None:
        args += ["--duration", str(duration)]
    if frequency is not None:
        args += ["--frequency", str(frequency)]
    if output is not None:
        args += ["--output", output]
    if config is not None:
        args += ["--config", config]
    if min_samples is not None:
        args += ["--min-samples", str(min_samples)]
    return args + list(extra)


def run_ember(args, timeout=60, output=None, prefix=()):
    """Runs ember to completion; `prefix` wraps it (setpriv ...)."""
    cmd = list(prefix) + [EMBER] + list(args)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"ember did not finish within {timeout} s: {cmd}\n"
                             f"stderr: {e.stderr}") from None
    return check_sanitizers(Result(args, proc.returncode, proc.stdout, proc.stderr, output))


def record(test, output, prefix=(), **kwargs):
    """`ember record`, asserting it succeeded and wrote `output`; `prefix`
    wraps it (env VAR=value ...)."""
    duration = kwargs.get("duration") or 5
    if kwargs.get("min_samples"):
        duration *= 4
    res = run_ember(record_args(output=output, **kwargs), timeout=duration + 45,
                    output=output, prefix=prefix)
    test.assertEqual(res.returncode, 0, "ember record failed\n" + res.describe())
    test.assertTrue(os.path.exists(output) and os.path.getsize(output) > 0,
                    f"ember wrote no {output}\n" + res.describe())
    return res


class Background:
    """ember started without waiting, e.g. to start processes while it records."""

    def __init__(self, args, output=None, prefix=(), watch_log=False):
        """`prefix` wraps ember (nsenter ... --) and must exec it; with
        `watch_log` its log (stderr) is read as it comes, for wait_log()."""
        self.args = args
        self.output = output
        self.proc = subprocess.Popen(list(prefix) + [EMBER] + list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        self.log_lines, self.out_lines = [], []
        self.log_reader = self.out_reader = None
        if watch_log:  # both pipes read by threads: communicate() would race them
            self.log_reader = threading.Thread(
                target=lambda: self.log_lines.extend(iter(self.proc.stderr.readline, "")),
                daemon=True)
            self.out_reader = threading.Thread(
                target=lambda: self.out_lines.extend(iter(self.proc.stdout.readline, "")),
                daemon=True)
            self.log_reader.start()
            self.out_reader.start()

    def wait_log(self, pattern, timeout=30.0):
        """Waits until a log line matches `pattern` (a regex; watch_log=True).
        True when one did, False at the timeout or ember's exit."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in list(self.log_lines)):
                return True
            if self.proc.poll() is not None and not self.log_reader.is_alive():
                return False
            time.sleep(0.05)
        return False

    def wait_sampling(self, timeout=15.0):
        """Waits until ember has its perf events open (sampling started).

        Returns the seconds waited. Falls back to a fixed wait if the perf
        event fds cannot be seen, so a changed implementation only costs time.
        """
        start = time.monotonic()
        fd_dir = f"/proc/{self.proc.pid}/fd"
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                return time.monotonic() - start
            try:
                for fd in os.listdir(fd_dir):
                    try:
                        if os.readlink(os.path.join(fd_dir, fd)) == "anon_inode:[perf_event]":
                            time.sleep(0.3)  # the rest of the CPUs, the BPF attach
                            return time.monotonic() - start
                    except OSError:
                        pass
            except OSError:
                pass
            time.sleep(0.05)
        return time.monotonic() - start

    def finish(self, timeout=60):
        if self.log_reader:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"ember did not finish within {timeout} s: "
                                     f"{self.args}\nstderr: {''.join(self.log_lines)}")
            self.log_reader.join()
            self.out_reader.join()
            return check_sanitizers(Result(self.args, self.proc.returncode,
                                           "".join(self.out_lines), "".join(self.log_lines),
                                           self.output))
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"ember did not finish within {timeout} s: "
                                 f"{self.args}\nstderr: {err}")
        return check_sanitizers(Result(self.args, self.proc.returncode, out, err, self.output))

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()


# --- workloads ---------------------------------------------------------------

class Workload:
    """A workload process in its own session; killed (whole group) on cleanup."""

    def __init__(self, argv, **popen_kwargs):
        self.argv = [str(a) for a in argv]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL,
                                     start_new_session=True, **popen_kwargs)
        self.pid = self.proc.pid
        self.lines = []

    def wait_line(self, prefix="ready", timeout=10.0):
        """Reads stdout lines until one starts with `prefix`; returns them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"{self.argv} exited before printing "
                                     f"{prefix!r}: {self.proc.wait()}, stderr: "
                                     f"{self.proc.stderr.read()}")
            self.lines.append(line.rstrip("\n"))
            if line.startswith(prefix):
                return self.lines
        raise AssertionError(f"{self.argv} printed no {prefix!r} in {timeout} s")

    def stop(self, timeout=10.0):
        """SIGTERM (the workloads print their truth on it), then the rest of stdout."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.argv} ignored SIGTERM")
        self.lines += out.splitlines()
        return self.lines

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError):
            pass


def start(test, argv, ready="ready", **popen_kwargs):
    """Starts a workload that test cleans up whatever happens."""
    w = Workload(argv, **popen_kwargs)
    test.addCleanup(w.kill)
    if ready:
        w.wait_line(ready)
    return w


def start_emberd(test, config, log_path, **popen_kwargs):
    """emberd --config `config` in the background, its log (stderr) written
    to `log_path`; killed at the test's cleanup if still running."""
    emberd = os.path.join(os.path.dirname(EMBER), "emberd")
    with open(log_path, "w") as log:
        agent = subprocess.Popen([emberd, "--config", config], stdout=subprocess.DEVNULL,
                                 stderr=log, stdin=subprocess.DEVNULL, **popen_kwargs)
    test.addCleanup(lambda: agent.poll() is None and agent.kill())
    return agent


def config_file(test, body, agent="", plugin_dirs=()):
    """A config file in a scratch directory: an [agent] table with
    `plugin_dirs` (added to the built-in one) and the `agent` keys, then
    `body` (TOML tables). Returns its path."""
    path = os.path.join(scratch_dir(test), "ember.toml")
    with open(path, "w") as f:
        if plugin_dirs or agent:
            dirs = ", ".join(json.dumps(d) for d in plugin_dirs)
            f.write(f"[agent]\nplugin_dirs = [{dirs}]\n{agent}\n")
        f.write(body)
    return path


def scratch_dir(test, mode=None):
    d = tempfile.mkdtemp(prefix="ember-it-")
    test.addCleanup(shutil.rmtree, d, True)
    if mode is not None:
        os.chmod(d, mode)
    return d


def remove_cgroup(path, seconds=3.0):
    """rmdir a cgroup the test made; the kernel says EBUSY until its last
    task is gone, which is a moment after the process was killed."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError as e:
            if e.errno != errno.EBUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def copy_workload(test, name, new_name, directory=None):
    """A copy of workload `name` called new_name (its comm), in a scratch dir."""
    directory = directory or scratch_dir(test)
    path = os.path.join(directory, new_name)
    shutil.copy2(workload(name), path)
    return path


def thread_cpu_ns(pid):
    """{tid: (name, on-CPU ns)} from /proc/PID/task/*/schedstat."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except (OSError, ValueError, IndexError):
            continue
        out[int(tid)] = (name, ns)
    return out


class CpuTracker:
    """Snapshots of thread_cpu_ns(pid) every `interval` s, stamped with
    CLOCK_REALTIME ns (the clock of speedscope's ember.start_ns/end_ns), so the
    truth can be cut to exactly the window ember says it sampled."""

    def __init__(self, pid, interval=0.02):
        import threading
        self.pid = pid
        self.snapshots = []  # [(time_ns, {tid: (name, ns)})]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval):
        while not self._stop.is_set():
            try:
                snap = thread_cpu_ns(self.pid)
            except OSError:
                break
            self.snapshots.append((time.time_ns(), snap))
            self._stop.wait(interval)

    def stop(self):
        self._stop.set()
        self._thread.join()

    def between(self, start_ns, end_ns, max_slack_ns=200_000_000):
        """{tid: on-CPU ns} from the snapshots nearest to start_ns and end_ns,
        which must be within max_slack_ns of them."""
        if not self.snapshots:
            raise AssertionError(f"no CPU snapshots of pid {self.pid}")
        first = min(self.snapshots, key=lambda s: abs(s[0] - start_ns))
        last = min(self.snapshots, key=lambda s: abs(s[0] - end_ns))
        slack = max(abs(first[0] - start_ns), abs(last[0] - end_ns))
        if slack > max_slack_ns:
            raise AssertionError(f"CPU snapshots miss ember's window by {slack / 1e6:.0f} ms "
                                 f"(window {start_ns}..{end_ns}, snapshots "
                                 f"{self.snapshots[0][0]}..{self.snapshots[-1][0]})")
        return {tid: last[1][tid][1] - first[1].get(tid, (None, 0))[1] for tid in last[1]}


def perf_event_users():
    """'comm (pid)' of every process holding perf events (other profilers)."""
    users = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:[perf_event]"
                   for fd in fds):
                with open(f"/proc/{pid}/comm") as f:
                    users.append(f"{f.read().strip()} ({pid})")
        except OSError:
            continue
    return users


class Contention:
    """Notes other profilers seen during a test: several perf samplers on one
    machine disturb each other's timers, which shows up as skewed shares."""

    def __init__(self):
        self.seen = set()

    def look(self):
        self.seen.update(perf_event_users())

    def note(self):
        return (f"\n(other perf_event users during the test: {sorted(self.seen)}; "
                "shares are only meaningful without concurrent profilers)"
                if self.seen else "")


# --- profile formats ---------------------------------------------------------

KERNEL_SUFFIX = "_[k]"


def parse_folded(path):
    """[(frames, count)] of a collapsed-stacks file; frames root first."""
    stacks = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            stack, sep, count = line.rpartition(" ")
            if not sep or not count.isdigit():
                raise AssertionError(f"{path}:{n}: not 'frames count': {line!r}")
            stacks.append((stack.split(";"), int(count)))
    return stacks


def folded_by_comm(stacks, comm):
    """Stacks whose first frame (the process's comm) is `comm`, comm removed."""
    return [(frames[1:], count) for frames, count in stacks if frames and frames[0] == comm]


def is_kernel(frame):
    return frame.endswith(KERNEL_SUFFIX)


_PROFILE_NAME = re.compile(r"^(?P<comm>.*) \(pid (?P<pid>\d+)\) / (?P<thread>.*) \(tid (?P<tid>\d+)\)$")


class Profile:
    """One speedscope profile (a thread): stacks as names, root first."""

    def __init__(self, name, comm, pid, thread, tid, stacks):
        self.name, self.comm, self.pid, self.thread, self.tid = name, comm, pid, thread, tid
        self.stacks = stacks  # [(names, kinds, weight)]

    @property
    def total(self):
        return sum(w for _, _, w in self.stacks)


class Speedscope:
    def __init__(self, path):
        with open(path) as f:
            self.doc = json.load(f)
        doc = self.doc
        for key in ("$schema", "shared", "profiles"):
            if key not in doc:
                raise AssertionError(f"{path}: speedscope document without {key!r}")
        self.frames = doc["shared"]["frames"]
        self.names = [fr["name"] for fr in self.frames]
        self.ember = doc.get("ember", {})
        kinds = self.ember.get("frame_kinds")
        if kinds is None or len(kinds) != len(self.frames):
            raise AssertionError(f"{path}: ember.frame_kinds missing or not one per "
                                 f"frame ({None if kinds is None else len(kinds)} "
                                 f"for {len(self.frames)} frames)")
        self.kinds = kinds
        self.processes = {p["pid"]: p for p in self.ember.get("processes", [])}
        self.profiles = []
        for prof in doc["profiles"]:
            m = _PROFILE_NAME.match(prof.get("name", ""))
            if not m:
                raise AssertionError(f"{path}: profile name {prof.get('name')!r} is not "
                                     "'comm (pid N) / thread (tid N)'")
            if prof.get("type") != "sampled":
                raise AssertionError(f"{path}: profile {prof['name']!r} is not sampled")
            samples, weights = prof["samples"], prof["weights"]
            if len(samples) != len(weights):
                raise AssertionError(f"{path}: {prof['name']!r}: {len(samples)} samples, "
                                     f"{len(weights)} weights")
            stacks = [([self.names[i] for i in s], [self.kinds[i] for i in s], w)
                      for s, w in zip(samples, weights)]
            self.profiles.append(Profile(prof["name"], m["comm"], int(m["pid"]),
                                         m["thread"], int(m["tid"]), stacks))

    def for_pid(self, pid):
        return [p for p in self.profiles if p.pid == pid]

    def for_comm(self, comm):
        return [p for p in self.profiles if p.comm == comm]


# --- small assertions ----------------------------------------------------------

HEX_ONLY = re.compile(r"^(0x)?[0-9a-fA-F]+$")
UNRESOLVED = re.compile(r"\+0x[0-9a-fA-F]+$")


def share(part, whole):
    return 100.0 * part / whole if whole else float("nan")


def contains_run(frames, run):
    """True if `run` occurs in `frames` as consecutive elements."""
    n = len(run)
    return any(frames[i:i + n] == run for i in range(len(frames) - n + 1))


def summarize(stacks, limit=8):
    """The heaviest stacks, for failure messages."""
    top = sorted(stacks, key=lambda s: -s[-1])[:limit]
    return "\n".join(f"  {s[-1]:6d}  {';'.join(s[0])}" for s in top)
