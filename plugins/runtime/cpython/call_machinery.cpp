#include "call_machinery.hpp"

#include <string>

namespace ember::cpython {

CallMachinery call_machinery(std::string_view interpreter_path) {
  CallMachinery machinery;
  machinery.add_object(std::string(interpreter_path.substr(interpreter_path.rfind('/') + 1)));
  // Debian's python3.11 is stripped: its internal functions are unnamed, and
  // between two Python frames nearly all of them are trampolines.
  machinery.set_unnamed_are_machinery(true);
  // Found by sampling calls from Python through C back into Python on every
  // version (builtins, operators, dunder methods, generators, exec, partial).
  // clang-format off
  machinery.add_symbols({
      // The eval loop, its entries and its own helpers (ceval.c).
      "_PyEval_Eval*", "PyEval_Eval*", "_PyEval_Vector", "PyEval_Call*", "call_function",
      "call_function_tail", "fast_function", "do_call_core", "ext_do_call", "do_call",
      "function_code_fastcall", "cmp_outcome",
      // exec() and eval() running their code (pythonrun.c).
      "PyRun_*", "_PyRun_*", "run_mod", "run_eval_code_obj",
      // Calling a function, a method, a C function, a type (call.c,
      // funcobject.c, methodobject.c, descrobject.c, classobject.c).
      "_PyFunction_*", "PyFunction_*", "function_call", "PyObject_Call*", "_PyObject_Call*",
      "_PyObject_FastCall*", "PyObject_Vectorcall*", "_PyObject_Vectorcall*",
      "_PyObject_MakeTpCall", "PyVectorcall_*", "_PyVectorcall_*", "object_vacall", "callmethod",
      "cfunction_*", "PyCFunction_*", "_PyCFunction_*", "_PyMethodDef_RawFastCall*",
      "_PyMethodDescr_FastCall*", "method_vectorcall*", "method_call", "methoddescr_call",
      "classmethoddescr_call", "wrapperdescr_call", "wrapperdescr_raw_call", "wrapper_call",
      "instancemethod_call", "type_call", "partial_call", "partial_vectorcall", "context_run",
      // Operators and protocols dispatched to a class's dunder methods
      // (typeobject.c's slot wrappers, abstract.c, object.c).
      "slot_*", "_Py_slot_*", "call_unbound*", "vectorcall_unbound", "vectorcall_method",
      "vectorcall_maybe", "call_method", "call_maybe", "maybe_call_special_*", "call_attribute",
      "PyObject_RichCompare*", "do_richcompare", "try_rich_compare", "half_richcompare",
      "PyObject_GetAttr*", "_PyObject_GetAttr*", "PyObject_GenericGetAttr",
      "_PyObject_GenericGetAttrWithDict", "_PyObject_LookupAttr*", "PyObject_SetAttr*",
      "PyObject_Hash", "_PyObject_HashFast", "PyObject_LengthHint", "_PyObject_LengthHint", "PyObject_Repr",
      "PyObject_Str", "PyObject_IsTrue", "PyObject_Not", "PyObject_GetIter", "PyObject_Size",
      "PyObject_Length", "PyObject_GetItem", "PyObject_SetItem", "PyObject_Format", "PyIter_Next",
      "PyIter_Send", "PyNumber_*", "binary_op*", "binary_iop*", "ternary_op",
      "property_descr_get",
      // 2.7's old-style classes (classobject.c, object.c).
      "instance_*", "PyInstance_New", "do_richcmp", "half_binop", "do_binop", "generic_binary_op",
      "half_compare", "try_3way_compare", "PyObject_Compare",
      // Resuming a generator or coroutine (genobject.c).
      "gen_send*", "gen_iternext", "_PyGen_Send", "gen_throw", "_gen_throw",
  });
  // clang-format on
  return machinery;
}

}  // namespace ember::cpython
