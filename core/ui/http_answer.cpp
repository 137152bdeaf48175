#include "http_answer.hpp"

#include <httplib.h>

#include <memory>

#include "api.hpp"
#include "http_encoding.hpp"

namespace ember::ui {

void set_body(const httplib::Request& req, httplib::Response& res, std::string body,
              const std::string& content_type) {
  res.set_header("Vary", "Accept-Encoding");
  if (auto gzipped = gzipped_body(req.get_header_value("Accept-Encoding"), content_type, body)) {
    res.set_header("Content-Encoding", "gzip");
    body = std::move(*gzipped);
  }
  if (body.empty()) return res.set_content(body, content_type);
  auto shared = std::make_shared<const std::string>(std::move(body));
  res.set_content_provider(shared->size(), content_type,
                           [shared](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             return sink.write(shared->data() + offset, length);
                           });
}

void send_answer(const httplib::Request& req, httplib::Response& res, const ApiResponse& answer) {
  res.status = answer.status;
  if (!answer.filename.empty()) {
    res.set_header("Content-Disposition", "attachment; filename=\"" + answer.filename + "\"");
  }
  res.set_header("Cache-Control", "no-store");
  set_body(req, res, answer.body, answer.content_type);
}

}  // namespace ember::ui
