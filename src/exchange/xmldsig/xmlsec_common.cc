#include "exchange/xmldsig/xmlsec_common.h"

#include <libxml/parser.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/xmlsec.h>

namespace ncc::xmldsig {
namespace {

void OnXmlsecError(const char* file, int line, const char* func, const char* object,
                   const char* subject, int reason, const char* msg) {
  (void)file, (void)line, (void)func, (void)object, (void)reason;
  LastXmlsecError() = std::string(subject ? subject : "") + (msg ? std::string(": ") + msg : "");
}

void Quiet(void*, const char*, ...) {}

}  // namespace

std::string& LastXmlsecError() {
  thread_local std::string last;
  return last;
}

Status InitOnce() {
  static Status status = [] {
    xmlInitParser();
    xmlSetGenericErrorFunc(nullptr, Quiet);
    if (xmlSecInit() < 0) return Status(StatusCode::kInternal, "xmlsec initialisation failed");
    if (xmlSecCheckVersion() != 1)
      return Status(StatusCode::kInternal, "libxmlsec1 is not the version ncc was built with");
    if (xmlSecCryptoAppInit(nullptr) < 0 || xmlSecCryptoInit() < 0)
      return Status(StatusCode::kInternal, "xmlsec's OpenSSL engine failed to start");
    xmlSecErrorsSetCallback(OnXmlsecError);
    return Status::Ok();
  }();
  return status;
}

std::string KeySubject(xmlSecKeyPtr key) {
  if (!key) return "";
  xmlSecKeyDataPtr data = xmlSecKeyGetData(key, xmlSecOpenSSLKeyDataX509Id);
  X509* cert = data ? xmlSecOpenSSLKeyDataX509GetKeyCert(data) : nullptr;
  if (!cert) return "";
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

}  // namespace ncc::xmldsig
