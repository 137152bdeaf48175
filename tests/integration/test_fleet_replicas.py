#!/usr/bin/env python3
"""The fleet server on a replicated ClickHouse cluster, with a node down.

A standalone ZooKeeper (scripts/zookeeper.sh) and four ClickHouse servers
(scripts/clickhouse.sh, each its own ports and data directory) form the
cluster `ember_rep`: two shards of two replicas. An `ember server` given all
four nodes (`--cluster`) finds the replicas and creates its tables as
Replicated*; another writes the same windows (bench/fleet's loader) to a
single-node database on the first node, whose answers are the truth.

- The first half of the windows goes to both; one replica of the first shard
  is killed (SIGKILL); the second half goes to both all the same, and the
  replicated cluster's answers (top functions, flame graph, timeline,
  targets, export; fleet-wide and by host) are the same bytes as the single
  node's.
- The killed replica is started again and catches up through ZooKeeper (its
  shard's rows equal its peer's); then its peer is killed: the answers still
  equal the single node's, so the rows written while it was down reached it.

No BPF: runs unprivileged.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

from fleet_it import Servers, StartedOnce, api_get, assert_same, clickhouse, free_port, require

EMBER = os.environ.get("EMBER_BIN", "")
LOADER = os.environ.get("EMBER_IT_FLEET_LOAD", "")
CLICKHOUSE_SCRIPT = os.environ.get("EMBER_IT_CLICKHOUSE_SCRIPT", "")
ZOOKEEPER_SCRIPT = os.environ.get("EMBER_IT_ZOOKEEPER_SCRIPT", "")
TOKEN = "it-replicas-token"
CLUSTER = "ember_rep"
HOSTS = 4
HALF_HOURS = 18
# 34 hours ago (retention keeps 30 days), off the minute and the hour.
START = int(time.time()) // 3600 * 3600 - 34 * 3600 + 437


def get(url):
    return api_get(url, TOKEN)


class FleetReplicas(StartedOnce):
    TMP_PREFIX = "ember-it-replicas-"

    @classmethod
    def prepare(cls):
        cls.nodes = []  # (directory, environment, url)
        cls.zookeeper_dir = os.path.join(cls.tmp, "zookeeper")

    @classmethod
    def start_all(cls):
        require(EMBER_BIN=EMBER, EMBER_IT_FLEET_LOAD=LOADER,
                EMBER_IT_CLICKHOUSE_SCRIPT=CLICKHOUSE_SCRIPT,
                EMBER_IT_ZOOKEEPER_SCRIPT=ZOOKEEPER_SCRIPT)
        zookeeper = subprocess.run([ZOOKEEPER_SCRIPT, "start", cls.zookeeper_dir],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   timeout=600)
        if zookeeper.returncode != 0:
            raise AssertionError(f"ZooKeeper did not start (scripts/zookeeper.sh):\n"
                                 f"{zookeeper.stderr}")
        ports = [(free_port(), free_port()) for _ in range(4)]
        shards = [ports[0:2], ports[2:4]]
        cluster = CLUSTER + "".join(
            " " + ",".join(f"127.0.0.1:{tcp}" for _, tcp in shard) for shard in shards)
        for i, (http, tcp) in enumerate(ports):
            env = dict(os.environ, CLICKHOUSE_HTTP_PORT=str(http), CLICKHOUSE_TCP_PORT=str(tcp),
                       CLICKHOUSE_CLUSTER=cluster,
                       CLICKHOUSE_ZOOKEEPER=zookeeper.stdout.strip())
            cls.nodes.append((os.path.join(cls.tmp, f"clickhouse-{i}"), env,
                              f"http://127.0.0.1:{http}/"))
        starts = [cls.start_node(i) for i in range(4)]
        for start in starts:
            cls.wait_node(start)
        cls.tokens = os.path.join(cls.tmp, "tokens")
        with open(cls.tokens, "w") as f:
            f.write(TOKEN + "\n")
        cls.servers = Servers(EMBER, cls.tokens, cls.tmp)
        cls.single = cls.servers.start("single", ["--clickhouse", cls.nodes[0][2]])
        cls.replicated = cls.servers.start(
            "replicated", [a for _, _, url in cls.nodes for a in ("--clickhouse", url)]
            + ["--cluster", CLUSTER])
        for url in (cls.single, cls.replicated):
            deadline = time.monotonic() + 30
            while get(f"{url}api/v1/summary")[0] != 200:
                if time.monotonic() > deadline:
                    raise AssertionError(f"ember server at {url} did not serve within 30 s:\n"
                                         + cls.servers.logs())
                time.sleep(0.1)

    @classmethod
    def start_node(cls, i):
        directory, env, _ = cls.nodes[i]
        return subprocess.Popen([CLICKHOUSE_SCRIPT, "start", directory], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)

    @classmethod
    def wait_node(cls, start):
        out, err = start.communicate(timeout=600)
        if start.returncode != 0:
            raise AssertionError(f"ClickHouse did not start (scripts/clickhouse.sh):\n{err}")

    @classmethod
    def kill_node(cls, i):
        with open(os.path.join(cls.nodes[i][0], "pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGKILL)
        while True:  # gone once its port is free (it is not our child)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        if cls.servers:
            cls.servers.stop()
        stops = [subprocess.Popen([CLICKHOUSE_SCRIPT, "stop", directory])
                 for directory, _, _ in cls.nodes]
        for stop in stops:
            stop.wait(timeout=60)
        if ZOOKEEPER_SCRIPT:
            subprocess.run([ZOOKEEPER_SCRIPT, "stop", cls.zookeeper_dir], timeout=60)
        shutil.rmtree(cls.tmp, True)

    def load(self, start, hours):
        """The same windows to both servers, at once."""
        loaders = [subprocess.Popen(
            [LOADER, "--post", f"{url}ingest", "--token-file", self.tokens,
             "--hosts", str(HOSTS), "--hours", str(hours), "--every-minutes", "360",
             "--processes", "4", "--functions", "60", "--stacks", "80",
             "--busy-cpus", "0.5", "--frequency", "19", "--start-s", str(start)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for url in (self.single, self.replicated)]
        for loader in loaders:
            out, err = loader.communicate(timeout=120)
            self.assertEqual(loader.returncode, 0, f"the loader failed:\n{err}\n{self.servers.logs()}")
            print(f"loaded: {out.strip()}", file=sys.stderr)

    def answers(self, url, frm, to):
        out = {}
        span = f"from={frm}&to={to}"
        for host in ("", "&host=host-01", "&host=host-02", "&host=host-03"):
            for endpoint in ("timeline", "targets", "functions?limit=200",
                             "flamegraph?view=native", "export?format=folded&threads=0"):
                sep = "&" if "?" in endpoint else "?"
                status, body = get(f"{url}api/v1/{endpoint}{sep}{span}{host}")
                self.assertEqual(status, 200, f"{url} {endpoint} {span}{host}: {body[:300]!r}\n"
                                 + self.servers.logs())
                out[endpoint + host] = body
        return out

    def wait_copied(self, *pairs):
        """Until each pair of replicas (node indexes) holds the same rows in
        every table: a Distributed INSERT returns once one replica has its
        rows, and the other fetches them a moment later."""
        tables = [name + "_local" for name in ("frames", "stacks", "samples", "host_metrics",
                                               "process_metrics", "ingested", "samples_hourly")]
        counts = " UNION ALL ".join(f"SELECT '{t}', count() FROM replicated.{t}" for t in tables)
        deadline = time.monotonic() + 60
        for a, b in pairs:
            while True:
                rows = [sorted(clickhouse(self.nodes[i][2], counts).splitlines()) for i in (a, b)]
                if rows[0] == rows[1]:
                    break
                if time.monotonic() > deadline:
                    self.fail(f"replicas {a} and {b} differ after 60 s: {rows}")
                time.sleep(0.2)

    def local_sum(self, i):
        return int(clickhouse(self.nodes[i][2],
                              "SELECT sum(count) FROM replicated.samples_local"))

    def test_a_node_down_loses_nothing_and_its_replica_catches_up(self):
        engines = clickhouse(self.nodes[0][2], "SELECT engine FROM system.tables WHERE "
                             "database = 'replicated' AND name = 'samples_local'")
        self.assertEqual(engines, "ReplicatedMergeTree")
        self.load(START, HALF_HOURS)
        # A replica goes down once it holds what was written (one that goes
        # down first makes its rows unreadable until it is back).
        self.wait_copied((0, 1), (2, 3))
        self.kill_node(1)  # the first shard's second replica
        self.load(START + HALF_HOURS * 3600, HALF_HOURS)
        self.wait_copied((2, 3))
        total = int(clickhouse(self.nodes[0][2], "SELECT sum(count) FROM single.samples"))
        # Ranges of whole windows and parts: each read below is a new one (the
        # API keeps its last reads).
        ranges = [(START + 17, START + 2 * HALF_HOURS * 3600),
                  (START + 2 * 3600 + 123, START + 25 * 3600),
                  (START + 5 * 3600, START + 33 * 3600),
                  (START + 7 * 3600 + 11, START + 31 * 3600)]
        truth = [self.answers(self.single, *r) for r in ranges]
        for r, expected in list(zip(ranges, truth))[:2]:
            assert_same(self, expected, self.answers(self.replicated, *r),
                        f"single node vs replicas, one down, over {r[1] - r[0]} s")

        self.wait_node(self.start_node(1))
        self.wait_copied((0, 1))  # it fetches what it missed
        self.assertEqual(self.local_sum(2), self.local_sum(3))
        self.assertGreater(self.local_sum(0), 0)
        self.assertGreater(self.local_sum(2), 0)
        self.assertEqual(self.local_sum(0) + self.local_sum(2), total)

        self.kill_node(0)  # the replica that took the second half's writes
        for r, expected in list(zip(ranges, truth))[2:]:
            assert_same(self, expected, self.answers(self.replicated, *r),
                        f"single node vs the restarted replica over {r[1] - r[0]} s")


if __name__ == "__main__":
    unittest.main(verbosity=2)
