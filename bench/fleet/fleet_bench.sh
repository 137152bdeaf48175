#!/usr/bin/env bash
# docs/benchmarks.md's fleet figures, each beside its peer in one run, on a
# private ClickHouse (scripts/clickhouse.sh) and `ember server` over it:
#
#   bench/fleet/fleet_bench.sh BUILD_DIR ingest   the same synthetic windows
#       POSTed through the server's /ingest (as agents send them; with PEER=
#       through the peer's server too, in turn, each into a fresh database)
#       and INSERTed straight into ClickHouse as the server writes them
#       (ClickHouse's own write of the same rows): windows/s, samples/s and
#       CPU of each, the rows stored
#   bench/fleet/fleet_bench.sh BUILD_DIR bytes    one host's BYTES_HOURS hours
#       straight into ClickHouse, merged (OPTIMIZE FINAL), then the bytes of
#       each table and of each samples column (system.parts, system.columns)
#   bench/fleet/fleet_bench.sh BUILD_DIR query    QUERY_HOSTS hosts over 24 h
#       (a window every QUERY_EVERY minutes), then `ember report --server
#       --format top` over the 24 h, fleet-wide (a fresh server each time, so
#       no read is cached), wall time and the CPU seconds of the server and of
#       ClickHouse, then the same again (the server's read kept), then each
#       of the UI's fleet-wide reads of the day (functions, flamegraph,
#       targets, timeline) first on a fresh server and again; with PEER=BUILD
#       (e.g. main's build) the peer's server answers each of them too, in
#       turn with this one's, over the same rows; beside them, ClickHouse
#       alone summing the same day's samples by leaf function in SQL
#
# Knobs (environment): INGEST_HOSTS=5 INGEST_HOURS=0.5 BYTES_HOURS=4
# QUERY_HOSTS=50 QUERY_EVERY=60 RUNS=3 (ingest: 1) PEER= (ingest and query) KEEP_LOADED= (1: query the rows a
# query run before loaded, same hosts and spacing) QUERY_REPORT=1 (0: the UI's
# reads alone) QUERY_ENDPOINTS="functions flamegraph targets timeline" (the
# UI's reads timed) WORK=/tmp/ember-fleet-bench (kept).
set -euo pipefail

build="${1:?usage: $0 BUILD_DIR ingest|bytes|query}"
what="${2:?usage: $0 BUILD_DIR ingest|bytes|query}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "$build" && pwd)"
ember="$build/bin/ember"
loader="$build/bin/ember_bench_fleet_load"
work="${WORK:-/tmp/ember-fleet-bench}"
mkdir -p "$work"
echo "bench-token" >"$work/token"

ch="$("$root/scripts/clickhouse.sh" start "$work/clickhouse")"
ch_pid="$(cat "$work/clickhouse/pid")"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  "$root/scripts/clickhouse.sh" stop "$work/clickhouse"
}
trap cleanup EXIT

sql() { curl -sS --fail-with-body --data-binary "$1" "$ch"; }
cpu_s() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }

# Starts ember server on database $1 (extra flags after it); sets $server_url.
# $server_ember: the ember binary to start (default this build's).
start_server() {
  local db="$1"
  shift
  "${server_ember:-$ember}" server --token-file "$work/token" --clickhouse "$ch" --database "$db" \
    --listen 127.0.0.1:0 --retention 0 "$@" >"$work/server.out" 2>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 300); do
    server_url="$(grep -o 'http://[^ ]*/' "$work/server.out" | head -1 || true)"
    if [ -n "$server_url" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' \
        -H 'Authorization: Bearer bench-token' "${server_url}api/v1/summary")" = 200 ]; then
      return 0
    fi
    sleep 0.1
  done
  echo "fleet_bench: ember server did not serve; its log:" >&2
  tail "$work/server.log" >&2
  exit 1
}
stop_server() {
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

echo "# $(date -u +%FT%TZ) at $(git -C "$root" rev-parse --short HEAD); load: $(cut -d' ' -f1-3 /proc/loadavg)"
case "$what" in
  ingest)
    hosts="${INGEST_HOSTS:-5}" hours="${INGEST_HOURS:-0.5}"
    builds=("$build")
    [ -n "${PEER:-}" ] && builds+=("$(cd "$PEER" && pwd)")
    for run in $(seq "${RUNS:-1}"); do
      for b in "${builds[@]}"; do
        server_ember="$b/bin/ember"
        sql "DROP DATABASE IF EXISTS bench_post"
        start_server bench_post
        echo "run $run: POST through ember server ($server_ember):"
        before_server="$(cpu_s "$server_pid")" before_ch="$(cpu_s "$ch_pid")"
        "$loader" --post "${server_url}ingest" --token-file "$work/token" --hosts "$hosts" \
          --hours "$hours" | sed 's/^/  /'
        echo "  CPU s: server $(echo "$(cpu_s "$server_pid") - $before_server" | bc)," \
          "ClickHouse $(echo "$(cpu_s "$ch_pid") - $before_ch" | bc)"
        echo "  rows: $(sql "SELECT 'frames', count() FROM bench_post.frames FORMAT TSV" | tr '\t' ' ')," \
          "$(sql "SELECT 'stacks', count() FROM bench_post.stacks FORMAT TSV" | tr '\t' ' ')," \
          "$(sql "SELECT 'samples', sum(count) FROM bench_post.samples FORMAT TSV" | tr '\t' ' ')"
        stop_server
      done
    done
    server_ember=""
    sql "DROP DATABASE IF EXISTS bench_insert"
    start_server bench_insert  # creates the tables
    stop_server
    echo "INSERT straight into ClickHouse (an hour of a host's windows per INSERT):"
    before_ch="$(cpu_s "$ch_pid")"
    "$loader" --clickhouse "$ch" --database bench_insert --hosts "$hosts" --hours "$hours"
    echo "  CPU s: ClickHouse $(echo "$(cpu_s "$ch_pid") - $before_ch" | bc)"
    ;;
  bytes)
    hours="${BYTES_HOURS:-4}"
    sql "DROP DATABASE IF EXISTS bench_bytes"
    start_server bench_bytes
    stop_server
    "$loader" --clickhouse "$ch" --database bench_bytes --hosts 1 --hours "$hours"
    for t in frames stacks samples host_metrics process_metrics ingested .inner.samples_hourly; do
      sql "OPTIMIZE TABLE bench_bytes.\`$t\` FINAL" >/dev/null
    done
    echo "table, rows, bytes on disk, bytes per row:"
    sql "SELECT table, sum(rows) AS r, sum(bytes_on_disk) AS b, round(b / r, 1) FROM system.parts
         WHERE active AND database = 'bench_bytes' GROUP BY table ORDER BY b DESC FORMAT TSV"
    sql "SELECT 'all', sum(bytes_on_disk) FROM system.parts WHERE active AND database = 'bench_bytes' FORMAT TSV"
    echo "samples' columns: compressed bytes, per row, uncompressed bytes:"
    sql "SELECT name, type, data_compressed_bytes AS c,
           round(c / (SELECT sum(rows) FROM system.parts WHERE active AND database = 'bench_bytes'
                      AND table = 'samples'), 2), data_uncompressed_bytes
         FROM system.columns WHERE database = 'bench_bytes' AND table = 'samples'
         ORDER BY c DESC FORMAT TSV"
    ;;
  query)
    hosts="${QUERY_HOSTS:-50}" every="${QUERY_EVERY:-60}"
    if [ "${KEEP_LOADED:-}" = 1 ] && [ -f "$work/query-start" ]; then
      start_s="$(cat "$work/query-start")"
    else
      start_s=$(( $(date +%s) / 3600 * 3600 - 24 * 3600 + 120 ))
      sql "DROP DATABASE IF EXISTS bench_query"
      start_server bench_query
      stop_server
      "$loader" --clickhouse "$ch" --database bench_query --hosts "$hosts" --hours 24 \
        --every-minutes "$every" --start-s "$start_s"
      echo "$start_s" >"$work/query-start"
    fi
    sql "SELECT 'rows: samples', count() FROM bench_query.samples FORMAT TSV"
    sql "SELECT 'rows: samples_hourly', count() FROM bench_query.samples_hourly FORMAT TSV"
    from=$((start_s - 60)) to=$((start_s + 24 * 3600 - 60))
    builds=("$build")
    [ -n "${PEER:-}" ] && builds+=("$(cd "$PEER" && pwd)")
    # One request timed: "LABEL: N s wall; CPU s: server S, ClickHouse C".
    timed() {
      local label="$1"
      shift
      local before_server before_ch began ended
      before_server="$(cpu_s "$server_pid")" before_ch="$(cpu_s "$ch_pid")"
      began=$(date +%s.%N)
      "$@"
      ended=$(date +%s.%N)
      echo "  $label: $(echo "$ended - $began" | bc) s wall; CPU s: server" \
        "$(echo "$(cpu_s "$server_pid") - $before_server" | bc), ClickHouse" \
        "$(echo "$(cpu_s "$ch_pid") - $before_ch" | bc); load $(cut -d' ' -f1 /proc/loadavg)"
    }
    top() {
      "$server_ember" report --server "$server_url" --token-file "$work/token" --from "$from" \
        --to "$to" --format top --limit 10 >"$work/top.txt"
    }
    api() {
      curl -sS --fail-with-body -o "$work/answer.json" -H 'Authorization: Bearer bench-token' \
        "${server_url}api/v1/$1"
    }
    for run in $(seq "${RUNS:-3}"); do
      for b in "${builds[@]}"; do
        server_ember="$b/bin/ember"
        echo "run $run, $server_ember, $hosts hosts' 24 h, fleet-wide:"
        if [ "${QUERY_REPORT:-1}" = 1 ]; then
          start_server bench_query
          timed "ember report --server --format top, first read" top || echo "    (failed)"
          timed "ember report --server --format top, again (kept)" top || echo "    (failed)"
          head -4 "$work/top.txt" | tail -2 | sed 's/^/    /'
          stop_server
        fi
        for name in ${QUERY_ENDPOINTS:-functions flamegraph targets timeline}; do
          endpoint="$name?from=$from&to=$to"
          start_server bench_query
          timed "GET ${endpoint%%\?*}, first read" api "$endpoint" || echo "    (failed)"
          timed "GET ${endpoint%%\?*}, again (kept)" api "$endpoint" || echo "    (failed)"
          echo "    $(wc -c <"$work/answer.json") bytes, sha1 $(sha1sum "$work/answer.json" | cut -c1-12)"
          stop_server
        done
      done
    done
    server_ember=""
    for run in $(seq "${RUNS:-3}"); do
      began=$(date +%s.%N)
      sql "SELECT leaf_frame_id, sum(count) AS c FROM bench_query.samples
           WHERE ts >= toDateTime($from) AND ts < toDateTime($to)
           GROUP BY leaf_frame_id ORDER BY c DESC LIMIT 10 FORMAT Null"
      echo "run $run: ClickHouse alone, the day's samples summed by leaf in SQL:" \
        "$(echo "$(date +%s.%N) - $began" | bc) s wall"
    done
    ;;
  *) echo "usage: $0 BUILD_DIR ingest|bytes|query" >&2; exit 2 ;;
esac
