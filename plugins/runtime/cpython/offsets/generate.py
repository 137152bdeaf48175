#!/usr/bin/env python3
"""Generates cpython_offsets.h: per-version CPython struct offsets.

For every CPython version in VERSIONS this compiles a tiny C program against
that version's own headers (pyenv's include/pythonX.Y, with Py_BUILD_CORE
where the internal headers are needed), runs it, and collects offsetof/sizeof
of every field the in-BPF frame walker and the userspace symbolizer read. The
result is one plain C header, committed, so the build never needs pyenv.

    generate.py            rewrite cpython_offsets.h
    generate.py --check    exit 1 if the committed header is stale

Python 3 standard library only. Needs a C compiler (cc) and pyenv's versions
(PYENV_ROOT, or `pyenv root`, or ~/.pyenv).
"""

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
HEADER = HERE / "cpython_offsets.h"

# (pyenv version whose headers define the layout, (major, minor)).
VERSIONS = [
    ("2.7.18", (2, 7)),
    ("3.6.15", (3, 6)),
    ("3.7.16", (3, 7)),
    ("3.8.18", (3, 8)),
    ("3.9.18", (3, 9)),
    ("3.10.13", (3, 10)),
    ("3.11.7", (3, 11)),
    ("3.12.1", (3, 12)),
    ("3.13.0", (3, 13)),
]

NONE = "CPYTHON_OFFSET_NONE"

# How the frame chain is walked (cpython_offsets.frame_model).
FRAME_MODELS = {
    "CPYTHON_FRAMES_PYFRAMEOBJECT": "<= 3.10: tstate->frame, PyFrameObject.f_back, f_lasti (int)",
    "CPYTHON_FRAMES_311": "3.11: tstate->cframe->current_frame, _PyInterpreterFrame, prev_instr, stop after is_entry",
    "CPYTHON_FRAMES_312": "3.12: tstate->cframe->current_frame, prev_instr, skip owner == FRAME_OWNED_BY_CSTACK",
    "CPYTHON_FRAMES_313": "3.13: tstate->current_frame, f_executable, instr_ptr, skip owner == FRAME_OWNED_BY_CSTACK",
}

# How code positions map to lines (cpython_offsets.line_table).
LINE_TABLES = {
    "CPYTHON_LINES_LNOTAB": "<= 3.9: co_lnotab (byte delta, line delta) pairs; f_lasti is a byte offset",
    "CPYTHON_LINES_LINETABLE_310": "3.10: co_linetable (byte delta, line delta) pairs, -128 = no line; f_lasti counts code units",
    "CPYTHON_LINES_LOCATIONS": ">= 3.11: co_linetable location table (Objects/locations.md); code units of 2 bytes",
}

STRING_MODELS = {
    "CPYTHON_STRINGS_BYTES": "2.7: names are PyStringObject, bytes at ob_sval",
    "CPYTHON_STRINGS_PEP393": "3.x: PEP 393 str; compact ASCII data right after PyASCIIObject",
}


def frame_model(v):
    if v <= (3, 10):
        return "CPYTHON_FRAMES_PYFRAMEOBJECT"
    return {(3, 11): "CPYTHON_FRAMES_311", (3, 12): "CPYTHON_FRAMES_312"}.get(v, "CPYTHON_FRAMES_313")


def line_table(v):
    if v <= (3, 9):
        return "CPYTHON_LINES_LNOTAB"
    return "CPYTHON_LINES_LINETABLE_310" if v == (3, 10) else "CPYTHON_LINES_LOCATIONS"


def runtime_type(v):
    return "_PyRuntimeState"


def interp_threads(v):
    return "tstate_head" if v <= (3, 10) else "threads.head"


# Every field: (name, comment, function(version) -> C expression or None).
# None means the version has no such field (CPYTHON_OFFSET_NONE).
def since(first, expr, until=None):
    def pick(v):
        if v < first or (until is not None and v > until):
            return None
        return expr(v) if callable(expr) else expr
    return pick


FIELDS = [
    # Finding the thread states.
    ("runtime_interpreters_head", "_PyRuntime.interpreters.head (3.7+; 2.7/3.6 keep interp_head static)",
     since((3, 7), "offsetof(_PyRuntimeState, interpreters.head)")),
    ("runtime_tstate_current", "_PyRuntime.gilstate.tstate_current: the GIL holder (3.7-3.11)",
     since((3, 7), "offsetof(_PyRuntimeState, gilstate.tstate_current)", until=(3, 11))),
    ("runtime_autotss_key", "the pthread key of PyGILState's Py_tss_t in _PyRuntime (3.7+)",
     lambda v: None if v < (3, 7) else
     ("offsetof(_PyRuntimeState, gilstate.autoTSSkey) + offsetof(Py_tss_t, _key)" if v <= (3, 11)
      else "offsetof(_PyRuntimeState, autoTSSkey) + offsetof(Py_tss_t, _key)")),
    ("interp_next", "PyInterpreterState.next", since((2, 7), "offsetof(PyInterpreterState, next)")),
    ("interp_threads_head", "PyInterpreterState.tstate_head (<=3.10) / threads.head (3.11+)",
     lambda v: "offsetof(PyInterpreterState, %s)" % interp_threads(v)),
    ("tstate_next", "PyThreadState.next", since((2, 7), "offsetof(PyThreadState, next)")),
    ("tstate_interp", "PyThreadState.interp", since((2, 7), "offsetof(PyThreadState, interp)")),
    ("tstate_thread_id", "PyThreadState.thread_id (pthread_self(): the TCB address on glibc)",
     since((2, 7), "offsetof(PyThreadState, thread_id)")),
    ("tstate_native_thread_id", "PyThreadState.native_thread_id: the kernel tid (3.11+)",
     since((3, 11), "offsetof(PyThreadState, native_thread_id)")),
    ("tstate_frame", "PyThreadState.frame (<=3.10)",
     since((2, 7), "offsetof(PyThreadState, frame)", until=(3, 10))),
    ("tstate_cframe", "PyThreadState.cframe (3.11-3.12)",
     since((3, 11), "offsetof(PyThreadState, cframe)", until=(3, 12))),
    ("cframe_current_frame", "_PyCFrame.current_frame (3.11-3.12)",
     since((3, 11), "offsetof(_PyCFrame, current_frame)", until=(3, 12))),
    ("cframe_previous", "_PyCFrame.previous: the calling eval call's _PyCFrame (3.11-3.12)",
     since((3, 11), "offsetof(_PyCFrame, previous)", until=(3, 12))),
    ("tstate_current_frame", "PyThreadState.current_frame (3.13+)",
     since((3, 13), "offsetof(PyThreadState, current_frame)")),
    # The frame chain.
    ("frame_previous", "PyFrameObject.f_back (<=3.10) / _PyInterpreterFrame.previous",
     lambda v: "offsetof(PyFrameObject, f_back)" if v <= (3, 10)
     else "offsetof(_PyInterpreterFrame, previous)"),
    ("frame_code", "f_code; 3.13: f_executable (a code object, or None on a C entry frame)",
     lambda v: "offsetof(PyFrameObject, f_code)" if v <= (3, 10)
     else "offsetof(_PyInterpreterFrame, %s)" % ("f_executable" if v >= (3, 13) else "f_code")),
    ("frame_instr", "f_lasti (int, <=3.10); prev_instr (3.11-3.12) / instr_ptr (3.13) pointers",
     lambda v: "offsetof(PyFrameObject, f_lasti)" if v <= (3, 10)
     else "offsetof(_PyInterpreterFrame, %s)" % ("instr_ptr" if v >= (3, 13) else "prev_instr")),
    ("frame_owner", "_PyInterpreterFrame.owner (char, 3.11+)",
     since((3, 11), "offsetof(_PyInterpreterFrame, owner)")),
    ("frame_is_entry", "_PyInterpreterFrame.is_entry (bool, 3.11 only)",
     since((3, 11), "offsetof(_PyInterpreterFrame, is_entry)", until=(3, 11))),
    ("frame_owned_by_cstack", "the value of FRAME_OWNED_BY_CSTACK (3.12+), not an offset",
     since((3, 12), "FRAME_OWNED_BY_CSTACK")),
    # Code objects.
    ("code_name", "PyCodeObject.co_name", since((2, 7), "offsetof(PyCodeObject, co_name)")),
    ("code_qualname", "PyCodeObject.co_qualname (3.11+)",
     since((3, 11), "offsetof(PyCodeObject, co_qualname)")),
    ("code_filename", "PyCodeObject.co_filename", since((2, 7), "offsetof(PyCodeObject, co_filename)")),
    ("code_firstlineno", "PyCodeObject.co_firstlineno (int)",
     since((2, 7), "offsetof(PyCodeObject, co_firstlineno)")),
    ("code_linetable", "co_lnotab (<=3.9) / co_linetable (3.10+): a bytes object",
     lambda v: "offsetof(PyCodeObject, %s)" % ("co_lnotab" if v <= (3, 9) else "co_linetable")),
    ("code_code", "PyCodeObject.co_code: a bytes object (<=3.10)",
     since((2, 7), "offsetof(PyCodeObject, co_code)", until=(3, 10))),
    ("code_code_adaptive", "PyCodeObject.co_code_adaptive: bytecode inline in the code object (3.11+)",
     since((3, 11), "offsetof(PyCodeObject, co_code_adaptive)")),
    ("code_size", "sizeof(PyCodeObject)", lambda v: "sizeof(PyCodeObject)"),
    # Objects, bytes and strings.
    ("object_type", "PyObject.ob_type", lambda v: "offsetof(PyObject, ob_type)"),
    ("var_size", "PyVarObject.ob_size", lambda v: "offsetof(PyVarObject, ob_size)"),
    ("bytes_sval", "PyBytesObject.ob_sval (2.7: PyStringObject.ob_sval)",
     lambda v: "offsetof(%s, ob_sval)" % ("PyStringObject" if v < (3, 0) else "PyBytesObject")),
    ("unicode_length", "PyASCIIObject.length (3.x)", since((3, 0), "offsetof(PyASCIIObject, length)")),
    ("unicode_state", "PyASCIIObject.state, a 32-bit bitfield word (3.x)",
     since((3, 0), "offsetof(PyASCIIObject, state)")),
    ("unicode_ascii_size", "sizeof(PyASCIIObject): compact ASCII data starts here (3.x)",
     since((3, 0), "sizeof(PyASCIIObject)")),
    ("unicode_compact_size", "sizeof(PyCompactUnicodeObject): compact non-ASCII data starts here (3.x)",
     since((3, 0), "sizeof(PyCompactUnicodeObject)")),
    ("unicode_kind_shift", "state: kind = (state >> kind_shift) & 7 (1, 2 or 4 bytes a char)",
     since((3, 0), "state_shift(STATE_KIND)")),
    ("unicode_compact_bit", "state: bit number of `compact`", since((3, 0), "state_shift(STATE_COMPACT)")),
    ("unicode_ascii_bit", "state: bit number of `ascii`", since((3, 0), "state_shift(STATE_ASCII)")),
]

# 3.13+: where _Py_DebugOffsets (the first field of _PyRuntime) keeps the
# values of the fields above. (name, offset expression, field it mirrors).
DEBUG_FIELDS = [
    ("cookie", "offsetof(_Py_DebugOffsets, cookie)", None),
    ("version", "offsetof(_Py_DebugOffsets, version)", None),
    ("free_threaded", "offsetof(_Py_DebugOffsets, free_threaded)", None),
    ("runtime_interpreters_head", "offsetof(_Py_DebugOffsets, runtime_state.interpreters_head)",
     "runtime_interpreters_head"),
    ("interp_next", "offsetof(_Py_DebugOffsets, interpreter_state.next)", "interp_next"),
    ("interp_threads_head", "offsetof(_Py_DebugOffsets, interpreter_state.threads_head)",
     "interp_threads_head"),
    ("tstate_next", "offsetof(_Py_DebugOffsets, thread_state.next)", "tstate_next"),
    ("tstate_interp", "offsetof(_Py_DebugOffsets, thread_state.interp)", "tstate_interp"),
    ("tstate_thread_id", "offsetof(_Py_DebugOffsets, thread_state.thread_id)", "tstate_thread_id"),
    ("tstate_native_thread_id", "offsetof(_Py_DebugOffsets, thread_state.native_thread_id)",
     "tstate_native_thread_id"),
    ("tstate_current_frame", "offsetof(_Py_DebugOffsets, thread_state.current_frame)",
     "tstate_current_frame"),
    ("frame_previous", "offsetof(_Py_DebugOffsets, interpreter_frame.previous)", "frame_previous"),
    ("frame_code", "offsetof(_Py_DebugOffsets, interpreter_frame.executable)", "frame_code"),
    ("frame_instr", "offsetof(_Py_DebugOffsets, interpreter_frame.instr_ptr)", "frame_instr"),
    ("frame_owner", "offsetof(_Py_DebugOffsets, interpreter_frame.owner)", "frame_owner"),
    ("code_name", "offsetof(_Py_DebugOffsets, code_object.name)", "code_name"),
    ("code_qualname", "offsetof(_Py_DebugOffsets, code_object.qualname)", "code_qualname"),
    ("code_filename", "offsetof(_Py_DebugOffsets, code_object.filename)", "code_filename"),
    ("code_firstlineno", "offsetof(_Py_DebugOffsets, code_object.firstlineno)", "code_firstlineno"),
    ("code_linetable", "offsetof(_Py_DebugOffsets, code_object.linetable)", "code_linetable"),
    ("code_code_adaptive", "offsetof(_Py_DebugOffsets, code_object.co_code_adaptive)",
     "code_code_adaptive"),
    ("code_size", "offsetof(_Py_DebugOffsets, code_object.size)", "code_size"),
    ("object_type", "offsetof(_Py_DebugOffsets, pyobject.ob_type)", "object_type"),
    ("var_size", "offsetof(_Py_DebugOffsets, bytes_object.ob_size)", "var_size"),
    ("bytes_sval", "offsetof(_Py_DebugOffsets, bytes_object.ob_sval)", "bytes_sval"),
    ("unicode_length", "offsetof(_Py_DebugOffsets, unicode_object.length)", "unicode_length"),
    ("unicode_state", "offsetof(_Py_DebugOffsets, unicode_object.state)", "unicode_state"),
    ("unicode_ascii_size", "offsetof(_Py_DebugOffsets, unicode_object.asciiobject_size)",
     "unicode_ascii_size"),
    ("size", "sizeof(_Py_DebugOffsets)", None),
]


def includes(v):
    lines = []
    if v >= (3, 7):
        lines.append("#define Py_BUILD_CORE 1")
    lines += ['#include "Python.h"', '#include "frameobject.h"']
    if v <= (3, 10):
        lines.append('#include "code.h"')
    if v == (3, 7):
        lines.append('#include "internal/pystate.h"')
    elif v == (3, 8):
        lines.append('#include "internal/pycore_pystate.h"')
    elif v >= (3, 9):
        lines += ['#include "internal/pycore_runtime.h"', '#include "internal/pycore_interp.h"']
    if v >= (3, 11):
        lines += ['#include "internal/pycore_frame.h"', '#include "internal/pycore_code.h"']
    return "\n".join(lines)


C_TEMPLATE = r"""
%(includes)s
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define PRINT(name, expr) printf("%%s %%lu\n", name, (unsigned long)(expr))

%(state_helpers)s

int main(void) {
%(prints)s
  return 0;
}
"""

STATE_HELPERS = r"""
enum state_field { STATE_KIND, STATE_COMPACT, STATE_ASCII };
/* Where a bitfield of PyASCIIObject.state sits: set it in a zeroed object and
 * find the lowest bit that changed in the state word. */
static unsigned state_shift(enum state_field field) {
  PyASCIIObject object;
  unsigned int word = 0;
  memset(&object, 0, sizeof object);
  if (field == STATE_KIND) object.state.kind = 1;
  if (field == STATE_COMPACT) object.state.compact = 1;
  if (field == STATE_ASCII) object.state.ascii = 1;
  memcpy(&word, (const char*)&object + offsetof(PyASCIIObject, state), sizeof word);
  return word ? (unsigned)__builtin_ctz(word) : 0xffffffffu;
}
"""


def pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if not root and shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                              check=True).stdout.strip()
    return pathlib.Path(root or os.path.expanduser("~/.pyenv"))


def include_dir(root, version, v):
    base = root / "versions" / version / "include"
    names = ["python%d.%d" % v, "python%d.%dm" % v]
    for name in names:
        if (base / name / "Python.h").exists():
            return base / name
    sys.exit("generate.py: no headers for CPython %s under %s (is it installed in pyenv?)"
             % (version, base))


def measure(root, version, v, workdir):
    inc = include_dir(root, version, v)
    prints = []
    for name, _, pick in FIELDS:
        expr = pick(v)
        if expr is not None:
            prints.append('  PRINT("%s", %s);' % (name, expr))
    if v >= (3, 13):
        for name, expr, _ in DEBUG_FIELDS:
            prints.append('  PRINT("debug.%s", %s);' % (name, expr))
        prints.append('  PRINT("debug.runtime_offset", offsetof(_PyRuntimeState, debug_offsets));')
    source = C_TEMPLATE % {
        "includes": includes(v),
        "state_helpers": STATE_HELPERS if v >= (3, 0) else "",
        "prints": "\n".join(prints),
    }
    stem = "offsets_%d_%d" % v
    c_path = pathlib.Path(workdir) / (stem + ".c")
    exe = pathlib.Path(workdir) / stem
    c_path.write_text(source)
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-std=gnu11", "-O0", "-w", "-I", str(inc), "-I", str(inc / "internal"),
           str(c_path), "-o", str(exe)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("generate.py: compiling against CPython %s failed:\n%s" % (version, result.stderr))
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    values = {}
    for line in out.splitlines():
        name, value = line.split()
        values[name] = int(value)
    return values


def render(measured):
    names = [f[0] for f in FIELDS]
    width = max(len(n) for n in names)
    out = []
    w = out.append
    w("/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */")
    w("/*")
    w(" * GENERATED by plugins/runtime/cpython/offsets/generate.py: do not edit.")
    w(" * Re-run it after changing the field list or the versions; CI checks nothing")
    w(" * here against headers, the committed file is what the build uses.")
    w(" *")
    w(" * CPython struct offsets (x86_64, bytes) per major.minor, measured with")
    w(" * offsetof/sizeof against each version's own headers. A field the version")
    w(" * does not have is CPYTHON_OFFSET_NONE. Plain C: seen by clang -target bpf")
    w(" * (define CPYTHON_OFFSETS_NO_TABLE to get only the types) and by C++.")
    w(" *")
    w(" * Sources of the table (pyenv builds): %s." % ", ".join(v for v, _ in VERSIONS))
    w(" * Offsets are stable within a minor version for the fields listed here, with")
    w(" * known exceptions before the first micro release we measured (3.7.0-3.7.3")
    w(" * moved gilstate); 3.13+ binaries carry _Py_DebugOffsets, which the plugin")
    w(" * prefers and cross-checks against this table.")
    w(" */")
    w("#ifndef EMBER_CPYTHON_OFFSETS_H")
    w("#define EMBER_CPYTHON_OFFSETS_H")
    w("")
    w("#ifndef __VMLINUX_H__")
    w("#include <linux/types.h>")
    w("#endif")
    w("")
    w("#define CPYTHON_OFFSET_NONE 0xffffffffu")
    w("")
    for title, enum_name, table in (("cpython_offsets.frame_model", "cpython_frame_model", FRAME_MODELS),
                                    ("cpython_offsets.line_table", "cpython_line_table", LINE_TABLES),
                                    ("cpython_offsets.string_model", "cpython_string_model",
                                     STRING_MODELS)):
        w("/* %s */" % title)
        w("enum %s {" % enum_name)
        for i, (name, comment) in enumerate(table.items()):
            w("\t%s = %d, /* %s */" % (name, i, comment))
        w("};")
        w("")
    w("struct cpython_offsets {")
    w("\t__u16 major;")
    w("\t__u16 minor;")
    w("\t__u16 frame_model;  /* enum cpython_frame_model */")
    w("\t__u16 line_table;   /* enum cpython_line_table */")
    w("\t__u16 string_model; /* enum cpython_string_model */")
    w("\t__u16 reserved;")
    for name, comment, _ in FIELDS:
        w("\t__u32 %s; /* %s */" % (name, comment))
    w("};")
    w("")
    w("/* 3.13+: offsets inside _Py_DebugOffsets (at _PyRuntime + runtime_offset)")
    w(" * of its header and of the u64 values that mirror cpython_offsets fields.")
    w(" * The layout itself is only stable within a minor version: check the cookie")
    w(" * \"xdebugpy\" and version >> 16 before trusting it. */")
    w("struct cpython_debug_offsets_layout {")
    w("\t__u16 major;")
    w("\t__u16 minor;")
    w("\t__u32 runtime_offset; /* offsetof(_PyRuntimeState, debug_offsets) */")
    for name, _, mirrors in DEBUG_FIELDS:
        comment = ("-> cpython_offsets.%s" % mirrors) if mirrors else "header"
        if name == "size":
            comment = "sizeof(_Py_DebugOffsets)"
        w("\t__u32 %s; /* %s */" % (name, comment))
    w("};")
    w("")
    w("/* The fields present in both structs, under the same name: X(name). */")
    w("#define CPYTHON_DEBUG_OFFSETS_MIRRORED(X) \\")
    mirrored = [name for name, _, mirrors in DEBUG_FIELDS if mirrors]
    for i, name in enumerate(mirrored):
        w("\tX(%s)%s" % (name, "" if i == len(mirrored) - 1 else " \\"))
    w("")
    w("#ifndef CPYTHON_OFFSETS_NO_TABLE")
    w("")
    w("static const struct cpython_offsets cpython_offsets_table[] = {")
    for version, v in VERSIONS:
        values = measured[version]
        w("\t{ /* from CPython %s */" % version)
        w("\t\t.major = %d," % v[0])
        w("\t\t.minor = %d," % v[1])
        w("\t\t.frame_model = %s," % frame_model(v))
        w("\t\t.line_table = %s," % line_table(v))
        w("\t\t.string_model = %s," % ("CPYTHON_STRINGS_BYTES" if v < (3, 0) else "CPYTHON_STRINGS_PEP393"))
        w("\t\t.reserved = 0,")
        for name in names:
            value = values.get(name)
            w("\t\t.%s = %s," % (name.ljust(width), NONE if value is None else str(value)))
        w("\t},")
    w("};")
    w("")
    w("static const struct cpython_debug_offsets_layout cpython_debug_offsets_table[] = {")
    for version, v in VERSIONS:
        if v < (3, 13):
            continue
        values = measured[version]
        w("\t{ /* from CPython %s */" % version)
        w("\t\t.major = %d," % v[0])
        w("\t\t.minor = %d," % v[1])
        w("\t\t.runtime_offset = %d," % values["debug.runtime_offset"])
        for name, _, _ in DEBUG_FIELDS:
            w("\t\t.%s = %d," % (name, values["debug." + name]))
        w("\t},")
    w("};")
    w("")
    w("#endif /* CPYTHON_OFFSETS_NO_TABLE */")
    w("")
    w("#endif /* EMBER_CPYTHON_OFFSETS_H */")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if %s is not what the headers give" % HEADER.name)
    parser.add_argument("--output", type=pathlib.Path, default=HEADER)
    args = parser.parse_args()
    root = pyenv_root()
    with tempfile.TemporaryDirectory(prefix="ember-cpython-offsets-") as workdir:
        measured = {version: measure(root, version, v, workdir) for version, v in VERSIONS}
    text = render(measured)
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            sys.exit("generate.py --check: %s is stale; run %s" % (args.output, sys.argv[0]))
        print("%s is up to date" % args.output.name)
        return
    args.output.write_text(text)
    print("wrote %s (%d versions)" % (args.output, len(VERSIONS)))


if __name__ == "__main__":
    main()
