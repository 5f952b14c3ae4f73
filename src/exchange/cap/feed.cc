#include "exchange/cap/feed.h"

#include <pugixml.hpp>
#include <sstream>

#include "exchange/cap/xml_input.h"

namespace ncc::cap {
namespace {

constexpr size_t kMaxEntries = 1000;

pugi::xml_node Child(pugi::xml_node parent, std::string_view name) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && LocalName(c.name()) == name) return c;
  return {};
}

// `alert` as a document of its own: the namespace declarations it relies on from its
// ancestors (an envelope's xmlns:cap) are copied onto it.
std::string Standalone(pugi::xml_node alert) {
  pugi::xml_document doc;
  pugi::xml_node copy = doc.append_copy(alert);
  for (pugi::xml_node up = alert.parent(); up; up = up.parent())
    for (pugi::xml_attribute a = up.first_attribute(); a; a = a.next_attribute()) {
      std::string_view name(a.name());
      if ((name == "xmlns" || name.rfind("xmlns:", 0) == 0) && !copy.attribute(a.name()))
        copy.append_attribute(a.name()) = a.value();
    }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return out.str();
}

Status TooMany(const std::string& where) {
  return Status(StatusCode::kResourceExhausted,
                "more than " + std::to_string(kMaxEntries) + " entries", where);
}

Status ReadEnvelope(pugi::xml_node root, Feed& feed) {
  feed.kind = "edxl-de";
  auto objects = Children(root, "contentObject");
  for (size_t k = 0; k < objects.size(); ++k) {
    std::string where = Indexed("EDXLDistribution", "contentObject", k);
    pugi::xml_node embedded = Child(Child(objects[k], "xmlContent"), "embeddedXMLContent");
    for (pugi::xml_node c = embedded.first_child(); c; c = c.next_sibling())
      if (c.type() == pugi::node_element && LocalName(c.name()) == "alert") {
        if (feed.entries.size() == kMaxEntries) return TooMany("EDXLDistribution");
        feed.entries.push_back({"", "", "", Standalone(c), where});
      }
  }
  if (feed.entries.empty())
    return InvalidArgument("an EDXL-DE envelope without a CAP alert in its embeddedXMLContent",
                           "EDXLDistribution.contentObject");
  return Status::Ok();
}

// The entry's link to its alert: rel="alternate" (or no rel) preferred, else the first.
std::string AtomLink(pugi::xml_node entry) {
  std::string first;
  for (pugi::xml_node link : Children(entry, "link")) {
    std::string href = link.attribute("href").value();
    std::string rel = link.attribute("rel").value();
    if (rel.empty() || rel == "alternate") return href;
    if (first.empty()) first = href;
  }
  return first;
}

Status ReadAtom(pugi::xml_node root, Feed& feed) {
  feed.kind = "atom";
  auto entries = Children(root, "entry");
  if (entries.size() > kMaxEntries) return TooMany("feed");
  for (size_t k = 0; k < entries.size(); ++k) {
    FeedEntry e{Text(Child(entries[k], "id")), Text(Child(entries[k], "updated")),
                AtomLink(entries[k]), "", Indexed("feed", "entry", k)};
    pugi::xml_node alert = Child(Child(entries[k], "content"), "alert");
    if (alert) e.alert = Standalone(alert);
    if (e.alert.empty() && e.link.empty())
      return InvalidArgument("an entry with neither an embedded alert nor a link", e.where);
    feed.entries.push_back(std::move(e));
  }
  return Status::Ok();
}

Status ReadRss(pugi::xml_node root, Feed& feed) {
  feed.kind = "rss";
  auto items = Children(Child(root, "channel"), "item");
  if (items.size() > kMaxEntries) return TooMany("rss");
  for (size_t k = 0; k < items.size(); ++k) {
    FeedEntry e{Text(Child(items[k], "guid")), Text(Child(items[k], "pubDate")),
                Text(Child(items[k], "link")), "", Indexed("rss.channel", "item", k)};
    if (e.id.empty()) e.id = e.link;
    if (e.link.empty()) return InvalidArgument("an item without a link to its alert", e.where);
    feed.entries.push_back(std::move(e));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Feed> ReadFeed(std::string_view raw, const CapLimits& limits) {
  pugi::xml_document doc;
  NCC_RETURN_IF_ERROR(LoadPartnerXml(raw, limits, doc, nullptr));
  pugi::xml_node root = doc.document_element();
  std::string_view name = LocalName(root.name());
  Feed feed;
  if (name == "alert") {
    feed.kind = "alert";
    feed.entries.push_back({"", "", "", std::string(raw), "alert"});
    return feed;
  }
  Status read = name == "EDXLDistribution" ? ReadEnvelope(root, feed)
                : name == "feed"           ? ReadAtom(root, feed)
                : name == "rss"            ? ReadRss(root, feed)
                                           : InvalidArgument(
                                                 "the root element must be <alert>, an EDXL-DE "
                                                            "<EDXLDistribution>, an Atom <feed> or an RSS <rss>",
                                                 "alert");
  if (!read.ok()) return read;
  return feed;
}

}  // namespace ncc::cap
