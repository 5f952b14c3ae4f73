// The `ncc user ...` and `ncc apikey ...` commands, for the lead to attach to the ncc binary:
//   ncc user add --data DIR --agency A --role R [--role agency:R] [--clearance C] NAME
//   ncc user list --data DIR
//   ncc user passwd --data DIR NAME      (also clears a lock-out and ends the user's sessions)
//   ncc user disable --data DIR NAME     (also ends the user's sessions)
//   ncc user enable --data DIR NAME
//   ncc apikey add --data DIR --agency A --lane positions [--lane alarms] [--clearance C] NAME
//   ncc apikey list --data DIR
//   ncc apikey revoke --data DIR NAME    (a running server refuses the key from its next request)
// `user add` and `user passwd` read the password from stdin when stdin is not a terminal; otherwise
// it generates one and prints it once. A given password must pass CheckPasswordPolicy (12+
// characters, not only whitespace, not a common one), else the command fails with the reason.
// Secrets are printed only to stdout, once, never logged. Runs on the main thread at start-up,
// before any server.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ncc::auth {

void AddUserCommands(CLI::App& app);

struct UserAddOptions {
  std::string data_dir;
  std::string agency;
  std::vector<std::string> roles;
  std::string clearance = "restricted";
  std::string username;
};

// The body of `ncc user add`, testable: `piped_password` is stdin when piped, else nullptr.
// Returns the process exit code (0 ok, 1 error).
int RunUserAdd(const UserAddOptions& o, std::istream* piped_password, std::ostream& out,
               std::ostream& err);
int RunUserPasswd(const std::string& data_dir, const std::string& username,
                  std::istream* piped_password, std::ostream& out, std::ostream& err);
int RunUserList(const std::string& data_dir, std::ostream& out, std::ostream& err);
int RunUserDisable(const std::string& data_dir, const std::string& username, std::ostream& out,
                   std::ostream& err);
int RunUserEnable(const std::string& data_dir, const std::string& username, std::ostream& out,
                  std::ostream& err);
// One line per key: name, agency, lanes, clearance, and "revoked" when it is.
int RunApiKeyList(const std::string& data_dir, std::ostream& out, std::ostream& err);
int RunApiKeyRevoke(const std::string& data_dir, const std::string& name, std::ostream& out,
                    std::ostream& err);

}  // namespace ncc::auth
