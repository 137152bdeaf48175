#include "flame_tree.hpp"

#include <gtest/gtest.h>

#include "sample_windows.hpp"

namespace ember::formats {
namespace {

const FlameNode& child(const FlameTree& tree, const FlameNode& node, const std::string& name) {
  for (std::uint32_t index : node.children) {
    if (tree.nodes[index].name == name) return tree.nodes[index];
  }
  throw std::runtime_error("no child " + name + " under " + node.name);
}

TEST(FlameTreeTest, ProcessesThenFramesWithTotalsAndSelf) {
  Window w = test::sample_window();
  FlameTree tree = build_flame_tree(w);
  const FlameNode& root = tree.nodes[0];
  EXPECT_EQ(root.name, "all");
  EXPECT_EQ(root.total, w.total_samples());
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(tree.nodes[root.children[0]].name, "nginx");  // sorted by name
  const FlameNode& python = child(tree, root, "python3");
  EXPECT_EQ(python.kind, "process");
  EXPECT_EQ(python.total, 10u);  // pids 100 and 200 under one comm
  const FlameNode& main = child(tree, python, "main");
  const FlameNode& handler = child(tree, main, "handler");
  EXPECT_EQ(handler.kind, "python");
  EXPECT_EQ(handler.total, 10u);
  EXPECT_EQ(handler.self, 8u);
  EXPECT_EQ(handler.depth, 3u);
  const FlameNode& open = child(tree, handler, "do_sys_open");
  EXPECT_EQ(open.kind, "kernel");
  EXPECT_EQ(open.self, 2u);
  EXPECT_EQ(tree.max_depth, 4u);
}

TEST(FlameTreeTest, LinesOfOneFunctionAreOneBox) {
  Window w = test::later_window();
  w.frames.push_back(test::frame("handler", frame_kind::python, "app.py", 9));  // another line
  w.stacks.push_back({1, 3});
  w.samples.push_back({2, 100, 100, 4});
  FlameTree tree = build_flame_tree(w);
  const FlameNode& main = child(tree, child(tree, tree.nodes[0], "python3"), "main");
  EXPECT_EQ(main.children.size(), 2u);  // handler, idle
  EXPECT_EQ(child(tree, main, "handler").total, 7u + 4u);
}

TEST(FlameTreeTest, BadIndicesAndZeroCountsAreSkippedOrUnknown) {
  Window w = test::later_window();
  w.stacks.push_back({1, 99});
  w.samples.push_back({2, 100, 100, 3});
  w.samples.push_back({7, 100, 100, 5});  // no such stack
  w.samples.push_back({0, 100, 100, 0});
  FlameTree tree = build_flame_tree(w);
  EXPECT_EQ(tree.nodes[0].total, 8u + 3u);
  const FlameNode& main = child(tree, child(tree, tree.nodes[0], "python3"), "main");
  EXPECT_EQ(child(tree, main, "[unknown]").total, 3u);
}

}  // namespace
}  // namespace ember::formats
