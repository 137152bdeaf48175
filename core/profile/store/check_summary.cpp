#include "check_summary.hpp"

#include <sstream>
#include <vector>

namespace ember::store {

std::string summarize_check(const std::string& verdict, std::size_t shown) {
  std::vector<std::string> problems;
  std::istringstream lines(verdict);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.starts_with("*** in database")) continue;
    problems.push_back(line);
  }
  if (problems.size() <= 1) return problems.empty() ? verdict : problems[0];
  std::string text = std::to_string(problems.size()) + " problems: ";
  for (std::size_t i = 0; i < problems.size() && i < shown; ++i) {
    text += (i ? "; " : "") + problems[i];
  }
  if (problems.size() > shown) {
    text += " (and " + std::to_string(problems.size() - shown) + " more)";
  }
  return text;
}

}  // namespace ember::store
