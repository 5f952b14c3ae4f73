"""The AVL lane over HTTP: fixes into the live index and the track store, zones with enter/exit
events and restricted-zone alerts, nearest units, stale detection, per-source counters, and
everything still there after kill -9."""
import json
import socket
import struct
import subprocess
import time
import unittest

from harness import main, Server, WebSocket, free_port, now_ms, seed

NCC = None

# A restricted square around a site in Doha and a sector north of it.
SITE = {"lat": 25.30, "lon": 51.50}


def square(lat, lon, half):
    return [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
             [lon - half, lat + half], [lon - half, lat - half]]]


ZONES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"id": "site-1", "name": "Power plant", "kind": "restricted"},
     "geometry": {"type": "Polygon", "coordinates": square(SITE["lat"], SITE["lon"], 0.005)}},
    {"type": "Feature", "properties": {"id": "sector-n", "name": "North sector", "kind": "sector"},
     "geometry": {"type": "Polygon", "coordinates": square(25.40, 51.50, 0.05)}},
]}


class Lanes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tcp_port, cls.udp_port = free_port(), free_port()
        cls.server = Server(NCC, extra=["--stale-after", "2", "--checkpoint-every", "0",
                                        "--avl-tcp", f"127.0.0.1:{cls.tcp_port}",
                                        "--avl-udp", f"127.0.0.1:{cls.udp_port}"])
        cls.server.add_user("firedisp", "fire", ["supervisor"])
        cls.key = cls.api_key("police", "positions", "tracker-gw")
        cls.alarm_key = cls.api_key("police", "alarms", "alarm-gw")
        cls.fire_key = cls.api_key("fire", "positions", "fire-gw")
        cls.server.start()
        cls.unit = seed(cls.server)
        s = cls.server
        s.request("POST", "/api/v1/agencies", {"code": "fire", "name": "Fire", "kind": "fire"})
        cls.units = {}
        for callsign, agency, kind in [("E1", "police", "engine"), ("E2", "police", "engine"),
                                       ("A1", "police", "ambulance"), ("F1", "fire", "engine"),
                                       ("T1", "police", "patrol")]:
            token = s.login("firedisp") if agency == "fire" else None
            status, body = s.request("POST", "/api/v1/units",
                                     {"callsign": callsign, "agency": agency, "kind": kind}, token=token)
            assert status == 201, body
            cls.units[callsign] = body["id"]

    @classmethod
    def api_key(cls, agency, lane, name):
        done = subprocess.run([NCC, "apikey", "add", "--data", cls.server.data_dir, "--agency", agency,
                               "--lane", lane, name], capture_output=True, text=True, check=True)
        return done.stdout.strip().split()[-1]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def post(self, fixes, **kw):
        status, body = self.server.request("POST", "/api/v1/positions", fixes, **kw)
        self.assertEqual(status, 202, body)
        return body

    def events(self, kind):
        found, after = [], 0
        while True:
            status, page = self.server.request("GET", f"/api/v1/events?after={after}&limit=1000")
            found += [e for e in page["items"] if e["type"] == kind]
            if page["last_seq"] >= page["head"]:
                return found
            after = page["last_seq"]

    def test_zones_enter_exit_alert_and_track(self):
        status, body = self.server.request("POST", "/api/v1/zones", ZONES)
        self.assertEqual(status, 201, body)
        self.assertEqual(body["zones"], 2)
        status, zones = self.server.request("GET", "/api/v1/zones")
        self.assertEqual([z["id"] for z in zones["items"]], ["site-1", "sector-n"])
        self.assertTrue(zones["items"][0]["restricted"])

        u = self.units["E1"]
        t0 = now_ms() - 600_000
        outside = {"lat": 25.28, "lon": 51.50}
        body = self.post([
            {"unit": u, "time": t0, **outside},
            {"unit": u, "time": t0 + 60_000, **SITE},      # 2.2 km in a minute: plausible
            {"unit": u, "time": t0 + 120_000, **outside},
            {"unit": u, "time": t0 + 30_000, **SITE},      # out of order: older than the current
            {"unit": u, "time": t0 + 120_000, **outside},  # duplicate
        ])
        self.assertEqual(body["accepted"], 3, body)
        self.assertEqual([(r["index"], r["field"]) for r in body["rejected"]],
                         [(3, "fixes[3].time"), (4, "fixes[4].time")])
        self.assertIn("older", body["rejected"][0]["reason"])
        self.assertGreater(body["seq"], 0)  # the batch's state changes are in the log

        entered = [e["data"] for e in self.events("zone_entered") if e["data"]["unit"] == u]
        exited = [e["data"] for e in self.events("zone_exited") if e["data"]["unit"] == u]
        alerts = [e["data"] for e in self.events("restricted_zone_alert") if e["data"]["unit"] == u]
        self.assertEqual([e["zone"] for e in entered], ["site-1"])
        self.assertEqual([e["zone"] for e in exited], ["site-1"])
        self.assertEqual([(a["zone"], a["zone_kind"]) for a in alerts], [("site-1", "restricted")])

        status, track = self.server.request("GET", f"/api/v1/units/{u}/track?from={t0}&to={t0 + 120_000}")
        self.assertEqual(status, 200, track)
        self.assertEqual([f["time"] for f in track["fixes"]], [t0, t0 + 60_000, t0 + 120_000])
        self.assertAlmostEqual(track["fixes"][1]["lat"], SITE["lat"], places=6)
        status, track = self.server.request("GET", f"/api/v1/units/{u}/track?from={t0 + 1}&to={t0 + 60_000}")
        self.assertEqual([f["time"] for f in track["fixes"]], [t0 + 60_000])
        status, err = self.server.request("GET", f"/api/v1/units/{u}/track?from=yesterday")
        self.assertEqual((status, err["error"]["field"]), (400, "from"))
        # Another agency's supervisor may not see a police unit: its track does not exist for them.
        fire = self.server.login("firedisp")
        status, err = self.server.request("GET", f"/api/v1/units/{u}/track", token=fire)
        self.assertEqual(status, 404, err)

    def wait_for(self, fetch, want, what):
        deadline = time.time() + 10
        while time.time() < deadline:
            got = fetch()
            if got == want:
                return
            time.sleep(0.05)
        self.assertEqual(got, want, what)

    def test_zones_tag_incidents_and_alarms(self):
        s = self.server
        status, body = s.request("POST", "/api/v1/zones", ZONES)
        self.assertEqual(status, 201, body)
        status, inside = s.request("POST", "/api/v1/incidents", {
            "type": "fire.structure", "priority": 2, "location": SITE})
        status, outside = s.request("POST", "/api/v1/incidents", {
            "type": "fire.structure", "priority": 2, "location": {"lat": 25.0, "lon": 51.0}})
        incident = lambda i: s.request("GET", f"/api/v1/incidents/{i}")[1]["zones"]
        self.wait_for(lambda: incident(inside["id"]), ["site-1"], "incident at the site")
        alarm = {"id": "zones/1", "kind": "intrusion", "time": now_ms(), "location": SITE, "source": "psim"}
        status, body = s.request("POST", "/api/v1/alarms", alarm, token=False,
                                 headers={"Authorization": "ApiKey " + self.alarm_key})
        self.assertIn(status, (200, 201), body)
        self.wait_for(lambda: s.request("GET", "/api/v1/alarms/zones%2F1")[1].get("zones"),
                      ["site-1"], "alarm at the site")
        # The zone set changes: open incidents are tagged again; one outside every zone never was.
        status, body = s.request("POST", "/api/v1/zones", {"type": "FeatureCollection",
                                                           "features": ZONES["features"][1:]})
        self.assertEqual(status, 201, body)
        self.wait_for(lambda: incident(inside["id"]), [], "after the site zone went away")
        self.assertEqual(incident(outside["id"]), [])
        # The World answers before the log has the event durable: wait for the event itself.
        tagged = lambda: [e["data"]["incident"] for e in self.events("zones_tagged")]
        self.wait_for(lambda: tagged().count(inside["id"]), 2, "tagged at creation and after the change")
        self.assertNotIn(outside["id"], tagged())
        # Back to the zones the other tests expect; the tag follows.
        status, body = s.request("POST", "/api/v1/zones", ZONES)
        self.wait_for(lambda: incident(inside["id"]), ["site-1"], "zones restored")

    def test_impossible_jump_is_held_back_and_flagged(self):
        u = self.units["E2"]
        t = now_ms() - 5_000
        self.post([{"unit": u, "time": t, "lat": 25.25, "lon": 51.45}])
        body = self.post([{"unit": u, "time": t + 1000, "lat": 26.25, "lon": 51.45}])  # 111 km in 1 s
        self.assertEqual(body["accepted"], 0)
        self.assertEqual(body["rejected"][0]["field"], "fixes[0].position")
        status, unit = self.server.request("GET", f"/api/v1/units/{u}")
        self.assertTrue(unit["suspect"])
        self.assertAlmostEqual(unit["position"]["lat"], 25.25)  # the trusted fix stays

    def test_nearby_filters_by_kind_availability_and_visibility(self):
        t = now_ms() - 2_000
        self.post([{"unit": self.units["A1"], "time": t, "lat": 25.2010, "lon": 51.50},
                   {"unit": self.units["F1"], "time": t, "lat": 25.2001, "lon": 51.50}],
                  token=None)
        # F1 belongs to fire and the tester (police) may not report for it.
        status, body = self.server.request("POST", "/api/v1/positions",
                                           [{"unit": self.units["F1"], "time": t, "lat": 25.2, "lon": 51.5}])
        self.assertEqual(body["rejected"][0]["field"], "fixes[0].unit")
        near = {"lat": 25.2000, "lon": 51.50}
        status, body = self.server.request("GET", "/api/v1/units/nearby?lat=25.2&lon=51.5&k=1")
        self.assertEqual(status, 200, body)
        self.assertEqual([i["callsign"] for i in body["items"]], ["A1"])
        self.assertLess(body["items"][0]["meters"], 120)
        status, body = self.server.request("GET", "/api/v1/units/nearby?lat=25.2&lon=51.5&k=5&kind=engine")
        self.assertNotIn("A1", [i["callsign"] for i in body["items"]])
        status, body = self.server.request("GET", "/api/v1/units/nearby?lat=25.2&lon=51.5&k=5&kind=submarine")
        self.assertEqual(body["items"], [])
        status, body = self.server.request("GET", "/api/v1/units/nearby?lat=95&lon=51.5")
        self.assertEqual((status, body["error"]["field"]), (400, "lat"))
        # Not available any more: the lane learns it from the log (within a tick).
        status, _ = self.server.request("POST", f"/api/v1/units/{self.units['A1']}/status",
                                        {"status": "out_of_service"})
        self.assertEqual(status, 200)
        deadline = time.time() + 10
        while time.time() < deadline:
            status, body = self.server.request(
                "GET", "/api/v1/units/nearby?lat=%(lat)s&lon=%(lon)s&k=1&available=true" % near)
            if body["items"] and body["items"][0]["callsign"] != "A1":
                break
            time.sleep(0.2)
        self.assertNotEqual([i["callsign"] for i in body["items"]], ["A1"])

    def read_positions(self, ws, until_unit, linger=1.0, within=10):
        """Positions items per unit from `ws` until `until_unit` was seen and `linger` s more
        (or for `within` s)."""
        seen, beats, deadline, stop = {}, 0, time.time() + within, None
        while time.time() < (stop or deadline):
            kind, text = ws.recv()
            self.assertEqual(kind, "text", text)
            msg = json.loads(text)
            if msg.get("type") == "heartbeat":
                beats += 1
            elif msg.get("type") == "positions":
                for item in msg["items"]:
                    seen.setdefault(item["unit"], []).append(item)
                if until_unit in seen and stop is None:
                    stop = time.time() + linger
        return seen, beats

    def test_live_positions_on_the_stream_follow_visibility(self):
        s = self.server
        fire_token = s.login("firedisp")
        police_ws = WebSocket(s.port, "/api/v1/stream?positions=1", token=s.token, heartbeats=True)
        fire_ws = WebSocket(s.port, "/api/v1/stream?positions=1", token=fire_token, heartbeats=True)
        self.addCleanup(police_ws.close)
        self.addCleanup(fire_ws.close)
        for ws in (police_ws, fire_ws):
            hello = ws.recv_json()
            self.assertEqual((hello["type"], hello["positions"]), ("stream_hello", True))
        e2, f1, t = self.units["E2"], self.units["F1"], now_ms() - 5_000
        # Two fixes of E2 in one batch: the stream shows the newest, not each.
        self.post([{"unit": e2, "time": t, "lat": 25.31, "lon": 51.41},
                   {"unit": e2, "time": t + 1000, "lat": 25.3101, "lon": 51.41}])
        self.post([{"unit": f1, "time": t, "lat": 25.32, "lon": 51.42}], token=False,
                  headers={"Authorization": "ApiKey " + self.fire_key})
        police, _ = self.read_positions(police_ws, e2)
        self.assertEqual([i["lat"] for i in police[e2]], [25.3101], police)
        self.assertEqual(police[e2][0]["lon"], 51.41)
        self.assertNotIn(f1, police, "a fire unit on a police console")
        fire, _ = self.read_positions(fire_ws, f1, linger=2.5)
        self.assertNotIn(e2, fire, "a police unit on a fire console")
        # A quiet stream says it is alive.
        _, beats = self.read_positions(fire_ws, None, within=4)
        self.assertGreater(beats, 0, "no heartbeat in 4 s on a quiet stream")
        # Without ?positions=1 a stream carries events only.
        plain = WebSocket(s.port, "/api/v1/stream", token=s.token, heartbeats=True)
        self.addCleanup(plain.close)
        self.assertFalse(plain.recv_json()["positions"])
        self.post([{"unit": e2, "time": t + 2000, "lat": 25.3102, "lon": 51.41}])
        got, _ = self.read_positions(plain, None, within=1.5)
        self.assertEqual(got, {})

    def test_stale_and_back(self):
        u = self.unit
        self.post([{"unit": u, "time": now_ms(), "lat": 25.1, "lon": 51.1}])
        deadline = time.time() + 15
        while time.time() < deadline and not [e for e in self.events("unit_stale")
                                              if e["data"]["unit"] == u and e["data"]["stale"]]:
            time.sleep(0.3)
        stale = [e["data"] for e in self.events("unit_stale") if e["data"]["unit"] == u]
        self.assertTrue(stale and stale[0]["stale"], stale)
        status, unit = self.server.request("GET", f"/api/v1/units/{u}")
        self.assertTrue(unit["stale"])
        self.post([{"unit": u, "time": now_ms(), "lat": 25.1001, "lon": 51.1}])
        back = [e["data"] for e in self.events("unit_stale") if e["data"]["unit"] == u and not e["data"]["stale"]]
        self.assertEqual(len(back), 1)

    def test_bad_input_is_counted_and_the_lane_keeps_running(self):
        u = self.units["E2"]
        nd = (b'{"unit":%d,"lat":NaN,"lon":51.5,"time":%d}\n[1,2\n{"unit":%d,"lat":25.25,"lon":51.45,"time":%d}\n'
              % (u, now_ms(), u, now_ms() + 120_000))
        status, body = self.server.request("POST", "/api/v1/positions", raw=nd,
                                           headers={"Content-Type": "application/x-ndjson"})
        self.assertEqual(status, 202, body)
        self.assertEqual([(r["index"], r["field"]) for r in body["rejected"]][:2],
                         [(0, "fixes[0]"), (1, "fixes[1]")])
        self.assertEqual(body["rejected"][2]["field"], "fixes[2].time")  # 2 min in the future
        status, _ = self.server.request("POST", "/api/v1/positions", raw=b'{"fixes": 7}')
        self.assertEqual(status, 400)
        status, err = self.server.request("POST", "/api/v1/zones", {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"id": "x", "name": "x", "kind": "sector"},
             "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}}]})
        self.assertEqual(status, 400, err)
        self.assertIn("features[0].geometry.coordinates", err["error"]["field"])
        # The lane still takes good fixes.
        body = self.post([{"unit": u, "time": now_ms() - 60_000, "lat": 25.2501, "lon": 51.45}])
        self.assertEqual(body["accepted"], 1, body)
        status, metrics = self.server.request("GET", "/metrics")
        lines = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if line.startswith("ncc_avl_fixes"))
        self.assertGreater(int(lines['ncc_avl_fixes_accepted_total{source="http"}']), 0)
        self.assertGreater(int(lines['ncc_avl_fixes_rejected_total{source="http",reason="malformed"}']), 1)
        self.assertGreater(int(lines['ncc_avl_fixes_rejected_total{source="http",reason="time"}']), 0)

    def test_zz_restart_keeps_zones_positions_and_tracks(self):
        u = self.units["A1"]
        status, before = self.server.request("GET", f"/api/v1/units/{u}/track")
        self.server.kill9()
        self.server.start()
        status, zones = self.server.request("GET", "/api/v1/zones")
        self.assertEqual(len(zones["items"]), 2 if self.events("zones_defined") else 0)
        status, after = self.server.request("GET", f"/api/v1/units/{u}/track")
        self.assertEqual(after["fixes"], before["fixes"])
        status, unit = self.server.request("GET", f"/api/v1/units/{u}")
        self.assertAlmostEqual(unit["position"]["lat"], 25.2010)


    # The tracker protocol (docs/formats/avl-lane.md): 28-byte little-endian records.
    @staticmethod
    def record(unit, t, lat, lon, speed=0.0, heading=0.0):
        return struct.pack("<QqiiHH", unit, t, round(lat * 1e7), round(lon * 1e7),
                           int(speed * 100), int(heading * 100))

    @staticmethod
    def read_ack(data):
        kind, batch, accepted, n = struct.unpack_from("<BIHH", data)
        rejected = [struct.unpack_from("<HB", data, 9 + 3 * i) for i in range(n)]
        return kind, batch, accepted, rejected

    def tcp(self, key):
        s = socket.create_connection(("127.0.0.1", self.tcp_port), timeout=10)
        s.sendall(b"NAVL\x01" + bytes([len(key)]) + key.encode())
        status, n = s.recv(2, socket.MSG_WAITALL)
        return s, status, s.recv(n, socket.MSG_WAITALL) if n else b""

    def test_tcp_and_udp_tracker_protocol(self):
        u, fire = self.units["T1"], self.units["F1"]
        t = now_ms() - 30_000
        s, status, _ = self.tcp(self.key)
        self.assertEqual(status, 0)
        recs = [self.record(u, t + 1000, 25.201, 51.501, 12.5, 90),
                self.record(fire, t + 1000, 25.2, 51.5),      # another agency's unit
                self.record(u, t + 2000, 95.0, 51.5),          # latitude out of range
                self.record(u, t + 3000, 25.2011, 51.501)]
        s.sendall(struct.pack("<BIH", ord("B"), 77, len(recs)) + b"".join(recs))
        kind, batch, accepted, rejected = self.read_ack(s.recv(1000))
        self.assertEqual((kind, batch, accepted), (ord("A"), 77, 2))
        self.assertEqual([i for i, _ in rejected], [1, 2])
        self.assertEqual([r for _, r in rejected], [1, 3])  # unknown_unit, position
        # A batch of 0 records is a protocol error: an error frame, then the connection is cut.
        s.sendall(struct.pack("<BIH", ord("B"), 78, 0))
        self.assertEqual(s.recv(1)[:1], b"E")
        s.close()
        status, track = self.server.request("GET", f"/api/v1/units/{u}/track?from={t}")
        self.assertEqual([f["time"] for f in track["fixes"]], [t + 1000, t + 3000])
        self.assertAlmostEqual(track["fixes"][0]["speed"], 12.5)

        # Keys: unknown, or without the positions lane, are refused at the hello.
        s, status, why = self.tcp("ncc_ak_made_up")
        self.assertEqual(status, 2, why)
        s.close()
        s, status, why = self.tcp(self.alarm_key)
        self.assertEqual(status, 3, why)
        s.close()
        s = socket.create_connection(("127.0.0.1", self.tcp_port), timeout=10)
        s.sendall(b"GET / HTTP/1.1\r\n\r\n")
        self.assertEqual(s.recv(1), b"\x01")
        s.close()

        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.settimeout(5)
        key = self.key.encode()
        gram = b"NAVU\x01" + bytes([len(key)]) + key + struct.pack("<IH", 5, 1) + self.record(u, t + 4000, 25.2012, 51.501)
        udp.sendto(gram, ("127.0.0.1", self.udp_port))
        kind, batch, accepted, rejected = self.read_ack(udp.recv(100))
        self.assertEqual((kind, batch, accepted, rejected), (ord("A"), 5, 1, []))
        udp.sendto(gram, ("127.0.0.1", self.udp_port))  # a resend: the duplicate is refused
        kind, batch, accepted, rejected = self.read_ack(udp.recv(100))
        self.assertEqual((accepted, rejected), (0, [(0, 7)]))  # duplicate
        udp.sendto(gram[:-1], ("127.0.0.1", self.udp_port))   # truncated: no answer, counted
        udp.sendto(b"NAVU\x01\x03bad" + struct.pack("<IH", 6, 1) + self.record(u, t + 5000, 25.2, 51.5),
                   ("127.0.0.1", self.udp_port))          # unknown key: no answer, counted
        time.sleep(0.5)
        udp.close()
        status, metrics = self.server.request("GET", "/metrics")
        self.assertIn("ncc_tracker_bad_datagrams_total 2", metrics)
        self.assertIn('ncc_avl_fixes_accepted_total{source="udp"} 1', metrics)
        self.assertIn('ncc_avl_fixes_rejected_total{source="tcp",reason="position"} 1', metrics)


if __name__ == "__main__":
    main()
