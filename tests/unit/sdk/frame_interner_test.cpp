#include "ember/frame_interner.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ember {
namespace {

Frame python_frame(std::string name, std::uint32_t line) {
  Frame frame;
  frame.name = std::move(name);
  frame.file = "/srv/app/handlers.py";
  frame.module = frame.file;
  frame.line = line;
  frame.kind = frame_kind::python;
  return frame;
}

TEST(FrameInterner, FramesEqualInContentAreOneFrame) {
  FrameInterner interner;
  FrameHandle first = interner.intern(python_frame("handle", 12));
  FrameHandle again = interner.intern(python_frame("handle", 12));
  EXPECT_EQ(first.get(), again.get());
  EXPECT_EQ(first->name, "handle");
}

TEST(FrameInterner, FramesThatDifferInAnyFieldStayApart) {
  FrameInterner interner;
  FrameHandle base = interner.intern(python_frame("handle", 12));
  Frame other_line = python_frame("handle", 13);
  Frame other_kind = python_frame("handle", 12);
  other_kind.kind = frame_kind::native;
  Frame inlined = python_frame("handle", 12);
  inlined.inlined = true;
  for (Frame frame : {other_line, other_kind, inlined}) {
    FrameHandle handle = interner.intern(frame);
    EXPECT_NE(handle.get(), base.get());
    EXPECT_EQ(*handle, frame);
  }
}

// A frame every holder let go of is made anew, and the entries of released
// frames are swept: the interner does not grow with the frames it ever saw.
TEST(FrameInterner, ReleasedFramesLeaveNoEntriesBehind) {
  FrameInterner interner;
  interner.intern(python_frame("gone", 1));  // released at once
  EXPECT_EQ(*interner.intern(python_frame("gone", 1)), python_frame("gone", 1));

  std::vector<FrameHandle> live;
  for (std::uint32_t i = 0; i < 100; ++i) live.push_back(interner.intern(python_frame("live", i)));
  for (std::uint32_t i = 0; i < 100000; ++i) interner.intern(python_frame("short", i));
  EXPECT_LT(interner.size(), 2048u);
  for (std::uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(interner.intern(python_frame("live", i)).get(), live[i].get());
  }
}

}  // namespace
}  // namespace ember
