// The route table is the API's contract: every row is documented in docs/api.yaml and in the
// route table of docs/security.md with the action it needs, and nothing is documented that the
// table does not serve. Reads the documents independently of the code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "auth/doc_table_for_tests.h"
#include "auth/temp_dir_for_tests.h"
#include "server/api.h"
#include "store/sqlite/sqlite_event_log.h"

namespace ncc {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// "{alarm_id+}" is documented as "{alarm_id}": the '+' is the router's, not the contract's.
std::string Contract(std::string path) {
  std::erase(path, '+');
  return path;
}

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = SqliteEventLog::Open(dir_.File("events.db"));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    auto engine = Engine::Open(std::move(*log),
                               std::make_unique<SnapshotStore>(dir_.File("snapshots")), clock_, {});
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    auto a = auth::Auth::Open(dir_.path(), clock_, {});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    auth_ = std::move(*a);
    api_ = std::make_unique<Api>(*engine_, *auth_, clock_, ApiOptions{});
  }
  void TearDown() override {
    api_.reset();
    if (engine_) engine_->Stop();
  }

  // "GET /api/v1/incidents/{id}" -> the action's name, "none" for rows without one.
  std::map<std::string, std::string> Table() const {
    std::map<std::string, std::string> out;
    for (const RouteRow& row : api_->routes())
      out[row.method + " " + Contract(row.path)] =
          row.action ? std::string(auth::Name(*row.action)) : "none";
    return out;
  }

  auth::testing::TempDir dir_;
  ManualClock clock_{Time{1'700'000'000'000}};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<auth::Auth> auth_;
  std::unique_ptr<Api> api_;
};

// docs/api.yaml's operations ("POST /api/v1/incidents"), each with whether it documents the
// Idempotency-Key parameter.
std::map<std::string, bool> DocumentedOperations() {
  std::map<std::string, bool> documented;
  std::istringstream yaml(Read(NCC_SOURCE_DIR "/docs/api.yaml"));
  std::string line, path, op;
  bool in_paths = false;
  while (std::getline(yaml, line)) {
    if (line == "paths:") in_paths = true;
    if (!in_paths) continue;
    if (line.size() > 3 && line.rfind("  /", 0) == 0 && line.back() == ':') {
      path = line.substr(2, line.size() - 3);
      op.clear();
    } else if (!path.empty()) {
      for (const char* m : {"get", "post", "delete", "put", "patch"})
        if (line == std::string("    ") + m + ":") {
          std::string method = m;
          for (char& c : method) c = static_cast<char>(std::toupper(c));
          op = method + " " + path;
          documented[op] = false;
        }
      if (!op.empty() && line.find("components/parameters/IdempotencyKey") != std::string::npos)
        documented[op] = true;
    }
    if (!line.empty() && line[0] != ' ' && line != "paths:") in_paths = false;
  }
  return documented;
}

TEST_F(RoutesTest, EveryRowIsInApiYamlAndNothingElse) {
  std::map<std::string, bool> documented = DocumentedOperations();
  ASSERT_FALSE(documented.empty()) << "no paths read from docs/api.yaml";
  for (const auto& [route, action] : Table())
    EXPECT_TRUE(documented.count(route)) << route << " is served but not in docs/api.yaml";
  auto table = Table();
  for (const auto& [route, keyed] : documented)
    EXPECT_TRUE(table.count(route)) << route << " is in docs/api.yaml but not served";
}

// The rows that take a command id are exactly those documented with the Idempotency-Key
// parameter: a client reading the contract is never promised a retry the server does not keep.
TEST_F(RoutesTest, IdempotencyKeyIsDocumentedOnExactlyTheRowsThatTakeIt) {
  std::map<std::string, bool> documented = DocumentedOperations();
  size_t keyed = 0;
  for (const RouteRow& row : api_->routes()) {
    std::string route = row.method + " " + Contract(row.path);
    EXPECT_EQ(documented[route], row.takes_command_id) << route;
    keyed += row.takes_command_id;
  }
  EXPECT_GE(keyed, 15u);
}

TEST_F(RoutesTest, EveryRowIsInTheSecurityRouteTableWithItsAction) {
  // The table under "## In the server": | `METHOD /path` | `action` or none | ... |
  std::istringstream doc(Read(NCC_SOURCE_DIR "/docs/security.md"));
  std::map<std::string, std::string> documented;
  std::string line;
  bool in_section = false;
  while (std::getline(doc, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line.rfind("## In the server", 0) == 0;
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    auto cells = auth::testing::SplitCells(line);
    if (cells.size() < 3) continue;
    std::string route = auth::testing::StripTicks(cells[0]);
    if (route.find(' ') == std::string::npos || route[0] < 'A' || route[0] > 'Z') continue;
    EXPECT_FALSE(documented.count(route)) << route << " documented twice";
    documented[route] = auth::testing::StripTicks(cells[1]);
  }
  ASSERT_FALSE(documented.empty()) << "no route rows read from docs/security.md";
  auto table = Table();
  for (const auto& [route, action] : table) {
    auto it = documented.find(route);
    if (it == documented.end()) {
      ADD_FAILURE() << route << " is served but not in docs/security.md";
      continue;
    }
    EXPECT_EQ(it->second, action) << route;
  }
  for (const auto& [route, action] : documented)
    EXPECT_TRUE(table.count(route)) << route << " is in docs/security.md but not served";
}

TEST_F(RoutesTest, EveryActionNamedByARowIsInTheRoleTable) {
  auto roles = auth::testing::ReadDocTable(NCC_SOURCE_DIR "/docs/security.md");
  ASSERT_TRUE(roles.error.empty()) << roles.error;
  for (const auto& [route, action] : Table()) {
    if (action == "none") continue;
    EXPECT_TRUE(roles.rows.count(action))
        << route << " needs " << action << ", which the role table does not list";
  }
}

}  // namespace
}  // namespace ncc
