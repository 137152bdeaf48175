// ClickHouse over its HTTP interface (port 8123 by default): one statement per
// POST, data rows in the body after the statement (INSERT ... FORMAT
// TabSeparated), answers read as text. A request that never reaches the server
// (refused, timed out) is told apart from one ClickHouse answered with an
// error, so ingest can say 503 for the first and 500 for the second.
#pragma once

#include <string>

namespace ember::server {

struct ClickHouseAnswer {
  bool reached = false;  // false: no HTTP answer (error says why)
  int status = 0;        // HTTP status when reached
  std::string body;      // the result, or ClickHouse's error text
  std::string error;     // the transport's reason when not reached

  bool ok() const { return reached && status == 200; }
  // For logs and messages: "ClickHouse at URL: ..." with the reason.
  std::string describe() const;
};

class ClickHouse {
 public:
  // `url`: http://host:port/ (a path or query is not accepted);
  // `database`: used for every statement that does not name one.
  ClickHouse(std::string url, std::string database);

  const std::string& url() const { return url_; }
  const std::string& database() const { return database_; }

  // `statement` alone, or followed by `data` (the rows of an INSERT).
  ClickHouseAnswer run(const std::string& statement, const std::string& data = "") const;

 private:
  std::string url_;
  std::string host_;
  int port_ = 8123;
  std::string database_;
};

// `text` as a ClickHouse string literal ('...' with \\ and \' escaped).
std::string sql_quote(const std::string& text);

}  // namespace ember::server
