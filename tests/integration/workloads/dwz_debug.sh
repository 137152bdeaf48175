#!/bin/sh
# Splits the debug info of two builds of one program the way Debian's
# -dbgsym packages are made: dwz -m moves what the two share (strings, the
# abstract functions inlined calls point at, types) into one alt file, each
# debug file keeps a .gnu_debugaltlink to it (ALT_NAME and the alt file's
# build id), then each binary is split (split_debug.sh build-id) and stripped.
#   dwz_debug.sh OUT_DIR ALT_NAME BIN1 BIN2
# writes OUT_DIR/BIN1 and OUT_DIR/BIN2 (stripped), their debug files under
# OUT_DIR/dwz/debug/.build-id/, and the alt file OUT_DIR/dwz/alt.debug.
# ALT_NAME should be a path the host does not have, so only what is told
# where the alt file is finds it.
set -eu
out=$1
alt_name=$2
shift 2
command -v dwz >/dev/null || { echo "dwz is not installed: apt-get install dwz" >&2; exit 1; }
here=$(dirname "$0")
rm -rf "$out/dwz"
mkdir -p "$out/dwz"
copies=""
for bin in "$@"; do
  cp "$bin" "$out/$(basename "$bin")"
  copies="$copies $out/$(basename "$bin")"
done
# shellcheck disable=SC2086
dwz -m "$out/dwz/alt.debug" -M "$alt_name" $copies
for copy in $copies; do
  readelf -S "$copy" | grep -q .gnu_debugaltlink || { echo "dwz left $copy without an alt link" >&2; exit 1; }
  "$here/split_debug.sh" "$copy" build-id "$out/dwz/debug"
done
