#include "exchange/webhooks/webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <arpa/inet.h>
#include <charconv>

#include "auth/secret.h"

namespace ncc::webhooks {
namespace {

Status BadUrl(const std::string& why) {
  return InvalidArgument(why, "url");
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  std::string h(host);
  return inet_pton(AF_INET, h.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

StatusOr<Target> CheckUrl(std::string_view url, const std::vector<std::string>& allowed) {
  if (url.size() > 2048) return BadUrl("at most 2048 characters");
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return BadUrl("must not contain spaces or control characters");
  Target t;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    rest = url.substr(8);
    t.tls = true;
    t.port = 443;
  } else {
    return BadUrl("only http:// and https:// URLs are delivered");
  }
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  t.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (size_t hash = t.target.find('#'); hash != std::string::npos) t.target.resize(hash);
  if (t.target.empty() || t.target[0] != '/') t.target = "/" + t.target;
  if (authority.find('@') != std::string_view::npos)
    return BadUrl("credentials in the URL are refused; the signature authenticates ncc");
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {  // [::1]:8080
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return BadUrl("malformed host");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return BadUrl("no host");
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535)
      return BadUrl("port must be 1..65535");
    t.port = static_cast<uint16_t>(p);
  }
  t.host = std::string(host);
  bool listed = false;
  for (const std::string& a : allowed) listed = listed || a == t.host;
  if (!IsLoopbackHost(t.host) && !listed)
    return BadUrl("host " + t.host +
                  " is not allowed: only loopback and hosts given with --webhook-allow");
  return t;
}

std::string Sign(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  return "sha256=" + auth::Hex(std::string_view(reinterpret_cast<const char*>(mac), len));
}

}  // namespace ncc::webhooks
