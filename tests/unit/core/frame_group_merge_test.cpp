#include "agent/frame_group_merge.hpp"

#include <gtest/gtest.h>

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

RuntimeFrameGroup group(std::initializer_list<const char*> names, std::uint64_t anchor = 0) {
  RuntimeFrameGroup out;
  for (const char* name : names) out.frames.push_back(frame(name, frame_kind::python));
  out.anchor = anchor;
  return out;
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

std::vector<std::string> merge(const std::vector<FrameHandle>& native, const RuntimeFrameGroups& groups,
                               std::span<const std::uint64_t> cfas = {},
                               std::uint64_t stack_pointer = 0) {
  std::vector<FrameHandle> merged;
  merge_interpreter_frames(native, cfas, stack_pointer, groups, EvalLoop(), merged);
  return names(merged);
}

using Names = std::vector<std::string>;

// By position: the groups carry no anchors (CPython up to 3.10).

TEST(MergeInterpreterFrames, EachGroupReplacesOneEvalFrameInOrder) {
  // Leaf first: a C extension called from Python called from Python.
  std::vector<FrameHandle> native{
      in_object("encoder_listencode_obj", "_json.so"),
      in_object("_PyEval_EvalFrameDefault", kLibpython), in_object("encoder_call", "_json.so"),
      in_object("_PyEval_EvalFrameDefault", kLibpython), in_object("main", "python3.9")};
  RuntimeFrameGroups groups{group({"dumps"}), group({"handler", "serve"})};
  EXPECT_EQ(merge(native, groups),
            (Names{"encoder_listencode_obj", "dumps", "encoder_call", "handler", "serve", "main"}));
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
  RuntimeFrameGroups groups{group({"hot"}), group({"work"})};
  EXPECT_EQ(merge(native, groups), (Names{"_PyObject_Malloc", "hot", "work", "Py_RunMain"}));
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
  RuntimeFrameGroups groups{group({"Amount.__gt__"}), group({"biggest"})};
  EXPECT_EQ(merge(native, groups), (Names{"Amount.__gt__", "builtin_max", "qsort_r", "biggest"}));
}

TEST(MergeInterpreterFrames, LeftoverGroupsGoRootwardNotLost) {
  std::vector<FrameHandle> native{in_object("_PyEval_EvalFrameDefault", kLibpython),
                                  in_object("libpython3.9.so.1.0+0x1234", kLibpython),
                                  in_object("main", "python3.9")};
  RuntimeFrameGroups groups{group({"inner"}), group({"outer"})};
  EXPECT_EQ(merge(native, groups), (Names{"inner", "main", "outer"}));
}

TEST(MergeInterpreterFrames, EvalFramesWithoutGroupsStay) {
  std::vector<FrameHandle> native{frame("_PyEval_EvalFrameDefault"), frame("main")};
  EXPECT_EQ(merge(native, {}), (Names{"_PyEval_EvalFrameDefault", "main"}));
}

// By anchor: a Python function calling a C builtin that calls back into
// Python. Leaf first, with each native frame's CFA; the eval calls keep their
// anchors (a struct on their own C stack) a little below their CFA.
constexpr std::uint64_t kSp = 0x7ffd0000;
constexpr std::uint64_t kInnerEvalAnchor = 0x7ffd0180;
constexpr std::uint64_t kOuterEvalAnchor = 0x7ffd0480;

std::vector<FrameHandle> called_back(const char* leaf) {
  return {in_object(leaf, kLibpython),
          in_object("_PyEval_EvalFrameDefault", kLibpython),  // inner eval call
          in_object("_PyFunction_Vectorcall", kLibpython),
          in_object("builtin_max", kLibpython),
          in_object("_PyEval_EvalFrameDefault", kLibpython),  // outer eval call
          in_object("Py_RunMain", kLibpython)};
}
constexpr std::uint64_t kCalledBackCfas[] = {0x7ffd0100, 0x7ffd0200, 0x7ffd0280,
                                             0x7ffd0300, 0x7ffd0500, 0x7ffd0600};

TEST(MergeInterpreterFrames, AnchoredGroupsReplaceTheEvalFramesHoldingTheirAnchors) {
  RuntimeFrameGroups groups{group({"Amount.__gt__"}, kInnerEvalAnchor),
                            group({"biggest", "main"}, kOuterEvalAnchor)};
  EXPECT_EQ(merge(called_back("_PyObject_Malloc"), groups, kCalledBackCfas, kSp),
            (Names{"_PyObject_Malloc", "Amount.__gt__", "builtin_max", "biggest", "main",
                   "Py_RunMain"}));
}

TEST(MergeInterpreterFrames, EvalEnteredButFrameNotYetPushedStaysNative) {
  // The inner eval call runs but has not pushed Amount.__gt__ yet: the walk
  // finds only the outer call's frames. By position they would replace the
  // inner eval frame, and biggest would read as called by builtin_max.
  RuntimeFrameGroups groups{group({"biggest", "main"}, kOuterEvalAnchor)};
  EXPECT_EQ(merge(called_back("_PyFrame_Initialize"), groups, kCalledBackCfas, kSp),
            (Names{"_PyFrame_Initialize", "_PyEval_EvalFrameDefault", "_PyFunction_Vectorcall",
                   "builtin_max", "biggest", "main", "Py_RunMain"}));
  // What the positional merge made of it.
  RuntimeFrameGroups unanchored{group({"biggest", "main"})};
  EXPECT_EQ(merge(called_back("_PyFrame_Initialize"), unanchored),
            (Names{"_PyFrame_Initialize", "biggest", "main", "_PyFunction_Vectorcall",
                   "builtin_max", "_PyEval_EvalFrameDefault", "Py_RunMain"}));
}

TEST(MergeInterpreterFrames, FramePoppedButEvalNotReturnedStaysNative) {
  // Three eval calls; the leaf-most one has popped its frame and is on its
  // way out, so the middle call's group is the leaf-most the walk finds.
  std::vector<FrameHandle> native{in_object("_PyEval_EvalFrameDefault", kLibpython),
                                  in_object("_PyFunction_Vectorcall", kLibpython),
                                  in_object("_PyEval_EvalFrameDefault", kLibpython),
                                  in_object("slot_tp_call", kLibpython),
                                  in_object("encoder_call", "_json.so"),
                                  in_object("_PyEval_EvalFrameDefault", kLibpython),
                                  in_object("Py_RunMain", kLibpython)};
  const std::uint64_t cfas[] = {0x7ffd0100, 0x7ffd0180, 0x7ffd0300, 0x7ffd0380,
                                0x7ffd0400, 0x7ffd0600, 0x7ffd0700};
  RuntimeFrameGroups groups{group({"default"}, 0x7ffd0250), group({"dumps"}, 0x7ffd0550)};
  EXPECT_EQ(merge(native, groups, cfas, kSp),
            (Names{"_PyEval_EvalFrameDefault", "_PyFunction_Vectorcall", "default",
                   "encoder_call", "dumps", "Py_RunMain"}));
}

TEST(MergeInterpreterFrames, InlinedFunctionsShareTheirFramesRange) {
  // The eval loop inlined into its caller's address: the group replaces the
  // eval entry of the native frame holding its anchor.
  std::vector<FrameHandle> native{in_object("_PyObject_Malloc", kLibpython),
                                  in_object("_PyEval_EvalFrameDefault", kLibpython),
                                  in_object("_PyEval_EvalFrame", kLibpython),
                                  in_object("Py_RunMain", kLibpython)};
  const std::uint64_t cfas[] = {0x7ffd0100, 0x7ffd0300, 0x7ffd0300, 0x7ffd0400};
  RuntimeFrameGroups groups{group({"main"}, 0x7ffd0200)};
  EXPECT_EQ(merge(native, groups, cfas, kSp),
            (Names{"_PyObject_Malloc", "main", "_PyEval_EvalFrame", "Py_RunMain"}));
}

TEST(MergeInterpreterFrames, AnchorInAnotherNativeFrameGoesLeafwardOfIt) {
  std::vector<FrameHandle> native{in_object("_PyObject_Malloc", kLibpython),
                                  in_object("run_eval_loop", "toyvm"),
                                  in_object("main", "toyvm")};
  const std::uint64_t cfas[] = {0x7ffd0100, 0x7ffd0300, 0x7ffd0400};
  RuntimeFrameGroups groups{group({"script"}, 0x7ffd0200)};
  EXPECT_EQ(merge(native, groups, cfas, kSp),
            (Names{"_PyObject_Malloc", "script", "run_eval_loop", "main"}));
}

TEST(MergeInterpreterFrames, AnchorsOfUnknownFramesFallBackToPosition) {
  // No CFAs known, CFAs missing where the anchors are, anchors below the
  // stack pointer (the interpreter's heap), anchors out of the groups' order:
  // all by position.
  RuntimeFrameGroups groups{group({"Amount.__gt__"}, kInnerEvalAnchor),
                            group({"biggest"}, kOuterEvalAnchor)};
  Names positional{"_PyObject_Malloc", "Amount.__gt__", "builtin_max", "biggest", "Py_RunMain"};
  EXPECT_EQ(merge(called_back("_PyObject_Malloc"), groups), positional);

  std::uint64_t missing[6];
  std::copy(std::begin(kCalledBackCfas), std::end(kCalledBackCfas), missing);
  missing[0] = missing[1] = missing[3] = 0;
  EXPECT_EQ(merge(called_back("_PyObject_Malloc"), groups, missing, kSp), positional);

  RuntimeFrameGroups heap{group({"Amount.__gt__"}, 0x55550000), group({"biggest"}, 0x55551000)};
  EXPECT_EQ(merge(called_back("_PyObject_Malloc"), heap, kCalledBackCfas, kSp), positional);

  RuntimeFrameGroups swapped{group({"Amount.__gt__"}, kOuterEvalAnchor),
                             group({"biggest"}, kInnerEvalAnchor)};
  EXPECT_EQ(merge(called_back("_PyObject_Malloc"), swapped, kCalledBackCfas, kSp), positional);
}

TEST(MergeInterpreterFrames, GroupsWithoutAnchorsFitBetweenAnchoredOnes) {
  // The leaf-most group has no anchor: it takes the first eval frame leafward
  // of the anchored group's; a second one with no eval frame left goes
  // leafward of the anchored group.
  RuntimeFrameGroups groups{group({"Amount.__gt__"}), group({"biggest"}, kOuterEvalAnchor)};
  EXPECT_EQ(merge(called_back("_PyObject_Malloc"), groups, kCalledBackCfas, kSp),
            (Names{"_PyObject_Malloc", "Amount.__gt__", "builtin_max", "biggest", "Py_RunMain"}));

  RuntimeFrameGroups more{group({"a"}), group({"b"}), group({"biggest"}, kOuterEvalAnchor)};
  EXPECT_EQ(merge(called_back("_PyObject_Malloc"), more, kCalledBackCfas, kSp),
            (Names{"_PyObject_Malloc", "a", "builtin_max", "b", "biggest", "Py_RunMain"}));
}

}  // namespace
}  // namespace ember
