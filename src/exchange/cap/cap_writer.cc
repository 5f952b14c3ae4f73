#include "exchange/cap/cap_writer.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <pugixml.hpp>
#include <sstream>

#include "core/json_writer.h"
#include "core/lifecycle.h"

namespace ncc::cap {
namespace {

constexpr const char* kNamespace = "urn:oasis:names:tc:emergency:cap:1.2";
constexpr size_t kHeadline = 160;  // CAP 1.2: "SHOULD be made as direct and actionable as possible
                                   // while remaining short" (160 characters for SMS)

// XML 1.0 cannot carry C0 controls other than tab, LF and CR, not even escaped: they become
// spaces so that an odd byte in a summary never makes the whole export unreadable.
std::string Clean(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') c = ' ';
  return out;
}

// At most `max` bytes, cut on a UTF-8 character boundary.
std::string Truncate(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

std::string Degrees(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

void Add(pugi::xml_node parent, const char* name, std::string_view text) {
  parent.append_child(name).text().set(Clean(text).c_str());
}

void AddPair(pugi::xml_node parent, const char* name, std::string_view key,
             std::string_view value) {
  pugi::xml_node n = parent.append_child(name);
  Add(n, "valueName", key);
  Add(n, "value", value);
}

bool Cancelled(IncidentStatus s) {
  return s == IncidentStatus::kCancelled || s == IncidentStatus::kMerged;
}
bool Over(IncidentStatus s) {
  return s == IncidentStatus::kResolved || s == IncidentStatus::kClosed || Cancelled(s);
}

// Priority 1 (most urgent) .. 5 -> CAP urgency and severity; an incident that is over is Past.
struct Grade {
  const char* urgency;
  const char* severity;
};
Grade GradeOf(const Incident& i) {
  static constexpr Grade kGrades[] = {{"Immediate", "Extreme"},
                                      {"Immediate", "Severe"},
                                      {"Expected", "Moderate"},
                                      {"Expected", "Minor"},
                                      {"Future", "Minor"}};
  Grade g = kGrades[std::clamp(i.priority, 1, 5) - 1];
  if (Over(i.status)) g.urgency = "Past";
  return g;
}

// Reported but not yet confirmed by anyone sent: Likely; once units are on it: Observed.
const char* CertaintyOf(const Incident& i) {
  return i.status == IncidentStatus::kNew || i.status == IncidentStatus::kTriaged ? "Likely"
                                                                                  : "Observed";
}

std::string RestrictionOf(const Incident& i) {
  std::string r =
      "ncc classification " + std::string(Name(i.classification)) + "; owning agency " + i.agency;
  if (!i.shared_with.empty()) {
    r += "; shared with ";
    for (size_t k = 0; k < i.shared_with.size(); ++k) r += (k ? ", " : "") + i.shared_with[k];
  }
  return r + "; not for redistribution beyond these agencies";
}

bool Changed(const Incident& i) {
  return i.updated.ms != i.created.ms;
}

}  // namespace

Status CheckSender(std::string_view sender) {
  if (sender.empty() || sender.size() > 128)
    return InvalidArgument("CAP sender must be 1..128 characters", "cap-sender");
  for (char c : sender)
    if (c == ',' || c == '<' || c == '&' || static_cast<unsigned char>(c) <= 0x20)
      return InvalidArgument("CAP sender must not contain spaces, commas, '<' or '&'",
                             "cap-sender");
  return Status::Ok();
}

std::string CapTime(Time t) {
  int64_t secs = t.ms >= 0 ? t.ms / 1000 : (t.ms - 999) / 1000;
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d-00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string_view CategoryOf(std::string_view type) {
  std::string_view head = type.substr(0, type.find('.'));
  struct Row {
    std::string_view prefix, category;
  };
  static constexpr Row kRows[] = {
      {"fire", "Fire"},
      {"medical", "Health"},
      {"ems", "Health"},
      {"health", "Health"},
      {"police", "Security"},
      {"crime", "Security"},
      {"security", "Security"},
      {"rescue", "Rescue"},
      {"sar", "Rescue"},
      {"traffic", "Transport"},
      {"transport", "Transport"},
      {"marine", "Transport"},
      {"hazmat", "CBRNE"},
      {"cbrne", "CBRNE"},
      {"weather", "Met"},
      {"flood", "Met"},
      {"geo", "Geo"},
      {"earthquake", "Geo"},
      {"env", "Env"},
      {"pollution", "Env"},
      {"infra", "Infra"},
      {"utility", "Infra"},
      {"safety", "Safety"},
  };
  for (const Row& r : kRows)
    if (head == r.prefix) return r.category;
  return "Other";
}

std::string FirstIdentifier(const Incident& incident, const CapOptions& options) {
  return "ncc-" + options.sender + "-incident-" + std::to_string(incident.id.value);
}

std::string Identifier(const Incident& incident, const CapOptions& options) {
  if (!Changed(incident)) return FirstIdentifier(incident, options);
  return FirstIdentifier(incident, options) + "-" + std::to_string(incident.last_seq.value);
}

namespace {

// The <alert> of one incident, appended to `parent` (a document, or an Atom <content>).
void AppendAlert(pugi::xml_node parent, const Incident& i, const CapOptions& options) {
  pugi::xml_node alert = parent.append_child("alert");
  alert.append_attribute("xmlns") = kNamespace;
  // Element order is the schema's (xs:sequence).
  Add(alert, "identifier", Identifier(i, options));
  Add(alert, "sender", options.sender);
  Add(alert, "sent", CapTime(Changed(i) ? i.updated : i.created));
  Add(alert, "status", "Actual");
  Add(alert, "msgType", !Changed(i) ? "Alert" : Cancelled(i.status) ? "Cancel" : "Update");
  Add(alert, "source", "ncc");
  if (i.classification == Classification::kPublic) {
    Add(alert, "scope", "Public");
  } else {
    Add(alert, "scope", "Restricted");
    Add(alert, "restriction", RestrictionOf(i));
  }
  if (Changed(i))
    Add(alert, "references",
        options.sender + "," + FirstIdentifier(i, options) + "," + CapTime(i.created));
  Add(alert, "incidents", FirstIdentifier(i, options));

  pugi::xml_node info = alert.append_child("info");
  Add(info, "language", "en-US");
  Add(info, "category", CategoryOf(i.type));
  Add(info, "event", i.type);
  if (i.status == IncidentStatus::kResolved || i.status == IncidentStatus::kClosed)
    Add(info, "responseType", "AllClear");
  Grade g = GradeOf(i);
  Add(info, "urgency", g.urgency);
  Add(info, "severity", g.severity);
  Add(info, "certainty", CertaintyOf(i));
  AddPair(info, "eventCode", "ncc:type", i.type);
  Add(info, "senderName", i.agency);
  std::string first_line = i.summary.substr(0, i.summary.find('\n'));
  Add(info, "headline", Truncate(first_line.empty() ? i.type : first_line, kHeadline));
  if (!i.summary.empty()) Add(info, "description", i.summary);
  AddPair(info, "parameter", "ncc:status", Name(i.status));
  AddPair(info, "parameter", "ncc:priority", std::to_string(i.priority));
  AddPair(info, "parameter", "ncc:agency", i.agency);

  pugi::xml_node area = info.append_child("area");
  std::string where = !i.address.empty() ? i.address
                      : !i.landmark.empty()
                          ? i.landmark
                          : Degrees(i.location.lat) + "," + Degrees(i.location.lon);
  Add(area, "areaDesc", where);
  Add(area, "circle", Degrees(i.location.lat) + "," + Degrees(i.location.lon) + " 0");
}

std::string Save(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent | pugi::format_no_declaration, pugi::encoding_utf8);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + out.str();
}

}  // namespace

std::string WriteAlert(const Incident& i, const CapOptions& options) {
  pugi::xml_document doc;
  AppendAlert(doc, i, options);
  return Save(doc);
}

std::string WriteFeed(const std::vector<Incident>& incidents, const CapOptions& options, Time now) {
  pugi::xml_document doc;
  pugi::xml_node feed = doc.append_child("feed");
  feed.append_attribute("xmlns") = "http://www.w3.org/2005/Atom";
  Add(feed, "id", "urn:ncc:" + options.sender + ":cap");
  Add(feed, "title", "ncc CAP alerts (" + options.sender + ")");
  Add(feed, "updated", FormatTime(now));
  feed.append_child("author").append_child("name").text().set(Clean(options.sender).c_str());
  for (const Incident& i : incidents) {
    pugi::xml_node entry = feed.append_child("entry");
    Add(entry, "id", "urn:ncc:" + Identifier(i, options));
    std::string first_line = i.summary.substr(0, i.summary.find('\n'));
    Add(entry, "title", Truncate(first_line.empty() ? i.type : first_line, kHeadline));
    Add(entry, "updated", FormatTime(Changed(i) ? i.updated : i.created));
    pugi::xml_node content = entry.append_child("content");
    content.append_attribute("type") = "application/cap+xml";
    AppendAlert(content, i, options);
  }
  return Save(doc);
}

}  // namespace ncc::cap
