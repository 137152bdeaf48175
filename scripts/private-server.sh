# Sourced by scripts/clickhouse.sh and scripts/zookeeper.sh: what both do
# for a private server process kept under one directory ($dir, its pid in
# $dir/pid) on loopback.

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stops the process in $dir/pid: SIGTERM, then SIGKILL after 20 s (saying so
# as "$1: $2 (pid N) ignored SIGTERM").
stop_private_server() {
  local script="$1" what="$2" pid
  [ -f "$dir/pid" ] || return 0
  pid="$(cat "$dir/pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 200); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$script: $what (pid $pid) ignored SIGTERM for 20 s: killed" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$dir/pid"
}
