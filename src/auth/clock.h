// The security library's time source is the project's (core/clock.h): injectable, so lock-out,
// expiry and rate-limit tests drive time by hand instead of sleeping.
#pragma once

#include "core/clock.h"

namespace ncc::auth {

using ncc::Clock;
using ncc::ManualClock;
using ncc::SystemClock;

}  // namespace ncc::auth
