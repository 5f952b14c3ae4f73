// The alarm intake: wires the correlator (src/correlate) to the engine. Alarms from any lane
// (POST /api/v1/alarms, MQTT ncc/alarm/{source}) and, with --correlate-calls, calls created
// through POST /api/v1/incidents are correlated in arrival order; each becomes an event:
// alarm_received on a new incident (type and priority from the rules, owning agency from the
// source's configuration or the API key's agency) or merged into an open one, then
// incident_priority_changed when independent sources escalate it. Operators split wrong merges
// (incident_split). Plate reads (kind lpr_read) are matched against the watchlists in the World;
// only a hit becomes an alarm.
//
// The correlator's state is derived from the World (each incident's sources), so after a
// restart, a failed command or a split it is rebuilt from there: the log is the only truth.
//
// Threads: one worker thread owns the correlator and submits to the engine one command at a
// time (a batch of alarms is one command: one fsync). Submit*/Split may be called from any
// thread; their callbacks run on the worker thread and must not block.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alarms/payload.h"
#include "auth/authorize.h"
#include "core/clock.h"
#include "correlate/correlator.h"
#include "engine/engine.h"

namespace ncc::alarms {

// What ncc knows of an alarm source (a PSIM, a camera system, an ANPR network, a panel receiver).
struct SourceConfig {
  std::string agency;  // owning agency of what it reports
  Classification classification = Classification::kRestricted;
};
using SourceMap = std::map<std::string, SourceConfig, std::less<>>;

// --alarm-sources FILE: {"sources": {"psim-north": {"agency": "police",
// "classification": "restricted"}, ...}}. Errors name the field.
StatusOr<SourceMap> ParseSources(std::string_view json);
StatusOr<SourceMap> LoadSourcesFile(const std::string& path);

struct IntakeOptions {
  correlate::Rules rules;
  SourceMap sources;
  bool correlate_calls = false;  // --correlate-calls
};

struct ItemResult {
  size_t index = 0;
  std::string id;
  std::string source;   // the alarm's source, once known (metrics)
  std::string outcome;  // opened | merged | duplicate | no_hit | rejected
  IncidentId incident;  // opened, merged, duplicate
  Status status;        // rejected: why, naming the field (the server maps it to HTTP)
};

struct SubmitResult {
  // The payload as a whole: kMalformed (not JSON, not alarms), kResourceExhausted (too many
  // items), kUnavailable (engine stopped).
  Status status;
  bool single = false;
  std::vector<ItemResult> items;  // in payload order
  Seq last_seq;
  size_t accepted() const;
};

struct CallResult {
  IncidentId incident;
  bool merged = false;  // joined an open incident instead of opening one
  std::string source_id;
  Seq last_seq;
};

class Intake {
 public:
  // Rebuilds the correlator from the engine's World and starts the worker.
  static StatusOr<std::unique_ptr<Intake>> Start(Engine& engine, const Clock& clock,
                                                 IntakeOptions options);
  ~Intake();
  Intake(const Intake&) = delete;
  Intake& operator=(const Intake&) = delete;
  // Finishes queued work, then stops the worker; later submissions answer 503.
  void Stop();

  // THE SEAM for other lanes (the MQTT bridge: topic ncc/alarm/{source}). `source` must be
  // configured (--alarm-sources): its agency and classification label what it reports. Blocks
  // until the accepted alarms are durable. OK when every item was accepted (opened, merged, a
  // duplicate of one already received, or a plate read with no hit); otherwise the first
  // refusal, naming the field. Counted per source on /metrics either way.
  Status Submit(std::string_view source, std::string_view payload_bytes);
  SubmitResult SubmitAndWait(std::string_view source, std::string_view payload_bytes);

  // HTTP: `who` reports (an API key with the alarms lane); each alarm is authorized
  // (alarm.report) on its label. Items without a "source" take the key's name.
  using Done = std::function<void(SubmitResult)>;
  void SubmitAsync(const auth::Principal& who, std::string payload, Done done);

  bool correlate_calls() const { return options_.correlate_calls; }
  // A call (POST /api/v1/incidents, already authorized) correlated like an alarm of kind call:
  // opens its incident as asked, or joins an open one nearby.
  void SubmitCall(CreateIncident call, std::string actor,
                  std::function<void(StatusOr<CallResult>)> done);

  // Operator split (already authorized): `sources` leave incident `id` for a new incident.
  void Split(IncidentId id, std::vector<std::string> sources, std::string actor,
             std::function<void(StatusOr<CommandOutcome>)> done);

  void RenderMetrics(std::string& out) const;

 private:
  struct Prepared;
  struct Lane;
  Intake(Engine& engine, const Clock& clock, IntakeOptions options);
  void Post(std::function<void()> job);
  void WorkerLoop();
  void Rebuild();
  void CloseFinishedGroups(const World& w);
  SubmitResult Process(const Lane& lane, StatusOr<ParsedPayload> payload);
  void Count(const std::string& source, const std::string& what, uint64_t n = 1);
  void CountResult(const Lane& lane, const SubmitResult& r);

  Engine& engine_;
  const Clock& clock_;
  const IntakeOptions options_;

  // Worker-owned.
  std::unique_ptr<correlate::Correlator> correlator_;
  std::map<correlate::GroupId, IncidentId> incident_of_group_;
  uint64_t next_call_ = 1;
  uint64_t jobs_done_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread worker_;

  mutable std::mutex metrics_mu_;
  std::map<std::string, std::map<std::string, uint64_t>> counts_;  // source -> what -> n
};

}  // namespace ncc::alarms
