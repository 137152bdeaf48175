#!/bin/sh
# Runs one fuzz target for a fixed time from a fresh corpus of its seeds:
#   run_fuzzer.sh FUZZER SECONDS ARTIFACT_PREFIX [SEED_FILE_OR_DIR ...]
# The corpus is a private directory removed at the end, so two test runs in
# one build tree never share one; a crash's input is kept at ARTIFACT_PREFIX*
# (libFuzzer exits non-zero on a crash or a sanitizer report, failing the test).
set -eu
fuzzer=$1 seconds=$2 artifacts=$3
shift 3
corpus=$(mktemp -d "${TMPDIR:-/tmp}/ember-fuzz.XXXXXX")
trap 'rm -rf "$corpus"' EXIT
for seed in "$@"; do
  if [ -d "$seed" ]; then
    cp -r "$seed"/. "$corpus"/
  else
    cp "$seed" "$corpus"/
  fi
done
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus"
