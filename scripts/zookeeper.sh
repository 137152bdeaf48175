#!/usr/bin/env bash
# A private standalone ZooKeeper (Debian's zookeeperd) for the replicated
# ClickHouse test and a local trial of the layout in docs/fleet.md: a plain
# process, not the package's service, with its config, data and log under one
# directory and a loopback port of its own.
#
#   scripts/zookeeper.sh start DIR   installs the package if missing (through
#                                    install-deps.sh), starts the server, waits
#                                    until it answers `srvr`, prints its
#                                    HOST:PORT (also in DIR/address)
#   scripts/zookeeper.sh stop DIR    stops it (SIGTERM, then SIGKILL after 20 s)
#
# Port: ZOOKEEPER_PORT when set, else a free one the kernel picks.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/private-server.sh"
jar=/usr/share/java/zookeeper.jar  # its manifest names the jars it needs

# The server's answer to a four-letter command, or nothing.
ask() {
  python3 - "$1" "$2" <<'PY' 2>/dev/null || true
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
    s.sendall(sys.argv[2].encode())
    print(s.makefile().read(), end="")
PY
}

stop() { stop_private_server zookeeper.sh ZooKeeper; }

start() {
  [ -f "$jar" ] || "$root/scripts/install-deps.sh" >&2
  [ -f "$jar" ] ||
    { echo "zookeeper.sh: $jar is missing and install-deps.sh did not install zookeeperd" >&2; exit 1; }
  mkdir -p "$dir/data" "$dir/log"
  dir="$(cd "$dir" && pwd)"
  local port="${ZOOKEEPER_PORT:-$(free_port)}"
  # Loopback only, no admin web server (it would take port 8080).
  cat >"$dir/zoo.cfg" <<EOF2
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=srvr
EOF2
  java -Dzookeeper.log.dir="$dir/log" -cp "$jar" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" >"$dir/log/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
  answers() { ask "$port" srvr | grep -q "^Mode: standalone"; }
  wait_private_server zookeeper.sh ZooKeeper "srvr on 127.0.0.1:$port" answers "$dir/log/stdout.log"
  echo "127.0.0.1:$port" >"$dir/address"
  echo "127.0.0.1:$port"
}

private_server_command "$@"
