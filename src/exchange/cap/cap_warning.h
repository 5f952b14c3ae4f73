// CAP public warnings out (issue 16, "CAP public warning out"): what an operator asks to issue
// (ReadWarningRequest, the body of POST /api/v1/alerts) and the OASIS CAP 1.2 alert
// written for it (WriteWarning): an area as a polygon or a circle, audience, severity /
// urgency / certainty, one info block per language (Arabic and English), and Update / Cancel
// referencing the original. docs/exchange.md "CAP public warnings out".
//
// Owner: the exchange room. Pure (no I/O, no clock), any thread. Errors: kMalformed (not JSON,
// wrong JSON type, unknown field) and kInvalidArgument (a value CAP or ncc refuses), each
// naming the field by its JSON path ("area.polygon[3]", "info[1].language").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/warning.h"
#include "core/world.h"
#include "exchange/cap/cap_writer.h"

namespace ncc::cap {

// The request is the warning's content as core keeps it (core/warning.h).
using WarningRequest = WarningContent;

StatusOr<WarningRequest> ReadWarningRequest(std::string_view json);

// A warning as issued: its id and time, and the alerts it references (sender, identifier,
// sent of each earlier message of its chain, oldest first).
struct IssuedWarning {
  uint64_t id = 0;
  Time sent;
  std::string sender_name;  // the issuing agency
  WarningRequest request;
  struct Reference {
    std::string sender, identifier;
    Time sent;
  };
  std::vector<Reference> references;
};

// A warning of the World as CAP writes it: the chain of the warnings it replaces (oldest
// first) as its references, the issuing agency as senderName.
IssuedWarning IssuedFrom(const PublicWarning& warning, const World& world,
                         const CapOptions& options);

// "ncc-<sender>-warning-<id>".
std::string WarningIdentifier(uint64_t id, const CapOptions& options);

// The alert document (UTF-8, with an XML declaration), scope Public, in the schema's order.
std::string WriteWarning(const IssuedWarning& warning, const CapOptions& options);

// An Atom feed (RFC 4287) of public warnings, newest first, each entry carrying its alert
// (`alerts[k]`, the document as served, without its XML declaration) as content of type
// application/cap+xml and a link to `base_url` + "/api/v1/alerts/{id}/cap". `updated`: the
// newest warning's time (the feed changes only when a warning is issued).
struct WarningFeedEntry {
  const PublicWarning* warning;
  std::string alert;
};
std::string WriteWarningFeed(const std::vector<WarningFeedEntry>& entries,
                             const CapOptions& options, Time updated);

}  // namespace ncc::cap
