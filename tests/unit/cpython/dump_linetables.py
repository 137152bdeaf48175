"""Prints every code object of a few stdlib modules as one line:
`<co_firstlineno> <co_linetable hex> <line of each code unit from co_positions(), -1 for none>`
so the C++ decoder can be compared with the interpreter's own (3.11+)."""

import importlib
import inspect
import sys


def walk(code):
    yield code
    for const in code.co_consts:
        if inspect.iscode(const):
            yield from walk(const)


def main():
    for name in ("json.decoder", "json.encoder", "textwrap", "argparse", "dataclasses"):
        module = importlib.import_module(name)
        with open(module.__file__) as f:
            top = compile(f.read(), module.__file__, "exec")
        for code in walk(top):
            lines = [-1 if p[0] is None else p[0] for p in code.co_positions()]
            print(code.co_firstlineno, code.co_linetable.hex() or "-", *lines)


if __name__ == "__main__":
    sys.exit(main())
