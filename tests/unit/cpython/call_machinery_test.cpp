// CPython's call machinery list against the real interpreters' symbol
// tables: the eval loop and the call trampolines of every version are
// machinery; the C functions worth showing between two Python frames
// (builtins, methods of built-in types, C extension modules) never are.
#include "call_machinery.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "pythons.hpp"

namespace ember::cpython {
namespace {

using testing::pyenv_pythons;

// The names of the functions a binary defines (nm), each once.
std::vector<std::string> functions_of(const std::string& binary) {
  auto out = testing::run("nm --defined-only '" + binary + "' 2>/dev/null");
  std::vector<std::string> names;
  if (!out) return names;
  std::istringstream lines(*out);
  std::string address, type, name;
  while (lines >> address >> type >> name) {
    if (type == "t" || type == "T") names.push_back(name);
  }
  return names;
}

Frame native_frame(const std::string& name, const std::string& module) {
  return Frame{name, module, "", 0, frame_kind::native, false};
}

TEST(CpythonCallMachinery, TrampolinesAreMachineryBuiltinsAreNot) {
  auto pythons = pyenv_pythons();
  EMBER_REQUIRE_PYENV(pythons);
  for (const auto& python : pythons) {
    SCOPED_TRACE(python.label);
    const std::string module = python.binary.substr(python.binary.rfind('/') + 1);
    CallMachinery machinery = call_machinery(python.binary);
    std::vector<std::string> functions = functions_of(python.binary);
    ASSERT_GT(functions.size(), 1000u) << "nm found no symbol table";
    std::size_t trampolines = 0, shown = 0;
    for (const std::string& name : functions) {
      bool claimed = machinery.contains(native_frame(name, module));
      // What runs a Python function, or calls a callable for C code.
      if (name == "_PyEval_EvalFrameDefault" || name == "PyEval_EvalFrameEx" ||
          name == "_PyFunction_Vectorcall" || name == "PyObject_Call" ||
          name.starts_with("slot_tp_")) {
        EXPECT_TRUE(claimed) << name;
        ++trampolines;
      }
      // Builtins and methods of built-in types do work of their own.
      if (name.starts_with("builtin_") || name.starts_with("list_") || name.starts_with("dict_") ||
          name.starts_with("sorted") || name == "min_max") {
        EXPECT_FALSE(claimed) << name;
        ++shown;
      }
    }
    EXPECT_GE(trampolines, 3u);
    EXPECT_GE(shown, 50u);
    // Only the interpreter's own object: a C extension's slot_ function and
    // unnamed addresses elsewhere stay.
    EXPECT_FALSE(machinery.contains(native_frame("slot_tp_call", "_json.cpython-39.so")));
    EXPECT_FALSE(machinery.contains(native_frame("libc.so.6+0x1234", "libc.so.6")));
    EXPECT_TRUE(machinery.contains(native_frame(module + "+0x1234", module)));
    EXPECT_FALSE(machinery.contains(native_frame(module + "x", module)));
  }
}

}  // namespace
}  // namespace ember::cpython
