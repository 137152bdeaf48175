#include "profile_diff.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace ember::report {

std::vector<FunctionDelta> diff_functions(const FunctionTable& before, const FunctionTable& after) {
  // Ties in the sort below keep this order: by name, then built-in kinds in
  // their former enum order, then other kinds by name.
  std::map<std::tuple<std::string, std::size_t, std::string, std::string>, FunctionDelta>
      by_function;
  auto entry = [&](const FunctionStats& f) -> FunctionDelta& {
    FunctionDelta& d = by_function[std::make_tuple(f.name, builtin_frame_kind_index(f.kind),
                                                   f.kind, f.file)];
    d.name = f.name;
    d.kind = f.kind;
    d.file = f.file;
    return d;
  };
  for (const FunctionStats& f : before.functions) {
    FunctionDelta& d = entry(f);
    d.total_before = before.total_share(f);
    d.self_before = before.self_share(f);
  }
  for (const FunctionStats& f : after.functions) {
    FunctionDelta& d = entry(f);
    d.total_after = after.total_share(f);
    d.self_after = after.self_share(f);
  }
  std::vector<FunctionDelta> out;
  out.reserve(by_function.size());
  for (auto& [key, d] : by_function) out.push_back(std::move(d));
  std::stable_sort(out.begin(), out.end(), [](const FunctionDelta& a, const FunctionDelta& b) {
    return std::make_tuple(std::fabs(b.total_delta()), std::fabs(b.self_delta())) <
           std::make_tuple(std::fabs(a.total_delta()), std::fabs(a.self_delta()));
  });
  return out;
}

}  // namespace ember::report
