// What the verifier and the signer share of libxmlsec1 (private to this folder): the one
// initialisation of libxml2 + xmlsec (OpenSSL), the last xmlsec error of this thread, and the
// subject of a key's certificate.
#pragma once

#include <xmlsec/keys.h>

#include <string>

#include "core/status.h"

namespace ncc::xmldsig {

// libxml2 and libxmlsec are initialised once per process and never shut down (other users of
// libxml2 in the process would be left without it). Internal if xmlsec cannot start.
Status InitOnce();
// The last error xmlsec reported on this thread ("" after clear()).
std::string& LastXmlsecError();
// The subject of the X.509 certificate in `key` ("" when none).
std::string KeySubject(xmlSecKeyPtr key);

}  // namespace ncc::xmldsig
