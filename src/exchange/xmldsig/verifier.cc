#include "exchange/xmldsig/verifier.h"

#include "exchange/xmldsig/xmlsec_common.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <algorithm>
#include <filesystem>

namespace ncc::xmldsig {
namespace {

namespace fs = std::filesystem;

}  // namespace

struct Verifier::Keys {
  xmlSecKeysMngrPtr mngr = nullptr;
  ~Keys() {
    if (mngr) xmlSecKeysMngrDestroy(mngr);
  }
};

std::string_view Name(Verdict::Kind k) {
  switch (k) {
    case Verdict::Kind::kUnsigned:
      return "unsigned";
    case Verdict::Kind::kVerified:
      return "verified";
    case Verdict::Kind::kInvalid:
      return "invalid";
  }
  return "invalid";
}

StatusOr<std::unique_ptr<Verifier>> Verifier::Load(const std::vector<std::string>& paths) {
  NCC_RETURN_IF_ERROR(InitOnce());
  std::unique_ptr<Verifier> v(new Verifier());
  v->keys_ = std::make_unique<Keys>();
  v->keys_->mngr = xmlSecKeysMngrCreate();
  if (!v->keys_->mngr || xmlSecCryptoAppDefaultKeysMngrInit(v->keys_->mngr) < 0)
    return Status(StatusCode::kInternal, "cannot create the xmlsec keys manager");
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.path().extension() == ".pem" || e.path().extension() == ".crt")
          files.push_back(e.path().string());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      return NotFound("no partner certificate at " + p, "cap-trust");
    }
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    if (xmlSecCryptoAppKeysMngrCertLoad(v->keys_->mngr, f.c_str(), xmlSecKeyDataFormatPem,
                                        xmlSecKeyDataTypeTrusted) < 0)
      return InvalidArgument(f + " is not a PEM certificate (" + LastXmlsecError() + ")",
                             "cap-trust");
    ++v->certificates_;
  }
  return v;
}

Verifier::~Verifier() = default;

Verdict Verifier::Verify(std::string_view xml) const {
  std::lock_guard<std::mutex> lock(mu_);
  Verdict out;
  auto invalid = [&](std::string why) {
    out.kind = Verdict::Kind::kInvalid;
    out.reason = std::move(why);
    return out;
  };
  // No network, no entity substitution, no DTD loading: the document was already refused if
  // it had any of those, and libxml2 must not go looking either.
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "alert.xml", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      xmlFreeDoc);
  if (!doc) return invalid("libxml2 cannot read the document");
  xmlNodePtr root = xmlDocGetRootElement(doc.get());
  xmlNodePtr sig = root ? xmlSecFindNode(root, xmlSecNodeSignature, xmlSecDSigNs) : nullptr;
  if (!sig) return out;  // unsigned
  if (sig->parent != root) return invalid("the Signature is not on the root element");
  std::unique_ptr<xmlSecDSigCtx, void (*)(xmlSecDSigCtxPtr)> ctx(xmlSecDSigCtxCreate(keys_->mngr),
                                                                 xmlSecDSigCtxDestroy);
  if (!ctx) return invalid("cannot create a signature context");
  ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;  // URI="" only: nothing fetched
  LastXmlsecError().clear();
  if (xmlSecDSigCtxVerify(ctx.get(), sig) < 0)
    return invalid("cannot be checked: " +
                   (LastXmlsecError().empty() ? "malformed" : LastXmlsecError()));
  if (ctx->status != xmlSecDSigStatusSucceeded)
    return invalid("does not match the document (altered after signing, or another key)");
  if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1)
    return invalid("signs more or less than the whole document (one Reference URI=\"\")");
  auto* ref =
      static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
  if (!ref || (ref->uri && ref->uri[0] != '\0'))
    return invalid("signs a part of the document, not the whole (Reference URI must be \"\")");
  out.kind = Verdict::Kind::kVerified;
  out.signer = KeySubject(ctx->signKey);
  return out;
}

}  // namespace ncc::xmldsig
