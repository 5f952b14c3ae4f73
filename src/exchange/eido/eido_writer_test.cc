#include "exchange/eido/eido_writer.h"

#include <gtest/gtest.h>

namespace ncc::eido {
namespace {

Incident Sample() {
  Incident i;
  i.id = IncidentId(7);
  i.type = "police.robbery";
  i.priority = 2;
  i.location = {25.3, 51.5};
  i.address = "Souq Waqif";
  i.summary = "armed robbery";
  i.agency = "police";
  i.shared_with = {"ambulance"};
  i.created = Time{1795992000000};
  i.updated = Time{1795992060000};
  i.status = IncidentStatus::kCancelled;
  i.timeline = {{Time{1795992000000}, "alice", "created", "call"},
                {Time{1795992060000}, "bob", "note", "<b>suspect</b> left"}};
  return i;
}

TEST(EidoWriter, RequiredFieldsOfTheSchema) {
  auto j = WriteEido(Sample(), {"ncc.qa"});
  EXPECT_EQ(j["eidoVersion"], "1.0");
  EXPECT_EQ(j["issuingElementIdentification"], "ncc.qa");
  EXPECT_EQ(j["$id"], "urn:emergency:uid:incidentid:7:ncc.qa");
  EXPECT_EQ(j["updatedByAgencyReference"]["$ref"], "police.ncc.qa");
  ASSERT_EQ(j["agencyComponent"].size(), 2u);
  EXPECT_EQ(j["agencyComponent"][0]["incidentOwningAgencyIndicator"], true);
  EXPECT_EQ(j["agencyComponent"][1]["agencyRoleDescriptionRegistryText"][0], "Assisting");
  const auto& inc = j["incidentComponent"];
  EXPECT_EQ(inc["incidentTypeCommonRegistryText"], "ROBBERY");
  EXPECT_EQ(inc["incidentStatusCommonRegistryText"][0], "Cancelled");
  EXPECT_EQ(inc["dispositionComponent"][0]["dispositionCommonRegistryCode"], "10");
  EXPECT_EQ(inc["locationReference"][0]["$ref"], j["locationComponent"][0]["$id"]);
  EXPECT_EQ(j["notesComponent"].size(), 2u);
  // notesActionComments is HTML: text is escaped.
  EXPECT_EQ(j["notesComponent"][1]["notesActionComments"], "note: &lt;b&gt;suspect&lt;/b&gt; left");
}

TEST(EidoWriter, LocationIsPidfLoWithAGmlPoint) {
  auto j = WriteEido(Sample(), {"ncc.qa"});
  std::string pidf = j["locationComponent"][0]["locationByValue"];
  EXPECT_NE(pidf.find("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\""), std::string::npos);
  EXPECT_NE(pidf.find("<gml:pos>25.300000 51.500000</gml:pos>"), std::string::npos);
  EXPECT_EQ(j["locationComponent"][0]["locationDescriptionText"], "Souq Waqif");
}

TEST(EidoWriter, TypeCodes) {
  EXPECT_EQ(IncidentTypeCode("fire.structure"), "FSTRU");
  EXPECT_EQ(IncidentTypeCode("fire.other"), "FUNK");
  EXPECT_EQ(IncidentTypeCode("zzz"), "INFO");
}

}  // namespace
}  // namespace ncc::eido
