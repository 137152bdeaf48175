#!/bin/sh
# Moves a binary's debug info to a separate file and strips the binary, as
# distributions ship them:
#   split_debug.sh BINARY build-id ROOT   ROOT/.build-id/xx/yyyy.debug (Debian's -dbgsym)
#   split_debug.sh BINARY debuglink       .debug/BINARY.debug next to it, named by
#                                         .gnu_debuglink (with its CRC)
set -eu
bin=$1
mode=$2
case $mode in
  build-id)
    id=$(readelf -n "$bin" | sed -n 's/.*Build ID: \([0-9a-f]*\).*/\1/p')
    [ -n "$id" ] || { echo "$bin has no build id" >&2; exit 1; }
    dir=$3/.build-id/$(echo "$id" | cut -c1-2)
    mkdir -p "$dir"
    objcopy --only-keep-debug "$bin" "$dir/$(echo "$id" | cut -c3-).debug"
    objcopy --strip-all "$bin"
    ;;
  debuglink)
    debug=$(dirname "$bin")/.debug/$(basename "$bin").debug
    mkdir -p "$(dirname "$debug")"
    objcopy --only-keep-debug "$bin" "$debug"
    objcopy --strip-all "$bin"
    objcopy --add-gnu-debuglink="$debug" "$bin"
    ;;
  *)
    echo "usage: $0 BINARY build-id ROOT | BINARY debuglink" >&2
    exit 2
    ;;
esac
