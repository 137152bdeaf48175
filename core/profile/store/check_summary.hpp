// SQLite's quick_check answers a damaged file with one message per problem,
// a hundred lines in one string: a log record wants the count and a few.
#pragma once

#include <cstddef>
#include <string>

namespace ember::store {

// "97 problems: Page 5: never used; Page 6: never used; ... (and 94 more)":
// the problems of a quick_check verdict (its "*** in database main ***"
// headers dropped), at most `shown` of them, on one line.
std::string summarize_check(const std::string& verdict, std::size_t shown = 3);

}  // namespace ember::store
