"""The MQTT bridge against a real broker: Mosquitto on a loopback port (scripts/mosquitto),
mosquitto_pub sending real GPS traces (Berlin, ../shared/data/osm/berlin_gps_traces.csv.gz) to
ncc/avl/{agency}/{unit} with QoS 1. ncc shows the units move; the broker is restarted
mid-stream, the bridge reconnects, and every fix published is in the track store. Bad payloads
are counted by reason; alarms reach the alarm seam."""
import csv
import gzip
import io
import math
import os
import subprocess
import tempfile
import time
import unittest

from harness import main, Server, free_port, now_ms, seed

NCC = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("NCC_DATA_DIR") or os.path.join(ROOT, "..", "shared", "data")
TRACES = os.path.join(DATA, "osm", "berlin_gps_traces.csv.gz")
UNITS = 4
POINTS = 120  # per unit


def meters(a, b):
    dlat = math.radians(b[0] - a[0])
    dlon = math.radians(b[1] - a[1]) * math.cos(math.radians(a[0]))
    return 6371000 * math.hypot(dlat, dlon)


def load_tracks():
    """The first UNITS traces with POINTS points each, as (lat, lon, time_ms): the traces carry no
    times, so each step gets the time a 25 m/s vehicle would need (at least 1 s)."""
    tracks = {}
    with gzip.open(TRACES, "rt") as f:
        for row in csv.DictReader(f):
            tracks.setdefault(row["TrackID"], []).append((float(row["Latitude"]), float(row["Longitude"])))
    chosen = [pts[:POINTS] for pts in tracks.values() if len(pts) >= POINTS][:UNITS]
    assert len(chosen) == UNITS, "not enough Berlin traces"
    out = []
    for pts in chosen:
        t = now_ms() - 3 * 3600_000
        timed = []
        for i, p in enumerate(pts):
            if i:
                t += max(1000, int(math.ceil(meters(pts[i - 1], p) / 25.0 * 1000)))
            timed.append((p[0], p[1], t))
        out.append(timed)
    return out


class Broker:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ncc-mqtt-")
        self.port = free_port()

    def start(self):
        subprocess.run([os.path.join(ROOT, "scripts", "mosquitto"), "start", self.dir, str(self.port)],
                       check=True, capture_output=True)

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "mosquitto"), "stop", self.dir], check=True)

    def publish(self, topic, lines):
        """mosquitto_pub -l: one message per line, QoS 1, one connection."""
        done = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.port), "-q", "1",
                               "-t", topic, "-l"], input="\n".join(lines) + "\n", text=True,
                              capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr


@unittest.skipUnless(os.path.exists(TRACES), f"no {TRACES}")
class Mqtt(unittest.TestCase):
    def setUp(self):
        self.broker = Broker()
        self.broker.start()
        self.server = Server(NCC, extra=["--mqtt", f"127.0.0.1:{self.broker.port}",
                                         "--mqtt-client-id", f"ncc-test-{self.broker.port}"]).start()
        seed(self.server)
        self.units = []
        for k in range(UNITS):
            status, body = self.server.request("POST", "/api/v1/units",
                                               {"callsign": f"B{k}", "agency": "police", "kind": "patrol"})
            self.assertEqual(status, 201, body)
            self.units.append(body["id"])

    def tearDown(self):
        self.server.cleanup()
        self.broker.stop()

    def metric(self, name):
        status, text = self.server.request("GET", "/metrics")
        for line in text.splitlines():
            if line.startswith(name + " "):
                return int(float(line.split()[-1]))
        return None

    def wait_for(self, predicate, what, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        self.fail(f"timed out waiting for {what}")

    def track_times(self, unit):
        status, body = self.server.request("GET", f"/api/v1/units/{unit}/track")
        self.assertEqual(status, 200, body)
        return [f["time"] for f in body["fixes"]]

    def publish_points(self, unit, points):
        self.broker.publish(f"ncc/avl/police/{unit}",
                            ['{"lat":%.7f,"lon":%.7f,"time":%d}' % p for p in points])

    def test_units_move_and_broker_restart_loses_nothing(self):
        self.wait_for(lambda: self.metric("ncc_mqtt_connected") == 1, "the bridge to connect")
        tracks = load_tracks()
        half = POINTS // 2
        for unit, pts in zip(self.units, tracks):
            self.publish_points(unit, pts[:half])
        for unit, pts in zip(self.units, tracks):
            self.wait_for(lambda: len(self.track_times(unit)) == half, f"unit {unit}'s first half")
            status, body = self.server.request("GET", f"/api/v1/units/{unit}")
            self.assertAlmostEqual(body["position"]["lat"], pts[half - 1][0], places=6)  # it moved
            self.assertAlmostEqual(body["position"]["lon"], pts[half - 1][1], places=6)

        # Broker restart mid-stream: the second half is published while the bridge is still
        # away (it reconnects with back-off); the broker keeps it for the bridge's session.
        self.broker.stop()
        self.wait_for(lambda: self.metric("ncc_mqtt_connected") == 0, "the bridge to notice")
        self.broker.start()
        for unit, pts in zip(self.units, tracks):
            self.publish_points(unit, pts[half:])
        self.wait_for(lambda: self.metric("ncc_mqtt_connects_total") >= 2, "the bridge to reconnect")
        for unit, pts in zip(self.units, tracks):
            want = [p[2] for p in pts]
            self.wait_for(lambda: self.track_times(unit) == want, f"every fix of unit {unit}")
        accepted = self.metric('ncc_avl_fixes_accepted_total{source="mqtt"}')
        self.assertEqual(accepted, UNITS * POINTS)

    def test_bad_payloads_are_counted_and_alarms_reach_the_seam(self):
        self.wait_for(lambda: self.metric("ncc_mqtt_connected") == 1, "the bridge to connect")
        u = self.units[0]
        t = now_ms() - 1000
        self.broker.publish(f"ncc/avl/police/{u}", [
            'not json',
            '{"lat":95,"lon":13.4,"time":%d}' % t,              # latitude out of range
            '{"lat":52.5,"lon":13.4,"time":%d}' % (t + 86400_000 * 30),  # a month ahead
            '{"lat":52.5,"lon":13.4}',                           # no time
            '[' * 50 + ']' * 50,                                 # deep nesting
            '{"lat":52.5,"lon":13.4,"time":%d,"unit":%d}' % (t, u + 1),  # disagrees with the topic
            '{"lat":52.5,"lon":13.4,"time":%d}' % t,             # good
        ])
        self.broker.publish("ncc/avl/police/99999", ['{"lat":52.5,"lon":13.4,"time":%d}' % t])
        self.broker.publish("ncc/avl/police/not-a-unit", ['{"lat":52.5,"lon":13.4,"time":%d}' % t])
        self.broker.publish("ncc/alarm/panic-7", ['{"type":"panic"}'])
        self.wait_for(lambda: self.metric('ncc_avl_fixes_accepted_total{source="mqtt"}') == 1, "the good fix")
        self.wait_for(lambda: self.metric("ncc_mqtt_alarms_rejected_total") == 1, "the alarm")
        self.assertEqual(self.metric('ncc_avl_fixes_rejected_total{source="mqtt",reason="malformed"}'), 5)
        self.assertEqual(self.metric('ncc_avl_fixes_rejected_total{source="mqtt",reason="position"}'), 1)
        self.assertEqual(self.metric('ncc_avl_fixes_rejected_total{source="mqtt",reason="time"}'), 1)
        self.wait_for(lambda: self.metric('ncc_avl_fixes_rejected_total{source="mqtt",reason="unknown_unit"}') == 1,
                      "the unknown unit")
        self.assertEqual(self.metric("ncc_mqtt_bad_topics_total"), 1)
        self.assertEqual(self.track_times(u), [t])


if __name__ == "__main__":
    main()
