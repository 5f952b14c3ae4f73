// XML signatures on partners' documents (W3C XML-DSig, as CAP 1.2 section 3.3.2.1 uses them):
// an enveloped <Signature> on the root element, checked with Debian's libxmlsec1 (OpenSSL)
// against the partner certificates the centre trusts (`ncc serve --cap-trust FILE|DIR`, PEM;
// a partner's own certificate or the CA that issued it).
//
// Only what protects the whole document counts as verified: exactly one Reference, URI="" (the
// document itself, enveloped-signature transform), the Signature a child of the root; no
// reference is ever fetched (no network, no other files), so a signature cannot make ncc read
// anything. Anything else that carries a Signature is kInvalid with the reason.
// Thread: Verify may be called from any thread (calls are serialized inside: libxmlsec's key
// store is not documented as safe for concurrent use, and partner alerts are rare).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace ncc::xmldsig {

struct Verdict {
  enum class Kind { kUnsigned, kVerified, kInvalid };
  Kind kind = Kind::kUnsigned;
  std::string signer;  // kVerified: the signing certificate's subject
  std::string reason;  // kInvalid: why
};
std::string_view Name(Verdict::Kind k);  // "unsigned" | "verified" | "invalid"

class Verifier {
 public:
  // `paths`: PEM certificate files, or folders whose *.pem / *.crt files are loaded.
  // InvalidArgument naming the file that is not a certificate; NotFound for a missing path.
  static StatusOr<std::unique_ptr<Verifier>> Load(const std::vector<std::string>& paths);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // `xml` must already have passed the document's own parser (no DOCTYPE, no entities).
  Verdict Verify(std::string_view xml) const;
  size_t certificates() const { return certificates_; }

 private:
  Verifier() = default;
  struct Keys;
  std::unique_ptr<Keys> keys_;
  size_t certificates_ = 0;
  mutable std::mutex mu_;
};

}  // namespace ncc::xmldsig
