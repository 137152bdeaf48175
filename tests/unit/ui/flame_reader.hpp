// The API's flame tree JSON (flame_json.hpp) read back into nodes with
// children, so tests walk it by name.
#pragma once

#include <string>
#include <vector>

#include "mini_json.hpp"

namespace ember::ui::test {

struct ReadNode {
  std::string name, kind, file, module;
  int line = 0;
  double self = 0, total = 0, base_self = 0, base_total = 0;
  std::vector<ReadNode> children;

  const ReadNode* child(const std::string& child_name) const {
    for (const ReadNode& c : children) {
      if (c.name == child_name) return &c;
    }
    return nullptr;
  }
  // The node at a path of names below this one, or nullptr.
  const ReadNode* at(const std::vector<std::string>& path) const {
    const ReadNode* n = this;
    for (const std::string& name : path) {
      if (!(n = n->child(name))) return nullptr;
    }
    return n;
  }
};

inline ReadNode read_node(const ember::test::Json& json, std::size_t& next) {
  const ember::test::Json& strings = json["strings"];
  const ember::test::Json& n = json["nodes"][next++];
  auto text = [&](std::size_t i) { return strings[static_cast<std::size_t>(n[i].number)].text; };
  ReadNode node{text(0), text(1), text(2), text(4), static_cast<int>(n[3].number),
                n[5].number, n[6].number, 0, 0, {}};
  if (n.size() > 8) {
    node.base_self = n[8].number;
    node.base_total = n[9].number;
  }
  for (int c = 0; c < static_cast<int>(n[7].number); ++c) node.children.push_back(read_node(json, next));
  return node;
}

inline ReadNode read_tree(const ember::test::Json& json) {
  std::size_t next = 0;
  ReadNode root = read_node(json, next);
  if (next != json["nodes"].size()) throw std::runtime_error("nodes after the root's tree");
  return root;
}

}  // namespace ember::ui::test
