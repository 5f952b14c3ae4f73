#include "exchange/xmldsig/verifier.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ncc::xmldsig {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// An enveloped-signature template (what a partner's signing tool fills in), as the last child
// of <alert>.
const char* kTemplate =
    "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
    "<CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>"
    "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
    "<Reference URI=\"REF\"><Transforms>"
    "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
    "</Transforms><DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"
    "<DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo>"
    "</Signature>";

const char* kAlert =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert "
    "xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>S-1</identifier>"
    "<sender>partner@example</sender><sent>2026-11-30T01:40:00+03:00</sent>"
    "<status>Actual</status><msgType>Alert</msgType><scope>Public</scope><info>"
    "<event>Brush fire</event><area><areaDesc>Al Wakra</areaDesc><circle>25.17,51.6 1</circle>"
    "</area></info>SIG</alert>";

class XmlDsig : public testing::Test {
 protected:
  void SetUp() override {
    // Tests run in parallel processes: a folder each.
    dir_ = fs::path(testing::TempDir()) /
           ("ncc-xmldsig-" +
            std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* who : {"partner", "stranger"}) {
      std::string cmd =
          "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + std::string(who) +
          " -keyout " + (dir_ / who).string() + ".key -out " + (dir_ / who).string() +
          ".pem >/dev/null 2>&1";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
  }
  // kAlert signed by `who` with the template's Reference URI `ref`.
  std::string Signed(const std::string& who, const std::string& ref = "") {
    std::string tpl = kTemplate, alert = kAlert;
    tpl.replace(tpl.find("REF"), 3, ref);
    alert.replace(alert.find("SIG"), 3, tpl);
    Write(dir_ / "in.xml", alert);
    std::string key = (dir_ / who).string();
    std::string cmd = "xmlsec1 --sign --privkey-pem " + key + ".key," + key + ".pem --output " +
                      (dir_ / "out.xml").string() + " " + (dir_ / "in.xml").string() +
                      " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return Read(dir_ / "out.xml");
  }
  fs::path dir_;
};

// Finding 4 of issue 16: signatures were neither verified nor kept.
TEST_F(XmlDsig, TheTrustedPartnersSignatureIsVerifiedAndAlterationIsCaught) {
  auto v = Verifier::Load({(dir_ / "partner.pem").string()});
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ((*v)->certificates(), 1u);
  std::string good = Signed("partner");
  Verdict ok = (*v)->Verify(good);
  EXPECT_EQ(ok.kind, Verdict::Kind::kVerified) << ok.reason;
  EXPECT_NE(ok.signer.find("CN=partner"), std::string::npos) << ok.signer;

  std::string altered = good;
  altered.replace(altered.find("Brush fire"), 10, "Brush FIRE");
  Verdict bad = (*v)->Verify(altered);
  EXPECT_EQ(bad.kind, Verdict::Kind::kInvalid);

  Verdict unsigned_alert =
      (*v)->Verify(std::string(kAlert).replace(std::string(kAlert).find("SIG"), 3, ""));
  EXPECT_EQ(unsigned_alert.kind, Verdict::Kind::kUnsigned);

  Verdict stranger = (*v)->Verify(Signed("stranger"));
  EXPECT_EQ(stranger.kind, Verdict::Kind::kInvalid) << "a key the centre does not trust";
}

TEST_F(XmlDsig, OnlyASignatureOverTheWholeDocumentCounts) {
  auto v = Verifier::Load({dir_.string()});  // a folder: partner.pem and stranger.pem
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ((*v)->certificates(), 2u);
  // A reference to another document is never fetched: refused, not followed.
  std::string elsewhere = Signed("partner");
  size_t uri = elsewhere.find("URI=\"\"");
  ASSERT_NE(uri, std::string::npos);
  elsewhere.replace(uri, 6, "URI=\"http://127.0.0.1:1/other.xml\"");
  EXPECT_EQ((*v)->Verify(elsewhere).kind, Verdict::Kind::kInvalid);
}

TEST_F(XmlDsig, TrustFilesAreChecked) {
  Write(dir_ / "junk.pem", "not a certificate");
  auto junk = Verifier::Load({(dir_ / "junk.pem").string()});
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().field(), "cap-trust");
  EXPECT_NE(junk.status().message().find("junk.pem"), std::string::npos);
  auto missing = Verifier::Load({(dir_ / "nope.pem").string()});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ncc::xmldsig
