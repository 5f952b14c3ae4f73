#include "correlate/alarm.h"

#include <nlohmann/json.hpp>

namespace ncc::correlate {

const char* AlarmKindName(AlarmKind k) {
  switch (k) {
    case AlarmKind::kIntrusion:
      return "intrusion";
    case AlarmKind::kCctv:
      return "cctv";
    case AlarmKind::kLprHit:
      return "lpr_hit";
    case AlarmKind::kPanic:
      return "panic";
    case AlarmKind::kFirePanel:
      return "fire_panel";
    case AlarmKind::kCall:
      return "call";
  }
  return "call";
}

std::optional<AlarmKind> AlarmKindFromName(std::string_view name) {
  for (size_t i = 0; i < kAlarmKinds; ++i)
    if (name == AlarmKindName(static_cast<AlarmKind>(i))) return static_cast<AlarmKind>(i);
  return std::nullopt;
}

StatusOr<Alarm> ParseAlarm(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("alarm must be an object", "");
  Alarm a;
  auto str = [&](const char* name, std::string& out, bool required) -> Status {
    auto it = j.find(name);
    if (it == j.end()) return required ? InvalidArgument("missing string", name) : Status::Ok();
    if (!it->is_string()) return InvalidArgument("must be a string", name);
    out = it->get<std::string>();
    if (required && out.empty()) return InvalidArgument("must not be empty", name);
    if (out.size() > 256) return InvalidArgument("longer than 256 characters", name);
    return Status::Ok();
  };
  NCC_RETURN_IF_ERROR(str("id", a.id, true));
  NCC_RETURN_IF_ERROR(str("source", a.source, true));
  NCC_RETURN_IF_ERROR(str("sensor", a.sensor, false));
  NCC_RETURN_IF_ERROR(str("plate", a.plate, false));
  std::string kind;
  NCC_RETURN_IF_ERROR(str("kind", kind, true));
  auto k = AlarmKindFromName(kind);
  if (!k)
    return InvalidArgument("kind must be intrusion, cctv, lpr_hit, panic, fire_panel or call",
                           "kind");
  a.kind = *k;
  for (auto [name, out] : {std::pair{"lat", &a.location.lat}, std::pair{"lon", &a.location.lon}}) {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number()) return InvalidArgument("must be a number", name);
    *out = it->get<double>();
  }
  NCC_RETURN_IF_ERROR(ValidateLatLon(a.location, "location"));
  auto t = j.find("time_ms");
  if (t == j.end() || !t->is_number_integer())
    return InvalidArgument("must be an integer (ms since the epoch)", "time_ms");
  a.time = Time{t->get<int64_t>()};
  return a;
}

}  // namespace ncc::correlate
