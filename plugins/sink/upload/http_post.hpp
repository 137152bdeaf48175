// One HTTP(S) POST through libcurl (Debian's, OpenSSL flavour): TLS with the
// system's CA store (or ca_file) when the URL is https, certificates always
// verified, redirects never followed (the token must not travel elsewhere),
// and abortable from another thread, so closing the sink never waits out a
// server that stopped answering.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace ember::upload_sink {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string ca_file;        // "" = the system's CA certificates
  long timeout_seconds = 30;  // the whole exchange; connecting: at most 10 s
};

struct HttpResponse {
  long status = 0;     // 0: no answer (error says why)
  std::string error;   // curl's reason when there was no answer
  std::string body;    // the first KiB of the answer, for messages
};

// `text` percent-encoded for a URL's query.
std::string url_escape(const std::string& text);

// Once per process, before any thread posts: curl_global_init.
void init_http();

// Sets `abort` from another thread to cut a transfer short (error "aborted").
HttpResponse http_post(const HttpRequest& request, const std::atomic<bool>& abort);

}  // namespace ember::upload_sink
