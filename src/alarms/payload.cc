#include "alarms/payload.h"

#include <algorithm>

#include "input/json_body.h"

namespace ncc::alarms {
namespace {

using nlohmann::json;

std::optional<WireAlarm> ReadAlarm(const json& item, size_t index, bool single, ItemError& error) {
  std::string prefix = single ? "" : "alarms[" + std::to_string(index) + "]";
  auto at = [&](const char* name) { return prefix.empty() ? name : prefix + "." + name; };
  auto fail = [&](Status s) {
    error = {index, std::move(s)};
    return std::nullopt;
  };
  if (!item.is_object())
    return fail(Malformed("must be an alarm object", prefix.empty() ? "body" : prefix));
  FieldReader f(item,
                {"id", "kind", "location", "time", "source", "sensor", "plate", "details",
                 "classification", "type", "priority"},
                prefix);
  WireAlarm a;
  a.index = index;
  a.id = f.String("id", true, Limits::kShortText);
  a.kind = f.String("kind", true, 32);
  auto location = f.Location("location", true);
  auto time = f.Timestamp("time", true);
  a.source = f.String("source", false, 64);
  a.sensor = f.String("sensor", false, Limits::kShortText);
  a.plate = f.String("plate", false, Limits::kShortText);
  a.details = f.String("details", false, Limits::kSummary);
  std::string cls = f.String("classification", false, 32);
  a.type = f.String("type", false, Limits::kTypeCode);
  auto priority = f.Integer("priority", false);
  if (!f.ok()) return fail(f.status());
  for (char c : a.type)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return fail(InvalidArgument("must use only a-z, 0-9, '.', '_' and '-'", at("type")));
  if (priority && (*priority < 1 || *priority > 5))
    return fail(InvalidArgument("must be 1 (most urgent) to 5", at("priority")));
  a.priority = priority ? static_cast<int>(*priority) : 0;
  if (a.id.empty()) return fail(InvalidArgument("must not be empty", at("id")));
  for (unsigned char c : a.id + a.sensor + a.plate + a.details)
    if (c < 0x20 && c != '\n' && c != '\t')
      return fail(InvalidArgument("contains a control character", at("id")));
  if (std::find(std::begin(kKinds), std::end(kKinds), a.kind) == std::end(kKinds))
    return fail(
        InvalidArgument("unknown kind '" + a.kind.substr(0, 32) +
                            "': intrusion, cctv, lpr_hit, lpr_read, panic, fire_panel or call",
                        at("kind")));
  a.location = *location;
  if (Status s = ValidateLatLon(a.location, at("location")); !s.ok()) return fail(s);
  a.time = *time;
  if (!a.source.empty() && !ValidSourceName(a.source))
    return fail(InvalidArgument("must be 1..64 of A-Z a-z 0-9 . _ -", at("source")));
  if ((a.kind == "lpr_hit" || a.kind == "lpr_read")) {
    std::string plate = NormalizePlate(a.plate);
    if (plate.empty()) return fail(InvalidArgument("a plate read needs the plate", at("plate")));
    if (plate.size() > Limits::kPlate)
      return fail(InvalidArgument("longer than 32 bytes", at("plate")));
    a.plate = plate;
  }
  if (!cls.empty()) {
    a.classification = ParseClassification(cls);
    if (!a.classification)
      return fail(InvalidArgument("must be public, restricted, confidential or secret",
                                  at("classification")));
  }
  return a;
}

}  // namespace

bool ValidSourceName(std::string_view source) {
  if (source.empty() || source.size() > 64) return false;
  return std::all_of(source.begin(), source.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

Status CheckTime(Time t, Time now, const std::string& field) {
  if (t.ms > now.ms + kAlarmFutureMs) return InvalidArgument("more than 60 s in the future", field);
  if (t.ms < now.ms - kAlarmPastMs) return InvalidArgument("more than 24 h in the past", field);
  return Status::Ok();
}

StatusOr<ParsedPayload> ParsePayload(std::string_view bytes) {
  auto parsed = ParseJsonBody(bytes);
  if (!parsed.ok()) return parsed.status();
  ParsedPayload out;
  const json* items = &*parsed;
  if (parsed->is_object() && parsed->contains("alarms")) {
    if (parsed->size() != 1) return InvalidArgument("a batch object has only \"alarms\"", "alarms");
    items = &(*parsed)["alarms"];
    if (!items->is_array()) return InvalidArgument("must be an array of alarms", "alarms");
  } else if (parsed->is_object()) {
    out.single = true;
  } else if (!parsed->is_array()) {
    return InvalidArgument("must be an alarm, an array of alarms or {\"alarms\":[...]}", "body");
  }
  if (out.single) {
    ItemError e;
    if (auto a = ReadAlarm(*items, 0, true, e))
      out.alarms.push_back(std::move(*a));
    else
      out.rejected.push_back(std::move(e));
    return out;
  }
  if (items->size() > Limits::kAlarmBatch)
    return ResourceExhausted("at most " + std::to_string(Limits::kAlarmBatch) + " alarms per batch",
                             "alarms");
  if (items->empty()) return InvalidArgument("the batch has no alarms", "alarms");
  for (size_t i = 0; i < items->size(); ++i) {
    ItemError e;
    if (auto a = ReadAlarm((*items)[i], i, false, e))
      out.alarms.push_back(std::move(*a));
    else
      out.rejected.push_back(std::move(e));
  }
  return out;
}

}  // namespace ncc::alarms
