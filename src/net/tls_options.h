// What a listener's TLS is made of, without the TLS library: headers of listeners include this,
// only their translation units include net/tls_context.h (Boost.Asio's SSL layer).
#pragma once

#include <string>

namespace ncc {

// TLS for a listener (PEM files): HTTP and the WebSocket stream, the CoT listener.
struct TlsOptions {
  std::string cert_file;       // certificate chain, leaf first
  std::string key_file;        // its private key
  std::string client_ca_file;  // when set, client certificates must chain to it
  bool require_client_cert = false;
};

}  // namespace ncc
