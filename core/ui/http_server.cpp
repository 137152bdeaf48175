#include "http_server.hpp"

#include <httplib.h>

#include "http_bind.hpp"
#include "http_answer.hpp"
#include "ui_assets.hpp"

namespace ember::ui {
namespace {

// The host part of a Host header: "127.0.0.1:8080" -> 127.0.0.1, "[::1]:80" -> ::1.
std::string host_of(const std::string& header) {
  if (!header.empty() && header.front() == '[') {
    std::size_t close = header.find(']');
    return close == std::string::npos ? header : header.substr(1, close - 1);
  }
  return header.substr(0, header.find(':'));
}

Params params_of(const httplib::Request& req) {
  return Params(req.params.begin(), req.params.end());
}

}  // namespace

UiServer::UiServer(const Api& api)
    : UiServer([&api](std::string_view path, const Params& params) {
        return api.handle(path, params);
      }) {}

UiServer::UiServer(ApiHandler api)
    : api_(std::move(api)), server_(std::make_unique<httplib::Server>()) {
  route();
}

UiServer::~UiServer() = default;

void UiServer::route() {
  server_->set_payload_max_length(64 * 1024);
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:");
    if (loopback_ && !is_loopback_host(host_of(req.get_header_value("Host")))) {
      send_answer(req, res, error_response(403, "this server answers loopback names only (Host: " +
                                        req.get_header_value("Host") + ")"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server_->Get(R"(/api/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    send_answer(req, res, api_(req.path, params_of(req)));
  });
  server_->Get(R"(/.*)", [](const httplib::Request& req, httplib::Response& res) {
    const UiAsset* asset = find_ui_asset(req.path);
    if (!asset && ui_assets().empty() && req.path == "/") {
      res.status = 503;
      res.set_content(
          "ember was built without its web UI (web/node_modules was missing: run "
          "scripts/install-deps.sh and build again); the JSON API under /api/v1/ works.\n",
          "text/plain; charset=utf-8");
      return;
    }
    if (!asset) {
      res.status = 404;
      res.set_content("not found: " + req.path + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    set_body(req, res, std::string(asset->data), std::string(asset->content_type));
  });
  auto refuse = [](const httplib::Request& req, httplib::Response& res) {
    send_answer(req, res, error_response(405, "the UI's server answers GET requests only"));
  };
  server_->Post(R"(/.*)", refuse);
  server_->Put(R"(/.*)", refuse);
  server_->Delete(R"(/.*)", refuse);
}

Status UiServer::bind(const ListenAddress& address) {
  loopback_ = is_loopback_host(address.host);
  Status bound = bind_http(*server_, address, port_);
  if (bound) return bound;
  return Status::error(bound.message() +
                       " (is another server on that port, such as the agent serving the UI "
                       "([ui] enabled) or another ember ui? Pick another port; port 0 takes "
                       "any free one)");
}

Status UiServer::run() {
  if (!server_->listen_after_bind()) {
    return Status::error("the HTTP server stopped unexpectedly");
  }
  return Status::ok();
}

void UiServer::stop() { server_->stop(); }

}  // namespace ember::ui
