// A window as a flame graph's tree: root "all", then one node per process
// name (comm), then the frames root first. Siblings with the same function
// name, kind and file are one node (lines of one Python function merge), and
// children are sorted by name, as flamegraph.pl does, so equal profiles draw
// equal pictures. A node keeps the module and line of the first frame merged
// into it, for tooltips.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ember/window.hpp"

namespace ember::formats {

struct FlameNode {
  std::string name;
  std::string kind;                     // "all", "process", or the frame kind
  std::uint64_t total = 0;              // samples in this node and below
  std::uint64_t self = 0;               // samples whose leaf is this node
  std::uint32_t depth = 0;              // 0 for the root
  std::vector<std::uint32_t> children;  // indices into FlameTree::nodes, sorted by name
  std::string file;                     // source file, when known
  std::string module;                   // of the first frame merged into the node
  std::uint32_t line = 0;               // of the first frame merged into the node
};

struct FlameTree {
  std::vector<FlameNode> nodes;  // nodes[0] is the root
  std::uint32_t max_depth = 0;
};

FlameTree build_flame_tree(const Window& window);

}  // namespace ember::formats
