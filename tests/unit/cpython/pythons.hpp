// The CPython installations the tests run against: every pyenv version and
// Debian's /usr/bin/python3.11. Missing pyenv fails the test under CI and
// skips it elsewhere, with the reason.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ember::cpython::testing {

struct Python {
  std::string label;        // "pyenv 3.9.18", "/usr/bin/python3.11"
  std::string interpreter;  // what to run
  std::string binary;       // the ELF object holding the runtime
};

// Output of a command (stdout), nullopt when it could not run or failed.
inline std::optional<std::string> run(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  std::array<char, 4096> buffer{};
  std::size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  int status = ::pclose(pipe);
  if (status != 0) return std::nullopt;
  return out;
}

inline std::filesystem::path pyenv_root() {
  if (const char* root = std::getenv("PYENV_ROOT"); root && *root) return root;
  if (auto out = run("pyenv root 2>/dev/null"); out && !out->empty()) {
    return out->substr(0, out->find_last_not_of("\n") + 1);
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/root") / ".pyenv";
}

// The versions ember claims to support, each must be installed.
inline const std::vector<std::string>& expected_minors() {
  static const std::vector<std::string> minors = {"2.7",  "3.6",  "3.7",  "3.8", "3.9",
                                                  "3.10", "3.11", "3.12", "3.13"};
  return minors;
}

// Every installed pyenv version with a shared libpython.
inline std::vector<Python> pyenv_pythons() {
  namespace fs = std::filesystem;
  std::vector<Python> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(pyenv_root() / "versions", ec)) {
    std::string version = entry.path().filename().string();
    std::size_t dot = version.find('.', version.find('.') + 1);
    std::string minor = version.substr(0, dot);
    fs::path lib = entry.path() / "lib";
    for (const char* suffix : {"", "m"}) {
      fs::path so = lib / ("libpython" + minor + suffix + ".so.1.0");
      if (fs::exists(so)) {
        out.push_back({"pyenv " + version, (entry.path() / "bin" / ("python" + minor)).string(),
                       so.string()});
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Python& a, const Python& b) { return a.label < b.label; });
  return out;
}

// GTEST_SKIP or FAIL when pyenv is missing; returns false then.
#define EMBER_REQUIRE_PYENV(pythons)                                                       \
  do {                                                                                     \
    if ((pythons).empty()) {                                                               \
      std::string why = "no pyenv CPython versions under " +                               \
                        ::ember::cpython::testing::pyenv_root().string() +                 \
                        "/versions (install pyenv's 2.7, 3.6-3.13 with shared libpython)"; \
      if (std::getenv("CI")) FAIL() << why;                                                \
      GTEST_SKIP() << why;                                                                 \
    }                                                                                      \
  } while (0)

inline std::vector<Python> all_pythons() {
  std::vector<Python> out = pyenv_pythons();
  if (std::filesystem::exists("/usr/bin/python3.11")) {
    out.push_back({"/usr/bin/python3.11", "/usr/bin/python3.11", "/usr/bin/python3.11"});
  }
  return out;
}

}  // namespace ember::cpython::testing
