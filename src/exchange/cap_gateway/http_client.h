// One HTTP/1.1 exchange, synchronous, with a deadline: what the CAP gateway needs to poll a
// partner's feed (GET with If-None-Match / If-Modified-Since) and hand alerts to ncc (POST).
// https:// verifies the peer's certificate chain against the system's CAs (or `ca_file`) and
// its host name; plain http:// is for loopback and closed networks. Bodies are capped.
// Thread: none of its own; call from any thread.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "core/status.h"

namespace ncc::cap_gateway {

struct Url {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  int port = 0;
  std::string target;  // path and query, at least "/"
  std::string text;    // as given, for messages
};

// InvalidArgument naming `field` unless http:// or https://, a host, an optional port 1..65535;
// no credentials in the URL.
StatusOr<Url> ParseUrl(const std::string& text, const std::string& field);

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct HttpCall {
  std::string method = "GET";
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::milliseconds timeout{15'000};
  size_t max_body = 4 << 20;
  std::string ca_file;  // https: trust these CAs instead of the system's
};

// kUnavailable for a network, TLS or protocol failure (naming the URL), kResourceExhausted
// for an answer larger than `max_body`; any HTTP status is an answer, not an error.
StatusOr<HttpAnswer> Exchange(const Url& url, const HttpCall& call);

}  // namespace ncc::cap_gateway
