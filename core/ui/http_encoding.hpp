// The encoding of an answer's body: gzip at zlib's fastest level when the
// client accepts it and the body is text worth it. cpp-httplib would pick
// Brotli at its highest quality for a browser (it asks for `br`), which took
// seconds per flame graph answer (~5 s for 600 KB), longer than computing it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ember::ui {

// Whether an Accept-Encoding header takes gzip (named or `*`, not at q=0).
bool accepts_gzip(std::string_view accept_encoding);

// `body` gzipped to send as Content-Encoding: gzip, or nothing when it is
// to go as it is: not accepted, not text (content types text/*, JSON,
// JavaScript, SVG), or under 1 KiB.
std::optional<std::string> gzipped_body(std::string_view accept_encoding,
                                        std::string_view content_type, std::string_view body);

}  // namespace ember::ui
