#include "profile_format.hpp"

#include <gtest/gtest.h>

#include "collapsed_writer.hpp"
#include "gzip.hpp"
#include "sample_windows.hpp"
#include "svg_flamegraph.hpp"

namespace ember::formats {
namespace {

TEST(ProfileFormatTest, NamesAndExtensionsAgree) {
  for (auto [name, path] : {std::pair{"folded", "x.folded"},
                            {"speedscope", "x.speedscope.json"},
                            {"pprof", "x.pb.gz"},
                            {"svg", "x.svg"}}) {
    ProfileFormat by_name, by_path;
    ASSERT_TRUE(profile_format_of_name(name, by_name)) << name;
    ASSERT_TRUE(profile_format_of_path(path, by_path)) << path;
    EXPECT_EQ(by_name, by_path) << name;
    EXPECT_EQ(std::string("x") + std::string(extension_of(by_name)), path);
  }
  ProfileFormat f;
  EXPECT_TRUE(profile_format_of_name("collapsed", f));
  EXPECT_EQ(f, ProfileFormat::folded);
  EXPECT_TRUE(profile_format_of_path("run.pprof", f));
  EXPECT_EQ(f, ProfileFormat::pprof);
  EXPECT_FALSE(profile_format_of_name("png", f));
  EXPECT_FALSE(profile_format_of_path("x.png", f));
  EXPECT_FALSE(profile_format_of_path(".svg", f));  // no name before the extension
}

TEST(ProfileFormatTest, RendersWithTheWriters) {
  Window w = test::sample_window();
  EXPECT_EQ(render_profile(ProfileFormat::folded, w, {"", true}),
            collapsed_text(w, CollapsedOptions{true}));
  EXPECT_FALSE(gunzip(render_profile(ProfileFormat::pprof, w)).empty());
  EXPECT_NE(render_profile(ProfileFormat::svg, w, {"t"}).find(">t</text>"), std::string::npos);
  EXPECT_NE(render_profile(ProfileFormat::speedscope, w, {"n"}).find("\"name\":\"n\""),
            std::string::npos);
}

TEST(ProfileFormatTest, SvgOrientationFollowsTheFlameOption) {
  Window w = test::sample_window();
  RenderOptions flame{"t"};
  flame.flame = true;
  EXPECT_EQ(render_profile(ProfileFormat::svg, w, {"t"}),
            svg_flamegraph(w, SvgOptions{"t", 1200, false}));
  EXPECT_EQ(render_profile(ProfileFormat::svg, w, flame),
            svg_flamegraph(w, SvgOptions{"t", 1200, true}));
  EXPECT_NE(render_profile(ProfileFormat::svg, w, flame),
            render_profile(ProfileFormat::svg, w, {"t"}));
}

}  // namespace
}  // namespace ember::formats
