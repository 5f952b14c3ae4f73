// libFuzzer: what the MQTT bridge reads from the broker: the topic (first line of the input) and
// the JSON payload of ncc/avl/{agency}/{unit} (the rest), through the same functions the bridge
// calls. Every fix that parses must name a unit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "monitor/fix_json.h"
#include "monitor/mqtt_bridge.h"

using namespace ncc;
using namespace ncc::monitor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view topic = in.substr(0, nl);
  std::string_view payload = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  std::string agency;
  UnitId unit;
  bool avl = MqttBridge::ParseAvlTopic(topic, agency, unit);
  auto parsed = ParseFixPayload(payload, avl ? unit : UnitId());
  if (parsed.ok()) {
    if (parsed->fixes.size() != parsed->index.size()) std::abort();
    for (const PositionFix& f : parsed->fixes)
      if (!f.unit) std::abort();
  }
  return 0;
}
