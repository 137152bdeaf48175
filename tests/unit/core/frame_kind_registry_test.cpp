#include "plugin_host/frame_kind_registry.hpp"

#include <gtest/gtest.h>

#include "plugin_host/host_handle.hpp"

namespace ember {
namespace {

Window window_of_kinds(std::initializer_list<const char*> kinds) {
  Window w;
  for (const char* kind : kinds) {
    Frame f;
    f.name = std::string("f_") + kind;
    f.kind = kind;
    w.frames.push_back(f);
  }
  return w;
}

TEST(FrameKindRegistry, ARegisteredKindColorsTheWindowsThatUseIt) {
  FrameKindRegistry registry;
  ASSERT_TRUE(registry.register_kind("toyvm", "#3366CC"));
  Window w = window_of_kinds({"toyvm", frame_kind::python, "toyvm", "nobody_registered"});
  registry.describe(w);
  // Sorted by name; the color in lowercase; a kind nobody registered left out.
  std::vector<FrameKindColor> expected{{"python", "#f5dc3d"}, {"toyvm", "#3366cc"}};
  EXPECT_EQ(w.frame_kinds, expected);
  EXPECT_EQ(w.kind_color("toyvm"), "#3366cc");
  EXPECT_EQ(w.kind_color("nobody_registered"), "");
  EXPECT_EQ(w.kind_color(frame_kind::go), "#57dbdb");  // built in, though not in the window
}

TEST(FrameKindRegistry, RefusesBadNamesColorsAndSecondColors) {
  FrameKindRegistry registry;
  for (const char* name : {"", "Toy", "toy-vm", "toy vm", "abcdefghijabcdefghijabcdefghijabc"}) {
    EXPECT_FALSE(registry.register_kind(name, "#112233")) << name;
  }
  for (const char* color : {"", "112233", "#11223", "#1122334", "#11223g", "red"}) {
    EXPECT_FALSE(registry.register_kind("toyvm", color)) << color;
  }
  EXPECT_TRUE(registry.register_kind("toy_vm2", "#112233"));
  EXPECT_TRUE(registry.register_kind("python", "#F5DC3D"));  // the built-in color
  Status python = registry.register_kind("python", "#000000");
  EXPECT_EQ(python.message(), "frame kind 'python' is built in with color #f5dc3d, not #000000");
  ASSERT_TRUE(registry.register_kind("ruby", "#cc0000"));
  EXPECT_TRUE(registry.register_kind("ruby", "#CC0000"));
  Status ruby = registry.register_kind("ruby", "#00cc00");
  EXPECT_EQ(ruby.message(), "frame kind 'ruby' is already registered with color #cc0000, not #00cc00");
  Window w = window_of_kinds({"ruby"});
  registry.describe(w);
  ASSERT_EQ(w.frame_kinds.size(), 1u);
  EXPECT_EQ(w.frame_kinds[0].color, "#cc0000");
}

TEST(FrameKindRegistry, APluginRegistersThroughItsHostHandle) {
  HostHandle host("runtime.kinds_test", nullptr);
  Host& plugin_view = host;
  ASSERT_TRUE(plugin_view.register_frame_kind("kinds_test_vm", "#123456"));
  EXPECT_FALSE(plugin_view.register_frame_kind("kinds_test_vm", "#654321"));
  Window w = window_of_kinds({"kinds_test_vm"});
  frame_kind_registry().describe(w);
  EXPECT_EQ(w.kind_color("kinds_test_vm"), "#123456");
}

}  // namespace
}  // namespace ember
