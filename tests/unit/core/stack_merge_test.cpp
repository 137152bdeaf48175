#include <gtest/gtest.h>

#include "agent/stack_builder.hpp"

namespace ember {
namespace {

FrameHandle frame(const std::string& name, FrameKind kind = FrameKind::native) {
  return std::make_shared<const Frame>(Frame{name, "", "", 0, kind, false});
}

class EvalLoop final : public ProcessHandler {
 public:
  bool is_interpreter_frame(const Frame& native) const override {
    return native.name == "_PyEval_EvalFrameDefault";
  }
};

std::vector<std::string> names(const std::vector<FrameHandle>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f->name);
  return out;
}

TEST(MergeInterpreterFrames, EachGroupReplacesOneEvalFrameInOrder) {
  // Leaf first: a C extension called from Python called from Python.
  std::vector<FrameHandle> native{frame("encoder_listencode_obj"),
                                  frame("_PyEval_EvalFrameDefault"), frame("PyObject_Call"),
                                  frame("_PyEval_EvalFrameDefault"), frame("main")};
  RuntimeFrameGroups groups{
      {frame("dumps", FrameKind::python)},
      {frame("handler", FrameKind::python), frame("serve", FrameKind::python)}};
  std::vector<FrameHandle> merged;
  merge_interpreter_frames(native, groups, EvalLoop(), merged);
  EXPECT_EQ(names(merged), (std::vector<std::string>{"encoder_listencode_obj", "dumps",
                                                     "PyObject_Call", "handler", "serve", "main"}));
}

TEST(MergeInterpreterFrames, LeftoverGroupsGoRootwardNotLost) {
  std::vector<FrameHandle> native{frame("_PyEval_EvalFrameDefault"), frame("main")};
  RuntimeFrameGroups groups{{frame("inner", FrameKind::python)},
                            {frame("outer", FrameKind::python)}};
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
