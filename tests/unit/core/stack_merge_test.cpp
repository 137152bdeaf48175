#include <gtest/gtest.h>

#include "agent/stack_builder.hpp"
#include "ember/call_machinery.hpp"

namespace ember {
namespace {

FrameHandle frame(const std::string& name, std::string kind = frame_kind::native,
                  const std::string& module = "") {
  return std::make_shared<const Frame>(Frame{name, module, "", 0, kind, false});
}

FrameHandle in_object(const std::string& name, const std::string& module) {
  return frame(name, frame_kind::native, module);
}

constexpr const char* kLibpython = "libpython3.9.so.1.0";

// The eval loop, and a little call machinery of libpython.
class EvalLoop final : public ProcessHandler {
 public:
  EvalLoop() {
    machinery_.add_object(kLibpython);
    machinery_.add_symbols({"_PyEval_EvalFrameDefault", "_PyFunction_*", "slot_*"});
    machinery_.set_unnamed_are_machinery(true);
  }
  bool is_interpreter_frame(const Frame& native) const override {
    return native.name == "_PyEval_EvalFrameDefault";
  }
  bool is_call_machinery(const Frame& native) const override { return machinery_.contains(native); }

 private:
  CallMachinery machinery_;
};

std::vector<std::string> names(const std::vector<FrameHandle>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f->name);
  return out;
}

TEST(MergeInterpreterFrames, EachGroupReplacesOneEvalFrameInOrder) {
  // Leaf first: a C extension called from Python called from Python.
  std::vector<FrameHandle> native{
      in_object("encoder_listencode_obj", "_json.so"),
      in_object("_PyEval_EvalFrameDefault", kLibpython), in_object("encoder_call", "_json.so"),
      in_object("_PyEval_EvalFrameDefault", kLibpython), in_object("main", "python3.9")};
  RuntimeFrameGroups groups{
      {frame("dumps", frame_kind::python)},
      {frame("handler", frame_kind::python), frame("serve", frame_kind::python)}};
  std::vector<FrameHandle> merged;
  merge_interpreter_frames(native, groups, EvalLoop(), merged);
  EXPECT_EQ(names(merged), (std::vector<std::string>{"encoder_listencode_obj", "dumps",
                                                     "encoder_call", "handler", "serve", "main"}));
}

TEST(MergeInterpreterFrames, CallMachineryBetweenGroupsIsDropped) {
  // 3.10 and older: one eval call per Python frame, with the interpreter's
  // call machinery (or, without frame pointers, garbage) between them. Its
  // frames stay leafward of the first group and rootward of the last.
  std::vector<FrameHandle> native{in_object("_PyObject_Malloc", kLibpython),
                                  in_object("_PyEval_EvalFrameDefault", kLibpython),
                                  in_object("_PyFunction_Vectorcall", kLibpython),
                                  in_object("slot_tp_call", kLibpython),
                                  in_object("libpython3.9.so.1.0+0x1234", kLibpython),
                                  in_object("[unknown]+0x530000", "[unknown]"),
                                  in_object("[heap]+0x29a5f", "[heap]"),
                                  in_object("_PyEval_EvalFrameDefault", kLibpython),
                                  in_object("Py_RunMain", kLibpython)};
  RuntimeFrameGroups groups{{frame("hot", frame_kind::python)}, {frame("work", frame_kind::python)}};
  std::vector<FrameHandle> merged;
  merge_interpreter_frames(native, groups, EvalLoop(), merged);
  EXPECT_EQ(names(merged),
            (std::vector<std::string>{"_PyObject_Malloc", "hot", "work", "Py_RunMain"}));
}

TEST(MergeInterpreterFrames, CFunctionsBetweenGroupsStay) {
  // max(amounts) in Python calling Amount.__gt__: builtin_max (of the
  // interpreter's own object, but not machinery) and libc stay in place.
  std::vector<FrameHandle> native{in_object("_PyEval_EvalFrameDefault", kLibpython),
                                  in_object("_PyFunction_Vectorcall", kLibpython),
                                  in_object("slot_tp_richcompare", kLibpython),
                                  in_object("builtin_max", kLibpython),
                                  in_object("qsort_r", "libc.so.6"),
                                  in_object("_PyEval_EvalFrameDefault.cold", kLibpython),
                                  in_object("_PyEval_EvalFrameDefault", kLibpython)};
  RuntimeFrameGroups groups{{frame("Amount.__gt__", frame_kind::python)},
                            {frame("biggest", frame_kind::python)}};
  std::vector<FrameHandle> merged;
  merge_interpreter_frames(native, groups, EvalLoop(), merged);
  EXPECT_EQ(names(merged),
            (std::vector<std::string>{"Amount.__gt__", "builtin_max", "qsort_r", "biggest"}));
}

TEST(MergeInterpreterFrames, LeftoverGroupsGoRootwardNotLost) {
  std::vector<FrameHandle> native{in_object("_PyEval_EvalFrameDefault", kLibpython),
                                  in_object("libpython3.9.so.1.0+0x1234", kLibpython),
                                  in_object("main", "python3.9")};
  RuntimeFrameGroups groups{{frame("inner", frame_kind::python)},
                            {frame("outer", frame_kind::python)}};
  std::vector<FrameHandle> merged;
  merge_interpreter_frames(native, groups, EvalLoop(), merged);
  EXPECT_EQ(names(merged), (std::vector<std::string>{"inner", "main", "outer"}));
}

TEST(MergeInterpreterFrames, EvalFramesWithoutGroupsStay) {
  std::vector<FrameHandle> native{frame("_PyEval_EvalFrameDefault"), frame("main")};
  std::vector<FrameHandle> merged;
  merge_interpreter_frames(native, {}, EvalLoop(), merged);
  EXPECT_EQ(names(merged), (std::vector<std::string>{"_PyEval_EvalFrameDefault", "main"}));
}

}  // namespace
}  // namespace ember
