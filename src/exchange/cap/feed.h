// Partners' documents that carry or index CAP alerts (docs/exchange.md): a bare <alert>, an
// EDXL-DE 1.0 envelope (alerts in contentObject/xmlContent/embeddedXMLContent), an Atom feed
// (RFC 4287: entries whose <content type="application/cap+xml"> holds a whole alert, or that
// link to one, as NWS's and IPAWS's indexes do) or an RSS 2.0 channel (items linking to alerts).
// Each embedded alert comes out as a standalone UTF-8 document for ParseAlert, with the
// namespaces it used from its envelope. Same limits, DOCTYPE and entity rules as ParseAlert.
// Pure: no clock, no I/O; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "exchange/cap/cap_parser.h"

namespace ncc::cap {

struct FeedEntry {
  std::string id;       // entry id / item guid ("" in an envelope)
  std::string updated;  // as written (Atom updated, RSS pubDate): an entry seen again unchanged
  std::string link;     // where the whole alert is, when not embedded
  std::string alert;    // the embedded alert, a standalone document; empty: only linked
  std::string where;    // "feed.entry[3]", "EDXLDistribution.contentObject[0]", for errors
};

struct Feed {
  std::string kind;  // "alert" | "edxl-de" | "atom" | "rss"
  std::vector<FeedEntry> entries;
};

// InvalidArgument naming the element for a document that is none of the four, or malformed;
// kResourceExhausted past a limit; at most 1,000 entries.
StatusOr<Feed> ReadFeed(std::string_view xml, const CapLimits& limits = {});

}  // namespace ncc::cap
