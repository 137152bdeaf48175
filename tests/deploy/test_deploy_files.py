#!/usr/bin/env python3
"""The shipped deployment files (issue 5): configs/emberd.service and
configs/kubernetes/daemonset.yaml.

- The unit passes `systemd-analyze verify` without a complaint about it
  (ExecStart pointed at the built emberd, since the installed path does not
  exist here; verify exits 0 even on unknown keys, so its output is read).
- The DaemonSet parses as YAML; runs privileged with the host's PIDs; mounts
  /sys/kernel/btf, debugfs, the cgroup tree and a hostPath for /var/lib/ember;
  every mount has its volume; the ConfigMap's ember.toml is the file emberd is
  told to read and passes `emberd --check-config`; each container runtime's
  state directory is mounted from the host where its `state_root` says.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ["EMBER_SOURCE_DIR"]
EMBERD = os.environ["EMBERD_BIN"]
UNIT = os.path.join(SOURCE, "configs", "emberd.service")
DAEMONSET = os.path.join(SOURCE, "configs", "kubernetes", "daemonset.yaml")


def missing(what):
    """No silent skips: a failure under CI, a skip elsewhere."""
    if os.environ.get("CI"):
        raise AssertionError(f"{what} (CI is set: install it, see scripts/install-deps.sh)")
    raise unittest.SkipTest(what)


class SystemdUnit(unittest.TestCase):
    def test_unit_verifies(self):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            missing("systemd-analyze is not installed")
        with open(UNIT) as f:
            text = f.read()
        self.assertIn("/usr/local/bin/emberd", text)
        with tempfile.TemporaryDirectory() as d:
            unit = os.path.join(d, "emberd.service")
            with open(unit, "w") as f:
                f.write(text.replace("/usr/local/bin/emberd", EMBERD))
            proc = subprocess.run([analyze, "verify", unit], capture_output=True, text=True)
        complaints = [l for l in (proc.stdout + proc.stderr).splitlines()
                      if "emberd.service" in l]
        self.assertEqual(complaints, [], f"systemd-analyze verify: {proc.stdout}{proc.stderr}")
        self.assertEqual(proc.returncode, 0, proc.stderr)


    def test_the_shipped_config_writes_only_where_the_unit_lets_it(self):
        """Under ProtectSystem=strict only the unit's State/Cache directories
        and ReadWritePaths are writable: every path the shipped config writes
        (store, profile files, debug cache) must be under one of them."""
        import tomllib
        with open(os.path.join(SOURCE, "configs", "ember.toml"), "rb") as f:
            config = tomllib.load(f)
        written = {
            "sink.store.path": os.path.dirname(config["sink"]["store"]["path"]),
            "sink.files.directory": config["sink"]["files"]["directory"],
            "runtime.native.cache_dir": config["runtime"]["native"]["cache_dir"],
        }
        writable = []
        with open(UNIT) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key == "StateDirectory":
                    writable += ["/var/lib/" + v for v in value.split()]
                elif key == "CacheDirectory":
                    writable += ["/var/cache/" + v for v in value.split()]
                elif key == "ReadWritePaths":
                    writable += value.split()
        for key, path in written.items():
            self.assertTrue(any(path == w or path.startswith(w.rstrip("/") + "/") for w in writable),
                            f"{key} = {path} is read-only under the unit (writable: {writable})")


class DaemonSet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        try:
            import yaml
        except ImportError:
            missing("python3-yaml is not installed")
        with open(DAEMONSET) as f:
            cls.docs = [d for d in yaml.safe_load_all(f) if d]
        cls.by_kind = {d["kind"]: d for d in cls.docs}

    def pod(self):
        self.assertIn("DaemonSet", self.by_kind)
        return self.by_kind["DaemonSet"]["spec"]["template"]["spec"]

    def test_privileged_with_host_pids_and_kernel_mounts(self):
        pod = self.pod()
        self.assertIs(pod.get("hostPID"), True)
        (container,) = pod["containers"]
        self.assertIs(container["securityContext"].get("privileged"), True)
        volumes = {v["name"]: v for v in pod["volumes"]}
        for m in container["volumeMounts"]:
            self.assertIn(m["name"], volumes, f"mount {m} has no volume")
        host_mounts = {volumes[m["name"]]["hostPath"]["path"]: m["mountPath"]
                       for m in container["volumeMounts"] if "hostPath" in volumes[m["name"]]}
        for path in ("/sys/kernel/btf", "/sys/kernel/debug", "/sys/fs/cgroup", "/var/lib/ember"):
            self.assertEqual(host_mounts.get(path), path, f"host {path} not mounted at {path}")

    def test_configmap_config_is_the_one_emberd_reads_and_it_loads(self):
        pod = self.pod()
        (container,) = pod["containers"]
        args = container["command"]
        config_path = args[args.index("--config") + 1]
        mount = next(m for m in container["volumeMounts"]
                     if config_path.startswith(m["mountPath"].rstrip("/") + "/"))
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        configmap = self.by_kind["ConfigMap"]
        self.assertEqual(volume["configMap"]["name"], configmap["metadata"]["name"])
        key = os.path.relpath(config_path, mount["mountPath"])
        text = configmap["data"][key]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "ember.toml")
            with open(path, "w") as f:
                f.write(text)
            proc = subprocess.run([EMBERD, "--config", path, "--check-config"],
                                  capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)

        # Container names need the runtimes' state where state_root says.
        import tomllib
        state_root = tomllib.loads(text).get("containers", {}).get("state_root", "/")
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounted = {volumes[m["name"]]["hostPath"]["path"]: m["mountPath"]
                   for m in container["volumeMounts"] if "hostPath" in volumes[m["name"]]}
        for state in ("/var/lib/docker/containers", "/run/containerd", "/run/containers/storage"):
            self.assertEqual(mounted.get(state), state_root.rstrip("/") + state,
                             f"the host's {state} is not at state_root {state_root!r}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
