"""Dispatch on a real `ncc serve` with the San Francisco road graph: recommendations (logged and
streamed), accepting them, no double booking under concurrent incidents, mutual aid between
agencies, coverage, SLA escalation on the stream, and bad input."""
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from harness import main, now_ms, Server, WebSocket

NCC = None
HERE = os.path.dirname(os.path.abspath(__file__))
PLANS = os.path.join(HERE, "..", "..", "config", "plans", "default.conf")

# A plan with a 2-second call->dispatch target, so escalation shows within the test.
TEST_PLANS = """
[plan test.sla]
name = SLA test
need = 1 patrol from police
target.* = 2 60 60
"""

ZONES = """{"type":"FeatureCollection","features":[{"type":"Feature",
 "properties":{"id":"downtown","capability":"ambulance","minutes":2,"target":0.9,"spacing_m":150},
 "geometry":{"type":"Polygon","coordinates":[[[-122.414,37.784],[-122.400,37.784],[-122.400,37.795],[-122.414,37.795],[-122.414,37.784]]]}}]}"""

# Stations and positions in the north-east of San Francisco (inside the extract).
UNITS = [
    ("E1", "civil_defence", "engine", (37.7946, -122.4060)),
    ("E2", "civil_defence", "engine", (37.7890, -122.4140)),
    ("E3", "civil_defence", "engine", (37.8010, -122.4250)),
    ("L1", "civil_defence", "ladder", (37.7870, -122.4030)),
    ("M1", "ambulance", "ambulance", (37.7920, -122.4100)),
    ("M2", "ambulance", "ambulance", (37.7990, -122.4330)),
]
PATROLS = [(f"P{i}", "police", "patrol", p) for i, p in enumerate([
    (37.7880, -122.4200), (37.7920, -122.4150), (37.7960, -122.4200), (37.7900, -122.4050),
    (37.7850, -122.4120), (37.7990, -122.4100), (37.7940, -122.4300), (37.7870, -122.4280)], 1)]


class Dispatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        data = os.environ.get("NCC_DATA_DIR", "")
        osm = os.path.join(data, "osm", "sf-north-2020.osm")
        if not os.path.exists(osm):
            raise unittest.SkipTest("no data folder with osm/sf-north-2020.osm")
        cls.tmp = tempfile.mkdtemp(prefix="ncc-dispatch-")
        cls.graph = os.path.join(cls.tmp, "sf.graph")
        done = subprocess.run([NCC, "import-osm", osm, "--out", cls.graph], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        plans = os.path.join(cls.tmp, "plans")
        os.makedirs(plans)
        shutil.copy(PLANS, os.path.join(plans, "default.conf"))
        with open(os.path.join(plans, "test.conf"), "w") as f:
            f.write(TEST_PLANS)
        zones = os.path.join(cls.tmp, "zones.geojson")
        with open(zones, "w") as f:
            f.write(ZONES)
        cls.server = Server(NCC, extra=["--graph", cls.graph, "--plans", plans, "--zones", zones])
        # A national supervisor who dispatches for every agency; and each agency's own dispatcher.
        cls.server.add_user("chief", "police", ["supervisor", "civil_defence:supervisor", "ambulance:supervisor",
                                                "coast_guard:supervisor"], "secret")
        cls.server.add_user("amb", "ambulance", ["dispatcher"], "secret")
        cls.server.start()
        cls.chief = cls.server.login("chief")
        cls.amb = cls.server.login("amb")
        for code, kind in [("police", "police"), ("civil_defence", "fire"), ("ambulance", "ambulance"),
                           ("coast_guard", "coast_guard")]:
            cls.server.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": kind})
        cls.unit_id = {}
        for callsign, agency, kind, (lat, lon) in UNITS + PATROLS:
            status, body = cls.server.request("POST", "/api/v1/units", {
                "callsign": callsign, "agency": agency, "kind": kind,
                "location": {"lat": lat, "lon": lon}}, token=cls.chief)
            assert status == 201, body
            cls.unit_id[callsign] = body["id"]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def req(self, method, path, body=None, token=None):
        return self.server.request(method, path, body, token=token or self.chief)

    def incident(self, type_, lat=37.7905, lon=-122.4080, priority=2):
        status, body = self.req("POST", "/api/v1/incidents", {
            "type": type_, "priority": priority, "location": {"lat": lat, "lon": lon}})
        self.assertEqual(status, 201, body)
        return body["id"]

    def free(self, callsigns):
        """Clears units so tests do not depend on each other's assignments."""
        for c in callsigns:
            uid = self.unit_id[c]
            _, u = self.req("GET", f"/api/v1/units/{uid}")
            if u["status"] != "available":
                s, b = self.req("POST", f"/api/v1/units/{uid}/status", {"status": "available"})
                self.assertEqual(s, 200, b)

    def test_recommendation_on_create_is_logged_and_streamed(self):
        self.free([u[0] for u in UNITS + PATROLS])
        _, head = self.req("GET", "/api/v1/events?after=0&limit=1")
        ws = WebSocket(self.server.port, f"/api/v1/stream?after={head['head']}", token=self.chief)
        self.assertEqual(ws.recv_json()["type"], "stream_hello")
        iid = self.incident("fire.structure")
        deadline = time.time() + 10
        found = None
        while time.time() < deadline and not found:
            ev = ws.recv_json()
            if ev["type"] == "recommendation_made" and ev["data"]["incident"] == iid:
                found = ev
        ws.close()
        self.assertIsNotNone(found, "a live recommendation for the new incident")
        self.assertEqual(found["data"]["plan"], "fire.structure")
        self.assertEqual(found["actor"], "dispatch")
        slots = sorted(u["slot"] for u in found["data"]["units"])
        self.assertEqual(slots, ["ambulance", "engine", "engine", "ladder", "patrol"])
        # The incident remembers what was recommended (after-action review compares with sent).
        _, inc = self.req("GET", f"/api/v1/incidents/{iid}")
        self.assertEqual(len(inc["recommended"]), 5)
        self.req("POST", f"/api/v1/incidents/{iid}/status", {"status": "cancelled"})

    def test_recommend_explain_accept_with_override(self):
        self.free([u[0] for u in UNITS + PATROLS])
        iid = self.incident("fire.structure")
        status, rec = self.req("POST", f"/api/v1/incidents/{iid}/recommendation")
        self.assertEqual(status, 200, rec)
        self.assertTrue(rec["complete"], rec)
        self.assertEqual(rec["travel"], "road")
        for u in rec["units"]:
            self.assertGreater(u["road_meters"], 0)
            self.assertGreater(u["eta_s"], u["travel_s"])  # turnout added
            self.assertIn("ETA", u["reason"])
        self.assertEqual([u["rank"] for u in rec["units"]], list(range(1, 6)))
        etas = [u["eta_s"] for u in rec["units"]]
        self.assertEqual(etas, sorted(etas))
        engines = [u["unit"] for u in rec["units"] if u["slot"] == "engine"]
        spare = [self.unit_id[c] for c in ("E1", "E2", "E3") if self.unit_id[c] not in engines][0]
        # The dispatcher swaps one engine for the spare one and leaves the patrol out.
        patrol = [u["unit"] for u in rec["units"] if u["slot"] == "patrol"][0]
        status, body = self.req("POST", f"/api/v1/incidents/{iid}/recommendation/accept",
                                {"replace": {str(engines[0]): spare}, "omit": [patrol]})
        self.assertEqual(status, 201, body)
        self.assertIn(spare, body["assigned"])
        self.assertNotIn(engines[0], body["assigned"])
        self.assertEqual(len(body["assigned"]), 4)
        # The next fire: the busy engines are passed over, with the reason.
        iid2 = self.incident("fire.structure", 37.7900, -122.4100)
        status, rec2 = self.req("POST", f"/api/v1/incidents/{iid2}/recommendation")
        self.assertEqual(status, 200, rec2)
        chosen = {u["unit"] for u in rec2["units"]}
        self.assertFalse(chosen & set(body["assigned"]), "never a unit already assigned")
        self.assertFalse(rec2["complete"])
        self.assertTrue(any("dispatched on incident" in p["reason"] for p in rec2["passed"]), rec2["passed"])
        # The remaining engine and the ladder... whatever is left is named as missing.
        self.assertTrue(rec2["missing"])
        for u in body["assigned"]:
            self.req("POST", f"/api/v1/units/{u}/status", {"status": "available"})

    def test_unknown_type_and_unsatisfiable_plan(self):
        iid = self.incident("weird.thing")
        status, rec = self.req("POST", f"/api/v1/incidents/{iid}/recommendation")
        self.assertEqual(status, 200, rec)
        self.assertEqual(rec["plan"], "default")
        self.assertIn("no plan for type weird.thing; used the default plan", rec["note"])
        iid = self.incident("marine.distress", 37.8080, -122.4180)
        status, rec = self.req("POST", f"/api/v1/incidents/{iid}/recommendation")
        self.assertEqual(status, 200, rec)
        self.assertFalse(rec["complete"])
        self.assertIn("2 boat from coast_guard", rec["missing"])
        self.assertEqual([u["slot"] for u in rec["units"]], ["ambulance"])  # partial

    def test_no_double_booking_under_concurrent_incidents(self):
        self.free([p[0] for p in PATROLS])
        ids = [self.incident("police.robbery", 37.79 + 0.002 * k, -122.42 + 0.002 * k) for k in range(10)]
        results = []

        def work(iid):
            for _ in range(3):
                s, rec = self.req("POST", f"/api/v1/incidents/{iid}/recommendation")
                if s != 200 or not rec["units"]:
                    results.append(("none", iid))
                    return
                s, body = self.req("POST", f"/api/v1/incidents/{iid}/recommendation/accept", {})
                results.append((s, iid))
                if s == 201:
                    return
                self.assertEqual(s, 409, body)  # a unit was taken meanwhile: recommend again
                self.assertEqual(body["error"]["field"][:6], "units[")

        threads = [threading.Thread(target=work, args=(i,)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        taken = {}
        for iid in ids:
            _, inc = self.req("GET", f"/api/v1/incidents/{iid}")
            for a in inc["assignments"]:
                if a["cleared"] is None:
                    self.assertNotIn(a["unit"], taken, f"unit {a['unit']} on {taken.get(a['unit'])} and {iid}")
                    taken[a["unit"]] = iid
        self.assertEqual(len(taken), len(PATROLS), "every patrol went somewhere, each once")
        self.assertTrue(all(s in (201, 409, "none") for s, _ in results), results)
        self.free([p[0] for p in PATROLS])

    def test_mutual_aid_accept_and_decline_seen_by_both(self):
        self.free(["M1", "M2"])
        iid = self.incident("police.robbery", 37.7930, -122.4120)
        req = {"incident": iid, "agency": "ambulance", "kind": "ambulance", "count": 1,
               "reason": "shots fired, one injured", "deadline": now_ms() + 600000}
        # A police-only account of the tester may ask (supervisor of police)...
        status, body = self.server.request("POST", "/api/v1/resource-requests", req)
        self.assertEqual(status, 201, body)
        rid = body["id"]
        # ...the ambulance dispatcher sees it and the incident it is about.
        status, lst = self.req("GET", "/api/v1/resource-requests", token=self.amb)
        self.assertIn(rid, [r["id"] for r in lst["items"]])
        status, _ = self.req("GET", f"/api/v1/incidents/{iid}", token=self.amb)
        self.assertEqual(status, 200)
        # Police may not answer for the ambulance service.
        status, body = self.server.request("POST", f"/api/v1/resource-requests/{rid}/answer",
                                           {"accept": True, "units": [self.unit_id["M1"]]})
        self.assertEqual(status, 403, body)
        status, body = self.req("POST", f"/api/v1/resource-requests/{rid}/answer",
                                {"accept": True, "units": [self.unit_id["M1"]], "note": "M1 rolling"},
                                token=self.amb)
        self.assertEqual(status, 200, body)
        status, body = self.req("POST", f"/api/v1/resource-requests/{rid}/answer",
                                {"accept": False, "note": "again"}, token=self.amb)
        self.assertEqual(status, 409, body)  # answered once
        _, inc = self.req("GET", f"/api/v1/incidents/{iid}")
        self.assertIn(self.unit_id["M1"], [a["unit"] for a in inc["assignments"]])
        # A second request declined, with its reason; both agencies read both in the log.
        req["count"] = 2
        status, body = self.server.request("POST", "/api/v1/resource-requests", req)
        rid2 = body["id"]
        status, body = self.req("POST", f"/api/v1/resource-requests/{rid2}/answer",
                                {"accept": False}, token=self.amb)
        self.assertEqual((status, body["error"]["field"]), (422, "note"))  # a decline says why
        status, body = self.req("POST", f"/api/v1/resource-requests/{rid2}/answer",
                                {"accept": False, "note": "no unit free in 20 min"}, token=self.amb)
        self.assertEqual(status, 200, body)
        for token in (self.server.token, self.amb):
            _, ev = self.req("GET", "/api/v1/events?after=0&limit=1000", token=token)
            kinds = [(e["type"], e["data"].get("id")) for e in ev["items"]]
            self.assertIn(("resource_requested", rid2), kinds)
            self.assertIn(("resource_request_answered", rid2), kinds)
        _, lst = self.req("GET", "/api/v1/resource-requests", token=self.amb)
        mine = {r["id"]: r for r in lst["items"]}
        self.assertEqual(mine[rid]["status"], "accepted")
        self.assertEqual(mine[rid2]["status"], "declined")
        self.assertEqual(mine[rid2]["note"], "no unit free in 20 min")
        self.free(["M1"])

    def test_coverage(self):
        self.free(["M1", "M2"])
        status, cov = self.req("GET", "/api/v1/coverage")
        self.assertEqual(status, 200, cov)
        self.assertEqual(cov["travel"], "road")
        zone = cov["zones"][0]
        self.assertEqual(zone["zone"], "downtown")
        self.assertGreater(zone["points"], 10)
        self.assertTrue(0 <= zone["fraction"] <= 1)
        self.assertIn("ambulance", zone["by_agency"])
        if zone["below_target"]:
            gains = [m["points_gained"] for m in zone["move_ups"]]
            self.assertEqual(gains, sorted(gains, reverse=True))

    def test_sla_escalation_on_the_stream_once(self):
        _, head = self.req("GET", "/api/v1/events?after=0&limit=1")
        ws = WebSocket(self.server.port, f"/api/v1/stream?after={head['head']}", token=self.chief)
        ws.recv_json()
        iid = self.incident("test.sla")
        seen = []
        deadline = time.time() + 8
        while time.time() < deadline:
            try:
                ev = ws.recv_json()
            except OSError:
                break
            if ev["type"] == "sla_escalated" and ev["data"]["incident"] == iid:
                seen.append(ev)
                deadline = min(deadline, time.time() + 3)  # watch a little longer for a duplicate
        ws.close()
        self.assertEqual(len(seen), 1, seen)
        self.assertEqual(seen[0]["data"]["step"], "dispatch")
        self.assertEqual(seen[0]["data"]["notify"], "supervisor@police")
        self.req("POST", f"/api/v1/incidents/{iid}/status", {"status": "cancelled"})

    def test_plans_in_force_for_call_intake_and_the_queue(self):
        status, body = self.server.request("GET", "/api/v1/plans")
        self.assertEqual(status, 200, body)
        plans = {p["type"]: p for p in body["items"]}
        self.assertIn("default", plans)
        fire = plans["fire.structure"]  # config/plans/default.conf
        self.assertEqual(fire["name"], "Structure fire")
        self.assertIn({"count": 2, "capability": "engine", "agency": "civil_defence"}, fire["needs"])
        self.assertEqual(fire["targets"]["1"], {"dispatch_s": 60, "en_route_s": 80, "on_scene_s": 360})
        self.assertEqual(fire["targets"]["4"], {"dispatch_s": 90, "en_route_s": 90, "on_scene_s": 600})  # "*"
        status, _ = self.server.request("GET", "/api/v1/plans", token=False)
        self.assertEqual(status, 401)

    def test_bad_input(self):
        iid = self.incident("police.robbery")
        status, body = self.req("POST", f"/api/v1/incidents/{iid}/recommendation/accept", {"units": ["x"]})
        self.assertEqual((status, body["error"]["field"]), (400, "units[0]"))
        status, body = self.req("POST", f"/api/v1/incidents/{iid}/recommendation/accept", {"colour": 1})
        self.assertEqual((status, body["error"]["field"]), (400, "colour"))
        status, body = self.req("POST", "/api/v1/incidents/999999/recommendation")
        self.assertEqual(status, 404, body)
        status, body = self.req("POST", "/api/v1/resource-requests", {
            "incident": iid, "agency": "ambulance", "kind": "ambulance", "reason": "x", "deadline": 1000})
        self.assertEqual((status, body["error"]["field"]), (422, "deadline"))
        status, body = self.req("POST", "/api/v1/resource-requests", {
            "incident": iid, "agency": "nobody", "kind": "ambulance", "reason": "x", "deadline": now_ms() + 60000})
        self.assertEqual((status, body["error"]["field"]), (404, "agency"))
        status, body = self.req("POST", "/api/v1/resource-requests", {
            "incident": iid, "agency": "ambulance", "kind": "ambulance", "count": 0, "reason": "x",
            "deadline": now_ms() + 60000})
        self.assertEqual((status, body["error"]["field"]), (422, "count"))

    def test_invalid_plan_file_stops_the_start_naming_file_line_field(self):
        bad = os.path.join(self.tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write("[plan default]\nneed = 1 patrol\ntarget.* = 60 60 5m\n\n[plan fire]\nneed = two engines\n")
        data = tempfile.mkdtemp(prefix="ncc-badplans-")
        done = subprocess.run([NCC, "serve", "--data", data, "--listen", "127.0.0.1:0", "--plans", bad],
                              capture_output=True, text=True, timeout=30)
        shutil.rmtree(data, ignore_errors=True)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn(bad + ":6: need:", done.stderr + done.stdout)


if __name__ == "__main__":
    main()
