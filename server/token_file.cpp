#include "token_file.hpp"

#include <cerrno>
#include <strings.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace ember::server {

Status Tokens::load(const std::string& path, Tokens& out) {
  std::ifstream in(path);
  if (!in) {
    return Status::error("cannot read the token file " + path + ": " + std::strerror(errno) +
                         " (one token per line, optionally followed by a name)");
  }
  Tokens tokens;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string token, name;
    if (!(words >> token) || token[0] == '#') continue;
    words >> name;
    if (name.empty()) name = "token " + std::to_string(tokens.names_.size() + 1);
    tokens.names_.emplace(token, name);
  }
  if (tokens.names_.empty()) {
    return Status::error("the token file " + path + " holds no token: every request would be "
                         "refused (one token per line, optionally followed by a name)");
  }
  out = std::move(tokens);
  return Status::ok();
}

TokenCheck Tokens::check(const std::string& authorization, std::string& name) const {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.c_str(), kScheme.data(), kScheme.size()) != 0) {
    return TokenCheck::missing;
  }
  std::string token = authorization.substr(kScheme.size());
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
  auto it = names_.find(token);
  if (it == names_.end()) return TokenCheck::unknown;
  name = it->second;
  return TokenCheck::accepted;
}

}  // namespace ember::server
