// What an imported CAP alert opens: the incident type and priority, from the alert's category,
// event, severity, urgency and certainty (docs/exchange.md). Built-in defaults map the CAP
// category to a type family and the severity (raised by an Immediate urgency) to a priority;
// `ncc serve --cap-rules FILE` puts rules before them:
//
//   {"rules": [{"when": {"event": "Tsunami Warning"}, "type": "hazard.tsunami", "priority": 1},
//              {"when": {"category": "Fire", "severity": "Extreme"}, "priority": 1}]}
//
// The first rule whose every `when` field equals the alert's (case-insensitive) and that gives
// a type decides the type; likewise for the priority; the defaults decide what none gave.
// Thread: immutable once loaded; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "exchange/cap/cap_parser.h"

namespace ncc::cap {

class ImportRules {
 public:
  struct Rule {
    std::string category, event, severity, urgency, certainty;  // empty: any
    std::string type;                                           // empty: not decided here
    int priority = 0;                                           // 0: not decided here
  };
  struct Outcome {
    std::string type;
    int priority = 3;
    std::string rule;  // "rules[2]" or "default", for the incident's summary and tests
  };

  ImportRules() = default;  // the built-in defaults only
  // InvalidArgument naming the field ("rules[1].priority"); at most 1,000 rules.
  static StatusOr<ImportRules> Parse(std::string_view json);
  static StatusOr<ImportRules> Load(const std::string& path);

  Outcome For(const CapAlert& alert) const;

 private:
  std::vector<Rule> rules_;
};

}  // namespace ncc::cap
