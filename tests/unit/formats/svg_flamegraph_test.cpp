#include "svg_flamegraph.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "flame_tree.hpp"
#include "sample_windows.hpp"

namespace ember::formats {
namespace {

struct Box {
  std::string name, kind, fill;
  std::uint64_t samples = 0, start = 0;
  unsigned depth = 0;
  double x = 0, width = 0;
};

// The boxes the SVG draws, read from their attributes.
std::vector<Box> boxes(const std::string& svg) {
  static const std::regex box(
      "<g class=\"f\" data-n=\"([^\"]*)\" data-k=\"([^\"]*)\" data-v=\"(\\d+)\" "
      "data-x=\"(\\d+)\" data-d=\"(\\d+)\"><title>[^<]*</title><rect x=\"([0-9.]+)\" "
      "y=\"[0-9.]+\" width=\"([0-9.]+)\" height=\"[0-9.]+\" fill=\"([^\"]+)\"/>");
  std::vector<Box> out;
  for (std::sregex_iterator it(svg.begin(), svg.end(), box), end; it != end; ++it) {
    const std::smatch& m = *it;
    out.push_back(Box{m[1], m[2], m[8], std::stoull(m[3]), std::stoull(m[4]),
                      static_cast<unsigned>(std::stoul(m[5])), std::stod(m[6]), std::stod(m[7])});
  }
  return out;
}

const Box& find(const std::vector<Box>& all, const std::string& name) {
  for (const Box& b : all) {
    if (b.name == name) return b;
  }
  throw std::runtime_error("no box " + name);
}

TEST(SvgFlameGraphTest, OneBoxPerTreeNodeWithSharesAsWidths) {
  Window w = test::sample_window();
  std::string svg = svg_flamegraph(w, SvgOptions{"story", 1000});
  std::vector<Box> all = boxes(svg);
  EXPECT_EQ(all.size(), build_flame_tree(w).nodes.size());
  const Box& root = find(all, "all");
  EXPECT_EQ(root.samples, 11u);
  EXPECT_DOUBLE_EQ(root.width, 980.0);  // 1000 - 2 x 10 padding
  const Box& handler = find(all, "handler");
  EXPECT_EQ(handler.kind, "python");
  EXPECT_EQ(handler.samples, 10u);
  EXPECT_NEAR(handler.width, 980.0 * 10 / 11, 0.06);
  // Children start where their parent starts (nginx sorts before python3).
  EXPECT_EQ(find(all, "python3").start, 1u);
  EXPECT_EQ(handler.start, 1u);
  EXPECT_NEAR(handler.x, 10 + 980.0 / 11, 0.06);
  EXPECT_EQ(find(all, "do_sys_open").depth, 5u - 1);
  EXPECT_NE(svg.find(">story</text>"), std::string::npos);
}

TEST(SvgFlameGraphTest, ColorsByKindAndALegendOfEveryKind) {
  std::string svg = svg_flamegraph(test::sample_window());
  std::vector<Box> all = boxes(svg);
  auto hue = [](const std::string& fill) { return std::stoi(fill.substr(4)); };
  EXPECT_NEAR(hue(find(all, "handler").fill), 52, 4);       // Python yellow
  EXPECT_NEAR(hue(find(all, "main").fill), 22, 4);          // native orange
  EXPECT_NEAR(hue(find(all, "do_sys_open").fill), 210, 4);  // kernel blue
  for (const char* kind : {"python", "native", "kernel", "java", "node", "go"}) {
    EXPECT_NE(svg.find("class=\"legend-item\" data-k=\"" + std::string(kind) + "\""),
              std::string::npos)
        << kind;
  }
}

TEST(SvgFlameGraphTest, NamesAreEscapedForXml) {
  Window w = test::sample_window();
  w.frames[1].name = "a<b>&\"c\" \xff";
  std::string svg = svg_flamegraph(w);
  EXPECT_EQ(find(boxes(svg), "a&lt;b&gt;&amp;&quot;c&quot; \xEF\xBF\xBD").samples, 10u);
  EXPECT_EQ(find(boxes(svg), "weird;name?x").samples, 1u);  // newline replaced
  EXPECT_EQ(svg.find("a<b>"), std::string::npos);
}

TEST(SvgFlameGraphTest, TinyBoxesAreLeftOutAndTheScriptIsEmbedded) {
  Window w = test::later_window();
  w.samples[0].count = 1'000'000;  // idle's 1 sample is far below 0.1 px
  std::string svg = svg_flamegraph(w);
  EXPECT_THROW(find(boxes(svg), "idle"), std::runtime_error);
  EXPECT_NE(svg.find(kFlameGraphScript), std::string::npos);
  EXPECT_EQ(svg.find("http://", svg.find("<script")), std::string::npos);  // no network
}

TEST(SvgFlameGraphTest, EmptyWindowDrawsNoBoxes) {
  std::string svg = svg_flamegraph(Window{});
  EXPECT_TRUE(boxes(svg).empty());
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

// The legend's fill for `kind`, "" when it has no entry.
std::string legend_fill(const std::string& svg, const std::string& kind) {
  std::smatch m;
  std::regex item("<g class=\"legend-item\" data-k=\"" + kind +
                  "\"><rect [^>]* fill=\"([^\"]+)\"/><text [^>]*>([^<]*)</text>");
  return std::regex_search(svg, m, item) ? m[1].str() + " " + m[2].str() : "";
}

TEST(SvgFlameGraphTest, BuiltInKindsKeepTheirLegendColors) {
  std::string svg = svg_flamegraph(test::sample_window());
  EXPECT_EQ(legend_fill(svg, "python"), "hsl(52,90%,60%) Python");
  EXPECT_EQ(legend_fill(svg, "native"), "hsl(22,85%,60%) native");
  EXPECT_EQ(legend_fill(svg, "kernel"), "hsl(210,55%,60%) kernel");
  EXPECT_EQ(legend_fill(svg, "java"), "hsl(110,55%,60%) Java");
  EXPECT_EQ(legend_fill(svg, "node"), "hsl(280,50%,60%) Node");
  EXPECT_EQ(legend_fill(svg, "go"), "hsl(180,65%,60%) Go");
}

TEST(SvgFlameGraphTest, ARegisteredKindColorsItsFramesAndItsLegendEntry) {
  Window w = test::sample_window();
  ASSERT_EQ(w.frames[1].name, "handler");
  w.frames[1].kind = "toyvm";
  w.frames[2].kind = "nobody_registered";  // do_sys_open
  w.frame_kinds = {{"toyvm", "#3366cc"}};  // hsl(220,60%,50%)
  std::string svg = svg_flamegraph(w);
  std::vector<Box> all = boxes(svg);
  const Box& handler = find(all, "handler");
  EXPECT_EQ(handler.kind, "toyvm");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(handler.fill, m, std::regex("hsl\\((\\d+),(\\d+)%,(\\d+)%\\)")))
      << handler.fill;
  EXPECT_NEAR(std::stoi(m[1]), 220, 4);  // the color's hue, varied a little by name
  EXPECT_EQ(std::stoi(m[2]), 60);
  EXPECT_NEAR(std::stoi(m[3]), 50, 9);
  EXPECT_EQ(legend_fill(svg, "toyvm"), "hsl(220,60%,50%) toyvm");
  EXPECT_EQ(find(all, "do_sys_open").fill, "hsl(0,0%,78%)");  // gray, and no legend entry
  EXPECT_EQ(legend_fill(svg, "nobody_registered"), "");
}

// The y of a box, and of the legend's first swatch.
double box_y(const std::string& svg, const std::string& name) {
  std::smatch m;
  std::regex y("data-n=\"" + name + "\"[^>]*><title>[^<]*</title><rect x=\"[0-9.]+\" y=\"([0-9.]+)\"");
  if (!std::regex_search(svg, m, y)) throw std::runtime_error("no box " + name);
  return std::stod(m[1]);
}

double legend_y(const std::string& svg) {
  std::smatch m;
  if (!std::regex_search(svg, m, std::regex("class=\"legend-item\"[^>]*><rect x=\"[0-9.]+\" y=\"([0-9.]+)\""))) {
    throw std::runtime_error("no legend");
  }
  return std::stod(m[1]);
}

// A 120-frame stack (a Python import chain): the icicle opens on its root,
// legend and hover line at the top of the page; the flame puts them 2,000 px
// down, below the fold of any window.
TEST(SvgFlameGraphTest, AnIcicleKeepsTheRootInViewHoweverDeepTheStacks) {
  Window w;
  std::vector<std::uint32_t> stack;
  for (std::uint32_t i = 0; i < 120; ++i) {
    w.frames.push_back(test::frame("f" + std::to_string(i), frame_kind::python, "m.py"));
    stack.push_back(i);
  }
  w.stacks = {stack};
  w.samples = {{0, 1, 1, 10}};
  ProcessInfo python;
  python.pid = 1;
  python.comm = "python3";
  w.processes = {python};
  std::string icicle = svg_flamegraph(w);
  EXPECT_LT(box_y(icicle, "all"), 120.0);
  EXPECT_LT(legend_y(icicle), 120.0);
  EXPECT_LT(box_y(icicle, "all"), box_y(icicle, "f0"));
  EXPECT_LT(box_y(icicle, "f0"), box_y(icicle, "f119"));

  SvgOptions flame_options;
  flame_options.flame = true;
  std::string flame = svg_flamegraph(w, flame_options);
  EXPECT_GT(box_y(flame, "all"), 1900.0);
  EXPECT_GT(legend_y(flame), box_y(flame, "all"));
  EXPECT_GT(box_y(flame, "f0"), box_y(flame, "f119"));
  EXPECT_EQ(boxes(icicle).size(), boxes(flame).size());
}

}  // namespace
}  // namespace ember::formats
