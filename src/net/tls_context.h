// The one TLS set-up for every listener that speaks TLS (HTTP/WebSocket in src/server, the
// CoT listener in src/exchange/cot): same protocol floor, same certificate checks,
// same client-certificate rules, and the same reading of a verified client certificate.
// Includes Boost.Asio's SSL layer: only listener translation units include this header.
#pragma once

// Boost 1.74's asio uses std::exchange without including <utility>: include it first.
#include <utility>

#include <boost/asio/ssl.hpp>
#include <string>

#include "core/status.h"
#include "net/tls_options.h"

namespace ncc {

// TLS 1.2+ with the server's certificate chain; with a client CA, clients that present a
// certificate must present one it signed (and, if required, every client must present one).
// Errors name the flag (--tls-cert, --tls-key, --tls-client-ca) and the file.
StatusOr<boost::asio::ssl::context> MakeTlsContext(const TlsOptions& options);

// The subject common name of the peer's certificate when the handshake verified one, else "".
// A CN that names an API key signs the connection in as that gateway
// (auth::TokenService::AuthenticateGatewayName).
std::string VerifiedPeerName(SSL* ssl);

}  // namespace ncc
