// Pages of committed events as JSON text, for GET /events and the WebSocket stream: from the
// in-memory feed while it still holds them, from the durable log otherwise; and the events as
// each view of the records is shown them, rendered once per view for every stream of that view.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authorize.h"
#include "core/thread_annotations.h"
#include "engine/engine.h"

namespace ncc {

struct EventText {
  std::shared_ptr<const std::string> json;
  const Event* event = nullptr;  // valid while `json` is held (it owns the event too)
};

StatusOr<std::vector<EventText>> EventPage(const Engine& engine, Seq after, size_t limit);

// What decides which records a principal sees (auth::CanSee, the redaction of visibility/):
// kind, agency, roles with their agencies, clearance, lanes — not the user's name. Two
// principals with the same view get the same answer from every read filter.
std::string ViewOf(const auth::Principal& who);

// The stream's event filter shared by view: VisibleEventJson decided once per (event, view)
// and handed to every stream of that view, so 1,000 consoles of a few agencies cost a few
// filterings and renderings per event instead of 1,000. A decision holds only in the World it
// was made in (World::last_seq): the filter reads the records' current labels, so a reader in a
// newer World decides again and replaces it. Every answer is therefore byte-identical to
// VisibleEventJson's for that reader (event_pages_test). Bounded: the newest `capacity` seqs.
// The audit of what a reader was shown stays per reader (ReadRecorder), never shared.
//
// Threads: any; one mutex held for look-ups and inserts only, never while filtering.
class SharedEventViews {
 public:
  explicit SharedEventViews(size_t capacity = 4096) : capacity_(capacity) {}

  // A small number for ViewOf(who), the same for equal views; once per stream.
  uint32_t Intern(const std::string& view) EXCLUDES(mu_);

  // VisibleEventJson(who, *text.event, world, text.json), shared with the readers of `view`
  // (Intern(ViewOf(who))). Call while holding the World (Engine::Read).
  std::shared_ptr<const std::string> Visible(const auth::Principal& who, uint32_t view,
                                             const EventText& text, const World& world)
      EXCLUDES(mu_);

  // For metrics and tests: decisions made, and answers taken from another reader's.
  uint64_t decided() const { return decided_; }
  uint64_t shared() const { return shared_; }

 private:
  struct Decision {
    uint32_t view;
    Seq world;                                // World::last_seq when decided
    std::shared_ptr<const std::string> text;  // null: the view may not see the event
  };
  const size_t capacity_;
  mutable Mutex mu_;
  std::map<std::string, uint32_t> views_ GUARDED_BY(mu_);
  std::map<uint64_t, std::vector<Decision>> by_seq_ GUARDED_BY(mu_);
  std::atomic<uint64_t> decided_{0}, shared_{0};
};

}  // namespace ncc
