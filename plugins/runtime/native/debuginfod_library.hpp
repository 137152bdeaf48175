// libdebuginfod, loaded with dlopen when debuginfod is turned on: the
// library brings libcurl and its TLS, Kerberos and LDAP libraries, a few MB
// of an agent that, by default, never fetches anything.
#pragma once

#include <elfutils/debuginfod.h>

#include <string>

namespace ember::native {

struct DebuginfodLibrary {
  decltype(&debuginfod_begin) begin = nullptr;
  decltype(&debuginfod_end) end = nullptr;
  decltype(&debuginfod_find_debuginfo) find_debuginfo = nullptr;
  decltype(&debuginfod_set_progressfn) set_progressfn = nullptr;

  // The process' one copy (loaded on first use, never unloaded); null with
  // `error` saying why when it cannot be loaded.
  static const DebuginfodLibrary* load(std::string& error);
};

}  // namespace ember::native
