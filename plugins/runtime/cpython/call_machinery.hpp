// CPython's call machinery (see ember/call_machinery.hpp): the interpreter's
// functions that only carry a call from one Python frame to the next, across
// 2.7 and 3.6-3.13. The merged stack drops them between two Python frames, so
// `max → _gt_from_lt` shows `builtin_max` between the two but none of
// PyObject_RichCompare, slot_tp_richcompare, _PyFunction_Vectorcall,
// _PyEval_EvalFrameDefault. Builtins, C methods of built-in types
// (list_remove, list_sort), C extensions and libc are not machinery.
#pragma once

#include <string_view>

#include "ember/call_machinery.hpp"

namespace ember::cpython {

// `interpreter_path`: the libpython or static python executable that holds
// the eval loop (its base name is the frames' module).
CallMachinery call_machinery(std::string_view interpreter_path);

}  // namespace ember::cpython
