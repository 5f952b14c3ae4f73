#include "auth/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "auth/auth_db.h"
#include "auth/credential_store.h"
#include "auth/password_policy.h"
#include "auth/secret.h"
#include "auth/token_service.h"

namespace ncc::auth {

namespace {

std::string RolesArg(const std::vector<std::string>& roles) {
  std::string out;
  for (const std::string& r : roles) out += (out.empty() ? "" : ",") + r;
  return out;
}

int Fail(std::ostream& err, const Status& s) {
  err << "error: " << s.message() << "\n";
  return 1;
}

// The piped password, or a generated one (then `generated` is set).
StatusOr<std::string> PasswordFrom(std::istream* piped, bool* generated) {
  std::string password;
  if (piped) {
    std::getline(*piped, password);
    while (!password.empty() && (password.back() == '\r' || password.back() == '\n'))
      password.pop_back();
  }
  *generated = password.empty();
  if (!password.empty()) return password;
  return NewPassword();
}

// A refused password: the reason, and what would pass.
int PasswordRefused(std::ostream& err, const Status& s) {
  err << "error: " << s.message()
      << "\n(a password needs at least 12 characters, not only spaces, and must not be a common "
         "or simple one; a few unrelated words work, or pipe nothing to get one generated)\n";
  return 1;
}

// auth.db of `data_dir` and its two services, for the commands that need no hashing.
struct Stores {
  std::unique_ptr<AuthDb> db;
  SystemClock clock;
  std::unique_ptr<CredentialStore> users;
  std::unique_ptr<TokenService> tokens;
};

StatusOr<std::unique_ptr<Stores>> OpenStores(const std::string& data_dir) {
  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(data_dir);
  if (!db.ok()) return db.status();
  auto out = std::make_unique<Stores>();
  out->db = std::move(*db);
  out->users = std::make_unique<CredentialStore>(*out->db, out->clock, Argon2Params::ForTests());
  out->tokens = std::make_unique<TokenService>(*out->db, *out->users, out->clock);
  return out;
}

// A subcommand `NAME --data DIR <arg>` that runs `run(dir, arg, stdout, stderr)`.
using DirArgRun = int (*)(const std::string&, const std::string&, std::ostream&, std::ostream&);
void AddDirArgCommand(CLI::App* parent, const char* name, const char* what, const char* arg_help,
                      DirArgRun run) {
  auto opts = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* cmd = parent->add_subcommand(name, what);
  cmd->add_option("--data", opts->first, "Data directory")->required();
  cmd->add_option("name", opts->second, arg_help)->required();
  cmd->callback([opts, run] {
    if (int rc = run(opts->first, opts->second, std::cout, std::cerr); rc != 0)
      throw CLI::RuntimeError(rc);
  });
}

}  // namespace

int RunUserAdd(const UserAddOptions& o, std::istream* piped_password, std::ostream& out,
               std::ostream& err) {
  std::optional<Classification> clearance = ParseClassification(o.clearance);
  if (!clearance) return Fail(err, InvalidArgument("unknown clearance '" + o.clearance + "'"));
  StatusOr<std::vector<RoleGrant>> roles = ParseRoles(RolesArg(o.roles), o.agency);
  if (!roles.ok()) return Fail(err, roles.status());

  bool generated = false;
  StatusOr<std::string> password = PasswordFrom(piped_password, &generated);
  if (!password.ok()) return Fail(err, password.status());
  if (Status s = generated ? Status::Ok() : CheckPasswordPolicy(*password, o.username); !s.ok())
    return PasswordRefused(err, s);
  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(o.data_dir);
  if (!db.ok()) return Fail(err, db.status());
  SystemClock clock;
  CredentialStore users(**db, clock);
  Status s = users.AddUser({o.username, o.agency, *roles, *clearance}, *password);
  if (!s.ok()) return Fail(err, s);
  out << "added " << o.username << " (" << FormatRoles(*roles) << ", clearance " << o.clearance
      << ")\n";
  if (generated) out << "password (shown once): " << *password << "\n";
  return 0;
}

int RunUserPasswd(const std::string& data_dir, const std::string& username,
                  std::istream* piped_password, std::ostream& out, std::ostream& err) {
  bool generated = false;
  StatusOr<std::string> password = PasswordFrom(piped_password, &generated);
  if (!password.ok()) return Fail(err, password.status());
  if (Status s = generated ? Status::Ok() : CheckPasswordPolicy(*password, username); !s.ok())
    return PasswordRefused(err, s);
  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(data_dir);
  if (!db.ok()) return Fail(err, db.status());
  SystemClock clock;
  CredentialStore users(**db, clock);
  Status s = users.SetPassword(username, *password);
  if (!s.ok()) return Fail(err, s);
  out << "password of " << username << " changed; its sessions are ended\n";
  if (generated) out << "password (shown once): " << *password << "\n";
  return 0;
}

int RunUserList(const std::string& data_dir, std::ostream& out, std::ostream& err) {
  StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(data_dir);
  if (!db.ok()) return Fail(err, db.status());
  SystemClock clock;
  CredentialStore users(**db, clock, Argon2Params::ForTests());  // no hashing happens here
  StatusOr<std::vector<UserInfo>> list = users.ListUsers();
  if (!list.ok()) return Fail(err, list.status());
  for (const UserInfo& u : *list) {
    out << u.username << "\t" << u.agency << "\t" << FormatRoles(u.roles) << "\t"
        << Name(u.clearance);
    if (u.disabled) out << "\tdisabled";
    if (u.locked_until.ms > clock.Now().ms) out << "\tlocked";
    out << "\n";
  }
  return 0;
}

int RunUserDisable(const std::string& data_dir, const std::string& username, std::ostream& out,
                   std::ostream& err) {
  StatusOr<std::unique_ptr<Stores>> st = OpenStores(data_dir);
  if (!st.ok()) return Fail(err, st.status());
  if (Status s = (*st)->users->Disable(username); !s.ok()) return Fail(err, s);
  out << "disabled " << username << "\n";
  return 0;
}

int RunUserEnable(const std::string& data_dir, const std::string& username, std::ostream& out,
                  std::ostream& err) {
  StatusOr<std::unique_ptr<Stores>> st = OpenStores(data_dir);
  if (!st.ok()) return Fail(err, st.status());
  if (Status s = (*st)->users->Enable(username); !s.ok()) return Fail(err, s);
  out << "enabled " << username << " (sessions ended when it was disabled stay ended)\n";
  return 0;
}

int RunApiKeyList(const std::string& data_dir, std::ostream& out, std::ostream& err) {
  StatusOr<std::unique_ptr<Stores>> st = OpenStores(data_dir);
  if (!st.ok()) return Fail(err, st.status());
  StatusOr<std::vector<ApiKeyInfo>> keys = (*st)->tokens->ListApiKeys();
  if (!keys.ok()) return Fail(err, keys.status());
  for (const ApiKeyInfo& k : *keys) {
    std::string lanes;
    for (Lane l : k.lanes) lanes += (lanes.empty() ? "" : ",") + std::string(Name(l));
    out << k.name << "\t" << k.agency << "\t" << lanes << "\t" << Name(k.clearance);
    if (k.revoked) out << "\trevoked";
    out << "\n";
  }
  return 0;
}

int RunApiKeyRevoke(const std::string& data_dir, const std::string& name, std::ostream& out,
                    std::ostream& err) {
  StatusOr<std::unique_ptr<Stores>> st = OpenStores(data_dir);
  if (!st.ok()) return Fail(err, st.status());
  if (Status s = (*st)->tokens->RevokeApiKey(name); !s.ok()) return Fail(err, s);
  out << "revoked API key " << name << " (refused from its next request on)\n";
  return 0;
}

void AddUserCommands(CLI::App& app) {
  CLI::App* user = app.add_subcommand("user", "Manage accounts in DIR/auth.db");
  user->require_subcommand(1);

  auto add_opts = std::make_shared<UserAddOptions>();
  CLI::App* add = user->add_subcommand("add", "Add an account (password from stdin if piped)");
  add->add_option("--data", add_opts->data_dir, "Data directory")->required();
  add->add_option("--agency", add_opts->agency, "Home agency code")->required();
  add->add_option("--role", add_opts->roles, "Role, or agency:role for another agency")->required();
  add->add_option("--clearance", add_opts->clearance, "public|restricted|confidential|secret");
  add->add_option("name", add_opts->username, "Username")->required();
  add->callback([add_opts] {
    const bool piped = !::isatty(STDIN_FILENO);
    int rc = RunUserAdd(*add_opts, piped ? &std::cin : nullptr, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });

  auto list_dir = std::make_shared<std::string>();
  CLI::App* list = user->add_subcommand("list", "List accounts");
  list->add_option("--data", *list_dir, "Data directory")->required();
  list->callback([list_dir] {
    int rc = RunUserList(*list_dir, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });

  auto passwd_opts = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* passwd =
      user->add_subcommand("passwd", "Set a password (from stdin if piped, else generated)");
  passwd->add_option("--data", passwd_opts->first, "Data directory")->required();
  passwd->add_option("name", passwd_opts->second, "Username")->required();
  passwd->callback([passwd_opts] {
    const bool piped = !::isatty(STDIN_FILENO);
    int rc = RunUserPasswd(passwd_opts->first, passwd_opts->second, piped ? &std::cin : nullptr,
                           std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });

  AddDirArgCommand(user, "disable", "Disable an account and end its sessions", "Username",
                   RunUserDisable);
  AddDirArgCommand(user, "enable", "Enable a disabled account again", "Username", RunUserEnable);

  struct KeyOpts {
    std::string data_dir, agency, clearance = "restricted", name;
    std::vector<std::string> lanes;
  };
  auto key_opts = std::make_shared<KeyOpts>();
  CLI::App* apikey = app.add_subcommand("apikey", "Manage gateway and sensor API keys");
  apikey->require_subcommand(1);
  CLI::App* key_add = apikey->add_subcommand("add", "Create an API key (printed once)");
  key_add->add_option("--data", key_opts->data_dir, "Data directory")->required();
  key_add->add_option("--agency", key_opts->agency, "Agency the gateway reports for")->required();
  key_add->add_option("--lane", key_opts->lanes, "positions|alarms|cot")->required();
  key_add->add_option("--clearance", key_opts->clearance, "Highest classification it may write");
  key_add->add_option("name", key_opts->name, "Gateway name")->required();
  key_add->callback([key_opts] {
    ApiKeyInfo info{key_opts->name, key_opts->agency, {}, Classification::kRestricted, false};
    for (const std::string& l : key_opts->lanes) {
      std::optional<Lane> lane = ParseLane(l);
      if (!lane) throw CLI::RuntimeError(Fail(std::cerr, InvalidArgument("unknown lane " + l)));
      info.lanes.push_back(*lane);
    }
    std::optional<Classification> c = ParseClassification(key_opts->clearance);
    if (!c) throw CLI::RuntimeError(Fail(std::cerr, InvalidArgument("unknown clearance")));
    info.clearance = *c;
    StatusOr<std::unique_ptr<AuthDb>> db = AuthDb::Open(key_opts->data_dir);
    if (!db.ok()) throw CLI::RuntimeError(Fail(std::cerr, db.status()));
    SystemClock clock;
    CredentialStore users(**db, clock, Argon2Params::ForTests());
    TokenService tokens(**db, users, clock);
    StatusOr<std::string> key = tokens.CreateApiKey(info);
    if (!key.ok()) throw CLI::RuntimeError(Fail(std::cerr, key.status()));
    std::cout << "API key for " << info.name << " (shown once): " << *key << "\n";
  });

  auto key_list_dir = std::make_shared<std::string>();
  CLI::App* key_list = apikey->add_subcommand("list", "List API keys (names, never the keys)");
  key_list->add_option("--data", *key_list_dir, "Data directory")->required();
  key_list->callback([key_list_dir] {
    int rc = RunApiKeyList(*key_list_dir, std::cout, std::cerr);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });

  AddDirArgCommand(apikey, "revoke", "Revoke an API key; a running server refuses it at once",
                   "Gateway name", RunApiKeyRevoke);
}

}  // namespace ncc::auth
