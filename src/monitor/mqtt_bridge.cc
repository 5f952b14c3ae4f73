#include "monitor/mqtt_bridge.h"

#include <mosquitto.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <mutex>

#include "engine/metrics.h"
#include "monitor/fix_json.h"

namespace ncc::monitor {
namespace {

constexpr const char* kAvlTopic = "ncc/avl/+/+";
constexpr const char* kAlarmTopic = "ncc/alarm/+";
constexpr int kQos = 1;

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

}  // namespace

bool MqttBridge::ParseAvlTopic(std::string_view topic, std::string& agency, UnitId& unit) {
  constexpr std::string_view kPrefix = "ncc/avl/";
  if (topic.substr(0, kPrefix.size()) != kPrefix) return false;
  topic.remove_prefix(kPrefix.size());
  size_t slash = topic.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash > 64) return false;
  std::string_view id = topic.substr(slash + 1);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || p != id.data() + id.size() || v == 0) return false;
  agency.assign(topic.substr(0, slash));
  unit = UnitId(v);
  return true;
}

StatusOr<std::unique_ptr<MqttBridge>> MqttBridge::Start(AvlLane& lane, AlarmSink* sink,
                                                        MqttOptions options) {
  InitLibraryOnce();
  std::unique_ptr<MqttBridge> b(new MqttBridge(lane, sink, std::move(options)));
  b->mosq_ = mosquitto_new(b->options_.client_id.c_str(), /*clean_session=*/false, b.get());
  if (!b->mosq_) return Unavailable("mosquitto_new failed");
  mosquitto_int_option(b->mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(b->mosq_, &MqttBridge::OnConnect);
  mosquitto_disconnect_callback_set(b->mosq_, &MqttBridge::OnDisconnect);
  mosquitto_message_callback_set(b->mosq_, &MqttBridge::OnMessage);
  mosquitto_reconnect_delay_set(b->mosq_, b->options_.reconnect_min_s, b->options_.reconnect_max_s,
                                /*exponential=*/true);
  // connect_async: a broker that is down now is retried by the loop like any disconnection.
  int rc = mosquitto_connect_async(b->mosq_, b->options_.host.c_str(), b->options_.port,
                                   b->options_.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO)
    return InvalidArgument(std::string("MQTT connect: ") + mosquitto_strerror(rc), "mqtt");
  rc = mosquitto_loop_start(b->mosq_);
  if (rc != MOSQ_ERR_SUCCESS)
    return Unavailable(std::string("MQTT loop: ") + mosquitto_strerror(rc));
  spdlog::info("MQTT bridge: {}:{} as {}, topics {} and {}", b->options_.host, b->options_.port,
               b->options_.client_id, kAvlTopic, kAlarmTopic);
  return b;
}

MqttBridge::MqttBridge(AvlLane& lane, AlarmSink* sink, MqttOptions options)
    : lane_(lane), sink_(sink), options_(std::move(options)) {}

MqttBridge::~MqttBridge() {
  Stop();
  if (mosq_) mosquitto_destroy(mosq_);
}

void MqttBridge::Stop() {
  if (stopped_.exchange(true) || !mosq_) return;
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, /*force=*/false);
}

void MqttBridge::OnConnect(mosquitto* m, void* self, int rc) {
  auto* b = static_cast<MqttBridge*>(self);
  if (rc != 0) {
    spdlog::warn("MQTT bridge: connection refused: {}", mosquitto_connack_string(rc));
    return;
  }
  ++b->connects_;
  b->connected_ = true;
  // Subscribing again on every connect: harmless with a kept session, needed without one.
  mosquitto_subscribe(m, nullptr, kAvlTopic, kQos);
  mosquitto_subscribe(m, nullptr, kAlarmTopic, kQos);
  spdlog::info("MQTT bridge: connected to {}:{}", b->options_.host, b->options_.port);
}

void MqttBridge::OnDisconnect(mosquitto*, void* self, int rc) {
  auto* b = static_cast<MqttBridge*>(self);
  b->connected_ = false;
  if (b->stopped_) return;
  ++b->disconnects_;
  spdlog::warn("MQTT bridge: disconnected ({}); reconnecting with back-off",
               mosquitto_strerror(rc));
}

void MqttBridge::OnMessage(mosquitto*, void* self, const mosquitto_message* m) {
  auto* b = static_cast<MqttBridge*>(self);
  ++b->messages_;
  std::string_view topic(m->topic ? m->topic : "");
  std::string_view payload(static_cast<const char*>(m->payload),
                           m->payload ? static_cast<size_t>(m->payloadlen) : 0);
  if (topic.rfind("ncc/avl/", 0) == 0) return b->HandleAvl(topic, payload);
  if (topic.rfind("ncc/alarm/", 0) == 0) return b->HandleAlarm(topic, payload);
  ++b->bad_topics_;
}

void MqttBridge::HandleAvl(std::string_view topic, std::string_view payload) {
  std::string agency;
  UnitId unit;
  if (!ParseAvlTopic(topic, agency, unit)) {
    ++bad_topics_;
    lane_.counters().Rejected(Source::kMqtt, Reason::kMalformed);
    return;
  }
  auto parsed = ParseFixPayload(payload, unit);
  if (!parsed.ok()) {
    lane_.counters().Rejected(Source::kMqtt, Reason::kMalformed);
    spdlog::debug("MQTT {}: {}", topic, parsed.status().ToString());
    return;
  }
  lane_.counters().Rejected(Source::kMqtt, Reason::kMalformed, parsed->bad.size());
  if (parsed->fixes.empty()) return;
  // The topic names the agency; the broker's ACLs decide who may publish under it. The lane
  // then refuses any unit that is not that agency's (auth::Authorize, gateway rules).
  auth::Principal gateway;
  gateway.kind = auth::Principal::Kind::kGateway;
  gateway.user = "gateway:mqtt";
  gateway.agency = std::move(agency);
  gateway.lanes = {auth::Lane::kPositions};
  gateway.clearance = Classification::kRestricted;
  lane_.Submit(Source::kMqtt, gateway, std::move(parsed->fixes), [](BatchResult r) {
    if (!r.status.ok()) spdlog::warn("MQTT fixes not stored: {}", r.status.ToString());
  });
}

void MqttBridge::HandleAlarm(std::string_view topic, std::string_view payload) {
  std::string_view source = topic.substr(std::string_view("ncc/alarm/").size());
  AlarmSink* sink = sink_.load();
  Status s = source.empty() ? InvalidArgument("topic has no source", "topic")
             : sink         ? sink->OnAlarm(source, payload)
                            : Unavailable("no alarm intake");
  if (s.ok()) {
    ++alarms_accepted_;
  } else {
    ++alarms_rejected_;
    spdlog::debug("MQTT {}: {}", topic, s.ToString());
  }
}

void MqttBridge::RenderMetrics(std::string& out) const {
  RenderCounter(out, "ncc_mqtt_connected", "1 while the bridge is connected", connected_ ? 1 : 0,
                "gauge");
  RenderCounter(out, "ncc_mqtt_connects_total", "Successful connections to the broker",
                connects_.load());
  RenderCounter(out, "ncc_mqtt_disconnects_total", "Lost connections (each retried)",
                disconnects_.load());
  RenderCounter(out, "ncc_mqtt_messages_total", "Messages received", messages_.load());
  RenderCounter(out, "ncc_mqtt_bad_topics_total", "Messages on topics the bridge cannot read",
                bad_topics_.load());
  RenderCounter(out, "ncc_mqtt_alarms_accepted_total", "Alarm messages the alarm intake took",
                alarms_accepted_.load());
  RenderCounter(out, "ncc_mqtt_alarms_rejected_total", "Alarm messages refused or undeliverable",
                alarms_rejected_.load());
}

}  // namespace ncc::monitor
