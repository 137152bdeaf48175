// Answers as HTTP responses, for the UI's server and the fleet server alike:
// bodies gzipped when the client takes them (http_encoding.hpp) and handed to
// cpp-httplib as content of a known length, which it sends as it is (a body
// given to set_content it would compress again, with Brotli at its slowest).
#pragma once

#include <string>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace ember::ui {

struct ApiResponse;

// `body` as the response's content, gzipped when the client takes it.
void set_body(const httplib::Request& req, httplib::Response& res, std::string body,
              const std::string& content_type);

// An API answer: its status, its file name when it is a download, not cached.
void send_answer(const httplib::Request& req, httplib::Response& res, const ApiResponse& answer);

}  // namespace ember::ui
