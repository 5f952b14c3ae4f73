// Signing the centre's own documents (its public warnings, CAP 1.2 section 3.3.2.1): an
// enveloped W3C XML-DSig <Signature> appended as the last child of the root element, over the
// whole document (one Reference URI=""), RSA-SHA256 with exclusive canonicalisation (so the
// alert stays verifiable when a feed carries it inside another document), and the signing
// certificate in KeyInfo/X509Data. Keys from `ncc serve --cap-sign-key FILE --cap-sign-cert
// FILE` (PEM). RSA PKCS#1 v1.5 is deterministic: the same document gives the same bytes.
//
// Thread: Sign may be called from any thread (serialized inside, like Verifier).
// Errors: Load: NotFound (no such file), InvalidArgument naming the option (not a PEM key or
// certificate, or the two do not belong together); Sign: InvalidArgument (the document does
// not parse), Internal (xmlsec refused).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ncc::xmldsig {

class Signer {
 public:
  static StatusOr<std::unique_ptr<Signer>> Load(const std::string& key_pem,
                                                const std::string& cert_pem);
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  // `xml`: a document ncc wrote (UTF-8, with or without an XML declaration). The signed
  // document, with an XML declaration.
  StatusOr<std::string> Sign(std::string_view xml) const;
  const std::string& subject() const { return subject_; }

 private:
  Signer() = default;
  struct Key;
  std::unique_ptr<Key> key_;
  std::string subject_;
  mutable std::mutex mu_;
};

}  // namespace ncc::xmldsig
