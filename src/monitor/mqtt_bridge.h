// MqttBridge: subscribes a real MQTT broker (libmosquitto, the Mosquitto project's C client)
// and feeds the AVL lane and the alarm intake.
//
//   ncc/avl/{agency}/{unit}   one fix or an array of fixes (docs/formats/avl-lane.md), QoS 1
//   ncc/alarm/{source}        handed as-is to the AlarmSink (the alarm/correlation code owns the
//                             payload format), QoS 1
//
// Session: a fixed client id with clean_session = false, so the broker keeps QoS 1 messages
// for the bridge while it is disconnected (and across a broker restart when the broker persists
// its sessions). Reconnects by itself with exponential back-off (1 s .. 30 s).
//
// Acknowledgement: libmosquitto sends PUBACK when the message has arrived, before ncc has made
// its fixes durable. "Nothing accepted is lost" therefore means: every fix the bridge counted as
// accepted is durable in the track store, and a broker restart loses nothing the broker had
// accepted (persistent session). A kill -9 of ncc itself can lose the fixes of the last group
// commit window (a few ms) of MQTT messages; HTTP, TCP and UDP acknowledge after the fdatasync.
//
// Threads: the bridge's callbacks run on libmosquitto's network thread; Start/Stop/metrics from
// any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "monitor/avl_lane.h"

struct mosquitto;
struct mosquitto_message;

namespace ncc::monitor {

// The seam between the bridge and the alarm intake (src/correlate and its routes): every
// message on ncc/alarm/{source} is handed here with its source (the last topic level) and raw
// payload. Called on the bridge's network thread, one message at a time: queue the work and
// return quickly. A non-ok status counts the message as rejected (its message is logged).
class AlarmSink {
 public:
  virtual ~AlarmSink() = default;
  virtual Status OnAlarm(std::string_view source, std::string_view payload) = 0;
};

struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id = "ncc-bridge";
  int keepalive_s = 30;
  unsigned reconnect_min_s = 1, reconnect_max_s = 30;
};

class MqttBridge {
 public:
  // Starts the network thread; the first connection is attempted in the background (a broker
  // that is down at start is retried like any disconnection). `sink` may be null: alarms are
  // then counted as rejected ("no alarm intake").
  static StatusOr<std::unique_ptr<MqttBridge>> Start(AvlLane& lane, AlarmSink* sink,
                                                     MqttOptions options);
  ~MqttBridge();
  MqttBridge(const MqttBridge&) = delete;
  MqttBridge& operator=(const MqttBridge&) = delete;

  void SetAlarmSink(AlarmSink* sink) { sink_ = sink; }
  bool connected() const { return connected_; }
  void RenderMetrics(std::string& out) const;
  void Stop();

  // Splits "ncc/avl/{agency}/{unit}"; false when the topic is not one (exposed for the fuzzer).
  static bool ParseAvlTopic(std::string_view topic, std::string& agency, UnitId& unit);

 private:
  MqttBridge(AvlLane& lane, AlarmSink* sink, MqttOptions options);
  static void OnConnect(mosquitto*, void* self, int rc);
  static void OnDisconnect(mosquitto*, void* self, int rc);
  static void OnMessage(mosquitto*, void* self, const mosquitto_message* m);
  void HandleAvl(std::string_view topic, std::string_view payload);
  void HandleAlarm(std::string_view topic, std::string_view payload);

  AvlLane& lane_;
  std::atomic<AlarmSink*> sink_;
  const MqttOptions options_;
  mosquitto* mosq_ = nullptr;
  std::atomic<bool> connected_{false}, stopped_{false};
  std::atomic<uint64_t> connects_{0}, disconnects_{0}, messages_{0}, bad_topics_{0},
      alarms_accepted_{0}, alarms_rejected_{0};
};

}  // namespace ncc::monitor
