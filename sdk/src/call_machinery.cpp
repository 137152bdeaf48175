#include "ember/call_machinery.hpp"

#include <algorithm>

namespace ember {

void CallMachinery::add_object(std::string module) {
  if (std::find(objects_.begin(), objects_.end(), module) == objects_.end()) {
    objects_.push_back(std::move(module));
  }
}

void CallMachinery::add_symbols(std::initializer_list<std::string_view> patterns) {
  for (std::string_view pattern : patterns) {
    if (pattern.ends_with('*')) {
      prefixes_.emplace_back(pattern.substr(0, pattern.size() - 1));
    } else {
      names_.emplace(pattern);
    }
  }
}

bool CallMachinery::contains(const Frame& native) const {
  if (std::find(objects_.begin(), objects_.end(), native.module) == objects_.end()) return false;
  std::string_view name = native.name;
  // The native plugin names what it cannot symbolize "module+0x1a2b".
  if (name.size() > native.module.size() + 2 && name.starts_with(native.module) &&
      name.substr(native.module.size(), 3) == "+0x") {
    return unnamed_;
  }
  // GCC's clones (_PyEval_EvalFrameDefault.cold, slot_tp_call.isra.0) are
  // the function they were cut from; C identifiers have no dots.
  name = name.substr(0, name.find('.'));
  if (names_.find(name) != names_.end()) return true;
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [name](const std::string& prefix) { return name.starts_with(prefix); });
}

}  // namespace ember
