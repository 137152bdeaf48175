#!/usr/bin/env python3
"""The fleet server on a two-shard ClickHouse, and its reads of a day or
more from the hourly rollup.

Two ClickHouse servers on ports of their own (scripts/clickhouse.sh, each
its own data directory) form the cluster `ember_it` (each names both in its
<remote_servers>). The same synthetic windows (bench/fleet's loader: four
hosts, a window every 6 hours over 36 hours, POSTed as agents send them)
go to an `ember server` on a single-node database and to one on the cluster
(`--cluster`, both nodes given), which writes them through Distributed
tables: both shards hold some of them, the two layouts' sums are equal, and
the query API's answers (top functions, flame graph, timeline, targets,
summary; fleet-wide and narrowed by host) are the same bytes on
both, for a range under a day (read from samples) and over one (whole hours
from samples_hourly, the edges from samples). A third server over the
single-node database with `--rollup-hours 0` (samples alone) answers the
long range with the same bytes too; and once the rollup alone is changed
(one row added to it), the long read differs from it and the short one does
not: the long read does take the rollup. A fourth server over the
single-node database with `--reads whole` (every read takes the rows as
stored and sums them itself) gives the same bytes as the default, which
sums in ClickHouse (per process, per stack alone for an unfiltered table,
counts per process, metrics alone), for every endpoint, with and without a
filter, and `ember report --server --format top` prints the same table from
both.

No BPF: runs unprivileged. Truth: the loader's windows, the answers of the
single-node server reading samples alone.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

from fleet_it import Servers, StartedOnce, api_get, assert_same, clickhouse, free_port, require

EMBER = os.environ.get("EMBER_BIN", "")
LOADER = os.environ.get("EMBER_IT_FLEET_LOAD", "")
CLICKHOUSE_SCRIPT = os.environ.get("EMBER_IT_CLICKHOUSE_SCRIPT", "")
TOKEN = "it-sharded-token"
CLUSTER = "ember_it"
HOSTS = 4
HOURS = 36
# The windows' start: 34 hours ago (retention keeps 30 days), off the minute
# and the hour so no range edge falls on a window's.
START = int(time.time()) // 3600 * 3600 - 34 * 3600 + 437


def get(url):
    return api_get(url, TOKEN)


class FleetSharded(StartedOnce):
    TMP_PREFIX = "ember-it-sharded-"

    @classmethod
    def prepare(cls):
        cls.ch_dirs = []

    @classmethod
    def start_all(cls):
        require(EMBER_BIN=EMBER, EMBER_IT_FLEET_LOAD=LOADER,
                EMBER_IT_CLICKHOUSE_SCRIPT=CLICKHOUSE_SCRIPT)
        ports = [(free_port(), free_port()) for _ in range(2)]
        cluster = CLUSTER + "".join(f" 127.0.0.1:{tcp}" for _, tcp in ports)
        starts = []
        for i, (http, tcp) in enumerate(ports):
            directory = os.path.join(cls.tmp, f"clickhouse-{i}")
            cls.ch_dirs.append(directory)
            starts.append(subprocess.Popen(
                [CLICKHOUSE_SCRIPT, "start", directory], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True,
                env=dict(os.environ, CLICKHOUSE_HTTP_PORT=str(http),
                         CLICKHOUSE_TCP_PORT=str(tcp), CLICKHOUSE_CLUSTER=cluster)))
        for start in starts:
            out, err = start.communicate(timeout=600)
            if start.returncode != 0:
                raise AssertionError(f"ClickHouse did not start (scripts/clickhouse.sh):\n{err}")
        cls.nodes = [f"http://127.0.0.1:{http}/" for http, _ in ports]
        cls.tokens = os.path.join(cls.tmp, "tokens")
        with open(cls.tokens, "w") as f:
            f.write(TOKEN + "\n")
        cls.servers = Servers(EMBER, cls.tokens, cls.tmp)
        node_args = [a for node in cls.nodes for a in ("--clickhouse", node)]
        cls.single = cls.servers.start("single", ["--clickhouse", cls.nodes[0]])
        cls.raw = cls.servers.start("single", ["--clickhouse", cls.nodes[0],
                                               "--rollup-hours", "0"])
        cls.sharded = cls.servers.start("sharded", node_args + ["--cluster", CLUSTER])
        cls.whole = cls.servers.start("single", ["--clickhouse", cls.nodes[0],
                                                 "--reads", "whole"])
        for url in (cls.single, cls.raw, cls.sharded, cls.whole):
            deadline = time.monotonic() + 20
            while get(f"{url}api/v1/summary")[0] != 200:
                if time.monotonic() > deadline:
                    raise AssertionError(f"ember server at {url} did not serve within 20 s:\n"
                                         + cls.servers.logs())
                time.sleep(0.1)
        # Both loaded at once: the same windows (the loader's seeds).
        loaders = [subprocess.Popen(
            [LOADER, "--post", f"{url}ingest", "--token-file", cls.tokens,
             "--hosts", str(HOSTS), "--hours", str(HOURS), "--every-minutes", "360",
             "--processes", "4", "--functions", "60", "--stacks", "80",
             "--busy-cpus", "0.5", "--frequency", "19", "--start-s", str(START)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for url in (cls.single, cls.sharded)]
        for loader in loaders:
            out, err = loader.communicate(timeout=120)
            if loader.returncode != 0:
                raise AssertionError(f"the loader failed ({loader.returncode}):\n{err}\n"
                                     + cls.servers.logs())
            print(f"loaded: {out.strip()}", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        if cls.servers:
            cls.servers.stop()
        stops = [subprocess.Popen([CLICKHOUSE_SCRIPT, "stop", directory])
                 for directory in cls.ch_dirs]
        for stop in stops:
            stop.wait(timeout=60)
        shutil.rmtree(cls.tmp, True)

    def answers(self, url, frm, to):
        """The API's answers for the range [frm, to] (epoch seconds), fleet-wide
        and for one host."""
        out = {}
        span = f"from={frm}&to={to}"
        for host in ("", "&host=host-01"):
            # The chart and the targets first: a read with more detail kept
            # would answer them (core/ui's read_range), not their own reads.
            # The tables first too: summed per stack alone (no processes).
            for endpoint in ("timeline", "targets", "functions?limit=200",
                             "functions?view=native&sort=total&limit=100000",
                             "flamegraph?view=native", "timeline?label=host%3Dhost-02",
                             "flamegraph?view=native&label=host%3Dhost-02",
                             "functions?label=host%3Dhost-02",
                             "export?format=folded&threads=0"):
                sep = "&" if "?" in endpoint else "?"
                if "host-02" in endpoint and host:
                    continue  # one host's read, filtered for another: nothing
                status, body = get(f"{url}api/v1/{endpoint}{sep}{span}{host}")
                self.assertEqual(status, 200, f"{endpoint} {span}{host}: {body[:300]!r}")
                out[endpoint + host] = body
        return out

    def report_top(self, url, frm, to):
        done = subprocess.run(
            [EMBER, "report", "--server", url, "--token-file", self.tokens, "--from", str(frm),
             "--to", str(to), "--format", "top", "--limit", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def test_1_shards_hold_the_hosts_and_the_sums_match(self):
        per_shard = [int(clickhouse(node, "SELECT sum(count) FROM sharded.samples_local"))
                     for node in self.nodes]
        single = int(clickhouse(self.nodes[0], "SELECT sum(count) FROM single.samples"))
        hosts = [clickhouse(node, "SELECT uniqExact(host) FROM sharded.samples_local")
                 for node in self.nodes]
        self.assertTrue(all(n > 0 for n in per_shard), f"a shard holds nothing: {per_shard}")
        self.assertEqual(sum(per_shard), single)
        self.assertEqual(sum(int(h) for h in hosts), HOSTS, f"hosts per shard: {hosts}")
        hourly = int(clickhouse(self.nodes[0], "SELECT sum(count) FROM single.samples_hourly"))
        self.assertEqual(hourly, single)

    def test_2_same_answers_single_and_sharded_short_and_long(self):
        # The API reads the windows a range overlaps, whole: 2 of them, and
        # 5 over 24 h 1 min, the first and last hours from samples.
        short = (START + 2 * 3600 + 123, START + 13 * 3600)
        long = (START + 17, START + 25 * 3600)
        for frm, to in (short, long):
            single = self.answers(self.single, frm, to)
            assert_same(self, single, self.answers(self.sharded, frm, to),
                             f"single-node vs two shards over {to - frm} s")
            assert_same(self, single, self.answers(self.raw, frm, to),
                             f"rollup vs samples alone over {to - frm} s")
            assert_same(self, single, self.answers(self.whole, frm, to),
                             f"summed in ClickHouse vs whole reads over {to - frm} s")
            tables = [self.report_top(url, frm, to) for url in (self.single, self.whole)]
            self.assertIn("samples", tables[0])
            self.assertEqual(tables[0], tables[1], "ember report --server --format top")
        status, a = get(f"{self.single}api/v1/summary")
        status, b = get(f"{self.sharded}api/v1/summary")
        a, b = json.loads(a), json.loads(b)
        del a["now"], b["now"]
        self.assertEqual(a, b)

    def test_3_long_reads_take_the_rollup(self):
        # One more sample in the rollup alone, in an hour every long range
        # below holds whole: the rollup-reading server counts it, the other not.
        clickhouse(self.nodes[0],
                   "INSERT INTO single.samples_hourly SELECT hour, service, host, container, "
                   "pod, process, pid, tid, stack_id, label_set, thread, exe, cmdline, 1 "
                   f"FROM single.samples_hourly WHERE hour = toStartOfHour(toDateTime({START + 12 * 3600})) "
                   "AND host = 'host-02' LIMIT 1")
        # Other windows than the ranges asked before (the API keeps its last
        # reads, by the windows a range covers).
        long = (START + 17, START + 31 * 3600)  # 6 windows, 30 h 1 min
        short = (START + 2 * 3600 + 123, START + 19 * 3600)  # 3
        a, b = self.answers(self.single, *long), self.answers(self.raw, *long)
        self.assertTrue(a["functions?limit=200"] != b["functions?limit=200"],
                        "a read of 30 h does not take the hourly rollup")
        assert_same(self, self.answers(self.single, *short), self.answers(self.raw, *short),
                         "a read of 7 h")


if __name__ == "__main__":
    unittest.main(verbosity=2)
