#!/usr/bin/env python3
"""Containers and services (issue 5), without a container runtime.

The test lays out what docker, containerd and cri-o leave on a host, by hand:
cgroups it creates in the path forms each runtime uses, and the runtimes'
state files under a scratch `[containers] state_root`. Four copies of the spin
workload run in them (and one on the host); one `ember record` must give each
process in `ember.processes` the container id and pod uid of its cgroup path,
the container name and the pod name from the state files (or the container's
HOSTNAME when there are none), and the `service` of the first [[service]] rule that matches
(or OTEL_SERVICE_NAME from its environment).
"""
import json
import os
import secrets
import time
import unittest
import uuid

import ember_it as it

FREQUENCY = 199
DURATION = 3


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class Containers(unittest.TestCase):
    def setUp(self):
        self.hierarchy = ("/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified")
                          else "/sys/fs/cgroup")
        if not os.path.exists(os.path.join(self.hierarchy, "cgroup.procs")):
            self.fail(f"no cgroup v2 hierarchy at {self.hierarchy}")
        self.base = os.path.join(self.hierarchy, f"ember-it-containers-{os.getpid()}")
        self.created = []
        self.workloads = []
        self.addCleanup(self.cleanup)
        self.state = it.scratch_dir(self)

    def cleanup(self):
        for w in self.workloads:
            w.kill()  # a cgroup with a live process cannot be removed
        for d in sorted(self.created, key=len, reverse=True):
            it.remove_cgroup(d)

    def run_in_cgroup(self, name, relative, env=None):
        """A spin copy called `name`, moved into <base>/<relative>."""
        path = os.path.join(self.base, relative)
        d = self.hierarchy
        for part in os.path.relpath(path, self.hierarchy).split("/"):
            d = os.path.join(d, part)
            if not os.path.isdir(d):
                os.mkdir(d)
                self.created.append(d)
        w = self.start(name, env)
        with open(os.path.join(path, "cgroup.procs"), "w") as f:
            f.write(str(w.pid))
        with open(f"/proc/{w.pid}/cgroup") as f:
            self.assertIn(relative, f.read())
        return w

    def start(self, name, env=None):
        environment = dict(os.environ)
        environment.update(env or {})
        w = it.start(self, [it.copy_workload(self, "spin", name), 60], env=environment)
        self.workloads.append(w)
        return w

    def test_ids_names_pods_and_services(self):
        docker_id, containerd_id, crio_id = (secrets.token_hex(32) for _ in range(3))
        pod_uid, crio_pod_uid = str(uuid.uuid4()), str(uuid.uuid4())

        # docker with the systemd cgroup driver; its name in config.v2.json.
        docker = self.run_in_cgroup("it_docker", f"system.slice/docker-{docker_id}.scope")
        _write(f"{self.state}/var/lib/docker/containers/{docker_id}/config.v2.json",
               json.dumps({"ID": docker_id, "Name": "/biggest-numbers",
                           "Config": {"Env": ["PATH=/bin"], "Labels": {}}}))
        # containerd under Kubernetes (systemd driver: '_' in the pod uid);
        # names in the OCI spec's CRI annotations.
        containerd = self.run_in_cgroup(
            "it_containerd",
            "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            f"{pod_uid.replace('-', '_')}.slice/cri-containerd-{containerd_id}.scope")
        _write(f"{self.state}/run/containerd/io.containerd.runtime.v2.task/k8s.io/"
               f"{containerd_id}/config.json",
               json.dumps({"ociVersion": "1.0.2", "annotations": {
                   "io.kubernetes.cri.container-type": "container",
                   "io.kubernetes.cri.sandbox-name": "web-0",
                   "io.kubernetes.cri.container-name": "nginx"}}))
        # cri-o under Kubernetes (cgroupfs driver), no state file: the pod's
        # HOSTNAME names it, OTEL_SERVICE_NAME gives the service.
        crio = self.run_in_cgroup(
            "it_crio", f"kubepods/besteffort/pod{crio_pod_uid}/crio-{crio_id}.scope",
            env={"HOSTNAME": "shop-7d9f-x2x", "OTEL_SERVICE_NAME": "checkout"})
        host = self.start("it_host")

        config = os.path.join(it.scratch_dir(self), "ember.toml")
        with open(config, "w") as f:
            f.write(f"""
[agent]
plugin_dirs = ["{it.PLUGIN_DIR}"]
[containers]
state_root = "{self.state}"
[[service]]
name = "BiggestNumbers"
match_container = "^biggest-numbers$"
[[service]]
name = "Web"
match_container = "/nginx$"
match_exe = "it_containerd$"
[[service]]
name = "HostSpinner"
match_cmdline = "it_host 60"
[runtime.native]
enabled = true
""")
        out = os.path.join(it.scratch_dir(self), "c.speedscope.json")
        pids = [w.pid for w in (docker, containerd, crio, host)]
        res = it.record(self, out, pids=pids, duration=DURATION, frequency=FREQUENCY,
                        config=config)
        doc = it.Speedscope(out)

        want = {
            docker.pid: dict(container_id=docker_id, pod_uid="", pod_name="",
                             container_name="biggest-numbers", service="BiggestNumbers"),
            containerd.pid: dict(container_id=containerd_id, pod_uid=pod_uid, pod_name="web-0",
                                 container_name="web-0/nginx", service="Web"),
            crio.pid: dict(container_id=crio_id, pod_uid=crio_pod_uid, pod_name="shop-7d9f-x2x",
                           container_name="shop-7d9f-x2x", service="checkout"),
            host.pid: dict(container_id="", pod_uid="", pod_name="", container_name="",
                           service="HostSpinner"),
        }
        for pid, fields in want.items():
            meta = doc.processes.get(pid)
            self.assertIsNotNone(meta, f"pid {pid} not in ember.processes "
                                 f"{sorted(doc.processes)}\n" + res.describe())
            got = {k: meta.get(k) for k in fields}
            self.assertEqual(got, fields, f"{meta['comm']} (pid {pid})")
        print(f"\ncontainers: {[doc.processes[p]['container_name'] for p in pids]}")


if __name__ == "__main__":
    it.main()
