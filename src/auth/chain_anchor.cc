#include "auth/chain_anchor.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include "auth/secret.h"

namespace ncc::auth {

namespace {

namespace fs = std::filesystem;

std::string SignedText(uint64_t seq, int64_t time_ms, const std::string& head_hex,
                       const std::string& prev_sig_hex) {
  return "ncc-anchor-v1\n" + std::to_string(seq) + "\n" + std::to_string(time_ms) + "\n" +
         head_hex + "\n" + prev_sig_hex;
}

std::string HashHex(const Hash& h) {
  return Hex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteNewFile(const std::string& path, std::string_view data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Internal("cannot create " + path);
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::Ok() : Internal("cannot write " + path);
}

StatusOr<EVP_PKEY*> LoadOrCreateKey(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0)
      return FailedPrecondition(path + " is readable by others; chmod 600 it");
    StatusOr<std::string> pem = ReadFile(path);
    if (!pem.ok()) return pem.status();
    BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    OPENSSL_cleanse(pem->data(), pem->size());
    if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
      EVP_PKEY_free(key);
      return DataLoss(path + " holds no Ed25519 private key");
    }
    return key;
  }
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return Internal("Ed25519 key generation failed");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  Status s = WriteNewFile(path, std::string_view(data, static_cast<size_t>(len)), 0600);
  BIO_free(bio);  // BIO_free of a mem BIO clears nothing; the PEM lived only in this process
  if (!s.ok()) {
    EVP_PKEY_free(key);
    return s;
  }
  return key;
}

std::string RawPublicKey(EVP_PKEY* key) {
  std::string pub(32, '\0');
  size_t len = pub.size();
  EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(pub.data()), &len);
  pub.resize(len);
  return pub;
}

struct Line {
  uint64_t seq = 0;
  int64_t time_ms = 0;
  std::string head_hex, sig_hex;
};

std::optional<Line> ParseLine(const std::string& text) {
  std::istringstream in(text);
  std::string tag;
  Line l;
  if (!(in >> tag >> l.seq >> l.time_ms >> l.head_hex >> l.sig_hex) || tag != "A1") return {};
  std::string rest;
  if (in >> rest) return {};
  if (l.head_hex.size() != 64 || l.sig_hex.size() != 128) return {};
  return l;
}

// The complete lines of anchors.log, and the length of the file without a torn tail.
std::vector<std::string> CompleteLines(const std::string& text, size_t* complete_len) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  if (complete_len) *complete_len = start;
  return lines;
}

}  // namespace

ChainAnchor::ChainAnchor(EVP_PKEY* key, int fd, const Clock& clock, AnchorPolicy policy)
    : key_(key), fd_(fd), clock_(clock), policy_(policy) {}

ChainAnchor::~ChainAnchor() {
  EVP_PKEY_free(key_);
  if (fd_ >= 0) ::close(fd_);
}

StatusOr<std::unique_ptr<ChainAnchor>> ChainAnchor::Open(const std::string& dir, const Clock& clock,
                                                         AnchorPolicy policy) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Internal("cannot create " + dir + ": " + ec.message());
  std::string log_path = (fs::path(dir) / "anchors.log").string();
  const std::string key_path = (fs::path(dir) / "anchor.key").string();
  // anchors.log is created with the key, at the first start: a key without it means the
  // signed proof of how long the log was has been deleted. Refuse rather than start a new trail
  // that would accept a shortened log.
  if (fs::exists(key_path) && !fs::exists(log_path))
    return DataLoss(log_path + " is missing but " + key_path +
                    " exists: the signed anchors were deleted, so a shortened event log could "
                    "not be told; restore anchors.log (or move anchor.key away to start a new "
                    "trail knowingly)");
  StatusOr<EVP_PKEY*> key = LoadOrCreateKey(key_path);
  if (!key.ok()) return key.status();
  std::string pub_path = (fs::path(dir) / "anchor.pub").string();
  std::string pub_hex = Hex(RawPublicKey(*key)) + "\n";
  if (!fs::exists(pub_path)) (void)WriteNewFile(pub_path, pub_hex, 0644);

  int fd = ::open(log_path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    EVP_PKEY_free(*key);
    return Internal("cannot open " + log_path);
  }
  std::unique_ptr<ChainAnchor> a(new ChainAnchor(*key, fd, clock, policy));
  StatusOr<std::string> text = ReadFile(log_path);
  if (!text.ok()) return text.status();
  size_t complete = 0;
  std::vector<std::string> lines = CompleteLines(*text, &complete);
  if (complete != text->size() && ::ftruncate(fd, static_cast<off_t>(complete)) != 0)
    return Internal("cannot drop the torn tail of " + log_path);
  MutexLock lock(a->mu_);  // not shared yet; the analysis wants it all the same
  if (!lines.empty()) {
    std::optional<Line> last = ParseLine(lines.back());
    if (!last) return DataLoss(log_path + ": last line does not parse");
    a->last_seq_ = Seq{last->seq};
    a->last_ms_ = last->time_ms;
    a->last_sig_hex_ = last->sig_hex;
  } else {
    a->last_ms_ = clock.Now().ms;  // the time policy counts from the first start
  }
  return a;
}

Status ChainAnchor::Record(Seq seq, const Hash& head) {
  MutexLock lock(mu_);
  if (seq <= last_seq_)
    return InvalidArgument("anchor seq " + std::to_string(seq.value) + " is not past " +
                           std::to_string(last_seq_.value));
  const int64_t now = clock_.Now().ms;
  const std::string head_hex = HashHex(head);
  const std::string msg = SignedText(seq.value, now, head_hex, last_sig_hex_);
  std::string sig(64, '\0');
  size_t sig_len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_) == 1 &&
            EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                           reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || sig_len != 64) return Internal("Ed25519 signing failed");
  const std::string sig_hex = Hex(sig);
  const std::string line = "A1 " + std::to_string(seq.value) + " " + std::to_string(now) + " " +
                           head_hex + " " + sig_hex + "\n";
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::fsync(fd_) != 0)
    return Internal("cannot append to anchors.log");
  last_seq_ = seq;
  last_ms_ = now;
  last_sig_hex_ = sig_hex;
  return Status::Ok();
}

StatusOr<bool> ChainAnchor::MaybeRecord(Seq seq, const Hash& head) {
  {
    MutexLock lock(mu_);
    const bool due = seq.value >= last_seq_.value + policy_.every_events ||
                     (seq > last_seq_ && clock_.Now().ms - last_ms_ >= policy_.every_ms);
    if (!due) return false;
  }
  NCC_RETURN_IF_ERROR(Record(seq, head));
  return true;
}

std::string ChainAnchor::PublicKeyHex() const {
  return Hex(RawPublicKey(key_));
}

Seq ChainAnchor::last_seq() const {
  MutexLock lock(mu_);
  return last_seq_;
}

StatusOr<AnchorReport> VerifyAnchors(const std::string& anchors_path,
                                     const std::string& public_key_hex,
                                     const std::function<StatusOr<Hash>(Seq)>& hash_at) {
  std::string trimmed = public_key_hex.substr(0, public_key_hex.find_last_not_of(" \n\r\t") + 1);
  std::optional<std::string> pub = FromHex(trimmed);
  if (!pub || pub->size() != 32) return InvalidArgument("public key must be 64 hex characters");
  StatusOr<std::string> text = ReadFile(anchors_path);
  if (!text.ok()) return text.status();
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(pub->data()), 32);
  if (!key) return InvalidArgument("not an Ed25519 public key");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_owner(key, EVP_PKEY_free);

  AnchorReport report;
  std::string prev_sig_hex;
  int n = 0;
  for (const std::string& text_line : CompleteLines(*text, nullptr)) {
    ++n;
    const std::string where = "anchor line " + std::to_string(n);
    std::optional<Line> l = ParseLine(text_line);
    if (!l) return DataLoss(where + ": does not parse");
    std::optional<std::string> sig = FromHex(l->sig_hex);
    const std::string msg = SignedText(l->seq, l->time_ms, l->head_hex, prev_sig_hex);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok =
        sig && ctx && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key) == 1 &&
        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                         reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return DataLoss(where + ": bad signature (forged, edited, reordered or removed)");
    if (l->seq <= report.last_seq.value) return DataLoss(where + ": seq does not increase");
    StatusOr<Hash> h = hash_at(Seq{l->seq});
    const std::string at = " at seq " + std::to_string(l->seq);
    if (!h.ok()) {
      if (h.status().code() == StatusCode::kNotFound)
        return DataLoss("event log ends before anchor" + at);
      return h.status();
    }
    if (HashHex(*h) != l->head_hex) return DataLoss("event log differs from anchor" + at);
    prev_sig_hex = l->sig_hex;
    report.anchors = n;
    report.last_seq = Seq{l->seq};
    report.last_time = Time{l->time_ms};
  }
  return report;
}

}  // namespace ncc::auth
