#include "exchange/xmldsig/signer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exchange/xmldsig/verifier.h"

namespace ncc::xmldsig {
namespace {

namespace fs = std::filesystem;

const char* kAlert =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert "
    "xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n  <identifier>ncc-c-warning-1</identifier>\n"
    "  <sender>c</sender>\n  <sent>2026-12-04T01:40:00-00:00</sent>\n  <status>Actual</status>\n"
    "  <msgType>Alert</msgType>\n  <scope>Public</scope>\n  <info>\n    <event>Flood</event>\n"
    "    <headline>فيضانات على الكورنيش</headline>\n  </info>\n</alert>\n";

class Signing : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("ncc-signer-" +
            std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* who : {"centre", "other"}) {
      std::string base = (dir_ / who).string();
      std::string cmd =
          "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + std::string(who) +
          " -keyout " + base + ".key -out " + base + ".pem >/dev/null 2>&1";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
  }
  std::string Path(const char* name) const { return (dir_ / name).string(); }
  // xmlsec1's own check (Debian's command line tool), trusting `cert`.
  int XmlsecVerify(const std::string& xml, const char* cert) const {
    std::ofstream(dir_ / "check.xml", std::ios::binary) << xml;
    std::string cmd = "xmlsec1 --verify --trusted-pem " + Path(cert) + " " + Path("check.xml") +
                      " >/dev/null 2>&1";
    return std::system(cmd.c_str());
  }
  fs::path dir_;
};

TEST_F(Signing, ASignedWarningVerifiesHereAndWithXmlsec1AndAlterationIsCaught) {
  auto signer = Signer::Load(Path("centre.key"), Path("centre.pem"));
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_NE((*signer)->subject().find("CN=centre"), std::string::npos);
  auto signed_xml = (*signer)->Sign(kAlert);
  ASSERT_TRUE(signed_xml.ok()) << signed_xml.status().ToString();
  EXPECT_NE(signed_xml->find("xml-exc-c14n"), std::string::npos);
  EXPECT_NE(signed_xml->find("<X509Certificate>"), std::string::npos);
  // The Signature is the last child of <alert>, where CAP 1.2's schema allows it.
  EXPECT_LT(signed_xml->find("</info>"), signed_xml->find("<Signature"));
  // The same document signs to the same bytes (RSA PKCS#1 v1.5 is deterministic).
  EXPECT_EQ(*signed_xml, *(*signer)->Sign(kAlert));

  auto trust = Verifier::Load({Path("centre.pem")});
  ASSERT_TRUE(trust.ok());
  Verdict v = (*trust)->Verify(*signed_xml);
  EXPECT_EQ(v.kind, Verdict::Kind::kVerified) << v.reason;
  if (std::system("command -v xmlsec1 >/dev/null 2>&1") == 0) {
    EXPECT_EQ(XmlsecVerify(*signed_xml, "centre.pem"), 0);
    EXPECT_NE(XmlsecVerify(*signed_xml, "other.pem"), 0) << "only the centre's key verifies";
  }
  std::string altered = *signed_xml;
  altered.replace(altered.find("Flood"), 5, "Flame");
  EXPECT_EQ((*trust)->Verify(altered).kind, Verdict::Kind::kInvalid);
  if (std::system("command -v xmlsec1 >/dev/null 2>&1") == 0) {
    EXPECT_NE(XmlsecVerify(altered, "centre.pem"), 0);
  }
}

TEST_F(Signing, TheSignatureSurvivesAnotherDocumentAroundTheAlert) {
  // As the Atom feed carries it: the alert inside <content> of another namespace, cut out
  // again by a subscriber.
  auto signer = Signer::Load(Path("centre.key"), Path("centre.pem"));
  ASSERT_TRUE(signer.ok());
  std::string alert = *(*signer)->Sign(kAlert);
  alert = alert.substr(alert.find("<alert"));
  std::string feed =
      "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:x=\"urn:x\"><entry><content>" + alert +
      "</content></entry></feed>";
  size_t a = feed.find("<alert"), b = feed.find("</alert>") + 8;
  auto trust = Verifier::Load({Path("centre.pem")});
  ASSERT_TRUE(trust.ok());
  EXPECT_EQ((*trust)->Verify(feed.substr(a, b - a)).kind, Verdict::Kind::kVerified);
}

TEST_F(Signing, KeysAndCertificatesAreChecked) {
  auto missing = Signer::Load(Path("nope.key"), Path("centre.pem"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().field(), "cap-sign-key");
  auto not_a_key = Signer::Load(Path("centre.pem"), Path("centre.pem"));
  EXPECT_EQ(not_a_key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(not_a_key.status().field(), "cap-sign-key");
  auto mismatch = Signer::Load(Path("centre.key"), Path("other.pem"));
  EXPECT_EQ(mismatch.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mismatch.status().field(), "cap-sign-cert");
  auto signer = Signer::Load(Path("centre.key"), Path("centre.pem"));
  ASSERT_TRUE(signer.ok());
  EXPECT_EQ((*signer)->Sign("not xml").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ncc::xmldsig
