#include "service/config_file.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <CLI/CLI.hpp>

namespace ncc::service {
namespace {

constexpr const char* kSpace = " \t\r\n\f\v";

std::string Trim(std::string_view s) {
  size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return "";
  return std::string(s.substr(first, s.find_last_not_of(kSpace) - first + 1));
}

std::string CutComment(const std::string& s) {
  size_t hash = s.find('#');
  return hash == std::string::npos ? s : Trim(std::string_view(s).substr(0, hash));
}

std::string Unquoted(std::string s) {
  if (s.size() > 1 && s.front() == s.back() &&
      (s.front() == '"' || s.front() == '\'' || s.front() == '`'))
    return s.substr(1, s.size() - 2);
  return s;
}

// The section a "[name]" or "[[name]]" line opens ("default", in any case, is the top).
std::string SectionOf(const std::string& line) {
  std::string name = line.substr(1, line.size() - 2);
  if (name.size() > 1 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  return name;
}

// The full name CLI11 gives `name` under `section`: its own split of dotted names and sections
// ("a.b", "listen." is "listen"), so that a line is found by the item CLI11 made of it.
std::string FullName(const std::string& section, std::string name) {
  CLI::ConfigItem item;
  item.parents = CLI::detail::generate_parents(section, name, '.');
  item.name = std::move(name);
  return item.fullname();
}

// The key a `name = value` (or bare `name`, a flag) line sets; consumes the further lines of a
// value that opens an array and closes it later, as CLI11's reader does.
std::string KeyOf(const std::string& line, std::istream& in, int& number) {
  size_t eq = line.find('=');
  std::string name;
  if (eq == std::string::npos) {
    name = CutComment(line);
  } else {
    name = Trim(std::string_view(line).substr(0, eq));
    std::string value = CutComment(Trim(std::string_view(line).substr(eq + 1)));
    for (std::string more;
         value.size() > 1 && value.front() == '[' && value.back() != ']' && std::getline(in, more);
         ++number)
      value += Trim(more);
  }
  return name.find('.') == std::string::npos ? Unquoted(name) : name;
}

std::string Where(std::string_view file, int line) {
  std::string where(file);
  if (line > 0) where += ":" + std::to_string(line);
  return where;
}

Status Refuse(std::string_view file, int line, const std::string& key, const std::string& why) {
  return InvalidArgument(Where(file, line) + ": " + why, key);
}

// Edit distance (insertions, deletions, substitutions) between two short names.
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'listen'?)" for a key one or two edits from an option's name, else "".
std::string Suggestion(const CLI::App& command, const std::string& key) {
  if (key.size() > 64) return "";
  std::string best;
  size_t best_distance = 3;
  for (const CLI::Option* option : command.get_options())
    for (const std::string& name : option->get_lnames())
      if (size_t d = Distance(key, name); d < best_distance) best_distance = d, best = name;
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

bool IsSectionMark(const CLI::ConfigItem& item) {
  return item.name == "++" || item.name == "--";
}

// Why `item` may not be applied to `command`, or Ok. `times`: how many items have its name.
Status CheckItem(const CLI::App& command, std::string_view file, std::string_view text,
                 const CLI::ConfigItem& item, size_t times) {
  std::string key = item.fullname();
  std::vector<int> lines = LinesOfKey(text, key);
  int line = lines.empty() ? 0 : lines.front();
  if (lines.size() > 1 || times > 1)
    return Refuse(file, lines.size() > 1 ? lines[1] : line, key,
                  "'" + key + "' is set again (first on line " + std::to_string(line) + ")");
  if (!item.parents.empty())
    return Refuse(file, line, key,
                  "'" + key + "': sections and dotted keys are not read; write `" + item.name +
                      " = ...` at the top of the file");
  const CLI::Option* option = command.get_option_no_throw("--" + item.name);
  if (option == nullptr)
    return Refuse(file, line, key,
                  "unknown key '" + key + "': not an option of `" + command.get_name() + "`" +
                      Suggestion(command, key) + " (`" + command.get_name() +
                      " --help` lists them; write them without the --)");
  if (option == command.get_help_ptr() || !option->get_configurable())
    return Refuse(file, line, key, "'" + key + "' cannot be set in a configuration file");
  if (item.inputs.empty() || (item.inputs.size() == 1 && item.inputs[0].empty()))
    return Refuse(file, line, key,
                  "'" + key + "' has no value (leave the key out for the default)");
  return Status::Ok();
}

// Gives `item`'s value to its option unless the command line gave one; CLI11 converts and
// validates it as it does a flag's.
Status ApplyItem(CLI::App& command, std::string_view file, std::string_view text,
                 const CLI::ConfigItem& item) {
  CLI::Option* option = command.get_option_no_throw("--" + item.name);
  if (option->count() > 0) return Status::Ok();
  try {
    if (option->get_expected_min() == 0)
      option->add_result(option->get_flag_value(item.name, CLI::ConfigTOML().to_flag(item)));
    else
      option->add_result(item.inputs);
    option->run_callback();
  } catch (const std::exception& e) {
    std::vector<int> lines = LinesOfKey(text, item.name);
    return Refuse(file, lines.empty() ? 0 : lines.front(), item.name,
                  "'" + item.name + "': " + e.what());
  }
  return Status::Ok();
}

}  // namespace

std::vector<int> LinesOfKey(std::string_view text, std::string_view key) {
  std::vector<int> lines;
  std::istringstream in{std::string(text)};
  std::string section = "default";
  int number = 0;
  for (std::string raw; std::getline(in, raw);) {
    int at = ++number;
    std::string line = Trim(raw);
    if (line.size() < 3) continue;  // CLI11 skips them too
    if (line.front() == '[' && line.back() == ']') {
      section = SectionOf(line);
      continue;
    }
    if (line.front() == ';' || line.front() == '#') continue;
    if (FullName(section, KeyOf(line, in, number)) == key) lines.push_back(at);
  }
  return lines;
}

Status ApplyConfigText(CLI::App& command, std::string_view file, std::string_view text) {
  std::vector<CLI::ConfigItem> items;
  try {
    std::istringstream in{std::string(text)};
    items = CLI::ConfigTOML().from_config(in);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string(file) + ": " + e.what(), "config");
  }
  std::map<std::string, size_t> times;
  for (const CLI::ConfigItem& item : items)
    if (!IsSectionMark(item)) ++times[item.fullname()];
  for (const CLI::ConfigItem& item : items)
    if (!IsSectionMark(item))
      NCC_RETURN_IF_ERROR(CheckItem(command, file, text, item, times[item.fullname()]));
  for (const CLI::ConfigItem& item : items)
    if (!IsSectionMark(item)) NCC_RETURN_IF_ERROR(ApplyItem(command, file, text, item));
  return Status::Ok();
}

Status ApplyConfigFile(CLI::App& command, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot read configuration file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unavailable("cannot read configuration file " + path);
  return ApplyConfigText(command, path, text.str());
}

}  // namespace ncc::service
