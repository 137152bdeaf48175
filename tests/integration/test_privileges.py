#!/usr/bin/env python3
"""Acceptance (CLI): without root or CAP_BPF + CAP_PERFMON, `ember record`
exits non-zero and says what is missing; with just those two capabilities,
as a non-root user, it records. What the agent writes (store, profiles,
cache) is 0600 in directories 0700, or 0640 for `[agent] group`, also when an
older ember left it readable: nobody reads any of it, and a member of the
group, who may not write to the store's directory, runs `ember report` on it
after the agent stopped. `sudo ember record -o FILE`: the file, and the
directories ember made for it, belong to the user who ran sudo.

Truth: ember is started through setpriv as nobody:nogroup with no
supplementary groups and exactly the capabilities each case names (inherited
and ambient, so they survive the exec of a file without file capabilities).
"""
import grp
import os
import signal
import subprocess
import time
import unittest

import ember_it as it


def as_nobody(caps=()):
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    if caps:
        spec = ",".join("+" + c for c in caps)
        return prefix + [f"--inh-caps={spec}", f"--ambient-caps={spec}"]
    return prefix + ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]


class Privileges(unittest.TestCase):
    def run_as(self, caps, duration=1):
        tmp = it.scratch_dir(self, mode=0o777)
        out = os.path.join(tmp, "nobody.folded")
        res = it.run_ember(it.record_args(output=out, duration=duration), timeout=30,
                           prefix=as_nobody(caps), output=out)
        self.assertNotIn("Segmentation", res.stderr)
        return res

    def test_no_capabilities_names_both(self):
        res = self.run_as(())
        self.assertNotEqual(res.returncode, 0, res.describe())
        for cap in ("CAP_BPF", "CAP_PERFMON"):
            self.assertIn(cap, res.stderr, res.describe())
        self.assertFalse(os.path.exists(res.output) and os.path.getsize(res.output) > 0,
                         "an unprivileged run wrote a profile")
        print(f"\nprivileges: exit {res.returncode}: {res.stderr.strip().splitlines()[-1:]}")

    def test_perfmon_alone_is_not_enough(self):
        res = self.run_as(("perfmon",))
        self.assertNotEqual(res.returncode, 0, res.describe())
        self.assertIn("CAP_BPF", res.stderr, res.describe())

    def test_bpf_and_perfmon_are_enough(self):
        # Something to sample: an idle machine gives no samples at 99 Hz.
        it.start(self, [it.copy_workload(self, "spin", "priv_spin"), 30])
        res = self.run_as(("bpf", "perfmon"), duration=2)
        self.assertEqual(res.returncode, 0, "CAP_BPF + CAP_PERFMON should be enough\n"
                         + res.describe())
        mine = it.folded_by_comm(it.parse_folded(res.output), "priv_spin")
        self.assertGreater(sum(c for _, c in mine), 50, res.describe())

    def run_agent(self, config):
        agent = it.Background(["agent", "--config", config, "--window", "1"])
        self.addCleanup(agent.kill)
        time.sleep(3.5)
        agent.proc.send_signal(signal.SIGTERM)
        stopped = agent.finish(timeout=30)
        self.assertEqual(stopped.returncode, 0, stopped.describe())
        return stopped

    def test_what_the_agent_writes_is_private_to_root_and_its_group(self):
        # Kernel work, so the native plugin saves kernel symbols in its cache.
        w = it.start(self, [it.workload("syscalls"), 60])
        group = reader_group()
        tmp = it.scratch_dir(self, mode=0o755)  # root's: nobody may look in
        state, profiles, cache = (os.path.join(tmp, d) for d in ("state", "profiles", "cache"))
        store = os.path.join(state, "ember.db")
        body = (f"[processes]\npids = [{w.pid}]\n"
                f'[runtime.native]\nenabled = true\ncache_dir = "{cache}"\n'
                f'[sink.store]\nenabled = true\npath = "{store}"\n'
                f'[sink.files]\nenabled = true\ndirectory = "{profiles}"\n')

        # Root only: files 0600 in directories 0700.
        self.run_agent(it.config_file(self, body))
        files = files_under(state, profiles, cache)
        for d in (state, profiles, cache):
            self.assertTrue(any(f.startswith(d + "/") for f in files), f"nothing in {d}")
        self.assertEqual(modes(files), {(0o600, 0)}, modes_text(files))
        self.assertEqual(modes([state, profiles, cache]), {(0o700, 0)})

        # What an older ember left: everything readable by all.
        for path in files + [state, profiles, cache]:
            os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
        stopped = self.run_agent(it.config_file(self, body, agent=f'group = "{group.gr_name}"'))
        self.assertIn(f"made {store} private", stopped.stderr, stopped.describe())
        self.assertNotIn("-wal", "\n".join(os.listdir(state)),
                         "the agent left its WAL: not the case under test\n" + stopped.describe())
        files = files_under(state, profiles, cache)
        self.assertEqual(modes(files), {(0o640, group.gr_gid)}, modes_text(files))
        readable = run_as(as_nobody(), ["python3", "-c", READ_EACH] + files).stdout.split()
        self.assertEqual(readable, [], "nobody reads what the agent wrote")

        # A member of the group reads the stopped agent's store, writing nothing beside it.
        res = it.run_ember(["report", "--store", store, "--format", "top"], timeout=30,
                           prefix=as_member_of(group.gr_gid))
        self.assertEqual(res.returncode, 0, res.describe())
        self.assertIn("syscall_loop", res.stdout, res.describe())
        self.assertEqual(os.listdir(state), ["ember.db"], "the reader wrote beside the store")
        print(f"\nprivate: {len(files)} files 0640 root:{group.gr_name}, 0 readable by nobody")

    def test_sudo_record_gives_its_output_to_the_user_who_ran_sudo(self):
        # sudo's variables as sudo sets them, for nobody; the command runs as
        # nobody too, so it is one nobody may execute.
        nobody = (65534, 65534)
        for sudo in (False, True):
            with self.subTest(sudo=sudo):
                tmp = it.scratch_dir(self)
                out = os.path.join(tmp, "made", "by-ember", "out.folded")
                prefix = ["env", "SUDO_UID=65534", "SUDO_GID=65534", "SUDO_USER=nobody"] \
                    if sudo else []
                res = it.run_ember(["record", "-o", out, "--", "/bin/sleep", "1"], timeout=30,
                                   prefix=prefix, output=out)
                self.assertEqual(res.returncode, 0, res.describe())
                owners = {path: (os.lstat(path).st_uid, os.lstat(path).st_gid)
                          for path in (out, os.path.dirname(out),
                                       os.path.dirname(os.path.dirname(out)), tmp)}
                want = nobody if sudo else (0, 0)
                self.assertEqual(owners[out], want, res.describe())
                self.assertEqual(owners[os.path.dirname(out)], want)
                self.assertEqual(owners[os.path.dirname(os.path.dirname(out))], want)
                self.assertEqual(owners[tmp], (0, 0), "a directory ember did not create "
                                 "changed hands")
                self.assertEqual(os.stat(out).st_mode & 0o777, 0o600)


# Prints each path (argv) it can read.
READ_EACH = """import sys
for path in sys.argv[1:]:
    try:
        open(path, "rb").read(1)
        print(path)
    except OSError:
        pass
"""


def reader_group():
    """A group nobody is not in, to be the store's readers."""
    nogroup = grp.getgrnam("nogroup").gr_gid
    for name in ("users", "staff"):
        try:
            found = grp.getgrnam(name)
        except KeyError:
            continue
        if found.gr_gid not in (0, nogroup):
            return found
    raise AssertionError("no group to read the store with (users, staff)")


def as_member_of(gid):
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", f"--groups={gid}",
            "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]


def run_as(prefix, argv):
    return subprocess.run(list(prefix) + argv, capture_output=True, text=True, timeout=30)


def files_under(*directories):
    return sorted(os.path.join(d, name) for top in directories
                  for d, _, names in os.walk(top) for name in names)


def modes(paths):
    return {(os.stat(p).st_mode & 0o7777, os.stat(p).st_gid) for p in paths}


def modes_text(paths):
    return "\n".join(f"{oct(os.stat(p).st_mode & 0o7777)} gid {os.stat(p).st_gid} {p}"
                     for p in paths)

if __name__ == "__main__":
    it.main()
