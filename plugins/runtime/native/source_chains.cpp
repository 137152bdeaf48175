#include "source_chains.hpp"

#include <functional>
#include <optional>

namespace ember::native {
namespace {

// A dead chain's weak reference keeps its control block: let go of those
// every this many chains added.
constexpr std::size_t kSweepEvery = 4096;

}  // namespace

std::uint32_t SourceChains::Strings::id(std::string_view text) {
  const auto hash = static_cast<std::uint32_t>(std::hash<std::string_view>{}(text));
  std::optional<std::uint32_t> known =
      ids_.find_if(hash, [&](std::uint32_t id) { return texts_[id] == text; });
  if (known) return *known;
  auto id = static_cast<std::uint32_t>(texts_.size());
  texts_.emplace_back(text);
  ids_.insert(hash, id);
  return id;
}

void SourceChains::Strings::clear() {
  ids_.clear();
  texts_.clear();
}

SourceChains::SourceChains() { file_id(""); }

std::size_t SourceChains::hash(std::span<const Site> sites) const {
  std::size_t seed = sites.size();
  auto mix = [&seed](std::size_t value) {
    seed ^= value + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2);
  };
  for (const Site& site : sites) {
    mix(site.name);
    mix(site.file);
    mix(site.line);
    mix(site.inlined);
  }
  return seed;
}

std::uint32_t SourceChains::add(std::span<const Site> sites) {
  const auto content = static_cast<std::uint32_t>(hash(sites));
  std::optional<std::uint32_t> same = by_content_.find_if(content, [&](std::uint32_t id) {
    const Chain& chain = chains_[id];
    return std::equal(sites.begin(), sites.end(), sites_.begin() + chain.first,
                      sites_.begin() + chain.first + chain.count);
  });
  if (same) return *same;
  auto id = static_cast<std::uint32_t>(chains_.size());
  chains_.push_back(Chain{
      static_cast<std::uint32_t>(sites_.size()), static_cast<std::uint32_t>(sites.size()), {}});
  sites_.insert(sites_.end(), sites.begin(), sites.end());
  by_content_.insert(content, id);
  if (chains_.size() % kSweepEvery == 0) {
    for (Chain& chain : chains_) {
      if (chain.live.expired()) chain.live.reset();
    }
  }
  return id;
}

ChainHandle SourceChains::frames(std::uint32_t id, std::string_view module) {
  Chain& chain = chains_[id];
  ChainHandle live = chain.live.lock();
  if (live && live->front()->module == module) return live;
  FrameChain made;
  made.reserve(chain.count);
  for (std::uint32_t i = chain.first; i < chain.first + chain.count; ++i) {
    const Site& site = sites_[i];
    Frame frame;
    frame.name = names_.at(site.name);
    frame.module = std::string(module);
    frame.file = files_.at(site.file);
    frame.line = site.line;
    frame.kind = frame_kind::native;
    frame.inlined = site.inlined;
    made.push_back(frames_.intern(std::move(frame)));
  }
  // Apart from its control block, so a dead chain's weak reference keeps
  // only the block until the next sweep. The same object under a second
  // name (rare) gets its chain made each time.
  ChainHandle handle(new const FrameChain(std::move(made)));
  if (!live) chain.live = handle;
  return handle;
}

void SourceChains::clear() {
  names_.clear();
  files_.clear();
  file_id("");
  sites_.clear();
  chains_.clear();
  by_content_.clear();
}

}  // namespace ember::native
