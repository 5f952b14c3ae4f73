#include "net/tls_context.h"

namespace ncc {

namespace net = boost::asio;

StatusOr<net::ssl::context> MakeTlsContext(const TlsOptions& o) {
  net::ssl::context ctx(net::ssl::context::tls_server);
  boost::system::error_code ec;
  ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                  net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                  net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  // TLS 1.2: forward secrecy and AEAD only (no static RSA key exchange, no CBC); TLS 1.3's
  // suites are all of that kind already.
  if (SSL_CTX_set_cipher_list(ctx.native_handle(),
                              "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                              "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                              "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1)
    return Internal("no usable TLS 1.2 cipher suite in this OpenSSL");
  SSL_CTX_set_options(ctx.native_handle(),
                      SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  ctx.use_certificate_chain_file(o.cert_file, ec);
  if (ec)
    return InvalidArgument("cannot use certificate " + o.cert_file + ": " + ec.message(),
                           "tls-cert");
  ctx.use_private_key_file(o.key_file, net::ssl::context::pem, ec);
  if (ec)
    return InvalidArgument("cannot use private key " + o.key_file + ": " + ec.message(), "tls-key");
  if (!SSL_CTX_check_private_key(ctx.native_handle()))
    return InvalidArgument("private key " + o.key_file + " does not match the certificate",
                           "tls-key");
  if (!o.client_ca_file.empty()) {
    ctx.load_verify_file(o.client_ca_file, ec);
    if (ec)
      return InvalidArgument("cannot use client CA " + o.client_ca_file + ": " + ec.message(),
                             "tls-client-ca");
    auto mode = net::ssl::verify_peer;
    if (o.require_client_cert) mode |= net::ssl::verify_fail_if_no_peer_cert;
    ctx.set_verify_mode(mode);
  } else if (o.require_client_cert) {
    return InvalidArgument("requiring client certificates needs --tls-client-ca", "tls-client-ca");
  }
  return ctx;
}

std::string VerifiedPeerName(SSL* ssl) {
  if (SSL_get_verify_result(ssl) != X509_V_OK) return {};
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return {};
  std::string name;
  char buf[256];
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  if (n > 0 && static_cast<size_t>(n) < sizeof buf) name.assign(buf, static_cast<size_t>(n));
  X509_free(cert);
  return name;
}

}  // namespace ncc
