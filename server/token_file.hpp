// The server's bearer tokens: a file with one token per line, optionally
// followed by whitespace and a name the logs use for it ("s3cr3t web-hosts");
// blank lines and lines starting with '#' are skipped. Read at start; a
// missing, unreadable or empty file is an error (no token file at all means
// every request is refused, never that every request is let in).
#pragma once

#include <string>
#include <unordered_map>

#include "ember/status.hpp"

namespace ember::server {

enum class TokenCheck { accepted, missing, unknown };

class Tokens {
 public:
  static Status load(const std::string& path, Tokens& out);
  static Tokens of(std::unordered_map<std::string, std::string> names) {
    Tokens t;
    t.names_ = std::move(names);
    return t;
  }

  // An Authorization header's value: "Bearer TOKEN" with a known token is
  // accepted (`name` its name, else "token N"); nothing, or another scheme,
  // is missing; another token is unknown.
  TokenCheck check(const std::string& authorization, std::string& name) const;
  std::size_t size() const { return names_.size(); }

 private:
  std::unordered_map<std::string, std::string> names_;  // token -> name
};

}  // namespace ember::server
