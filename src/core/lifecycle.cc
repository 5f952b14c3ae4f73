#include "core/lifecycle.h"

#include <array>
#include <string>

namespace ncc {
namespace {

constexpr std::array<std::string_view, kIncidentStatusCount> kIncidentNames = {
    "new",      "triaged", "dispatched", "en_route", "on_scene",
    "resolved", "closed",  "cancelled",  "merged"};
constexpr std::array<std::string_view, kUnitStatusCount> kUnitNames = {
    "available",    "dispatched",  "en_route",      "on_scene",
    "transporting", "at_hospital", "out_of_service"};
constexpr std::array<std::string_view, kClassificationCount> kClassificationNames = {
    "public", "restricted", "confidential", "secret"};

template <typename E, size_t N>
std::optional<E> ParseName(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == name) return static_cast<E>(i);
  return std::nullopt;
}

using I = IncidentStatus;
using U = UnitStatus;

}  // namespace

std::string_view Name(IncidentStatus s) {
  return kIncidentNames.at(static_cast<size_t>(s));
}
std::string_view Name(UnitStatus s) {
  return kUnitNames.at(static_cast<size_t>(s));
}
std::string_view Name(Classification c) {
  return kClassificationNames.at(static_cast<size_t>(c));
}

std::optional<IncidentStatus> ParseIncidentStatus(std::string_view name) {
  return ParseName<IncidentStatus>(kIncidentNames, name);
}
std::optional<UnitStatus> ParseUnitStatus(std::string_view name) {
  return ParseName<UnitStatus>(kUnitNames, name);
}
std::optional<Classification> ParseClassification(std::string_view name) {
  return ParseName<Classification>(kClassificationNames, name);
}

bool IsLegal(IncidentStatus from, IncidentStatus to) {
  switch (from) {
    case I::kNew:
      return to == I::kTriaged || to == I::kDispatched || to == I::kCancelled || to == I::kMerged;
    case I::kTriaged:
      return to == I::kDispatched || to == I::kCancelled || to == I::kMerged;
    // A call can be stood down before any unit arrives: resolved from dispatched/en route.
    case I::kDispatched:
      return to == I::kEnRoute || to == I::kOnScene || to == I::kResolved || to == I::kCancelled;
    case I::kEnRoute:
      return to == I::kOnScene || to == I::kResolved || to == I::kCancelled;
    case I::kOnScene:
      return to == I::kResolved;
    // A resolved incident can be reopened (the caller rings back) until it is closed.
    case I::kResolved:
      return to == I::kClosed || to == I::kOnScene;
    case I::kClosed:
    case I::kCancelled:
    case I::kMerged:
      return false;
  }
  return false;
}

bool IsLegal(UnitStatus from, UnitStatus to) {
  switch (from) {
    case U::kAvailable:
      return to == U::kDispatched || to == U::kOutOfService;
    case U::kDispatched:
      return to == U::kEnRoute || to == U::kOnScene || to == U::kAvailable ||
             to == U::kOutOfService;
    case U::kEnRoute:
      return to == U::kOnScene || to == U::kAvailable;
    case U::kOnScene:
      return to == U::kTransporting || to == U::kAvailable;
    case U::kTransporting:
      return to == U::kAtHospital || to == U::kAvailable;
    case U::kAtHospital:
      return to == U::kAvailable;
    case U::kOutOfService:
      return to == U::kAvailable;
  }
  return false;
}

bool IsTerminal(IncidentStatus s) {
  return s == I::kClosed || s == I::kCancelled || s == I::kMerged;
}

bool IsCommitted(UnitStatus s) {
  return s != U::kAvailable && s != U::kOutOfService;
}

Status CheckTransition(IncidentStatus from, IncidentStatus to) {
  if (IsLegal(from, to)) return Status::Ok();
  return FailedPrecondition(
      "illegal incident transition " + std::string(Name(from)) + " -> " + std::string(Name(to)),
      "status");
}

Status CheckTransition(UnitStatus from, UnitStatus to) {
  if (IsLegal(from, to)) return Status::Ok();
  return FailedPrecondition(
      "illegal unit transition " + std::string(Name(from)) + " -> " + std::string(Name(to)),
      "status");
}

}  // namespace ncc
