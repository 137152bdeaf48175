// Two windows draw the same flame graph, node by node: the store tests'
// check that reads of one range agree.
#pragma once

#include <gtest/gtest.h>

#include <tuple>

#include "flame_tree.hpp"

namespace ember::store::test {

inline void expect_same_flame_tree(const Window& a, const Window& b) {
  formats::FlameTree tree_a = formats::build_flame_tree(a), tree_b = formats::build_flame_tree(b);
  ASSERT_EQ(tree_a.nodes.size(), tree_b.nodes.size());
  for (std::size_t i = 0; i < tree_a.nodes.size(); ++i) {
    const formats::FlameNode &x = tree_a.nodes[i], &y = tree_b.nodes[i];
    EXPECT_EQ(std::tie(tree_a.functions[x.function].name, x.self, x.total, x.children),
              std::tie(tree_b.functions[y.function].name, y.self, y.total, y.children))
        << i;
  }
}

}  // namespace ember::store::test
