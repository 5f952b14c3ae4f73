#include "plan/watcher.h"

#include <spdlog/spdlog.h>

#include "geo/polygon.h"
#include "plan/activation.h"

namespace ncc::plan {
namespace {

constexpr const char* kActor = kWatcherActor;

const PlanSector* SectorOf(const OperationPlan& p, const std::string& id) {
  for (const PlanSector& s : p.sectors)
    if (s.id == id) return &s;
  return nullptr;
}

bool InSector(const OperationPlan& p, const std::string& sector, const LatLon& at) {
  const PlanSector* s = SectorOf(p, sector);
  return s && geo::Ring(s->polygon).Contains(at);
}

using Todo = std::vector<PlanAction>;

void AlarmPoints(const World& w, const AlarmReceived& a, Seq seq, Todo& todo) {
  for (const OperationPlan& p : w.plans()) {
    if (p.status != "active") continue;
    for (const DecisionPoint& d : p.decision_points)
      if (d.when == "alarm" && !d.fired.ms && d.value == a.alarm.kind &&
          InSector(p, d.sector, a.alarm.location))
        todo.push_back(
            {FireDecisionPoint{p.id, d.id, seq.value,
                               a.alarm.kind + " alarm " + a.alarm.id + " in sector " + d.sector},
             p.agency,
             {}});
  }
}

void IncidentPoints(const World& w, const OperationPlan& p, Todo& todo) {
  for (const DecisionPoint& d : p.decision_points) {
    if (d.when != "incidents" || d.fired.ms) continue;
    int32_t open = 0;
    for (const Incident& i : w.incidents())  // the plan's own task incidents do not count
      if (!IsTerminal(i.status) && i.type != kPlanTaskIncidentType &&
          InSector(p, d.sector, i.location))
        ++open;
    if (open >= d.count)
      todo.push_back(
          {FireDecisionPoint{p.id, d.id, w.last_seq().value,
                             std::to_string(open) + " open incidents in sector " + d.sector},
           p.agency,
           {}});
  }
}

void DueTimes(const OperationPlan& p, Time now, Todo& todo) {
  for (const PlanPhase& ph : p.phases) {
    if (ph.start.ms && !ph.started.ms && now >= ph.start)
      todo.push_back({ChangePlanPhase{p.id, ph.id, "started"}, p.agency, {}});
    else if (ph.end.ms && ph.started.ms && !ph.ended.ms && now >= ph.end)
      todo.push_back({ChangePlanPhase{p.id, ph.id, "ended"}, p.agency, {}});
  }
  for (const PlanTask& t : p.tasks)
    if ((t.status == "planned" || t.status == "in_progress") && t.deadline.ms && !t.escalated.ms &&
        now > t.deadline)
      todo.push_back({EscalatePlanTask{p.id, t.id}, p.agency, {}});
}

}  // namespace

PlanWatcher::PlanWatcher(Engine& engine, const Clock& clock, int64_t tick_ms)
    : engine_(engine), clock_(clock), tick_ms_(tick_ms) {}

PlanWatcher::~PlanWatcher() {
  Stop();
}

size_t PlanWatcher::SubmitAll(Todo todo) {
  size_t accepted = 0;
  for (PlanAction& a : todo) {
    CommandOutcome o =
        engine_.SubmitAndWait(std::move(a.command), kActor, a.agency, std::move(a.id));
    if (o.status.ok())
      ++accepted;
    else if (o.status.code() != StatusCode::kFailedPrecondition)  // raced a person: fine
      spdlog::warn("plan watcher: {}", o.status.ToString());
  }
  return accepted;
}

Seq PlanWatcher::Follow(Seq after) {
  std::vector<FeedItemPtr> items;
  if (!engine_.feed().ReadAfter(after, 1000, items)) return engine_.feed().head();  // fell behind
  Todo todo;
  engine_.Read([&](const World& w) {
    for (const FeedItemPtr& item : items)
      if (const auto* a = std::get_if<AlarmReceived>(&item->event().body))
        AlarmPoints(w, *a, item->seq(), todo);
  });
  if (!items.empty()) after = items.back()->seq();
  SubmitAll(std::move(todo));
  return after;
}

size_t PlanWatcher::CheckTimers() {
  const Time now = clock_.Now();
  Todo todo;
  engine_.Read([&](const World& w) {
    for (const OperationPlan& p : w.plans()) {
      if (p.status != "active") continue;
      DueTimes(p, now, todo);
      IncidentPoints(w, p, todo);
      ActivationActions(p, w, now, todo);
    }
  });
  return SubmitAll(std::move(todo));
}

void PlanWatcher::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  listener_ = engine_.feed().Listen([this] {
    std::lock_guard l(mu_);
    woken_ = true;
    cv_.notify_one();
  });
  thread_ = std::thread([this] { Loop(); });
}

void PlanWatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_one();
  }
  thread_.join();
  engine_.feed().Unlisten(listener_);
}

void PlanWatcher::Loop() {
  Seq seen = engine_.feed().head();
  auto next_tick = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_tick, [&] { return stopping_ || woken_; });
      if (stopping_) return;
      woken_ = false;
    }
    seen = Follow(seen);
    if (std::chrono::steady_clock::now() >= next_tick) {
      CheckTimers();
      next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tick_ms_);
    }
  }
}

}  // namespace ncc::plan
