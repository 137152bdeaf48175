#include "debuginfod_library.hpp"

#include <dlfcn.h>

#include <mutex>

namespace ember::native {
namespace {

template <typename Function>
bool resolve(void* handle, const char* name, Function& out, std::string& error) {
  out = reinterpret_cast<Function>(::dlsym(handle, name));
  if (!out) error = std::string(DEBUGINFOD_SONAME " has no ") + name;
  return out != nullptr;
}

}  // namespace

const DebuginfodLibrary* DebuginfodLibrary::load(std::string& error) {
  static std::mutex mutex;
  static DebuginfodLibrary library;
  static bool loaded = false;
  static std::string load_error;
  std::lock_guard lock(mutex);
  if (!loaded && load_error.empty()) {
    void* handle = ::dlopen(DEBUGINFOD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = ::dlerror();
      load_error = std::string("cannot load " DEBUGINFOD_SONAME " (Debian: apt-get install "
                               "libdebuginfod1): ") +
                   (why ? why : "unknown error");
    } else if (resolve(handle, "debuginfod_begin", library.begin, load_error) &&
               resolve(handle, "debuginfod_end", library.end, load_error) &&
               resolve(handle, "debuginfod_find_debuginfo", library.find_debuginfo, load_error) &&
               resolve(handle, "debuginfod_set_progressfn", library.set_progressfn, load_error)) {
      loaded = true;  // the handle stays open for the life of the process
    }
  }
  error = load_error;
  return loaded ? &library : nullptr;
}

}  // namespace ember::native
