#!/usr/bin/env python3
"""Acceptance 5: containers, without a container runtime.

- Mount namespace: the spin workload is copied into a tmpfs mounted inside
  `unshare -m` (private propagation), so its path does not exist in ember's
  namespace; ember must still name its functions (through /proc/PID/root),
  not print `ns_spin+0x...` offsets.
- Container id: a process moved into a cgroup the test creates at
  <hierarchy>/ember-it-<pid>/docker/<64 hex id> gets that id in the speedscope
  `ember.processes[].container_id`, once with the cgroup v2 (unified)
  hierarchy and once with a v1 hierarchy, as docker lays them out.
"""
import os
import secrets
import time
import unittest

import ember_it as it

FREQUENCY = 499
DURATION = 3


class MountNamespace(unittest.TestCase):
    def test_binary_only_inside_a_private_mount_namespace_symbolizes(self):
        mnt = it.scratch_dir(self)
        out = os.path.join(it.scratch_dir(self), "ns.folded")
        private = os.path.join(mnt, "ns_spin")
        script = (f"mount -t tmpfs ember-it {mnt} && cp {it.workload('spin')} {private} "
                  f"&& exec {private} 60")
        w = it.start(self, ["unshare", "--mount", "--propagation", "private",
                            "sh", "-c", script])
        # The premise: the binary exists only in the process's namespace.
        self.assertEqual(os.readlink(f"/proc/{w.pid}/exe"), private)
        self.assertFalse(os.path.exists(private), f"{private} is visible outside the namespace")
        self.assertNotEqual(os.readlink(f"/proc/{w.pid}/ns/mnt"), os.readlink("/proc/self/ns/mnt"))

        res = it.record(self, out, pids=[w.pid], duration=DURATION, frequency=FREQUENCY,
                        min_samples=200)
        w.stop()

        mine = it.folded_by_comm(it.parse_folded(out), "ns_spin")
        total = sum(c for _, c in mine)
        self.assertGreaterEqual(total, 200, "too few samples\n" + res.describe())
        named = sum(c for f, c in mine if it.contains_run(f, ["main", "spin_outer", "spin_leaf"]))
        unresolved = [(f, c) for f, c in mine if any(x.startswith("ns_spin+0x") for x in f)]
        self.assertEqual(unresolved, [], "frames of the namespaced binary left as offsets:\n"
                         + it.summarize(unresolved))
        self.assertGreaterEqual(it.share(named, total), 80.0,
                                f"{named}/{total} samples named main;spin_outer;spin_leaf:\n"
                                + it.summarize(mine))
        print(f"\nmount namespace: {named}/{total} samples fully named")


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


class ContainerId(unittest.TestCase):
    def make_docker_cgroup(self, hierarchy, workload):
        """Moves the workload into <hierarchy>/ember-it-<our pid>/docker/<id>; returns id.

        Skips when this hierarchy is absent or refuses us."""
        if not os.path.exists(os.path.join(hierarchy, "cgroup.procs")):
            self.skipTest(f"no cgroup hierarchy at {hierarchy}")
        cid = secrets.token_hex(32)
        base = os.path.join(hierarchy, f"ember-it-{os.getpid()}")
        path = os.path.join(base, "docker", cid)
        pid = workload.pid
        created = []

        def cleanup():
            workload.kill()  # a cgroup with a live process cannot be removed
            for d in reversed(created):
                it.remove_cgroup(d)

        try:
            for d in (base, os.path.dirname(path), path):
                os.mkdir(d)
                created.append(d)
        except OSError as e:
            cleanup()
            self.skipTest(f"cannot create a cgroup under {hierarchy}: {e}")
        self.addCleanup(cleanup)
        try:
            _write(os.path.join(path, "cgroup.procs"), str(pid))
        except OSError as e:
            self.skipTest(f"cannot move a process into {path}: {e}")
        with open(f"/proc/{pid}/cgroup") as f:
            self.assertIn(f"/ember-it-{os.getpid()}/docker/{cid}", f.read())
        return cid

    def check(self, hierarchy):
        out = os.path.join(it.scratch_dir(self), "cg.speedscope.json")
        w = it.start(self, [it.copy_workload(self, "spin", "cg_spin"), 60])
        cid = self.make_docker_cgroup(hierarchy, w)
        res = it.record(self, out, pids=[w.pid], duration=DURATION, frequency=FREQUENCY)
        w.kill()

        doc = it.Speedscope(out)
        self.assertTrue(doc.for_pid(w.pid), f"pid {w.pid} not sampled\n" + res.describe())
        meta = doc.processes.get(w.pid)
        self.assertIsNotNone(meta, f"pid {w.pid} not in ember.processes: "
                             f"{list(doc.processes)[:20]}")
        self.assertEqual(meta.get("container_id"), cid,
                         f"{hierarchy}: ember.processes entry {meta}")
        print(f"\ncontainer id ({hierarchy}): {meta.get('container_id')}")

    def test_docker_cgroup_v2(self):
        self.check("/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified")
                   else "/sys/fs/cgroup")

    def test_docker_cgroup_v1(self):
        for controller in ("cpu", "systemd", "pids", "memory"):
            h = os.path.join("/sys/fs/cgroup", controller)
            if os.path.exists(os.path.join(h, "cgroup.procs")) and \
                    not os.path.exists(os.path.join(h, "cgroup.controllers")):
                return self.check(h)
        self.skipTest("no cgroup v1 hierarchy on this machine")


if __name__ == "__main__":
    it.main()
