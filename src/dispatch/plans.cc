#include "dispatch/plans.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ncc::dispatch {
namespace {

constexpr int kMaxCount = 20;
constexpr int kMaxSeconds = 24 * 3600;
constexpr size_t kMaxFileBytes = 1 << 20;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Words(std::string_view s, char sep = ' ') {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t cut = sep == ' ' ? s.find_first_of(" \t") : s.find(sep);
    std::string_view w = Trim(s.substr(0, cut));
    if (!w.empty() || sep != ' ') out.push_back(w);
    if (cut == std::string_view::npos) break;
    s.remove_prefix(cut + 1);
  }
  return out;
}

bool IsCode(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

bool ParseInt(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// "90", "90s", "8m", "1m30s" -> seconds; false on anything else or out of 1..24 h.
bool ParseDuration(std::string_view s, int& seconds) {
  seconds = 0;
  if (s.empty()) return false;
  bool any = false;
  while (!s.empty()) {
    size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    if (digits == 0 || digits > 6) return false;
    int v = 0;
    if (!ParseInt(s.substr(0, digits), v)) return false;
    s.remove_prefix(digits);
    int unit = 1;
    if (!s.empty() && s.front() == 'm')
      unit = 60, s.remove_prefix(1);
    else if (!s.empty() && s.front() == 's')
      s.remove_prefix(1);
    else if (!s.empty())
      return false;
    seconds += v * unit;
    if (seconds > kMaxSeconds) return false;  // also keeps long "1m1m1m..." from overflowing
    any = true;
  }
  return any && seconds > 0 && seconds <= kMaxSeconds;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  Status Run(std::map<std::string, Plan, std::less<>>& plans,
             std::map<std::string, double>& turnout,
             std::map<std::string, std::vector<std::string>>& substitutes) {
    if (text_.size() > kMaxFileBytes) return Fail("file", "larger than 1 MiB");
    size_t pos = 0;
    while (pos <= text_.size()) {
      size_t nl = text_.find('\n', pos);
      std::string_view raw =
          text_.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
      ++line_;
      if (size_t hash = raw.find('#'); hash != std::string_view::npos) raw = raw.substr(0, hash);
      std::string_view l = Trim(raw);
      for (unsigned char c : l)
        if (c < 0x20 && c != '\t') return Fail("line", "contains a control character");
      if (!l.empty()) {
        Status s = l.front() == '[' ? Section(l, plans) : KeyValue(l, turnout, substitutes);
        if (!s.ok()) return s;
      }
      if (nl == std::string_view::npos) break;
      pos = nl + 1;
    }
    for (auto& [type, plan] : plans)
      if (plan.needs.empty())
        return At(plan.line, "need",
                  "plan " + type + " sends no units (add need = COUNT CAPABILITY)");
    return Status::Ok();
  }

 private:
  Status At(int line, const std::string& field, const std::string& message) const {
    return InvalidArgument(file_ + ":" + std::to_string(line) + ": " + field + ": " + message,
                           field);
  }
  Status Fail(const std::string& field, const std::string& message) const {
    return At(line_, field, message);
  }

  Status Section(std::string_view l, std::map<std::string, Plan, std::less<>>& plans) {
    if (l.back() != ']') return Fail("section", "must end with ']'");
    auto words = Words(l.substr(1, l.size() - 2));
    plan_ = nullptr;
    if (words.size() == 1 && words[0] == "turnout") return section_ = "turnout", Status::Ok();
    if (words.size() == 1 && words[0] == "substitutes")
      return section_ = "substitutes", Status::Ok();
    if (words.size() == 2 && words[0] == "plan") {
      if (!IsCode(words[1]))
        return Fail("plan", "type must use only a-z, 0-9, '.', '_' and '-' (got '" +
                                std::string(words[1]) + "')");
      if (auto it = plans.find(words[1]); it != plans.end())
        return Fail("plan", "plan " + std::string(words[1]) + " is defined twice (first at " +
                                it->second.file + ":" + std::to_string(it->second.line) + ")");
      Plan& p = plans[std::string(words[1])];
      p.type = words[1];
      p.name = p.type;
      p.file = file_;
      p.line = line_;
      plan_ = &p;
      section_ = "plan";
      return Status::Ok();
    }
    return Fail("section", "unknown section '" + std::string(l) +
                               "' (expected [plan TYPE], [turnout] or [substitutes])");
  }

  StatusOr<std::vector<std::string>> CodeList(std::string_view value, const std::string& field) {
    std::vector<std::string> out;
    for (std::string_view w : Words(value, ',')) {
      if (!IsCode(w)) return Fail(field, "'" + std::string(w) + "' is not a capability code");
      out.emplace_back(w);
    }
    if (out.empty()) return Fail(field, "name at least one capability");
    return out;
  }

  Status KeyValue(std::string_view l, std::map<std::string, double>& turnout,
                  std::map<std::string, std::vector<std::string>>& substitutes) {
    size_t eq = l.find('=');
    if (eq == std::string_view::npos) return Fail("line", "expected KEY = VALUE or [section]");
    std::string key(Trim(l.substr(0, eq)));
    std::string_view value = Trim(l.substr(eq + 1));
    if (key.empty()) return Fail("line", "missing key before '='");
    if (value.empty()) return Fail(key, "missing value");
    if (section_.empty()) return Fail(key, "outside any section (start with [plan TYPE])");
    if (section_ == "turnout") {
      if (key != "*" && !IsCode(key)) return Fail(key, "must be an agency code or *");
      int s = 0;
      if (!ParseDuration(value, s)) return Fail(key, "must be a duration such as 60, 90s or 2m");
      if (turnout.count(key)) return Fail(key, "turnout given twice");
      turnout[key] = s;
      return Status::Ok();
    }
    if (section_ == "substitutes") {
      if (!IsCode(key)) return Fail(key, "must be a capability code");
      auto list = CodeList(value, key);
      if (!list.ok()) return list.status();
      substitutes[key] = std::move(*list);
      return Status::Ok();
    }
    return PlanKey(key, value);
  }

  Status PlanKey(const std::string& key, std::string_view value) {
    Plan& p = *plan_;
    if (key == "name") {
      if (value.size() > 200) return Fail(key, "longer than 200 bytes");
      p.name = value;
      return Status::Ok();
    }
    if (key == "need") {
      auto w = Words(value);
      Need n;
      n.line = line_;
      bool shape = (w.size() == 2 || (w.size() == 4 && w[2] == "from"));
      if (!shape) return Fail(key, "must be COUNT CAPABILITY [from AGENCY]");
      if (!ParseInt(w[0], n.count) || n.count < 1 || n.count > kMaxCount)
        return Fail(key, "count must be 1 to " + std::to_string(kMaxCount) + " (got '" +
                             std::string(w[0]) + "')");
      if (!IsCode(w[1])) return Fail(key, "'" + std::string(w[1]) + "' is not a capability code");
      n.capability = w[1];
      if (w.size() == 4) {
        if (!IsCode(w[3])) return Fail(key, "'" + std::string(w[3]) + "' is not an agency code");
        n.agency = w[3];
      }
      p.needs.push_back(std::move(n));
      return Status::Ok();
    }
    if (key.rfind("target.", 0) == 0) {
      std::string which = key.substr(7);
      int priority = 0;
      if (which != "*" && (!ParseInt(which, priority) || priority < 1 || priority > 5))
        return Fail(key, "must be target.1 .. target.5 or target.*");
      auto w = Words(value);
      Targets t;
      if (w.size() != 3 || !ParseDuration(w[0], t.dispatch_s) ||
          !ParseDuration(w[1], t.en_route_s) || !ParseDuration(w[2], t.on_scene_s))
        return Fail(key,
                    "must be three durations: call->dispatch dispatch->en_route en_route->on_scene "
                    "(e.g. 60 90 8m)");
      if (p.targets.count(priority)) return Fail(key, "given twice");
      p.targets[priority] = t;
      return Status::Ok();
    }
    if (key.rfind("substitute.", 0) == 0) {
      std::string cap = key.substr(11);
      if (!IsCode(cap)) return Fail(key, "must be substitute.CAPABILITY");
      auto list = CodeList(value, key);
      if (!list.ok()) return list.status();
      p.substitutes[cap] = std::move(*list);
      return Status::Ok();
    }
    return Fail(key,
                "unknown key (expected name, need, target.N, target.* or substitute.CAPABILITY)");
  }

  std::string_view text_;
  std::string file_;
  int line_ = 0;
  std::string section_;
  Plan* plan_ = nullptr;
};

}  // namespace

std::string Need::Describe() const {
  return std::to_string(count) + " " + capability + (agency.empty() ? "" : " from " + agency);
}

const Targets* Plan::TargetsFor(int priority) const {
  if (auto it = targets.find(priority); it != targets.end()) return &it->second;
  if (auto it = targets.find(0); it != targets.end()) return &it->second;
  return nullptr;
}

StatusOr<PlanSet> PlanSet::Parse(std::string_view text, const std::string& file_name) {
  PlanSet set;
  Parser parser(text, file_name);
  NCC_RETURN_IF_ERROR(parser.Run(set.plans_, set.turnout_s_, set.substitutes_));
  return set;
}

Status PlanSet::Merge(PlanSet other, const std::string& file_name) {
  for (auto& [type, plan] : other.plans_) {
    if (auto it = plans_.find(type); it != plans_.end())
      return InvalidArgument(file_name + ":" + std::to_string(plan.line) + ": plan: plan " + type +
                                 " is already defined at " + it->second.file + ":" +
                                 std::to_string(it->second.line),
                             "plan");
    plans_.emplace(type, std::move(plan));
  }
  for (auto& [k, v] : other.turnout_s_) turnout_s_[k] = v;
  for (auto& [k, v] : other.substitutes_) substitutes_[k] = std::move(v);
  return Status::Ok();
}

Status PlanSet::CheckComplete(const std::string& where) const {
  auto def = plans_.find("default");
  if (def == plans_.end())
    return InvalidArgument(
        where + ": plan: no [plan default] (used for incident types without a plan)", "plan");
  if (!def->second.TargetsFor(0))
    return InvalidArgument(
        def->second.file + ":" + std::to_string(def->second.line) +
            ": target.*: the default plan needs target.* (the time targets of last resort)",
        "target.*");
  return Status::Ok();
}

StatusOr<PlanSet> PlanSet::Load(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.path().extension() == ".conf") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) return NotFound("no *.conf plan files in " + path, "plans");
  } else {
    files.push_back(path);
  }
  PlanSet set;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) return NotFound("cannot read plan file " + f.string(), "plans");
    std::stringstream buf;
    buf << in.rdbuf();
    auto parsed = Parse(buf.str(), f.string());
    if (!parsed.ok()) return parsed.status();
    NCC_RETURN_IF_ERROR(set.Merge(std::move(*parsed), f.string()));
  }
  NCC_RETURN_IF_ERROR(set.CheckComplete(path));
  return set;
}

const Plan* PlanSet::Find(std::string_view type) const {
  auto it = plans_.find(type);
  return it == plans_.end() ? nullptr : &it->second;
}

PlanChoice PlanSet::For(std::string_view type) const {
  if (const Plan* p = Find(type)) return {p, ""};
  std::string_view parent = type;
  while (true) {
    size_t dot = parent.rfind('.');
    if (dot == std::string_view::npos) break;
    parent = parent.substr(0, dot);
    if (const Plan* p = Find(parent))
      return {
          p, "no plan for type " + std::string(type) + "; used the plan of " + std::string(parent)};
  }
  return {Find("default"), "no plan for type " + std::string(type) + "; used the default plan"};
}

Targets PlanSet::TargetsFor(const Plan& plan, int priority) const {
  if (const Targets* t = plan.TargetsFor(priority)) return *t;
  if (const Plan* def = Find("default"))
    if (const Targets* t = def->TargetsFor(priority)) return *t;
  return {};
}

double PlanSet::TurnoutSeconds(const std::string& agency) const {
  if (auto it = turnout_s_.find(agency); it != turnout_s_.end()) return it->second;
  if (auto it = turnout_s_.find("*"); it != turnout_s_.end()) return it->second;
  return 0;
}

double PlanSet::MinTurnoutSeconds() const {
  if (turnout_s_.empty()) return 0;
  double m = 1e18;
  for (const auto& [k, v] : turnout_s_) m = std::min(m, v);
  // An agency without its own line takes "*", or 0 when there is no "*".
  if (!turnout_s_.count("*")) m = 0;
  return m;
}

std::vector<std::string> PlanSet::SubstitutesFor(const Plan& plan,
                                                 const std::string& capability) const {
  std::vector<std::string> out;
  auto add = [&](const std::map<std::string, std::vector<std::string>>& m) {
    if (auto it = m.find(capability); it != m.end())
      for (const std::string& c : it->second)
        if (c != capability && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  add(plan.substitutes);
  add(substitutes_);
  return out;
}

}  // namespace ncc::dispatch
