#!/usr/bin/env bash
# `make run-server`: a private ClickHouse (scripts/clickhouse.sh, its data kept
# in BUILD_DIR/run-server/clickhouse between runs) and `ember server` over it
# on LISTEN, until Ctrl-C; ClickHouse is stopped after. A token is made in
# BUILD_DIR/run-server/server-token on the first run: agents name that file
# as [sink.upload] token_file.
#   scripts/run-server.sh BUILD_DIR [LISTEN]
set -euo pipefail
build="${1:?usage: $0 BUILD_DIR [LISTEN]}"
listen="${2:-127.0.0.1:4040}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$build/run-server"  # not $build/server: the server library builds there
mkdir -p "$dir"
if [ ! -s "$dir/server-token" ]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$dir/server-token")
  echo "run-server: made a token in $dir/server-token"
fi
url="$("$root/scripts/clickhouse.sh" start "$dir/clickhouse")"
trap '"$root/scripts/clickhouse.sh" stop "$dir/clickhouse"' EXIT
echo "run-server: ClickHouse at $url (data in $dir/clickhouse)"
echo "run-server: the fleet's web UI: $build/bin/ember ui --server http://$listen --token-file $dir/server-token"
"$build/bin/ember" server --token-file "$dir/server-token" --clickhouse "$url" --listen "$listen"
