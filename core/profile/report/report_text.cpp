#include "report_text.hpp"

#include <cstdio>

namespace ember::report {
namespace {

std::string function_label(const std::string& name, const std::string& file) {
  return file.empty() ? name : name + "  (" + file + ")";
}

std::string line(const char* format, auto... args) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return buffer;
}

}  // namespace

std::string top_table(const FunctionTable& table, const std::string& heading, std::size_t limit) {
  std::string out = heading;
  out +=
      line("\n%7s %9s %7s %9s  %-7s %s\n", "SELF%", "SELF", "TOTAL%", "TOTAL", "KIND", "FUNCTION");
  std::size_t rows = 0;
  for (const FunctionStats& f : table.functions) {
    if (limit && rows == limit) break;
    ++rows;
    out += line("%6.2f%% %9llu %6.2f%% %9llu  %-7s ", 100 * table.self_share(f),
                static_cast<unsigned long long>(f.self), 100 * table.total_share(f),
                static_cast<unsigned long long>(f.total), f.kind.c_str());
    out += function_label(f.name, f.file) + "\n";
  }
  if (std::size_t more = table.functions.size() - rows + table.left_out) {
    out += line("(%zu more; --limit 0 shows all)\n", more);
  }
  return out;
}

std::string diff_table(const std::vector<FunctionDelta>& deltas, const std::string& heading,
                       std::size_t limit, std::size_t left_out) {
  std::string out = heading;
  out += "\n  TOTAL%                      SELF%\n";
  out +=
      line("%8s %8s %8s %8s  %-7s %s\n", "before", "after", "delta", "delta", "KIND", "FUNCTION");
  std::size_t rows = 0;
  for (const FunctionDelta& d : deltas) {
    if (limit && rows == limit) break;
    ++rows;
    out += line("%7.2f%% %7.2f%% %+8.2f %+8.2f  %-7s ", 100 * d.total_before, 100 * d.total_after,
                100 * d.total_delta(), 100 * d.self_delta(), d.kind.c_str());
    out += function_label(d.name, d.file) + "\n";
  }
  if (std::size_t more = deltas.size() - rows + left_out) {
    out += line("(%zu more; --limit 0 shows all)\n", more);
  }
  return out;
}

}  // namespace ember::report
