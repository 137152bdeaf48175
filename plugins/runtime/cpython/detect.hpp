// Is this ELF object a CPython interpreter, and which one?
//
// Looks at one file (libpython*.so, or an executable with the runtime linked
// in statically, like Debian's /usr/bin/python3.11) through its exported
// symbols, which survive stripping:
//   _PyRuntime               3.7+ (the runtime state; 3.13+ starts with _Py_DebugOffsets)
//   _PyThreadState_Current   2.7 and 3.6 (the GIL holder's thread state)
//   Py_Version               3.11+ (PY_VERSION_HEX as a const unsigned long in .rodata)
//   Py_GetVersion            every version (formats the PY_VERSION string)
//   PyCode_Type, PyUnicode_Type, PyBytes_Type (2.7: PyString_Type)
//                            what a code object and its strings are
// The version comes from the binary, never from its file name: Py_Version's
// value, else the PY_VERSION string Py_GetVersion passes to snprintf (found
// through its RIP-relative loads on x86_64, else by scanning the read-only
// segments for a version string of the era the symbols say).
//
// An executable that only links libpython (pyenv's bin/python3.9) is not
// CPython by itself: the library it maps is, and is probed on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ember/runtime_plugin.hpp"
#include "ember/status.hpp"
#include "offsets/cpython_offsets.h"

namespace ember::cpython {

enum class VersionSource : std::uint8_t {
  py_version,      // the Py_Version symbol's value (3.11+)
  version_string,  // the PY_VERSION string in .rodata
};

struct CPythonBinary {
  // False: not a CPython interpreter (detect() returned ok).
  bool is_cpython = false;
  unsigned major = 0;
  unsigned minor = 0;
  unsigned micro = 0;
  std::string version;  // "3.9.18", "3.11.2", "3.13.0"
  VersionSource version_source = VersionSource::version_string;

  // Link-time vaddrs (add the load bias of the mapping), 0 when absent.
  std::uint64_t runtime_address = 0;         // _PyRuntime, 3.7+
  std::uint64_t tstate_current_address = 0;  // _PyThreadState_Current, 2.7 and 3.6
  // The type objects the symbolizer checks what it reads against:
  // PyCode_Type; PyUnicode_Type (2.7: PyString_Type); PyBytes_Type (2.7:
  // PyString_Type).
  std::uint64_t code_type_address = 0;
  std::uint64_t str_type_address = 0;
  std::uint64_t bytes_type_address = 0;
  // _Py_tss_tstate's offset in the object's TLS block (3.12+), only when the
  // binary kept its .symtab (pyenv builds do, Debian's stripped ones don't).
  std::optional<std::uint64_t> tss_tstate_tls_offset;

  // The generated table's entry for major.minor (never null when detect()
  // returned ok with is_cpython).
  const cpython_offsets* table = nullptr;
  // 3.13+: _Py_DebugOffsets read from the file's _PyRuntime (see
  // debug_offsets.hpp). `offsets` is what the walker should use: the debug
  // offsets where present, else the table entry.
  bool has_debug_offsets = false;
  std::string debug_offsets_error;  // why they were not used, on 3.13+
  cpython_offsets offsets{};
};

// Ok with is_cpython=false for a binary that is not CPython. An error for a
// file that cannot be read or parsed, and for CPython of a version without a
// table entry ("unsupported CPython version 3.14 ..."), in which case `out`
// still says is_cpython and the version, so the caller can report it.
Status detect(const BinaryRef& binary, CPythonBinary& out);

// The table entry for major.minor, nullptr when there is none.
const cpython_offsets* find_offsets(unsigned major, unsigned minor);

}  // namespace ember::cpython
