#!/bin/sh
# Gives a binary MiniDebugInfo the way Fedora's find-debuginfo does (gdb
# manual, "MiniDebugInfo"): the functions .dynsym lacks are kept in a
# symbol-only copy of the debug info, xz-compressed into .gnu_debugdata of
# the stripped binary. Writes BINARY.nm (the symbols before stripping) and
# BINARY_badmini (the same with a truncated .gnu_debugdata).
#   make_minidebuginfo.sh BINARY
set -eu
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nm -S --defined-only "$bin" > "$bin.nm"
nm -D "$bin" --format=posix --defined-only | awk '{ print $1 }' | sort > "$work/dynsyms"
nm "$bin" --format=posix --defined-only |
  awk '{ if ($2 == "T" || $2 == "t" || $2 == "D") print $1 }' | sort > "$work/funcsyms"
comm -13 "$work/dynsyms" "$work/funcsyms" > "$work/keep_symbols"
objcopy --only-keep-debug "$bin" "$work/debug"
objcopy -S --remove-section .gdb_index --remove-section .comment \
  --keep-symbols="$work/keep_symbols" "$work/debug" "$work/mini_debuginfo"
strip --strip-all -R .comment "$bin"
cp "$bin" "${bin}_badmini"
xz --keep "$work/mini_debuginfo"
objcopy --add-section .gnu_debugdata="$work/mini_debuginfo.xz" "$bin"
head -c 64 "$work/mini_debuginfo.xz" > "$work/truncated.xz"
objcopy --add-section .gnu_debugdata="$work/truncated.xz" "${bin}_badmini"
