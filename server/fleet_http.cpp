#include "fleet_http.hpp"

#include <httplib.h>

#include <cstdlib>

#include "http_answer.hpp"
#include "http_bind.hpp"

namespace ember::server {
namespace {

std::multimap<std::string, std::string> params_of(const httplib::Request& req) {
  return {req.params.begin(), req.params.end()};
}

}  // namespace

FleetHttp::FleetHttp(const Ingest& ingest, const FleetApi& api, const SchemaGate& schema,
                     const Tokens& tokens, const IngestCounters& counters)
    : ingest_(ingest),
      api_(api),
      schema_(schema),
      tokens_(tokens),
      counters_(counters),
      server_(std::make_unique<httplib::Server>()) {
  route();
}

FleetHttp::~FleetHttp() = default;

void FleetHttp::route() {
  server_->Post("/ingest", [this](const httplib::Request& req, httplib::Response& res,
                                  const httplib::ContentReader& read_body) {
    IngestRequest request;
    request.authorization = req.get_header_value("Authorization");
    request.entry = req.get_header_value("X-Ember-Entry");
    request.query = params_of(req);
    const std::uint64_t limit = ingest_.limits().max_body;
    // A declared length over the limit is refused unread; a chunked body is
    // read up to the limit.
    const std::string length = req.get_header_value("Content-Length");
    if (!length.empty() && std::strtoull(length.c_str(), nullptr, 10) > limit) {
      request.body_over_limit = true;
    } else {
      read_body([&](const char* data, std::size_t size) {
        if (request.body.size() + size > limit) {
          request.body_over_limit = true;
          return false;
        }
        request.body.append(data, size);
        return true;
      });
    }
    const IngestAnswer answer = ingest_.handle(request);
    res.status = answer.status;
    // What was left unread must not be taken for the next request.
    if (request.body_over_limit) res.set_header("Connection", "close");
    res.set_content(answer.message + "\n", "text/plain; charset=utf-8");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(counters_.prometheus(), "text/plain; version=0.0.4");
  });
  server_->Get(R"(/api/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    std::string who;
    switch (tokens_.check(req.get_header_value("Authorization"), who)) {
      case TokenCheck::missing:
        return ui::send_answer(req, res, ui::error_response(401, "an 'Authorization: Bearer TOKEN' header is required"));
      case TokenCheck::unknown:
        return ui::send_answer(req, res, ui::error_response(403, "the token is not one of the server's"));
      case TokenCheck::accepted: break;
    }
    if (!schema_.ready()) {
      return ui::send_answer(req, res, ui::error_response(503, "the server cannot read yet (its tables are created "
                                        "once ClickHouse answers): " + schema_.why_not()));
    }
    ui::send_answer(req, res, api_.handle(req.path, params_of(req)));
  });
}

Status FleetHttp::bind(const ListenAddress& address) {
  Status bound = bind_http(*server_, address, port_);
  if (bound) return bound;
  return Status::error(bound.message() + " (pick another port; 0 takes any free one)");
}

Status FleetHttp::run() {
  if (!server_->listen_after_bind()) return Status::error("the HTTP server stopped unexpectedly");
  return Status::ok();
}

void FleetHttp::stop() { server_->stop(); }

}  // namespace ember::server
