// Rows of ClickHouse's TabSeparated answers: fields split on tabs, its
// backslash escapes undone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ember::server {

// Calls `row` with each line's fields, unescaped.
template <typename RowFn>
void for_each_tsv_row(std::string_view text, RowFn&& row);

std::string tsv_unescape(std::string_view field);
std::vector<std::string> split_tsv_line(std::string_view line);

template <typename RowFn>
void for_each_tsv_row(std::string_view text, RowFn&& row) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty()) row(split_tsv_line(line));
  }
}

}  // namespace ember::server
