// Test helper: reads the roles/actions table out of docs/security.md, independently of
// permissions.cc, so tests can hold the code to what the document promises.
#pragma once

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ncc::auth::testing {

struct DocRow {
  std::set<std::string> roles;  // role names granting the action
  bool via_share = false;
  std::string lane;  // empty for none
};

struct DocTable {
  std::vector<std::string> role_columns;
  std::map<std::string, DocRow> rows;  // by action name
  std::string error;                   // non-empty if the doc could not be read
};

inline std::vector<std::string> SplitCells(const std::string& line) {
  std::vector<std::string> cells;
  // "| a | b |" -> {"a", "b"}
  for (size_t start = line.find('|'); start != std::string::npos;) {
    size_t next = line.find('|', start + 1);
    if (next == std::string::npos) break;
    std::string c = line.substr(start + 1, next - start - 1);
    size_t b = c.find_first_not_of(" \t"), e = c.find_last_not_of(" \t");
    cells.push_back(b == std::string::npos ? "" : c.substr(b, e - b + 1));
    start = next;
  }
  return cells;
}

inline std::string StripTicks(std::string s) {
  if (s.size() >= 2 && s.front() == '`' && s.back() == '`') return s.substr(1, s.size() - 2);
  return s;
}

inline DocTable ReadDocTable(const std::string& path) {
  DocTable t;
  std::ifstream in(path);
  if (!in) {
    t.error = "cannot open " + path;
    return t;
  }
  std::string line;
  bool inside = false;
  std::vector<std::string> header;
  while (std::getline(in, line)) {
    if (line.find("<!-- permissions-table:begin -->") != std::string::npos) {
      inside = true;
      continue;
    }
    if (line.find("<!-- permissions-table:end -->") != std::string::npos) break;
    if (!inside || line.empty() || line[0] != '|') continue;
    std::vector<std::string> cells = SplitCells(line);
    if (header.empty()) {
      header = cells;
      if (header.size() < 3 || header.front() != "action" ||
          header[header.size() - 2] != "via share" || header.back() != "gateway lane") {
        t.error = "unexpected table header";
        return t;
      }
      t.role_columns.assign(header.begin() + 1, header.end() - 2);
      continue;
    }
    if (cells.size() > 1 && cells[0].rfind("---", 0) == 0) continue;  // separator row
    if (cells.size() != header.size()) {
      t.error = "row with " + std::to_string(cells.size()) + " cells: " + line;
      return t;
    }
    DocRow row;
    for (size_t i = 0; i < t.role_columns.size(); ++i) {
      const std::string& c = cells[i + 1];
      if (c == "✓") {
        row.roles.insert(t.role_columns[i]);
      } else if (!c.empty()) {
        t.error = "unexpected cell '" + c + "' in " + line;
        return t;
      }
    }
    row.via_share = cells[cells.size() - 2] == "✓";
    row.lane = StripTicks(cells.back());
    t.rows[StripTicks(cells[0])] = row;
  }
  if (t.rows.empty() && t.error.empty()) t.error = "no permissions table in " + path;
  return t;
}

inline std::string DocPath() {
  return std::string(NCC_SOURCE_DIR) + "/docs/security.md";
}

}  // namespace ncc::auth::testing
