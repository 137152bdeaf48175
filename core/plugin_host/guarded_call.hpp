// Plugins must not throw (ember/runtime_plugin.hpp), but one that does must
// not take the agent down: every call into a plugin goes through this.
#pragma once

#include <exception>
#include <string>

#include "ember/status.hpp"

namespace ember {

// Runs `call` (returning Status or void); an exception becomes an error Status.
template <typename Call>
Status guarded_call(const std::string& what, Call&& call) {
  try {
    if constexpr (std::is_void_v<decltype(call())>) {
      call();
      return Status::ok();
    } else {
      return call();
    }
  } catch (const std::exception& error) {
    return Status::error(what + " threw: " + error.what());
  } catch (...) {
    return Status::error(what + " threw an unknown exception");
  }
}

}  // namespace ember
