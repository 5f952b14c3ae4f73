#include "exchange/cot/ingest.h"

#include <cmath>

namespace ncc::cot {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPosition:
      return "position";
    case Outcome::kIgnoredType:
      return "ignored_type";
    case Outcome::kNoCallsign:
      return "no_callsign";
    case Outcome::kUnknownCallsign:
      return "unknown_callsign";
    case Outcome::kInvalid:
      return "invalid";
    case Outcome::kMalformed:
      return "malformed";
    case Outcome::kOversized:
      return "oversized";
    case Outcome::kGarbage:
      return "garbage";
    case Outcome::kNotAReport:
      return "not_a_report";
    case Outcome::kChat:
      return "chat";
    case Outcome::kChatIncident:
      return "chat_incident";
    case Outcome::kMarker:
      return "marker";
    case Outcome::kMarkerIncident:
      return "marker_incident";
    case Outcome::kUnknownIncident:
      return "unknown_incident";
    case Outcome::kNegotiation:
      return "negotiation";
    case Outcome::kChatChannel:
      return "chat_channel";
  }
  return "unknown";
}

bool IsPositionType(std::string_view type) {
  return type.size() > 4 && type.substr(0, 4) == "a-f-";
}

bool IsSelfReport(std::string_view how) {
  return how == "h-e" || how == "m-g" || how.rfind("m-g-", 0) == 0;
}

Mapping Map(const CotEvent& e, const World& world, std::string_view agency) {
  Mapping m;
  if (!IsPositionType(e.type)) return m;
  if (!IsSelfReport(e.how)) {
    m.outcome = Outcome::kNotAReport;
    return m;
  }
  if (e.callsign.empty()) {
    m.outcome = Outcome::kNoCallsign;
    return m;
  }
  const Unit* u = world.FindUnitByCallsign(agency, e.callsign);
  if (!u) {
    m.outcome = Outcome::kUnknownCallsign;
    return m;
  }
  m.outcome = Outcome::kPosition;
  m.fix.unit = u->id;
  m.fix.position = {e.point.lat, e.point.lon};
  m.fix.time = Time{e.time_ms};
  m.fix.speed = e.speed.value_or(0);
  double course = e.course.value_or(0);
  m.fix.heading = course == 360 ? 0 : course;  // the lane refuses anything else out of range
  return m;
}

void Counters::Render(std::string& out) const {
  auto line = [&](const std::string& name, const std::string& help, const char* type, uint64_t v) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(v) + "\n";
  };
  out += "# HELP ncc_cot_events_total CoT events received, by what became of them\n";
  out += "# TYPE ncc_cot_events_total counter\n";
  for (size_t i = 0; i < kOutcomes; ++i)
    out += std::string("ncc_cot_events_total{outcome=\"") + OutcomeName(Outcome(i)) + "\"} " +
           std::to_string(events[i].load()) + "\n";
  line("ncc_cot_connections", "Open CoT connections", "gauge", connections_open.load());
  line("ncc_cot_connections_total", "CoT connections accepted", "counter",
       connections_total.load());
  line("ncc_cot_sign_ins_refused_total", "CoT connections refused at sign-in", "counter",
       sign_ins_refused.load());
  line("ncc_cot_tls_handshakes_failed_total", "CoT TLS handshakes that failed", "counter",
       handshakes_failed.load());
  line("ncc_cot_feed_events_total", "CoT events sent to clients", "counter", feed_events.load());
  line("ncc_cot_clients_cut_slow_total", "CoT clients disconnected for not keeping up", "counter",
       cut_slow.load());
  line("ncc_cot_clients_cut_write_timeout_total",
       "CoT clients disconnected because a write to them waited longer than the write timeout "
       "(also counted in ncc_cot_clients_cut_slow_total)",
       "counter", cut_write_timeout.load());
  line("ncc_cot_reads_paused_total",
       "Times a CoT connection stopped being read because the fixes waiting for the AVL lane "
       "were at their bound (back-pressure)",
       "counter", reads_paused.load());
  line("ncc_cot_connections_refused_busy_total", "CoT connections refused at the connection limit",
       "counter", refused_busy.load());
  line("ncc_cot_relayed_total", "CoT documents relayed from one TAK client to another", "counter",
       relayed.load());
  line("ncc_cot_proto_connections_total", "CoT connections that switched to TAK protocol v1",
       "counter", proto_clients.load());
}

}  // namespace ncc::cot
