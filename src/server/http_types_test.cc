#include "server/http_types.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ncc {
namespace {

TEST(HttpTypes, QueryDecoding) {
  auto q = ParseQuery("status=en_route&agency=civil%20defence&x");
  EXPECT_EQ(q["status"], "en_route");
  EXPECT_EQ(q["agency"], "civil defence");
  EXPECT_EQ(q["x"], "");
  EXPECT_EQ(UrlDecode("%zz%4"), "%zz%4");
}

TEST(HttpTypes, ErrorBodyShape) {
  auto r =
      ErrorResponse(422, InvalidArgument("latitude must be a number in [-90, 90]", "location.lat"));
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "invalid_argument");
  EXPECT_EQ(j["error"]["field"], "location.lat");
}

TEST(HttpTypes, ServerFailuresNameTheFileButNotWhereItLives) {
  auto body = [](const Status& s) { return nlohmann::json::parse(ErrorResponse(s).body); };
  EXPECT_EQ(body(DataLoss("event log /var/lib/ncc/events.db is corrupt after seq 41 (see "
                          "/var/lib/ncc/anchors.log)"))["error"]["message"],
            "event log events.db is corrupt after seq 41 (see anchors.log)");
  EXPECT_EQ(PublicMessage(Status(StatusCode::kInsufficientStorage,
                                 "no space left on '/srv/ncc data/tracks.ncctrk'")),
            "no space left on 'tracks.ncctrk'");
  EXPECT_EQ(PublicMessage(DataLoss("seq 7 is past 3/4 of the log")),
            "seq 7 is past 3/4 of the log");
  // A client's own mistake may name a route to use instead: kept as written.
  EXPECT_EQ(PublicMessage(NotFound("no such route; see /api/v1/routes")),
            "no such route; see /api/v1/routes");
}

TEST(HttpTypes, OneMappingFromErrorToStatus) {
  EXPECT_EQ(ErrorResponse(Malformed("must be a string", "type")).status, 400);
  EXPECT_EQ(ErrorResponse(InvalidArgument("unknown status", "status")).status, 422);
  EXPECT_EQ(ErrorResponse(ResourceExhausted("too many", "fixes")).status, 413);
  HttpResponse limited = ErrorResponse(RateLimited("rate limit exceeded; retry after 7 s"));
  EXPECT_EQ(limited.status, 429);
  ASSERT_EQ(limited.headers.size(), 1u);
  EXPECT_EQ(limited.headers[0], (std::pair<std::string, std::string>{"Retry-After", "7"}));
  HttpResponse unsigned_in = ErrorResponse(Status(StatusCode::kUnauthenticated, "sign in"));
  EXPECT_EQ(unsigned_in.status, 401);
  EXPECT_EQ(unsigned_in.headers.at(0).first, "WWW-Authenticate");
  EXPECT_EQ(ErrorResponse(Status(StatusCode::kMethodNotAllowed, "no")).status, 405);
  EXPECT_EQ(ErrorResponse(Status(StatusCode::kUnsupportedMedia, "no")).status, 415);
  EXPECT_EQ(ErrorResponse(Status(StatusCode::kUpgradeRequired, "no")).status, 426);
}

}  // namespace
}  // namespace ncc
