#include "http_module.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "plugin_host/install_layout.hpp"
#include "plugin_host/plugin_file_trust.hpp"

namespace ember::cli {
namespace {

Status load_once(const http::Entry*& out) {
  const std::string path = http_module_path();
  const std::string fix = " (ember's HTTP side: the web UI, `ember server` and `ember report "
                          "--server`; reinstall ember to get it back)";
  if (::access(path.c_str(), F_OK) != 0) {
    return Status::error("cannot load " + path + ": " + std::strerror(errno) + fix);
  }
  // The agent runs as root: the module's file is held to the plugins' rules.
  if (Status trusted = check_plugin_file_chain_trusted(path); !trusted) {
    return Status::error(trusted.message() + fix);
  }
  // RTLD_LOCAL: its copies of the profile library and the rest stay its own.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return Status::error("cannot load " + path + ": " + dlerror() + fix);
  auto entry_of = reinterpret_cast<const http::Entry* (*)()>(dlsym(handle, "ember_http_entry"));
  if (!entry_of) return Status::error(path + " exports no ember_http_entry" + fix);
  const http::Entry* entry = entry_of();
  if (entry->interface != http::kEntryInterface || std::string(entry->version) != EMBER_VERSION) {
    return Status::error(path + " is of ember " + entry->version + " (interface " +
                         std::to_string(entry->interface) + "), this binary of ember " +
                         EMBER_VERSION + " (interface " + std::to_string(http::kEntryInterface) +
                         ")" + fix);
  }
  out = entry;
  return Status::ok();
}

}  // namespace

std::string http_module_path() { return ember_lib_path("ember-http.so"); }

Status load_http_module(const http::Entry*& out) {
  static std::once_flag once;
  static const http::Entry* entry = nullptr;
  static Status loaded = Status::ok();
  std::call_once(once, [] { loaded = load_once(entry); });
  out = entry;
  return loaded;
}

}  // namespace ember::cli
