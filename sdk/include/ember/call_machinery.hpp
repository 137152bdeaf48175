// A runtime's call machinery: the native functions of its own objects that
// only carry a call from one interpreted frame to the next (the eval loop
// re-entered, call trampolines, slot wrappers). Between two groups of
// interpreter frames the host drops the native frames the handler claims as
// machinery (ProcessHandler::is_call_machinery), so CPython's
// `max → Amount.__gt__` reads without `PyObject_RichCompare →
// slot_tp_richcompare → _PyFunction_Vectorcall → _PyEval_EvalFrameDefault`,
// while the C functions worth showing stay: `builtin_max`, C extensions, libc.
//
// CallMachinery is the usual implementation: symbol patterns, matched only in
// the runtime's own objects, so a C extension's function is never machinery.
// A JVM plugin would list libjvm.so's `JavaCalls::call_helper`, a Node plugin
// the node executable's `Builtins_*Trampoline` functions.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ember/frame.hpp"

namespace ember {

class CallMachinery {
 public:
  // Frames whose Frame::module (a file name: "libpython3.12.so.1.0") is this
  // object may be machinery.
  void add_object(std::string module);

  // "name" matches exactly, "prefix*" every name starting with prefix.
  // Compiler clone suffixes (".cold", ".isra.0", ".part.1") are ignored.
  void add_symbols(std::initializer_list<std::string_view> patterns);

  // Whether unnamed frames of the runtime's objects ("python3.11+0x65176f":
  // a stripped object's internal functions) count as machinery. In a
  // stripped interpreter most of them are, and one named C function among
  // unnamed trampolines tells nothing anyway.
  void set_unnamed_are_machinery(bool unnamed) { unnamed_ = unnamed; }

  bool contains(const Frame& native) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::vector<std::string> objects_;
  std::unordered_set<std::string, Hash, std::equal_to<>> names_;
  std::vector<std::string> prefixes_;
  bool unnamed_ = false;
};

}  // namespace ember
