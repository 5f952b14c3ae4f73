// The router's own decisions, with a stand-in sign-in (the real one is exercised over HTTP by
// tests/integration): matching, 404/405/415, the action gate, parameters.
#include "server/router.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ncc {
namespace {

using auth::Action;

HttpRequest Request(std::string method, std::string path, std::string content_type = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.content_type = std::move(content_type);
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : router_([this](const HttpRequest& r, HttpResponse* denied) -> StatusOr<auth::Principal> {
          ++sign_ins_;
          if (!r.headers.count("authorization")) {
            *denied = ErrorResponse(Status(StatusCode::kUnauthenticated, "sign in first"));
            return Status(StatusCode::kUnauthenticated, "sign in first");
          }
          return principal_;
        }) {
    principal_.user = "ana";
    principal_.agency = "police";
    principal_.roles = {{"police", auth::Role::kCallTaker}};
    auto note = [this](std::string name) {
      return [this, name](const RouteCall& c, Reply reply) {
        called_ = name + " " + std::to_string(c.Id()) + " " + c.Param("alarm_id");
        reply(JsonResponse(200, nlohmann::json::object()));
      };
    };
    router_.Add({"GET", "/api/v1/incidents", Action::kIncidentRead, Gate::kSignedIn,
                 BodyType::kNone, note("list")});
    router_.Add({"POST", "/api/v1/incidents", Action::kIncidentCreate, Gate::kSignedIn,
                 BodyType::kJson, note("create")});
    router_.Add({"GET", "/api/v1/incidents/{id}", Action::kIncidentRead, Gate::kSignedIn,
                 BodyType::kNone, note("get")});
    router_.Add({"GET", "/api/v1/incidents/cap", Action::kExportRead, Gate::kSignedIn,
                 BodyType::kNone, note("feed")});
    router_.Add({"POST", "/api/v1/incidents/{id}/assignments", Action::kIncidentAssign,
                 Gate::kSignedIn, BodyType::kJson, note("assign")});
    router_.Add({"GET", "/api/v1/alarms/{alarm_id+}", Action::kIncidentRead, Gate::kSignedIn,
                 BodyType::kNone, note("alarm")});
    router_.Add({"POST", "/api/v1/auth/login", std::nullopt, Gate::kPublic, BodyType::kJson,
                 note("login")});
    router_.Add({"GET", "/tiles/{z}/{x}/{y}.pbf", std::nullopt, Gate::kPublic, BodyType::kNone,
                 [this](const RouteCall& c, Reply reply) {
                   called_ = "tile " + c.Param("z") + "/" + c.Param("x") + "/" + c.Param("y");
                   reply(JsonResponse(200, nlohmann::json::object()));
                 }});
  }

  HttpResponse Call(HttpRequest r, bool signed_in = true) {
    if (signed_in) r.headers["authorization"] = "Bearer x";
    HttpResponse out;
    router_.Handle(r, [&](HttpResponse resp) { out = std::move(resp); });
    return out;
  }

  std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  auth::Principal principal_;
  Router router_;
  std::string called_;
  int sign_ins_ = 0;
};

TEST_F(RouterTest, MatchesTemplatesAndPassesParameters) {
  EXPECT_EQ(Call(Request("GET", "/api/v1/incidents/42")).status, 200);
  EXPECT_EQ(called_, "get 42 ");
  // A literal segment wins over a parameter.
  principal_.roles.push_back({"police", auth::Role::kSupervisor});
  EXPECT_EQ(Call(Request("GET", "/api/v1/incidents/cap")).status, 200);
  EXPECT_EQ(called_, "feed 0 ");
  // The rest of the path, '/' and percent-encodings included.
  EXPECT_EQ(Call(Request("GET", "/api/v1/alarms/site%203/door/1")).status, 200);
  EXPECT_EQ(called_, "alarm 0 site 3/door/1");
}

TEST_F(RouterTest, ASegmentMayEndInALiteralSuffixThatIsNotPartOfTheParameter) {
  EXPECT_EQ(Call(Request("GET", "/tiles/14/2620/6332.pbf"), false).status, 200);
  EXPECT_EQ(called_, "tile 14/2620/6332");
  EXPECT_EQ(sign_ins_, 0);  // a public row
  called_.clear();
  EXPECT_EQ(Call(Request("GET", "/tiles/14/2620/6332.png"), false).status, 404);
  EXPECT_EQ(Call(Request("GET", "/tiles/14/2620/.pbf"), false).status, 404);
  EXPECT_EQ(Call(Request("GET", "/tiles/14/2620/6332"), false).status, 404);
  EXPECT_EQ(called_, "");
  // What the parameter holds is the handler's to check (it names the field).
  EXPECT_EQ(Call(Request("GET", "/tiles/a/b/c%20d.pbf"), false).status, 200);
  EXPECT_EQ(called_, "tile a/b/c d");
}

TEST_F(RouterTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  EXPECT_EQ(Call(Request("GET", "/api/v1/nothing")).status, 404);
  EXPECT_EQ(Call(Request("GET", "/api/v1/incidents/1/assignments/2")).status, 404);
  HttpResponse r = Call(Request("DELETE", "/api/v1/incidents"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "GET, POST");
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["field"], "method");
  // Decided before any sign-in: the route's existence is public, nothing else is.
  EXPECT_EQ(Call(Request("PUT", "/api/v1/incidents/7"), false).status, 405);
  EXPECT_EQ(sign_ins_, 0);
}

TEST_F(RouterTest, BodyTypeIsCheckedBeforeSignIn) {
  HttpResponse r = Call(Request("POST", "/api/v1/incidents", "text/plain"), false);
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["field"], "Content-Type");
  EXPECT_EQ(sign_ins_, 0);
  EXPECT_EQ(Call(Request("POST", "/api/v1/incidents", "application/json; charset=utf-8")).status,
            200);
  EXPECT_EQ(Call(Request("POST", "/api/v1/incidents", "Application/JSON")).status, 200);
  EXPECT_EQ(Call(Request("POST", "/api/v1/incidents", "application/jsonx")).status, 415);
}

TEST_F(RouterTest, SignInAndTheRowsActionGateTheHandler) {
  EXPECT_EQ(Call(Request("GET", "/api/v1/incidents"), false).status, 401);
  EXPECT_TRUE(called_.empty());
  // A call-taker holds incident.assign nowhere: refused before any record is looked at.
  HttpResponse r = Call(Request("POST", "/api/v1/incidents/5/assignments", "application/json"));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("incident.assign"), std::string::npos);
  EXPECT_TRUE(called_.empty());
  // A role held in another agency counts: the record's label decides in the handler.
  principal_.roles.push_back({"fire", auth::Role::kDispatcher});
  EXPECT_EQ(Call(Request("POST", "/api/v1/incidents/5/assignments", "application/json")).status,
            200);
  // Public rows sign nobody in.
  sign_ins_ = 0;
  EXPECT_EQ(Call(Request("POST", "/api/v1/auth/login", "application/json"), false).status, 200);
  EXPECT_EQ(sign_ins_, 0);
}

TEST_F(RouterTest, MalformedIdIs400NamingIt) {
  for (const char* bad : {"abc", "0", "-1", "12345678901234567890", "1e3"}) {
    HttpResponse r = Call(Request("GET", std::string("/api/v1/incidents/") + bad));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["field"], "id") << bad;
  }
}

TEST_F(RouterTest, AGatewayNeedsTheActionsLane) {
  principal_ = {};
  principal_.kind = auth::Principal::Kind::kGateway;
  principal_.user = "gateway:sensors";
  principal_.agency = "police";
  principal_.lanes = {auth::Lane::kAlarms};
  EXPECT_EQ(Call(Request("GET", "/api/v1/incidents")).status, 403);
}

}  // namespace
}  // namespace ncc
