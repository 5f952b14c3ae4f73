// Public warnings (issue 16, "CAP public warning out"): what the centre tells the public and
// its partners, as OASIS CAP 1.2 alerts of scope Public. A warning is a record of the World
// like incidents, issued by a command (IssueWarning, decided in core/decide_warning.cc) into
// the same log; an Update or a Cancel is a new warning that references the one it replaces,
// which is then superseded or cancelled. What a warning says never changes once issued, so
// its CAP document (src/exchange/cap/cap_warning.h) is the same bytes on every read.
// Plain structs; each lists its fields once in Fields() (codec, JSON, digest).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/geo_point.h"
#include "core/ids.h"

namespace ncc {

// One language of a warning (CAP <info>).
struct WarningInfo {
  std::string language;  // "ar" or "en"
  std::string event, headline, description, instruction;
  template <typename V>
  void Fields(V& v) {
    v("language", language);
    v("event", event);
    v("headline", headline);
    v("description", description);
    v("instruction", instruction);
  }
};

// Where it applies (CAP <area>): a polygon or a circle.
struct WarningArea {
  std::string description;       // areaDesc
  std::vector<LatLon> polygon;   // closed ring (first == last), at least 4 points; or empty
  std::optional<LatLon> centre;  // a circle instead
  double radius_km = 0;
  template <typename V>
  void Fields(V& v) {
    v("description", description);
    v("polygon", polygon);
    v("centre", centre);
    v("radius_km", radius_km);
  }
};

// What an operator asks to issue.
struct WarningContent {
  std::string msg_type = "Alert";  // Alert | Update | Cancel
  uint64_t references = 0;         // Update / Cancel: the warning it updates or cancels
  std::string category;            // CAP category (Geo, Met, Safety, ...)
  std::string urgency, severity, certainty;
  std::string audience;
  std::optional<Time> expires;
  WarningArea area;
  std::vector<WarningInfo> info;  // at most one per language; none only for a Cancel
  template <typename V>
  void Fields(V& v) {
    v("msg_type", msg_type);
    v("references", references);
    v("category", category);
    v("urgency", urgency);
    v("severity", severity);
    v("certainty", certainty);
    v("audience", audience);
    v("expires", expires);
    v("area", area);
    v("info", info);
  }
};

// A warning as issued. `agency`, `issued_by` and `sent` come from the event's envelope.
// State: "actual" until an Update supersedes it or a Cancel cancels it (the later warning's
// id in `replaced_by`); an expired one stays "actual" with `expires` in the past.
struct PublicWarning {
  uint64_t id = 0;
  std::string agency;  // the issuing agency (CAP senderName)
  std::string issued_by;
  Time sent;
  WarningContent content;
  std::string state = "actual";  // actual | superseded | cancelled
  uint64_t replaced_by = 0;
  Seq seq;  // the seq that issued it
  template <typename V>
  void Fields(V& v) {
    v("id", id);
    v("agency", agency);
    v("issued_by", issued_by);
    v("sent", sent);
    v("content", content);
    v("state", state);
    v("replaced_by", replaced_by);
    v("seq", seq);
  }
};

}  // namespace ncc
