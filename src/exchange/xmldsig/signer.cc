#include "exchange/xmldsig/signer.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "exchange/xmldsig/xmlsec_common.h"

namespace ncc::xmldsig {
namespace {

// The certificate's subject when the PEM private key in `key_file` belongs to the certificate
// in `cert_file`; nullopt otherwise.
std::optional<std::string> SubjectIfKeyMatches(const std::string& key_file,
                                               const std::string& cert_file) {
  std::unique_ptr<FILE, int (*)(FILE*)> kf(std::fopen(key_file.c_str(), "rb"), std::fclose);
  std::unique_ptr<FILE, int (*)(FILE*)> cf(std::fopen(cert_file.c_str(), "rb"), std::fclose);
  if (!kf || !cf) return std::nullopt;
  std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)> key(
      PEM_read_PrivateKey(kf.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  std::unique_ptr<X509, void (*)(X509*)> cert(PEM_read_X509(cf.get(), nullptr, nullptr, nullptr),
                                              X509_free);
  if (!key || !cert || X509_check_private_key(cert.get(), key.get()) != 1) return std::nullopt;
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), buf, sizeof buf);
  return std::string(buf);
}

}  // namespace

struct Signer::Key {
  xmlSecKeyPtr key = nullptr;
  ~Key() {
    if (key) xmlSecKeyDestroy(key);
  }
};

StatusOr<std::unique_ptr<Signer>> Signer::Load(const std::string& key_pem,
                                               const std::string& cert_pem) {
  NCC_RETURN_IF_ERROR(InitOnce());
  for (const auto& [path, option] :
       {std::pair{&key_pem, "cap-sign-key"}, std::pair{&cert_pem, "cap-sign-cert"}}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*path, ec))
      return NotFound("no file at " + *path, option);
  }
  std::unique_ptr<Signer> s(new Signer());
  s->key_ = std::make_unique<Key>();
  LastXmlsecError().clear();
  s->key_->key =
      xmlSecCryptoAppKeyLoad(key_pem.c_str(), xmlSecKeyDataFormatPem, nullptr, nullptr, nullptr);
  if (!s->key_->key)
    return InvalidArgument(
        key_pem + " is not a PEM private key without a passphrase (" + LastXmlsecError() + ")",
        "cap-sign-key");
  if (xmlSecCryptoAppKeyCertLoad(s->key_->key, cert_pem.c_str(), xmlSecKeyDataFormatPem) < 0)
    return InvalidArgument(cert_pem + " is not a PEM certificate (" + LastXmlsecError() + ")",
                           "cap-sign-cert");
  auto subject = SubjectIfKeyMatches(key_pem, cert_pem);
  if (!subject)
    return InvalidArgument("the key " + key_pem + " does not belong to the certificate " + cert_pem,
                           "cap-sign-cert");
  s->subject_ = std::move(*subject);
  return s;
}

Signer::~Signer() = default;

StatusOr<std::string> Signer::Sign(std::string_view xml) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "document.xml", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      xmlFreeDoc);
  xmlNodePtr root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (!root) return InvalidArgument("libxml2 cannot read the document", "document");
  // <Signature> with exclusive c14n, RSA-SHA256; one Reference URI="" with the enveloped
  // transform then exclusive c14n; the certificate in KeyInfo.
  xmlNodePtr sig = xmlSecTmplSignatureCreate(doc.get(), xmlSecTransformExclC14NId,
                                             xmlSecTransformRsaSha256Id, nullptr);
  if (!sig) return Internal("cannot create the signature template");
  xmlAddChild(root, sig);
  xmlNodePtr ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, nullptr,
                                                   reinterpret_cast<const xmlChar*>(""), nullptr);
  xmlNodePtr key_info = xmlSecTmplSignatureEnsureKeyInfo(sig, nullptr);
  if (!ref || !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ||
      !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) || !key_info ||
      !xmlSecTmplKeyInfoAddX509Data(key_info))
    return Internal("cannot fill the signature template");
  std::unique_ptr<xmlSecDSigCtx, void (*)(xmlSecDSigCtxPtr)> ctx(xmlSecDSigCtxCreate(nullptr),
                                                                 xmlSecDSigCtxDestroy);
  if (!ctx) return Internal("cannot create a signature context");
  ctx->signKey = xmlSecKeyDuplicate(key_->key);  // the context owns and frees its copy
  LastXmlsecError().clear();
  if (!ctx->signKey || xmlSecDSigCtxSign(ctx.get(), sig) < 0)
    return Internal("xmlsec could not sign: " + LastXmlsecError());
  xmlChar* out = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc.get(), &out, &size, "UTF-8");
  if (!out) return Internal("cannot write the signed document");
  std::string signed_xml(reinterpret_cast<const char*>(out), static_cast<size_t>(size));
  xmlFree(out);
  return signed_xml;
}

}  // namespace ncc::xmldsig
