#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "api.hpp"
#include "http_commands.hpp"
#include "fleet_client.hpp"
#include "fleet_proxy.hpp"
#include "http_server.hpp"
#include "listen_address.hpp"
#include "signals.hpp"
#include "store_path.hpp"
#include "ui_assets.hpp"

namespace ember::cli {
namespace {

constexpr const char* kUiHelp = R"(Usage: ember ui [OPTIONS]
       ember ui --server URL --token-file FILE [--listen HOST:PORT]

Serves the web UI and its JSON API (docs/api.md) over the agent's local
store, or with --server over the fleet (ember server, docs/fleet.md), until
Ctrl-C. Open the printed address in a browser: pick a service
or process, select a time range on the CPU chart, read the flame graph,
compare two ranges, export what you see. Everything the page needs is in
ember (lib/ember/ember-http.so): nothing is fetched from the network.

  --store PATH        the store file; default: [sink.store] path of --config,
                      else of /etc/ember/ember.toml, else /var/lib/ember/ember.db
  --config FILE       take the store path and [ui] listen from this config
  --listen HOST:PORT  where to listen; default: [ui] listen of the config,
                      else 127.0.0.1:8080. Port 0 takes any free port. There
                      is no authentication: keep it on loopback and use an
                      SSH tunnel (ssh -L 8080:127.0.0.1:8080 HOST) from afar
  --server URL        the fleet server instead of a store: the page is served
                      here, its API requests asked of the server (every host;
                      the target picker lists hosts too)
  --token-file FILE   with --server: the bearer token to send (its first line);
                      the browser never sees it
  -h, --help          this help

Examples:
  ember ui
  ember ui --store /var/lib/ember/ember.db --listen 127.0.0.1:9090
  ember ui --server http://fleet:4040 --token-file ~/.ember-token
)";

}  // namespace

int ui_command(Arguments& args, std::int64_t (*now)()) {
  std::string store_path, config_path, listen, server_url, token_file;
  while (auto flag = args.next_flag()) {
    if (*flag == "--help" || *flag == "-h") {
      std::fputs(kUiHelp, stdout);
      return 0;
    } else if (*flag == "--store") {
      store_path = args.value();
    } else if (*flag == "--config") {
      config_path = args.value();
    } else if (*flag == "--listen") {
      listen = args.value();
    } else if (*flag == "--server") {
      server_url = args.value();
    } else if (*flag == "--token-file") {
      token_file = args.value();
    } else {
      return command_failed("ui", "unknown option " + *flag + " (see ember ui --help)", 2);
    }
  }
  if (args.failed()) return command_failed("ui", args.error() + " (see ember ui --help)", 2);
  if (server_url.empty() && !token_file.empty()) {
    return command_failed("ui", "--token-file goes with --server (a local store needs no token)", 2);
  }
  if (!server_url.empty() && !store_path.empty()) {
    return command_failed("ui", "--server reads the fleet, --store a local store: give one", 2);
  }

  Config config;
  bool loaded = false;
  Status read = load_default_config(config_path, config, loaded);
  if (!read) return command_failed("ui", read.message(), 2);
  if (store_path.empty() && loaded) store_path = store_of_config(config);
  if (store_path.empty()) store_path = kDefaultStore;
  if (listen.empty()) listen = config.ui_listen;
  ListenAddress address;
  Status parsed = parse_listen_address(listen, address);
  if (!parsed) return command_failed("ui", "--listen: " + parsed.message(), 2);

  try {
    std::unique_ptr<store::StoreReader> store;
    std::unique_ptr<ui::Api> api;
    std::unique_ptr<ui::UiServer> server;
    std::string source;
    if (!server_url.empty()) {
      std::string token;
      if (!token_file.empty()) {
        if (Status read = server::read_token(token_file, token); !read) return command_failed("ui", read.message(), 2);
      }
      server::FleetProxy proxy;
      if (Status made = server::FleetProxy::make(server_url, token, proxy); !made) {
        return command_failed("ui", made.message(), 2);
      }
      // A wrong token or address is said now, not on the page.
      ui::ApiResponse first = proxy.ask("/api/v1/summary", {});
      if (first.status == 401 || first.status == 403 || first.status == 502) {
        return command_failed("ui", "the fleet server at " + server_url + " answered " +
                    std::to_string(first.status) + ": " + first.body);
      }
      server = std::make_unique<ui::UiServer>(
          [proxy](std::string_view path, const ui::Params& params) { return proxy.ask(path, params); });
      source = "fleet server " + proxy.url();
    } else {
#ifdef __GLIBC__
      // A read of a day allocates and frees arrays of several MB over and
      // over (~150 MB at its peak): kept in the heap when freed instead of
      // unmapped, the next one reuses their pages instead of faulting fresh
      // ones in (a day's first flame graph: 50,000 -> 36,000 page faults).
      mallopt(M_MMAP_THRESHOLD, 32 << 20);
      mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
      Status opened = store::StoreReader::open(store_path, store);
      if (!opened) return command_failed("ui", opened.message());
      api = std::make_unique<ui::Api>(*store, now);
      server = std::make_unique<ui::UiServer>(*api);
      source = "store " + store_path;
    }
    Status bound = server->bind(address);
    if (!bound) return command_failed("ui", bound.message());

    std::string host = address.host.find(':') != std::string::npos ? "[" + address.host + "]"
                                                                    : address.host;
    std::printf("ember ui: serving http://%s:%d/ (%s)\n", host.c_str(), server->port(),
                source.c_str());
    if (ui::ui_assets().empty()) {
      std::printf("ember ui: this ember was built without its web UI; the API works\n");
    }
    if (!is_loopback_host(address.host)) {
      std::fprintf(stderr,
                   "ember ui: warning: %s is not a loopback address: anyone who can reach it "
                   "reads every profile %s (there is no authentication)\n",
                   address.host.c_str(), server_url.empty() ? "in the store" : "of the fleet");
    }
    std::fflush(stdout);

    install_stop_handlers();
    Status served = Status::ok();
    std::atomic<bool> finished{false};
    std::thread serving([&] {
      served = server->run();
      finished = true;
    });
    while (!stop_requested() && !finished) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    while (!finished) {  // a stop before the server runs is lost: repeat it
      server->stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    serving.join();
    if (!served) return command_failed("ui", served.message());
    return 0;
  } catch (const std::exception& e) {
    return command_failed("ui", e.what());
  }
}

}  // namespace ember::cli
