// Rows summed per key, in place: sorted by key(row), the counts of rows with
// equal keys added into the first of them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ember::store {

template <typename Row, typename Key>
void sum_rows_by(std::vector<Row>& rows, Key key) {
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) { return key(a) < key(b); });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (kept != 0 && key(rows[kept - 1]) == key(rows[i])) {
      rows[kept - 1].count += rows[i].count;
    } else {
      rows[kept++] = rows[i];
    }
  }
  rows.resize(kept);
}

}  // namespace ember::store
