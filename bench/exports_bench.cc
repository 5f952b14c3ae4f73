// Exports and webhooks, per incident / per event, against the baseline measured in the same run:
// the JSON view GET /api/v1/incidents/{id} answers (JsonWriter::ToJson + dump).
//   CAP 1.2 alert, EIDO document, CAP parse of a real alert, webhook HMAC signature.
// Usage: ncc-bench-exports [--data DIR] (DIR/cap/oasiscap holds the real alerts)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "core/json_writer.h"
#include "exchange/cap/cap_parser.h"
#include "exchange/cap/cap_writer.h"
#include "exchange/eido/eido_writer.h"
#include "exchange/webhooks/webhook.h"

namespace {

using Clock = std::chrono::steady_clock;

// Median-free but warm: runs `f` n times after n/10 warm-up runs; ns per run.
template <typename F>
double NsPer(int n, F&& f) {
  size_t sink = 0;
  for (int k = 0; k < n / 10; ++k) sink += f();
  auto t0 = Clock::now();
  for (int k = 0; k < n; ++k) sink += f();
  double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / n;
  if (sink == 42) std::puts("");  // keep the work
  return ns;
}

ncc::Incident Sample() {
  ncc::Incident i;
  i.id = ncc::IncidentId(4711);
  i.type = "fire.structure";
  i.priority = 2;
  i.location = {25.2867, 51.5333};
  i.address = "Souq Waqif, gate 3";
  i.summary = "Smoke from the third floor, people on the balcony";
  i.agency = "civil_defence";
  i.classification = ncc::Classification::kRestricted;
  i.shared_with = {"police", "ambulance"};
  i.created = ncc::Time{1795992000000};
  i.updated = ncc::Time{1795992600000};
  i.last_seq = ncc::Seq(123456);
  i.status = ncc::IncidentStatus::kOnScene;
  for (int k = 0; k < 12; ++k)
    i.timeline.push_back({ncc::Time{1795992000000 + k * 30000}, "operator" + std::to_string(k % 3),
                          k % 2 ? "note" : "status", "entry number " + std::to_string(k)});
  return i;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "../shared/data";
  for (int k = 1; k + 1 < argc; ++k)
    if (!std::strcmp(argv[k], "--data")) data = argv[k + 1];
  const ncc::Incident incident = Sample();
  const int n = 20000;
  double json = NsPer(n, [&] { return ncc::JsonWriter::ToJson(incident).dump().size(); });
  double cap = NsPer(n, [&] { return ncc::cap::WriteAlert(incident, {}).size(); });
  double eido = NsPer(n, [&] { return ncc::eido::WriteEido(incident, {}).dump().size(); });
  std::string event = ncc::JsonWriter::ToJson(incident).dump();
  double sign =
      NsPer(n, [&] { return ncc::webhooks::Sign("whsec_0123456789abcdef", event).size(); });
  std::printf("baseline  incident JSON view     %8.1f us  %zu bytes\n", json / 1000,
              ncc::JsonWriter::ToJson(incident).dump().size());
  std::printf("CAP 1.2   alert                  %8.1f us  %.2fx baseline  %zu bytes\n", cap / 1000,
              cap / json, ncc::cap::WriteAlert(incident, {}).size());
  std::printf("EIDO      document (dumped)      %8.1f us  %.2fx baseline  %zu bytes\n", eido / 1000,
              eido / json, ncc::eido::WriteEido(incident, {}).dump().size());
  std::printf("webhook   HMAC-SHA256 of %4zu B  %8.1f us  %.2fx baseline\n", event.size(),
              sign / 1000, sign / json);
  for (const char* name : {"v1dot2_appendix_adot2.xml", "ipaws-5e7e0fc5023f1930efcf3deb.xml"}) {
    std::ifstream in(data + "/cap/oasiscap/" + name, std::ios::binary);
    if (!in) continue;
    std::stringstream s;
    s << in.rdbuf();
    std::string xml = s.str();
    double parse = NsPer(2000, [&] { return ncc::cap::ParseAlert(xml).ok() ? 1u : 0u; });
    std::printf("CAP parse %-36s %8.1f us  %.2fx baseline  %zu bytes\n", name, parse / 1000,
                parse / json, xml.size());
  }
  return 0;
}
