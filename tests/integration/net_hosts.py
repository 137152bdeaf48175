"""Private "hosts" on one machine for the fleet tests: each a network
namespace joined to the machine by a veth pair on a bridge the test makes,
with a 10.x address of its own (nothing routed off the machine), and a UTS
namespace with its own host name, entered by the processes it runs.

    hosts = NetHosts(3)            # needs root; remove() undoes everything
    hosts.server_address           # the bridge's address, in the machine's namespace
    hosts.command(i, argv)         # argv run in host i (its first process)
    hosts.beside(pid)              # a prefix running a command in pid's host
"""
import os
import subprocess


def _ip(*args):
    done = subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")


class NetHosts:
    def __init__(self, count, tag=None):
        # Names and a /24 of the test's own, so two runs at once never meet.
        tag = tag if tag is not None else os.getpid() % 10000
        self.bridge = f"ebr{tag}"
        self.subnet = f"10.{250 + tag % 5}.{tag % 250}"
        self.server_address = f"{self.subnet}.1"
        self.names = [f"ember-it-{tag}-{i}" for i in range(count)]
        self._veths = []
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.server_address}/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for i, name in enumerate(self.names):
                outside, inside = f"ev{tag}h{i}", f"ev{tag}n{i}"
                _ip("netns", "add", name)
                _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
                self._veths.append(outside)
                _ip("link", "set", outside, "master", self.bridge)
                _ip("link", "set", outside, "up")
                _ip("link", "set", inside, "netns", name)
                _ip("-n", name, "link", "set", inside, "name", "eth0")
                _ip("-n", name, "addr", "add", f"{self.subnet}.{i + 2}/24", "dev", "eth0")
                _ip("-n", name, "link", "set", "eth0", "up")
                _ip("-n", name, "link", "set", "lo", "up")
        except BaseException:
            self.remove()
            raise

    def address(self, i):
        return f"{self.subnet}.{i + 2}"

    def command(self, i, argv):
        """argv in host i's network namespace and a new UTS namespace named
        after the host; nsenter, unshare and sh exec, so its pid is argv's."""
        name = self.names[i]
        return ["nsenter", f"--net=/run/netns/{name}", "--", "unshare", "--uts", "--", "sh",
                "-c", 'hostname "$0" && exec "$@"', name] + [str(a) for a in argv]

    @staticmethod
    def beside(pid):
        """A prefix that runs a command in the network and UTS namespaces of
        process pid (its host): nsenter execs it, so its pid is the command's."""
        return ["nsenter", f"--target={pid}", "--net", "--uts", "--"]

    def remove(self):
        for name in self.names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)
        for veth in self._veths:
            subprocess.run(["ip", "link", "del", veth], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, timeout=30)
