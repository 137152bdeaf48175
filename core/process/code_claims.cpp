#include "code_claims.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace ember {
namespace {

struct Claim {
  CodeRange range;
  std::size_t handler = 0;  // attach order
};

}  // namespace

void CodeClaims::clear() {
  owners_.clear();
  segments_.clear();
}

void CodeClaims::collect(const std::vector<std::unique_ptr<ProcessHandler>>& handlers) {
  clear();
  std::vector<Claim> claims;
  std::vector<CodeRange> ranges;
  for (std::size_t h = 0; h < handlers.size(); ++h) {
    ranges.clear();
    handlers[h]->code_ranges(ranges);
    for (const CodeRange& range : ranges) {
      if (range.start < range.end) claims.push_back(Claim{range, h});
    }
  }
  if (claims.empty()) return;

  // A sweep over the ranges' boundaries: between two boundaries the same
  // claims are open, and the best of them owns the addresses.
  struct Boundary {
    std::uint64_t at;
    bool opens;
    std::size_t claim;
  };
  std::vector<Boundary> boundaries;
  boundaries.reserve(claims.size() * 2);
  for (std::size_t c = 0; c < claims.size(); ++c) {
    boundaries.push_back({claims[c].range.start, true, c});
    boundaries.push_back({claims[c].range.end, false, c});
  }
  std::sort(boundaries.begin(), boundaries.end(),
            [](const Boundary& a, const Boundary& b) { return a.at < b.at; });
  // Best first: the narrowest, then the handler attached last.
  auto better = [&](std::size_t a, std::size_t b) {
    const Claim& x = claims[a];
    const Claim& y = claims[b];
    return std::make_tuple(x.range.end - x.range.start, ~x.handler, a) <
           std::make_tuple(y.range.end - y.range.start, ~y.handler, b);
  };
  std::set<std::size_t, decltype(better)> open(better);
  std::vector<std::size_t> owner_of_handler(handlers.size(), SIZE_MAX);
  for (std::size_t i = 0; i < boundaries.size();) {
    const std::uint64_t at = boundaries[i].at;
    for (; i < boundaries.size() && boundaries[i].at == at; ++i) {
      if (boundaries[i].opens) {
        open.insert(boundaries[i].claim);
      } else {
        open.erase(boundaries[i].claim);
      }
    }
    if (open.empty() || i == boundaries.size()) continue;
    const Claim& best = claims[*open.begin()];
    std::size_t& owner = owner_of_handler[best.handler];
    if (owner == SIZE_MAX) {
      owner = owners_.size();
      owners_.push_back(handlers[best.handler].get());
    }
    const std::uint64_t end = boundaries[i].at;
    if (!segments_.empty() && segments_.back().end == at && segments_.back().owner == owner &&
        segments_.back().cacheable == best.range.cacheable) {
      segments_.back().end = end;
    } else {
      segments_.push_back(Segment{at, end, owner, best.range.cacheable});
    }
  }
}

const CodeClaims::Segment* CodeClaims::find(std::uint64_t pc) const {
  auto after = std::upper_bound(segments_.begin(), segments_.end(), pc,
                                [](std::uint64_t value, const Segment& s) { return value < s.start; });
  if (after == segments_.begin()) return nullptr;
  const Segment& segment = *(after - 1);
  return pc < segment.end ? &segment : nullptr;
}

}  // namespace ember
