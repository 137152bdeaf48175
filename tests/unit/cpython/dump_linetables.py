"""Prints every code object of a few stdlib modules as one line:
`<format> <co_firstlineno> <line table hex> <line of each unit>` so the C++
decoders can be compared with the interpreter's own answers. Runs on 2.7 and
3.6+ (no f-strings).

  locations     3.11+: co_linetable, units are code units, lines from
                co_positions() (-1 for none)
  linetable310  3.10: co_linetable, units are bytecode bytes, lines from
                PyCode_Addr2Line(code, byte offset)
  lnotab        3.6-3.9: co_lnotab (signed line deltas), bytes, PyCode_Addr2Line
  lnotab27      2.7: co_lnotab (unsigned line deltas), bytes, PyCode_Addr2Line
"""

import binascii
import ctypes
import importlib
import inspect
import sys

MODULES = ("json.decoder", "json.encoder", "textwrap", "argparse", "dataclasses", "string")


def walk(code):
    yield code
    for const in code.co_consts:
        if inspect.iscode(const):
            for inner in walk(const):
                yield inner


def interpreter_lines(code):
    if sys.version_info >= (3, 11):
        return "locations", code.co_linetable, [
            -1 if p[0] is None else p[0] for p in code.co_positions()]
    addr2line = ctypes.pythonapi.PyCode_Addr2Line
    addr2line.argtypes = [ctypes.py_object, ctypes.c_int]
    addr2line.restype = ctypes.c_int
    lines = [addr2line(code, offset) for offset in range(len(code.co_code))]
    if sys.version_info >= (3, 10):
        return "linetable310", code.co_linetable, lines
    return ("lnotab" if sys.version_info >= (3, 6) else "lnotab27"), code.co_lnotab, lines


def main():
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue  # dataclasses is 3.7+
        path = module.__file__
        if path.endswith(".pyc"):
            path = path[:-1]
        with open(path) as f:
            top = compile(f.read(), path, "exec")
        for code in walk(top):
            kind, table, lines = interpreter_lines(code)
            hex_table = binascii.hexlify(table).decode() or "-"
            print(" ".join([kind, str(code.co_firstlineno), hex_table] + [str(n) for n in lines]))


if __name__ == "__main__":
    sys.exit(main())
