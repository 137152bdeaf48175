#include "flame_json.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <tuple>
#include <unordered_map>

namespace ember::ui {
namespace {

using formats::FlameNode;
using formats::FlameTree;
using ChildKey = std::tuple<std::string_view, std::string_view, std::string_view>;

ChildKey key_of(const FlameNode& n) { return {n.name, n.kind, n.file}; }

// Adds `tree`'s node `index` (and below) under view node `at`, as the base
// counts or the main ones.
void merge(std::vector<FlameViewNode>& view, std::uint32_t at, const FlameTree& tree,
           std::uint32_t index, bool base) {
  const FlameNode& node = tree.nodes[index];
  (base ? view[at].base_self : view[at].self) += node.self;
  (base ? view[at].base_total : view[at].total) += node.total;
  if (node.children.empty()) return;
  std::map<ChildKey, std::uint32_t> existing;
  for (std::uint32_t c : view[at].children) existing.emplace(key_of(*view[c].node), c);
  for (std::uint32_t child : node.children) {
    const FlameNode& n = tree.nodes[child];
    auto [it, inserted] = existing.try_emplace(key_of(n), static_cast<std::uint32_t>(view.size()));
    if (inserted) {
      view.push_back(FlameViewNode{&n, 0, 0, 0, 0, {}});
      view[at].children.push_back(it->second);
    }
    merge(view, it->second, tree, child, base);
  }
}

class Strings {
 public:
  std::uint32_t id(const std::string& text) {
    auto [it, inserted] = ids_.try_emplace(text, static_cast<std::uint32_t>(list_.size()));
    if (inserted) list_.push_back(&it->first);
    return it->second;
  }
  const std::vector<const std::string*>& list() const { return list_; }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<const std::string*> list_;
};

}  // namespace

std::vector<FlameViewNode> flame_view(const FlameTree& tree) {
  std::vector<FlameViewNode> view;  // one tree: its nodes as they are
  view.reserve(tree.nodes.size());
  for (const FlameNode& n : tree.nodes) view.push_back(FlameViewNode{&n, n.self, n.total, 0, 0, n.children});
  return view;
}

std::vector<FlameViewNode> diff_view(const FlameTree& after, const FlameTree& before) {
  std::vector<FlameViewNode> view{FlameViewNode{&after.nodes[0], 0, 0, 0, 0, {}}};
  merge(view, 0, after, 0, false);
  merge(view, 0, before, 0, true);
  for (FlameViewNode& n : view) {  // union of two name-sorted lists: sort again
    std::sort(n.children.begin(), n.children.end(), [&](std::uint32_t a, std::uint32_t b) {
      return key_of(*view[a].node) < key_of(*view[b].node);
    });
  }
  return view;
}

void write_flame(JsonWriter& json, const std::vector<FlameViewNode>& view, const Window& window,
                 bool with_base, std::size_t max_nodes) {
  // The smallest size a node may have and stay: the max_nodes-th biggest.
  std::uint64_t least = 0;
  if (view.size() > max_nodes && max_nodes > 0) {
    std::vector<std::uint64_t> sizes;
    sizes.reserve(view.size());
    for (const FlameViewNode& n : view) sizes.push_back(std::max(n.total, n.base_total));
    std::nth_element(sizes.begin(), sizes.begin() + (max_nodes - 1), sizes.end(),
                     std::greater<>());
    least = sizes[max_nodes - 1] + 1;  // nodes of exactly that size go too: never too many
  }
  auto kept = [&](std::uint32_t i) {
    return i == 0 || std::max(view[i].total, view[i].base_total) >= least;
  };

  Strings strings;
  std::map<std::string, bool> kinds;
  JsonWriter nodes;
  nodes.begin_array();
  std::uint64_t written = 0;
  std::vector<std::uint32_t> stack{0};
  while (!stack.empty()) {  // preorder, iteratively: stacks may be thousands deep
    std::uint32_t i = stack.back();
    stack.pop_back();
    const FlameViewNode& n = view[i];
    std::uint32_t children = 0;
    for (std::uint32_t c : n.children) children += kept(c);
    nodes.begin_array();
    nodes.value(strings.id(n.node->name)).value(strings.id(n.node->kind));
    nodes.value(strings.id(n.node->file)).value(n.node->line).value(strings.id(n.node->module));
    nodes.value(n.self).value(n.total).value(children);
    if (with_base) nodes.value(n.base_self).value(n.base_total);
    nodes.end_array();
    kinds[n.node->kind] = true;
    ++written;
    for (auto c = n.children.rbegin(); c != n.children.rend(); ++c) {
      if (kept(*c)) stack.push_back(*c);
    }
  }
  nodes.end_array();

  json.key("strings").begin_array();
  for (const std::string* s : strings.list()) json.value(*s);
  json.end_array();
  json.key("kinds").begin_array();
  for (const auto& [kind, unused] : kinds) {
    if (kind == "all" || kind == "process") continue;
    json.begin_object().field("kind", kind).field("color", window.kind_color(kind)).end_object();
  }
  json.end_array();
  json.field("pruned", static_cast<std::uint64_t>(view.size() - written));
  json.key("nodes");
  // The nodes were written apart (strings had to be numbered first): splice them in.
  json.raw(nodes.text());
}

}  // namespace ember::ui
