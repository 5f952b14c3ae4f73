#include "auth/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace ncc::auth {

StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return Internal("RAND_bytes failed");
  return out;
}

StatusOr<std::string> NewToken(std::string_view prefix) {
  StatusOr<std::string> raw = RandomBytes(32);
  if (!raw.ok()) return raw.status();
  std::string token(prefix);
  token += Base64Url(*raw);
  OPENSSL_cleanse(raw->data(), raw->size());
  return token;
}

StatusOr<std::string> NewPassword(size_t length) {
  // 56 symbols (no 0/O, 1/l/I): about 5.8 bits each, 20 characters give 116 bits.
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string out;
  while (out.size() < length) {
    StatusOr<std::string> raw = RandomBytes(32);
    if (!raw.ok()) return raw.status();
    for (unsigned char c : *raw) {
      // Rejection sampling keeps every symbol equally likely.
      const unsigned limit = 256 - 256 % kAlphabet.size();
      if (c < limit && out.size() < length) out += kAlphabet[c % kAlphabet.size()];
    }
    OPENSSL_cleanse(raw->data(), raw->size());
  }
  return out;
}

namespace {

// OpenSSL 3's one-shot SHA256() looks the algorithm up on every call (~0.45 us here); every
// authenticated request hashes its token, so the algorithm is fetched once and each thread
// keeps one digest context (~0.09 us).
struct Sha256Context {
  Sha256Context() : md(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx(EVP_MD_CTX_new()) {}
  ~Sha256Context() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
  Sha256Context(const Sha256Context&) = delete;
  Sha256Context& operator=(const Sha256Context&) = delete;
  EVP_MD* md;
  EVP_MD_CTX* ctx;
};

}  // namespace

Digest Sha256(std::string_view data) {
  Digest d;
  thread_local Sha256Context c;
  unsigned int len = 0;
  if (c.md && c.ctx && EVP_DigestInit_ex2(c.ctx, c.md, nullptr) == 1 &&
      EVP_DigestUpdate(c.ctx, data.data(), data.size()) == 1 &&
      EVP_DigestFinal_ex(c.ctx, d.data(), &len) == 1 && len == d.size())
    return d;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data());
  return d;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Hex(const Digest& d) {
  return Hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string Base64Url(std::string_view bytes) {
  static constexpr char kSymbols[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kSymbols[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kSymbols[(acc << (6 - bits)) & 63];
  return out;  // unpadded: tokens travel in headers and URLs
}

std::optional<std::string> FromHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ncc::auth
