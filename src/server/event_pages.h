// Pages of committed events as JSON text, for GET /events and the WebSocket stream: from the
// in-memory feed while it still holds them, from the durable log otherwise.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace ncc {

struct EventText {
  std::shared_ptr<const std::string> json;
  const Event* event = nullptr;  // valid while `json` is held (it owns the event too)
};

StatusOr<std::vector<EventText>> EventPage(const Engine& engine, Seq after, size_t limit);

}  // namespace ncc
