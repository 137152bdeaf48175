#include "flame_tree.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "process_name.hpp"

namespace ember::formats {
namespace {

using ChildKey = std::tuple<std::uint32_t, std::string, std::string, std::string>;

class TreeBuilder {
 public:
  explicit TreeBuilder(FlameTree& tree) : tree_(tree) {
    tree_.nodes.push_back(FlameNode{"all", "all", 0, 0, 0, {}, "", "", 0});
  }

  std::uint32_t child(std::uint32_t parent, const std::string& name, const std::string& kind,
                      const std::string& file, const std::string& module = "",
                      std::uint32_t line = 0) {
    auto [it, inserted] = ids_.try_emplace(ChildKey{parent, name, kind, file},
                                           static_cast<std::uint32_t>(tree_.nodes.size()));
    if (inserted) {
      std::uint32_t depth = tree_.nodes[parent].depth + 1;
      tree_.nodes.push_back(FlameNode{name, kind, 0, 0, depth, {}, file, module, line});
      tree_.nodes[parent].children.push_back(it->second);
      tree_.max_depth = std::max(tree_.max_depth, depth);
    }
    return it->second;
  }

 private:
  FlameTree& tree_;
  std::map<ChildKey, std::uint32_t> ids_;
};

}  // namespace

FlameTree build_flame_tree(const Window& window) {
  FlameTree tree;
  TreeBuilder builder(tree);
  std::unordered_map<std::uint32_t, std::string> comms;
  for (const ProcessInfo& process : window.processes) comms[process.pid] = process.comm;

  for (const StackCount& sample : window.samples) {
    if (sample.count == 0 || sample.stack >= window.stacks.size()) continue;
    auto comm = comms.find(sample.pid);
    std::string process = comm != comms.end() && !comm->second.empty()
                              ? comm->second
                              : unnamed_process_name(sample.pid);
    std::vector<std::uint32_t> path{0, builder.child(0, process, "process", "")};
    for (std::uint32_t index : window.stacks[sample.stack]) {
      if (index >= window.frames.size()) {
        path.push_back(builder.child(path.back(), "[unknown]", "unknown", ""));
        continue;
      }
      const Frame& frame = window.frames[index];
      path.push_back(builder.child(path.back(), frame.name.empty() ? "[unknown]" : frame.name,
                                   frame.kind, frame.file, frame.module, frame.line));
    }
    for (std::uint32_t node : path) tree.nodes[node].total += sample.count;
    tree.nodes[path.back()].self += sample.count;
  }
  for (FlameNode& node : tree.nodes) {
    std::sort(node.children.begin(), node.children.end(), [&](std::uint32_t a, std::uint32_t b) {
      return std::tie(tree.nodes[a].name, tree.nodes[a].kind) <
             std::tie(tree.nodes[b].name, tree.nodes[b].kind);
    });
  }
  return tree;
}

}  // namespace ember::formats
