// ncc-bench-stream-views: the stream's event filter for 1,000 readers of a few views, per reader
// (VisibleEventJson once per reader and event, as before SharedEventViews) against shared by
// view (SharedEventViews), in the same run over the same events: incidents of two agencies, some
// shared, recommendations naming units of both (redacted for the other agency), assignments.
// Prints one JSON line; exit 1 when the two ways showed a different number of events.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>

#include "engine/event_feed.h"
#include "server/event_pages.h"
#include "visibility/redact.h"

namespace {

using namespace ncc;

auth::Principal Dispatcher(const std::string& user, const std::string& agency) {
  auth::Principal p;
  p.user = user;
  p.agency = agency;
  p.roles = {{agency, auth::Role::kDispatcher}};
  p.clearance = Classification::kRestricted;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("ncc-bench-stream-views: the stream's event filter, per reader against per view");
  size_t readers_n = 1000, incidents = 200;
  app.add_option("--readers", readers_n, "stream readers, spread over two agencies");
  app.add_option("--incidents", incidents, "incidents (each: created, recommended, assigned)");
  CLI11_PARSE(app, argc, argv);

  World world;
  std::vector<Event> events;
  CommandContext ctx{"op", "police", Time{1'700'000'000'000}};
  auto run = [&](Command c, const std::string& agency) {
    ctx.agency = agency;
    ctx.now.ms += 1000;
    auto d = Execute(c, world, ctx, events);
    if (!d.ok()) {
      std::fprintf(stderr, "setup: %s\n", d.status().ToString().c_str());
      std::exit(2);
    }
  };
  run(RegisterAgency{{"police", "Police", "police"}}, "police");
  run(RegisterAgency{{"fire", "Fire", "fire"}}, "fire");
  for (int u = 0; u < 20; ++u)
    run(RegisterUnit{(u % 2 ? "E" : "P") + std::to_string(u),
                     u % 2 ? "fire" : "police",
                     u % 2 ? "engine" : "patrol",
                     {},
                     "",
                     LatLon{37.7 + u * 1e-3, -122.4}},
        u % 2 ? "fire" : "police");
  for (size_t k = 0; k < incidents; ++k) {
    std::string agency = k % 2 ? "fire" : "police";
    run(CreateIncident{agency + ".call", 2, {37.78, -122.41}, "", "", "bench", agency}, agency);
    IncidentId id(world.incidents().size());
    if (k % 4 == 0) run(ShareIncident{id, k % 2 ? "police" : "fire"}, agency);
    run(RecordRecommendation{id,
                             "default",
                             "",
                             {{UnitId(1 + k % 20), "patrol", 60, 500},
                              {UnitId(1 + (k + 1) % 20), "engine", 90, 800}},
                             {}},
        agency);
    if (k < 20) run(AssignUnit{id, UnitId(1 + k)}, agency);  // unit k+1 is of the same agency
  }
  std::vector<EventText> texts;
  for (const Event& e : events) {
    auto item = std::make_shared<const FeedItem>(e);
    texts.push_back({std::shared_ptr<const std::string>(item, &item->Json()), &item->event()});
  }
  std::vector<auth::Principal> readers;
  for (size_t r = 0; r < readers_n; ++r)
    readers.push_back(Dispatcher("d" + std::to_string(r), r % 2 ? "fire" : "police"));

  using Clock = std::chrono::steady_clock;
  size_t shown = 0;
  auto t0 = Clock::now();
  for (const EventText& t : texts)
    for (const auto& who : readers)
      shown += VisibleEventJson(who, *t.event, world, t.json) != nullptr;
  double per_reader = std::chrono::duration<double>(Clock::now() - t0).count();

  SharedEventViews views(texts.size() + 1);
  std::vector<uint32_t> ids;
  for (const auto& who : readers) ids.push_back(views.Intern(ViewOf(who)));
  size_t shown_shared = 0;
  t0 = Clock::now();
  for (const EventText& t : texts)
    for (size_t r = 0; r < readers.size(); ++r)
      shown_shared += views.Visible(readers[r], ids[r], t, world) != nullptr;
  double shared = std::chrono::duration<double>(Clock::now() - t0).count();

  double pairs = double(texts.size()) * double(readers.size());
  std::printf(
      "{\"events\": %zu, \"readers\": %zu, \"shown\": %zu, \"shown_shared\": %zu,"
      " \"per_reader_ns\": %.0f, \"shared_ns\": %.0f, \"speedup\": %.2f, \"decided\": %llu,"
      " \"shared\": %llu}\n",
      texts.size(), readers.size(), shown, shown_shared, 1e9 * per_reader / pairs,
      1e9 * shared / pairs, per_reader / shared, static_cast<unsigned long long>(views.decided()),
      static_cast<unsigned long long>(views.shared()));
  return shown == shown_shared ? 0 : 1;
}
