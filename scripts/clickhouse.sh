#!/usr/bin/env bash
# A private single-node ClickHouse (Debian's clickhouse-server) for the tests
# and `make run-server`: a plain process, not the package's service, with its
# config, data and logs under one directory and loopback ports of its own.
#
#   scripts/clickhouse.sh start DIR   installs the package if missing (through
#                                     install-deps.sh), starts the server, waits
#                                     until it answers SELECT 1, prints its
#                                     HTTP URL (also in DIR/url)
#   scripts/clickhouse.sh stop DIR    stops it (SIGTERM, then SIGKILL after 20 s)
#
# Ports: CLICKHOUSE_HTTP_PORT / CLICKHOUSE_TCP_PORT when set, else free ones
# the kernel picks, so two at once (two engineers, two tests) never collide.
# CLICKHOUSE_CLUSTER="NAME HOST:TCP_PORT HOST:TCP_PORT ..." names a cluster of
# one-replica shards in the server's <remote_servers> (docs/fleet.md, "Sharded
# layout"): start each shard's server with the same value and its own ports.
# A shard's replicas are joined by commas ("NAME 127.0.0.1:9001,127.0.0.1:9002
# 127.0.0.1:9003,127.0.0.1:9004": two shards of two); such a cluster needs
# CLICKHOUSE_ZOOKEEPER="HOST:PORT" (scripts/zookeeper.sh), and the server's
# <macros> name its shard (1, 2, ... in the cluster's order) and replica
# (HOST-TCP_PORT), found by its 127.0.0.1:TCP_PORT in the cluster.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/private-server.sh"

remote_servers() {
  [ -n "${CLICKHOUSE_CLUSTER:-}" ] || return 0
  local name shards shard node
  read -r name shards <<<"$CLICKHOUSE_CLUSTER"
  echo "  <remote_servers><$name>"
  for shard in $shards; do
    echo -n "    <shard>"
    # With replicas, the Distributed tables write to one of them and
    # ClickHouse copies the rows to the others.
    [[ "$shard" != *,* ]] || echo -n "<internal_replication>true</internal_replication>"
    for node in ${shard//,/ }; do
      echo -n "<replica><host>${node%:*}</host><port>${node##*:}</port></replica>"
    done
    echo "</shard>"
  done
  echo "  </$name></remote_servers>"
}

# ZooKeeper and this server's place in the cluster, for replicated tables.
replication() {
  local tcp_port="$1"
  [ -n "${CLICKHOUSE_ZOOKEEPER:-}" ] || return 0
  local name shards shard index=0
  read -r name shards <<<"${CLICKHOUSE_CLUSTER:-}"
  for shard in $shards; do
    index=$((index + 1))
    if [[ ",$shard," == *",127.0.0.1:$tcp_port,"* ]]; then
      echo "  <zookeeper><node><host>${CLICKHOUSE_ZOOKEEPER%:*}</host><port>${CLICKHOUSE_ZOOKEEPER##*:}</port></node></zookeeper>"
      echo "  <macros><shard>$index</shard><replica>127.0.0.1-$tcp_port</replica></macros>"
      # Replicas fetch each other's parts over this port.
      echo "  <interserver_http_host>127.0.0.1</interserver_http_host>"
      echo "  <interserver_http_port>$(free_port)</interserver_http_port>"
      return 0
    fi
  done
  echo "clickhouse.sh: CLICKHOUSE_ZOOKEEPER is set but 127.0.0.1:$tcp_port is not in CLICKHOUSE_CLUSTER ('${CLICKHOUSE_CLUSTER:-}')" >&2
  return 1
}

stop() { stop_private_server clickhouse.sh ClickHouse; }

start() {
  if ! command -v clickhouse-server >/dev/null; then
    "$root/scripts/install-deps.sh" >&2
  fi
  command -v clickhouse-server >/dev/null ||
    { echo "clickhouse.sh: clickhouse-server is not installed and install-deps.sh did not install it" >&2; exit 1; }
  mkdir -p "$dir/data" "$dir/tmp" "$dir/log"
  dir="$(cd "$dir" && pwd)"
  local http_port="${CLICKHOUSE_HTTP_PORT:-$(free_port)}"
  local tcp_port="${CLICKHOUSE_TCP_PORT:-$(free_port)}"
  local replication_xml
  replication_xml="$(replication "$tcp_port")"
  # The root element of 18.16's configs is <yandex>; the packaged users.xml
  # gives the passwordless `default` user (reachable on loopback only here).
  cat >"$dir/config.xml" <<EOF
<yandex>
  <logger>
    <level>warning</level>
    <log>$dir/log/clickhouse-server.log</log>
    <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
  </logger>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <users_config>/etc/clickhouse-server/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <!-- zstd instead of LZ4 for every part (18.16 has no per-column codecs):
       the fleet's tables take about a third less disk (docs/fleet.md) -->
  <compression><case><min_part_size>0</min_part_size><min_part_size_ratio>0</min_part_size_ratio><method>${CLICKHOUSE_COMPRESSION:-zstd}</method></case></compression>
$(remote_servers)
$replication_xml
</yandex>
EOF
  clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
  local url="http://127.0.0.1:$http_port/"
  answers() { [ "$(curl -s --max-time 2 --data-binary 'SELECT 1' "$url" 2>/dev/null)" = "1" ]; }
  wait_private_server clickhouse.sh ClickHouse "SELECT 1 at $url" answers \
    "$dir/log/clickhouse-server.err.log" "$dir/log/stdout.log"
  echo "$url" >"$dir/url"
  echo "$url"
}

private_server_command "$@"
