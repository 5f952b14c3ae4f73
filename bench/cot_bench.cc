// ncc-bench-cot: the CoT (TAK) inbound and outbound paths against baselines in the same run.
//   - inbound: the real ATAK position reports ($DATA/cot/atak/cot/a-f-G-U-C) concatenated into one
//     stream, read in 16 KiB chunks through the Framer and ParseEvent (what a listener session
//     does), against pugixml alone loading the same documents from known offsets (the XML
//     parser's own cost: the floor for any pugixml-based reader);
//   - outbound: a unit rendered as CoT (UnitEvent + Write, every string escaped) against the
//     same unit rendered as the JSON the WebSocket stream and GET /units/{id} send.
// Prints a Markdown table. Options: --data DIR (default ../shared/data) --events N.
#include <pugixml.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/json_writer.h"
#include "exchange/cot/cot_event.h"
#include "exchange/cot/framer.h"
#include "exchange/cot/records.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "../shared/data";
  size_t events = 200'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--data") data = argv[i + 1];
    if (a == "--events") events = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::vector<std::string> docs;
  for (const auto& e : fs::directory_iterator(data + "/cot/atak/cot/a-f-G-U-C"))
    docs.push_back(ReadFile(e.path()));
  if (docs.empty()) {
    std::fprintf(stderr, "no ATAK reports under %s/cot/atak/cot/a-f-G-U-C\n", data.c_str());
    return 1;
  }
  std::string stream;
  std::vector<std::pair<size_t, size_t>> spans;
  for (size_t i = 0; i < events; ++i) {
    const std::string& d = docs[i % docs.size()];
    spans.emplace_back(stream.size(), d.size());
    stream += d;
    stream += '\n';
  }

  // Baseline: pugixml alone on each document.
  auto t0 = Clock::now();
  size_t ok_base = 0;
  for (auto [at, n] : spans) {
    pugi::xml_document doc;
    ok_base += static_cast<bool>(doc.load_buffer(stream.data() + at, n));
  }
  double base_s = Seconds(Clock::now() - t0);

  // ParseEvent alone on the same documents (the framer's share is the difference to below).
  t0 = Clock::now();
  size_t ok_parse = 0;
  for (auto [at, n] : spans)
    ok_parse += ncc::cot::ParseEvent(std::string_view(stream).substr(at, n)).ok();
  double parse_s = Seconds(Clock::now() - t0);

  // Measured: framer in 16 KiB reads + ParseEvent.
  t0 = Clock::now();
  size_t ok_cot = 0;
  ncc::cot::Framer framer;
  for (size_t at = 0; at < stream.size(); at += 16384) {
    framer.Append(std::string_view(stream).substr(at, 16384));
    for (;;) {
      auto next = framer.Next();
      if (!next.ok() || !*next) break;
      ok_cot += ncc::cot::ParseEvent(**next).ok();
    }
  }
  double cot_s = Seconds(Clock::now() - t0);
  if (ok_base != events || ok_cot != events || ok_parse != events) {
    std::fprintf(stderr, "parsed %zu / %zu of %zu\n", ok_base, ok_cot, events);
    return 1;
  }

  // Outbound: one unit, rendered `events` times each way.
  ncc::Unit u;
  u.id = ncc::UnitId(42);
  u.callsign = "Patrol <12> & \"north\"";
  u.agency = "police";
  u.kind = "patrol";
  u.position = ncc::LatLon{25.2854, 51.5310};
  u.position_time = ncc::Time{1700000000000};
  u.speed = 12.5;
  u.heading = 271;
  size_t bytes_json = 0, bytes_cot = 0;
  t0 = Clock::now();
  for (size_t i = 0; i < events; ++i) bytes_json += ncc::JsonWriter::ToJson(u).dump().size();
  double json_s = Seconds(Clock::now() - t0);
  t0 = Clock::now();
  for (size_t i = 0; i < events; ++i)
    bytes_cot +=
        ncc::cot::Write(*ncc::cot::UnitEvent(u, 1700000000000 + int64_t(i), 300000)).size();
  double write_s = Seconds(Clock::now() - t0);

  std::printf(
      "| path (%zu events, %zu real ATAK reports, %zu bytes each on average) | events/s | "
      "ratio to baseline |\n|---|---|---|\n",
      events, docs.size(), stream.size() / events);
  std::printf("| baseline: pugixml load_buffer per document | %.0f | 1.00 |\n", events / base_s);
  std::printf("| ParseEvent alone (validated CotEvent) | %.0f | %.2f |\n", events / parse_s,
              base_s / parse_s);
  std::printf(
      "| inbound: Framer (16 KiB reads) + ParseEvent (validated CotEvent) | %.0f | %.2f |\n",
      events / cot_s, base_s / cot_s);
  std::printf("| baseline: unit as JSON (JsonWriter::ToJson + dump, %zu bytes) | %.0f | 1.00 |\n",
              bytes_json / events, events / json_s);
  std::printf("| outbound: unit as CoT (UnitEvent + Write, escaped, %zu bytes) | %.0f | %.2f |\n",
              bytes_cot / events, events / write_s, json_s / write_s);
  return 0;
}
