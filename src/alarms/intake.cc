#include "alarms/intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "engine/metrics.h"

namespace ncc::alarms {
namespace {

using correlate::AlarmKind;
using correlate::GroupId;

constexpr size_t kMaxMetricSources = 256;  // beyond this, sources are counted as "_other"
// Groups whose last alarm is older than this are dropped from memory (their incidents stay).
constexpr int64_t kForgetAfterMs = 2 * 3600 * 1000;

bool ClosedForAlarms(const Incident& i) {
  return IsTerminal(i.status) || i.status == IncidentStatus::kResolved;
}

// Alarms merge only within one owning agency and one classification: a source never lands in
// an incident that readers of the source could not see, or that would expose it more widely.
std::string MergeKey(const std::string& agency, Classification c) {
  return agency + "/" + std::string(Name(c));
}

// `agency` owns the alarm (its id is unique within it); alarms merge within (agency, c).
correlate::Alarm ToAlarm(const IncidentSource& s, const std::string& agency, Classification c) {
  correlate::Alarm a;
  a.id = s.id;
  a.source = s.source;
  a.kind = correlate::AlarmKindFromName(s.kind).value_or(AlarmKind::kCall);
  a.location = s.location;
  a.time = s.time;
  a.sensor = s.sensor;
  a.plate = s.plate;
  a.agency = MergeKey(agency, c);
  a.owner = agency;
  a.priority = s.priority;
  return a;
}

// "alarms[3].location.lat" -> "location.lat": a bounded set of metric labels.
std::string ReasonLabel(const std::string& field) {
  std::string f = field;
  if (f.rfind("alarms[", 0) == 0) {
    size_t dot = f.find("].");
    f = dot == std::string::npos ? "alarms" : f.substr(dot + 2);
  }
  if (f.empty()) return "body";
  static const std::set<std::string> known = {
      "id",     "kind",  "location", "location.lat",   "location.lon", "time",   "source",
      "sensor", "plate", "details",  "classification", "body",         "alarms", "agency"};
  return known.count(f) ? f : "other";
}

StatusOr<ParsedPayload> ParseCounted(std::string_view bytes) {
  return ParsePayload(bytes);
}

}  // namespace

// Where a payload came from: a trusted bridge (no principal) or an HTTP caller.
struct Intake::Lane {
  std::string source;  // default source name, also the metric label for whole-payload errors
  const auth::Principal* who = nullptr;
  std::string actor;
};

size_t SubmitResult::accepted() const {
  return std::count_if(items.begin(), items.end(), [](const ItemResult& i) {
    return i.outcome == "opened" || i.outcome == "merged";
  });
}

StatusOr<SourceMap> ParseSources(std::string_view text) {
  using Json = nlohmann::json;
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("sources") || !j["sources"].is_object())
    return InvalidArgument("must be {\"sources\": {NAME: {\"agency\": ...}}}", "sources");
  SourceMap out;
  for (const auto& [name, v] : j["sources"].items()) {
    std::string at = "sources." + name;
    if (!ValidSourceName(name)) return InvalidArgument("must be 1..64 of A-Z a-z 0-9 . _ -", at);
    if (!v.is_object() || !v.contains("agency") || !v["agency"].is_string())
      return InvalidArgument("needs \"agency\"", at + ".agency");
    SourceConfig c;
    c.agency = v["agency"].get<std::string>();
    for (const auto& [key, value] : v.items()) {
      if (key == "agency") continue;
      if (key != "classification") return InvalidArgument("unknown field", at + "." + key);
      auto cls = value.is_string() ? ParseClassification(value.get<std::string>()) : std::nullopt;
      if (!cls)
        return InvalidArgument("must be public, restricted, confidential or secret",
                               at + ".classification");
      c.classification = *cls;
    }
    out[name] = std::move(c);
  }
  return out;
}

StatusOr<SourceMap> LoadSourcesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read alarm sources file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseSources(ss.str());
}

Intake::Intake(Engine& engine, const Clock& clock, IntakeOptions options)
    : engine_(engine), clock_(clock), options_(std::move(options)) {}

StatusOr<std::unique_ptr<Intake>> Intake::Start(Engine& engine, const Clock& clock,
                                                IntakeOptions options) {
  std::unique_ptr<Intake> intake(new Intake(engine, clock, std::move(options)));
  intake->Rebuild();
  intake->worker_ = std::thread([p = intake.get()] { p->WorkerLoop(); });
  return intake;
}

Intake::~Intake() {
  Stop();
}

void Intake::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !worker_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Intake::Post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      jobs_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  job();  // stopped: the job runs here and finds the engine stopped too, or answers itself
}

void Intake::WorkerLoop() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
    if (++jobs_done_ % 256 == 0 && correlator_) {
      correlator_->ForgetBefore(Time{clock_.Now().ms - kForgetAfterMs});
      std::erase_if(incident_of_group_,
                    [&](const auto& kv) { return correlator_->Find(kv.first) == nullptr; });
    }
  }
}

// The correlator from the World: every open incident with sources recent enough to take more.
void Intake::Rebuild() {
  correlator_ = std::make_unique<correlate::Correlator>(options_.rules);
  incident_of_group_.clear();
  size_t restored = 0;
  engine_.Read([&](const World& w) {
    int64_t newest = INT64_MIN;
    for (const Incident& i : w.incidents())
      for (const IncidentSource& s : i.sources) {
        newest = std::max(newest, s.time.ms);
        if (s.id.rfind("call-", 0) == 0)
          next_call_ =
              std::max<uint64_t>(next_call_, std::strtoull(s.id.c_str() + 5, nullptr, 10) + 1);
      }
    if (newest == INT64_MIN) return;  // no alarm yet: nothing to restore (and no underflow)
    int64_t horizon = newest - std::max<int64_t>(options_.rules.MaxWindowMs(), kForgetAfterMs);
    for (const Incident& i : w.incidents()) {
      if (i.sources.empty() || ClosedForAlarms(i)) continue;
      int64_t last = INT64_MIN;
      for (const IncidentSource& s : i.sources) last = std::max(last, s.time.ms);
      if (last < horizon) continue;
      std::vector<correlate::Alarm> alarms;
      for (const IncidentSource& s : i.sources)
        alarms.push_back(ToAlarm(s, i.agency, i.classification));
      Status s =
          correlator_->Restore(GroupId(i.id.value), std::move(alarms), GroupId(i.split_from.value));
      if (!s.ok()) {
        spdlog::warn("alarm intake: incident {} not restored: {}", i.id.value, s.ToString());
        continue;
      }
      incident_of_group_[GroupId(i.id.value)] = i.id;
      ++restored;
    }
  });
  spdlog::info("alarm intake: correlator rebuilt from the log ({} open incident groups)", restored);
}

void Intake::CloseFinishedGroups(const World& w) {
  for (const auto& [group, incident] : incident_of_group_) {
    if (!correlator_->IsOpen(group)) continue;
    const Incident* i = w.FindIncident(incident);
    if (!i || ClosedForAlarms(*i)) correlator_->Close(group);
  }
}

// One alarm checked, labelled and ready to correlate.
struct Intake::Prepared {
  size_t result = 0;  // index into SubmitResult::items
  IncidentSource source;
  std::string agency;
  Classification classification = Classification::kRestricted;
  std::string type;  // asked for by the alarm; empty: the rules' type of its kind
  // A plate read that hit a watchlist entry the reporting key may not see: recorded, but
  // answered exactly like a read of a plate on no list.
  bool hidden = false;
};

SubmitResult Intake::Process(const Lane& lane, StatusOr<ParsedPayload> payload) {
  SubmitResult out;
  if (!payload.ok()) {
    out.status = AsMalformed(payload.status());
    CountResult(lane, out);
    return out;
  }
  out.single = payload->single;
  out.items.resize(payload->items());
  for (const ItemError& e : payload->rejected) {
    ItemResult& r = out.items[e.index];
    r.index = e.index;
    r.outcome = "rejected";
    r.status = e.status;
  }
  auto reject = [&](ItemResult& r, Status s) {
    r.outcome = "rejected";
    r.status = std::move(s);
  };
  Time now = clock_.Now();
  std::vector<Prepared> ready;
  engine_.Read([&](const World& w) {
    CloseFinishedGroups(w);
    for (const WireAlarm& a : payload->alarms) {
      ItemResult& r = out.items[a.index];
      r.index = a.index;
      r.id = a.id;
      std::string at = out.single ? "" : "alarms[" + std::to_string(a.index) + "].";
      std::string source = a.source.empty() ? lane.source : a.source;
      r.source = source;
      if (!lane.who && !a.source.empty() && a.source != lane.source) {
        reject(r, InvalidArgument("differs from the lane's source " + lane.source, at + "source"));
        continue;
      }
      auto config = options_.sources.find(source);
      if (!lane.who && config == options_.sources.end()) {
        reject(r,
               Status(StatusCode::kPermissionDenied,
                      "source " + source + " is not configured (--alarm-sources)", at + "source"));
        continue;
      }
      Prepared p;
      p.agency = config != options_.sources.end() ? config->second.agency : lane.who->agency;
      p.classification =
          a.classification.value_or(config != options_.sources.end() ? config->second.classification
                                                                     : Classification::kRestricted);
      if (lane.who) {
        auth::RecordLabel label{p.agency, p.classification, {}};
        if (Status s = auth::Authorize(*lane.who, auth::Action::kAlarmReport, &label); !s.ok()) {
          reject(r, Status(s.code(), s.message(), at + "source"));
          continue;
        }
      }
      if (!w.FindAgency(p.agency)) {
        reject(r, InvalidArgument("the source's agency " + p.agency + " is not registered",
                                  at + "source"));
        continue;
      }
      if (Status s = CheckTime(a.time, now, at + "time"); !s.ok()) {
        reject(r, s);
        continue;
      }
      if (IncidentId done = w.IncidentOfAlarm(p.agency, a.id)) {
        // The key learns the incident only if it may report into it; a repeated plate read
        // whose hit it may not see is answered as the first one was: no hit.
        const Incident* i = w.FindIncident(done);
        bool visible = !lane.who ||
                       (i && auth::CanSee(*lane.who, {i->agency, i->classification, i->shared_with},
                                          auth::Action::kAlarmReport));
        r.outcome = visible || a.kind != "lpr_read" ? "duplicate" : "no_hit";
        if (visible) r.incident = done;
        continue;
      }
      p.source = {a.id,     source,  a.kind, a.location, a.time,
                  a.sensor, a.plate, "",     a.priority, a.details};
      p.type = a.type;
      if (a.kind == "lpr_read") {
        // A read is an alarm only if the plate is on the source agency's watchlist; the
        // entry's classification raises the alarm's (the reason stays on the entry).
        auto hit = w.watchlist().find({a.plate, p.agency});
        if (hit == w.watchlist().end()) {
          r.outcome = "no_hit";
          continue;
        }
        p.source.kind = "lpr_hit";
        p.source.watchlist = hit->second.list;
        p.classification = std::max(p.classification, hit->second.classification);
        if (lane.who) {
          auth::RecordLabel raised{p.agency, p.classification, {}};
          p.hidden = !auth::Authorize(*lane.who, auth::Action::kAlarmReport, &raised).ok();
        }
      }
      p.result = a.index;
      ready.push_back(std::move(p));
    }
  });

  ReceiveAlarms command;
  std::map<GroupId, int32_t> opened_by;  // new groups of this command -> item that opens it
  std::vector<size_t> result_of_item;
  std::vector<bool> hidden_item(out.items.size(), false);  // by index into out.items
  for (Prepared& p : ready) {
    ItemResult& r = out.items[p.result];
    if (const correlate::AlarmGroup* g = correlator_->GroupOf(p.agency, p.source.id)) {
      r.outcome = p.hidden ? "no_hit" : "duplicate";  // twice in one batch, or being written
      auto known = incident_of_group_.find(g->id);
      if (known != incident_of_group_.end() && !p.hidden) r.incident = known->second;
      continue;
    }
    auto decisions = correlator_->Ingest(ToAlarm(p.source, p.agency, p.classification));
    if (!decisions.ok()) {
      reject(r, decisions.status());
      continue;
    }
    const correlate::Decision& first = decisions->front();
    const correlate::AlarmGroup* group = correlator_->Find(first.group);
    ReceiveAlarms::Item item;
    item.alarm = p.source;
    item.meters = first.meters;
    item.priority_after = group->priority;
    item.priority_reason = std::to_string(group->independent_sources) + " independent sources";
    if (first.kind == correlate::DecisionKind::kNewGroup) {
      AlarmKind kind = correlate::AlarmKindFromName(p.source.kind).value_or(AlarmKind::kCall);
      item.open.type = p.type.empty() ? options_.rules.type[static_cast<size_t>(kind)] : p.type;
      item.open.priority = group->priority;
      item.open.location = p.source.location;
      item.open.agency = p.agency;
      item.open.classification = p.classification;
      item.open.summary = p.source.kind + " from " + p.source.source +
                          (p.source.sensor.empty() ? "" : " (" + p.source.sensor + ")") +
                          (p.source.details.empty() ? "" : ": " + p.source.details);
      if (item.open.summary.size() > Limits::kSummary) item.open.summary.resize(Limits::kSummary);
      opened_by[first.group] = static_cast<int32_t>(command.items.size());
      r.outcome = "opened";
    } else if (auto known = incident_of_group_.find(first.group);
               known != incident_of_group_.end()) {
      item.join = known->second;
      r.outcome = "merged";
    } else {
      item.join_item = opened_by.at(first.group);
      r.outcome = "merged";
    }
    command.items.push_back(std::move(item));
    result_of_item.push_back(p.result);
    hidden_item[p.result] = p.hidden;
  }
  if (command.items.empty()) {
    CountResult(lane, out);
    return out;
  }
  std::string agency = ready.front().agency;
  CommandOutcome o = engine_.SubmitAndWait(command, lane.actor, agency);
  if (!o.status.ok()) {
    // The correlator ran ahead of the log: rebuild it from the World and refuse these items.
    spdlog::warn("alarm intake: command refused ({}); rebuilding the correlator",
                 o.status.ToString());
    Rebuild();
    for (size_t k : result_of_item)
      reject(out.items[k],
             Status(o.status.code(), "not recorded: " + o.status.message(), o.status.field()));
    CountResult(lane, out);
    return out;
  }
  // A batch of nothing but hidden hits answers as reads of plates on no list: no seq.
  bool shown = std::any_of(result_of_item.begin(), result_of_item.end(),
                           [&](size_t k) { return !hidden_item[k]; });
  if (shown) out.last_seq = o.last_seq;
  uint64_t next = o.created_id;
  std::vector<IncidentId> incident_of_item(command.items.size());
  for (size_t k = 0; k < command.items.size(); ++k) {
    const ReceiveAlarms::Item& item = command.items[k];
    IncidentId id = item.join             ? item.join
                    : item.join_item >= 0 ? incident_of_item[item.join_item]
                                          : IncidentId(next++);
    incident_of_item[k] = id;
    out.items[result_of_item[k]].incident = id;
  }
  for (const auto& [group, item] : opened_by) incident_of_group_[group] = incident_of_item[item];
  for (size_t k : result_of_item)
    if (hidden_item[k]) {
      out.items[k].outcome = "no_hit";
      out.items[k].incident = IncidentId();
    }
  CountResult(lane, out);
  return out;
}

void Intake::Count(const std::string& source, const std::string& what, uint64_t n) {
  std::lock_guard lock(metrics_mu_);
  auto it = counts_.find(source);
  if (it == counts_.end()) {
    if (counts_.size() >= kMaxMetricSources)
      it = counts_.try_emplace("_other").first;
    else
      it = counts_.try_emplace(source).first;
  }
  it->second[what] += n;
}

void Intake::CountResult(const Lane& lane, const SubmitResult& r) {
  if (!r.status.ok()) return Count(lane.source, "rejected:" + ReasonLabel(r.status.field()));
  for (const ItemResult& i : r.items) {
    const std::string& source = i.source.empty() ? lane.source : i.source;
    if (i.outcome == "rejected")
      Count(source, "rejected:" + ReasonLabel(i.status.field()));
    else
      Count(source, i.outcome);
  }
}

void Intake::RenderMetrics(std::string& out) const {
  std::lock_guard lock(metrics_mu_);
  out +=
      "# HELP ncc_alarms_total Alarms per source and outcome (opened, merged, duplicate, "
      "no_hit, rejected with the field to blame)\n# TYPE ncc_alarms_total counter\n";
  for (const auto& [source, whats] : counts_)
    for (const auto& [what, n] : whats) {
      size_t colon = what.find(':');
      std::string outcome = what.substr(0, colon);
      out += "ncc_alarms_total{source=\"" + source + "\",outcome=\"" + outcome + "\"";
      if (colon != std::string::npos) out += ",field=\"" + what.substr(colon + 1) + "\"";
      out += "} " + std::to_string(n) + "\n";
    }
}

SubmitResult Intake::SubmitAndWait(std::string_view source, std::string_view payload_bytes) {
  auto lane = std::make_shared<Lane>(
      Lane{ValidSourceName(source) ? std::string(source) : "_invalid", nullptr,
           "source:" + std::string(ValidSourceName(source) ? source : "_invalid")});
  auto parsed = std::make_shared<StatusOr<ParsedPayload>>(ParseCounted(payload_bytes));
  std::promise<SubmitResult> promise;
  auto future = promise.get_future();
  Post([&, lane, parsed] { promise.set_value(Process(*lane, std::move(*parsed))); });
  return future.get();
}

Status Intake::Submit(std::string_view source, std::string_view payload_bytes) {
  SubmitResult r = SubmitAndWait(source, payload_bytes);
  if (!r.status.ok()) return r.status;
  for (const ItemResult& i : r.items)
    if (i.outcome == "rejected") return i.status;
  return Status::Ok();
}

void Intake::SubmitAsync(const auth::Principal& who, std::string payload, Done done) {
  auto lane = std::make_shared<Lane>();
  // An API key's principal is "apikey:NAME": its alarms' default source is NAME.
  std::string name = who.user.substr(who.user.find(':') + 1);
  lane->source = ValidSourceName(name) ? name : "http";
  auto principal = std::make_shared<auth::Principal>(who);
  lane->who = principal.get();
  lane->actor = who.user;
  auto parsed = std::make_shared<StatusOr<ParsedPayload>>(ParseCounted(payload));
  Post([this, lane, principal, parsed, done = std::move(done)] {
    done(Process(*lane, std::move(*parsed)));
  });
}

void Intake::SubmitCall(CreateIncident call, std::string actor,
                        std::function<void(StatusOr<CallResult>)> done) {
  Post([this, call = std::move(call), actor = std::move(actor), done = std::move(done)]() mutable {
    engine_.Read([&](const World& w) { CloseFinishedGroups(w); });
    IncidentSource s;
    s.id = "call-" + std::to_string(next_call_++);
    s.source = "calls";
    s.kind = "call";
    s.location = call.location;
    s.time = clock_.Now();
    s.priority = call.priority >= 1 && call.priority <= 5 ? call.priority : 0;
    s.details = call.summary.substr(0, Limits::kSummary);
    // Validate as a plain create would before correlating: a refused call must not enter the
    // correlator.
    auto checked = engine_.Read([&](const World& w) {
      CommandContext ctx{actor, call.agency, s.time};
      return Decide(Command(call), w, ctx);
    });
    if (!checked.ok()) return done(checked.status());
    auto decisions = correlator_->Ingest(ToAlarm(s, call.agency, call.classification));
    if (!decisions.ok()) return done(decisions.status());
    const correlate::Decision& first = decisions->front();
    const correlate::AlarmGroup* group = correlator_->Find(first.group);
    ReceiveAlarms command;
    ReceiveAlarms::Item& item = command.items.emplace_back();
    item.alarm = s;
    item.meters = first.meters;
    item.priority_after = group->priority;
    item.priority_reason = std::to_string(group->independent_sources) + " independent sources";
    auto known = incident_of_group_.find(first.group);
    bool merged =
        first.kind == correlate::DecisionKind::kMerged && known != incident_of_group_.end();
    if (merged)
      item.join = known->second;
    else
      item.open = call;
    CommandOutcome o = engine_.SubmitAndWait(command, actor, call.agency);
    if (!o.status.ok()) {
      Rebuild();
      return done(o.status);
    }
    IncidentId id = merged ? item.join : IncidentId(o.created_id);
    if (!merged) incident_of_group_[first.group] = id;
    Count("calls", merged ? "merged" : "opened");
    done(CallResult{id, merged, s.id, o.last_seq});
  });
}

void Intake::Split(IncidentId id, std::vector<std::string> sources, std::string actor,
                   std::function<void(StatusOr<CommandOutcome>)> done) {
  Post([this, id, sources = std::move(sources), actor = std::move(actor),
        done = std::move(done)]() mutable {
    // The priorities both parts will have, from a correlator holding just this incident.
    correlate::Correlator scratch(options_.rules);
    std::string agency;
    Status restored = engine_.Read([&](const World& w) {
      const Incident* i = w.FindIncident(id);
      if (!i) return NotFound("no incident " + std::to_string(id.value), "id");
      if (i->sources.empty()) return FailedPrecondition("the incident has no sources", "sources");
      agency = i->agency;
      std::vector<correlate::Alarm> alarms;
      for (const IncidentSource& s : i->sources)
        alarms.push_back(ToAlarm(s, i->agency, i->classification));
      return scratch.Restore(GroupId(id.value), std::move(alarms));
    });
    if (!restored.ok()) return done(restored);
    auto split = scratch.Split(GroupId(id.value), sources);
    if (!split.ok())
      return done(Status(split.status().code(), split.status().message(), "sources"));
    SplitIncident command{id, sources, split->front().priority,
                          scratch.Find(GroupId(id.value))->priority};
    CommandOutcome o = engine_.SubmitAndWait(command, actor, agency);
    // Either way, the live correlator follows the log.
    Rebuild();
    if (!o.status.ok()) return done(o.status);
    done(std::move(o));
  });
}

}  // namespace ncc::alarms
