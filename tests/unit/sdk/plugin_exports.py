#!/usr/bin/env python3
"""Every built plugin exports its three Boost.DLL aliases and nothing else.

usage: plugin_exports.py PLUGIN_DIR [PLUGIN_DIR...]

A plugin links ember_sdk statically with hidden visibility and is linked
with cmake/ember_plugin_exports.map: an exported ember:: symbol (or a
std/Boost template instance) would let two plugins built against different
SDKs bind to each other's copy. Reads the dynamic symbol table with
`nm -D --defined-only`.
"""
import pathlib
import subprocess
import sys

ALIASES = {"ember_abi_version", "ember_abi_stamp", "ember_plugin"}


def exported(path):
    out = subprocess.run(["nm", "-D", "--defined-only", "-C", "--format=just-symbols", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def main(directories):
    plugins = sorted(p for d in directories for p in pathlib.Path(d).glob("*.so"))
    if not plugins:
        print(f"no plugins in {directories}", file=sys.stderr)
        return 1
    failures = []
    for plugin in plugins:
        names = exported(plugin)
        missing = ALIASES - set(names)
        extra = [n for n in names if n not in ALIASES]
        ember = [n for n in extra if "ember" in n]
        if missing:
            failures.append(f"{plugin}: does not export {', '.join(sorted(missing))}")
        if extra:
            failures.append(f"{plugin}: exports {len(extra)} symbols besides its aliases "
                            f"({len(ember)} of ember), e.g. " + "; ".join((ember + extra)[:5]))
        print(f"{plugin.name}: {len(names)} exported, aliases "
              f"{'present' if not missing else 'MISSING'}, {len(extra)} others")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
