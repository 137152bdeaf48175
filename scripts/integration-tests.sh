#!/usr/bin/env bash
# Runs the integration tests of one build directory: first those labelled
# `pairable` as many at a time as there are CPUs, then the others one at a
# time (they measure CPU shares); each failing test once more (a busy
# neighbour on a 2-CPU machine can starve one run of samples; a real
# regression fails twice), then says which tests needed their second run:
# "retries: none" is what a healthy machine prints.
#   scripts/integration-tests.sh BUILD_DIR [ctest args...]
set -uo pipefail
build=$1
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() {
  (cd "$build" && ctest --output-on-failure --repeat until-pass:2 "$@") | tee -a "$log"
  return "${PIPESTATUS[0]}"
}
run -L pairable -j"$(nproc)" "$@"
pairable_status=$?
run -L integration -LE pairable "$@"
status=$?
[ "$status" -ne 0 ] || status=$pairable_status
# A first run that failed prints "***Failed" (or "***Exception", "***Timeout");
# when the second passes, the test still counts as passed. ("***Skipped" and
# "***Not Run (Disabled)" are no failure.)
retried=$(grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*\*\*\*(Failed|Exception|Timeout)' "$log" |
          sed -E 's/^.*Test +#[0-9]+: ([^ ]+) .*$/\1/' | sort -u | tr '\n' ' ')
if [ -z "$retried" ]; then
  echo "retries: none"
else
  echo "retries: ${retried% }"
fi
exit "$status"
