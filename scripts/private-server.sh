# Sourced by scripts/clickhouse.sh and scripts/zookeeper.sh: what both do
# for a private server process kept under one directory ($dir, its pid in
# $dir/pid) on loopback.

# The script's command line, `start|stop DIR`: sets $dir and runs the
# script's start or stop function.
private_server_command() {
  [ $# -eq 2 ] && [[ "$1" == start || "$1" == stop ]] ||
    { echo "usage: $0 start|stop DIR" >&2; exit 2; }
  dir="$2"
  "$1"
}

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

# Waits for the process just started (its pid in $dir/pid) to answer: runs
# the callback $4 (a command; success: the server answered) every 0.1 s for
# up to 30 s. A process that exits first, or one that does not answer in
# time (then stopped), fails the script: "$1: $2 exited at start" or "$1: $2
# did not answer $3 within 30 s", and the last lines of the logs named after
# the callback.
wait_private_server() {
  local script="$1" what="$2" question="$3" answers="$4" pid
  shift 4
  pid="$(cat "$dir/pid")"
  for _ in $(seq 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$dir/pid"
      echo "$script: $what exited at start; its log:" >&2
      tail -20 "$@" >&2 2>/dev/null || true
      exit 1
    fi
    "$answers" && return 0
    sleep 0.1
  done
  echo "$script: $what did not answer $question within 30 s; its log:" >&2
  tail -20 "$@" >&2 2>/dev/null || true
  stop_private_server "$script" "$what"
  exit 1
}
