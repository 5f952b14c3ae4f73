"""What an answer names (issue 11, item 2): every answer that names records shows a reader only
the records it may see — recommendations and assignments on a shared incident (stream, /events,
webhooks, timeline, exports), alarm ids per agency (F8), callsigns per agency and plate reads of
a secret watchlist (F14), and reads of confidential units through every route audited (F15).
Each test fails on the code before the visibility room."""
import json
import os
import subprocess
import time
import unittest

from harness import main, Server, WebSocket
from test_exports import Receiver

NCC = None

PLANS = """
[plan default]
name = Default
need = 1 patrol from police
target.* = 60 600 600
"""
ZONES = """{"type":"FeatureCollection","features":[{"type":"Feature",
 "properties":{"id":"downtown","capability":"patrol","minutes":2,"target":0.9,"spacing_m":150},
 "geometry":{"type":"Polygon","coordinates":[[[-122.414,37.784],[-122.400,37.784],[-122.400,37.795],[-122.414,37.795],[-122.414,37.784]]]}}]}"""
HERE = (37.7905, -122.4080)


def key(server, name, agency, lane, clearance="restricted"):
    done = subprocess.run([NCC, "apikey", "add", "--data", server.data_dir, "--agency", agency, "--lane", lane,
                           "--clearance", clearance, name], capture_output=True, text=True, check=True)
    return done.stdout.strip().split()[-1]


def text(value):
    return value if isinstance(value, str) else json.dumps(value)


def recommended_ids(events):
    """Unit ids that recommendation_made and unit_assigned events name."""
    found = []
    for e in events:
        if e["type"] == "recommendation_made":
            found += [u["unit"] for u in e["data"]["units"]]
        if e["type"] in ("unit_assigned",) and e["data"].get("unit") is not None:
            found.append(e["data"]["unit"])
        if e["type"] == "resource_request_answered":
            found += e["data"]["units"]
    return found


def start_server(extra_users, with_zones=False):
    s = Server(NCC)
    base = s.data_dir.rstrip("/")
    plans = base + "-plans"
    os.makedirs(plans, exist_ok=True)
    with open(os.path.join(plans, "test.conf"), "w") as f:
        f.write(PLANS)
    s.extra += ["--plans", plans]
    s.cleanup_paths = [plans]
    if with_zones:
        with open(base + ".geojson", "w") as f:
            f.write(ZONES)
        s.extra += ["--zones", base + ".geojson"]
        s.cleanup_paths.append(base + ".geojson")
    for name, agency, roles, clearance in extra_users:
        s.add_user(name, agency, roles, clearance)
    return s


def stop_server(s):
    s.cleanup()
    subprocess.run(["rm", "-rf"] + s.cleanup_paths)


class SharedIncidentTest(unittest.TestCase):
    """A police incident shared with civil_defence: the fire side reads the incident, but police
    units (not shared with it; one of them secret) must not be named to it anywhere."""

    @classmethod
    def setUpClass(cls):
        cls.s = start_server([
            ("pdisp", "police", ["dispatcher"], "confidential"),
            ("firedisp", "civil_defence", ["dispatcher"], "confidential"),
            ("firesup", "civil_defence", ["supervisor"], "confidential"),
            ("chief", "police", ["supervisor"], "secret")])
        cls.s.start()
        cls.rx = Receiver()
        for code, kind in [("police", "police"), ("civil_defence", "fire")]:
            cls.s.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": kind})
        cls.pdisp, cls.firedisp, cls.firesup, cls.chief = (cls.s.login(n) for n in ("pdisp", "firedisp", "firesup",
                                                                                     "chief"))
        status, hook = cls.s.request("POST", "/api/v1/webhooks", {"url": f"http://127.0.0.1:{cls.rx.port}/in"},
                                     token=cls.firesup)
        assert status == 201, hook
        cls.units = {}
        for callsign, cls_name, where in [("CANARY-POLICE-PATROL", "confidential", HERE),
                                          ("CANARY-POLICE-SECRET", "secret", (37.7990, -122.4200))]:
            status, body = cls.s.request("POST", "/api/v1/units", {
                "callsign": callsign, "agency": "police", "kind": "patrol", "classification": cls_name,
                "location": {"lat": where[0], "lon": where[1]}}, token=cls.chief)
            assert status == 201, body
            cls.units[callsign] = body["id"]
        status, made = cls.s.request("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 2, "classification": "confidential", "summary": "shared robbery",
            "location": {"lat": HERE[0], "lon": HERE[1]}}, token=cls.pdisp)
        assert status == 201, made
        cls.iid = made["id"]
        status, body = cls.s.request("POST", f"/api/v1/incidents/{cls.iid}/shares", {"agency": "civil_defence"},
                                     token=cls.pdisp)
        assert status == 201, body
        cls.ws = WebSocket(cls.s.port, "/api/v1/stream?after=0", token=cls.firedisp)
        assert cls.ws.status == 101
        # The police dispatcher gets a recommendation (the confidential patrol) and sends it;
        # the secret unit goes too (by the chief, who commands it).
        status, cls.rec = cls.s.request("POST", f"/api/v1/incidents/{cls.iid}/recommendation", token=cls.pdisp)
        assert status == 200, cls.rec
        status, body = cls.s.request("POST", f"/api/v1/incidents/{cls.iid}/recommendation/accept", {},
                                     token=cls.pdisp)
        assert status == 201, body
        status, body = cls.s.request("POST", f"/api/v1/incidents/{cls.iid}/assignments",
                                     {"unit": cls.units["CANARY-POLICE-SECRET"]}, token=cls.chief)
        assert status == 201, body
        status, body = cls.s.request("POST", f"/api/v1/units/{cls.units['CANARY-POLICE-SECRET']}/status",
                                     {"status": "en_route"}, token=cls.chief)
        assert status == 200, body

    @classmethod
    def tearDownClass(cls):
        cls.ws.close()
        cls.rx.stop()
        stop_server(cls.s)

    def hidden(self):
        return set(self.units.values())

    def test_the_police_side_sees_its_recommendation(self):
        self.assertIn(self.units["CANARY-POLICE-PATROL"], [u["unit"] for u in self.rec["units"]])

    def test_recommendation_made_on_events_names_no_hidden_unit(self):
        status, page = self.s.request("GET", "/api/v1/events?after=0&limit=1000", token=self.firedisp)
        self.assertEqual(status, 200, page)
        types = [e["type"] for e in page["items"]]
        self.assertIn("recommendation_made", types)  # the event is shown, redacted
        self.assertIn("unit_assigned", types)
        self.assertFalse(self.hidden() & set(recommended_ids(page["items"])), page)
        self.assertNotIn("CANARY", text(page))
        # The police dispatcher who may see the patrol still sees it in the event.
        status, page = self.s.request("GET", "/api/v1/events?after=0&limit=1000", token=self.pdisp)
        self.assertIn(self.units["CANARY-POLICE-PATROL"], recommended_ids(page["items"]))

    def test_recommendation_made_on_the_stream_names_no_hidden_unit(self):
        seen = []
        deadline = time.time() + 10
        while time.time() < deadline:
            msg = self.ws.recv_json()
            if msg.get("type") == "stream_hello":
                continue
            seen.append(msg)
            if msg["type"] == "unit_assigned" and len([m for m in seen if m["type"] == "unit_assigned"]) >= 2:
                break
        self.assertIn("recommendation_made", [m["type"] for m in seen])
        self.assertFalse(self.hidden() & set(recommended_ids(seen)), seen)
        self.assertNotIn("CANARY", text(seen))

    def test_webhook_deliveries_name_no_hidden_unit(self):
        got = self.rx.wait_for(lambda ev: len([e for _, e in ev if e.get("type") == "unit_assigned"]) >= 2)
        bodies = [e for _, e in got]
        self.assertIn("recommendation_made", [e.get("type") for e in bodies])
        self.assertFalse(self.hidden() & set(recommended_ids(bodies)), bodies)
        self.assertNotIn(b"CANARY", b"".join(body for _, body in self.rx.received))

    def test_timeline_and_assignments_withhold_hidden_units(self):
        status, inc = self.s.request("GET", f"/api/v1/incidents/{self.iid}", token=self.firedisp)
        self.assertEqual(status, 200, inc)
        self.assertNotIn("CANARY", text(inc))
        self.assertEqual([a["unit"] for a in inc["assignments"]], [None, None])  # two units are there
        self.assertFalse(self.hidden() & set(inc["recommended"]))
        withheld = [t for t in inc["timeline"] if t["text"].startswith("withheld unit")]
        self.assertIn("withheld unit assigned", [t["text"] for t in withheld])
        self.assertIn("withheld unit en_route", [t["text"] for t in withheld])
        self.assertEqual({t["actor"] for t in withheld}, {"withheld"})
        status, listed = self.s.request("GET", "/api/v1/incidents", token=self.firedisp)
        self.assertNotIn("CANARY", text(listed))
        mine = [i for i in listed["items"] if i["id"] == self.iid][0]
        self.assertEqual([a["unit"] for a in mine["assignments"]], [None, None])
        # The police side (which sees both) keeps the names.
        status, inc = self.s.request("GET", f"/api/v1/incidents/{self.iid}", token=self.chief)
        self.assertIn("CANARY-POLICE-SECRET assigned", text(inc))
        self.assertEqual(sorted(a["unit"] for a in inc["assignments"]), sorted(self.hidden()))

    def test_exports_withhold_hidden_units(self):
        for route in ("eido", "cap", "cot"):
            status, body = self.s.request("GET", f"/api/v1/incidents/{self.iid}/{route}", token=self.firesup)
            self.assertEqual(status, 200, (route, body))
            self.assertNotIn("CANARY", text(body), route)
        status, feed = self.s.request("GET", "/api/v1/incidents/cap", token=self.firesup)
        self.assertEqual(status, 200)
        self.assertNotIn("CANARY", text(feed))

    def test_closing_names_no_hidden_unit(self):
        # The owning agency's dispatcher, cleared for confidential, does not see a secret unit the
        # chief sent to its incident: refusing to cancel must not name it.
        status, unit = self.s.request("POST", "/api/v1/units", {
            "callsign": "CANARY-POLICE-SECRET-2", "agency": "police", "kind": "patrol",
            "classification": "secret"}, token=self.chief)
        self.assertEqual(status, 201, unit)
        status, made = self.s.request("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 2, "location": {"lat": 25.0, "lon": 51.0}}, token=self.pdisp)
        self.assertEqual(status, 201, made)
        status, body = self.s.request("POST", f"/api/v1/incidents/{made['id']}/assignments", {"unit": unit["id"]},
                                      token=self.chief)
        self.assertEqual(status, 201, body)
        status, body = self.s.request("POST", f"/api/v1/incidents/{made['id']}/status", {"status": "cancelled"},
                                      token=self.pdisp)
        self.assertEqual((status, body["error"]["field"]), (409, "status"), body)
        self.assertNotIn(str(unit["id"]), body["error"]["message"], body)
        self.assertNotIn("CANARY", text(body))
        # The chief, who sees it, is told which unit.
        status, body = self.s.request("POST", f"/api/v1/incidents/{made['id']}/status", {"status": "cancelled"},
                                      token=self.chief)
        self.assertEqual(status, 409, body)
        self.assertIn(f"unit {unit['id']} ", body["error"]["message"], body)


class StreamSharedByViewTest(unittest.TestCase):
    """Streams of one view (agency, roles, clearance) share one filtering of each event
    (SharedEventViews, server/event_pages.h). Two consoles each of police and civil_defence and a
    restricted police one are live while a shared confidential incident gets its recommendation
    and each agency makes an unshared incident: every stream must carry exactly what /events
    shows its reader (the per-reader filter), in order, with nothing of the other agency's
    unshared incident and no unit it may not see. Labels do not change while they stream."""

    @classmethod
    def setUpClass(cls):
        cls.s = start_server([
            ("pd1", "police", ["dispatcher"], "confidential"),
            ("pd2", "police", ["dispatcher"], "confidential"),
            ("pr", "police", ["dispatcher"], "restricted"),
            ("fd1", "civil_defence", ["dispatcher"], "confidential"),
            ("fd2", "civil_defence", ["dispatcher"], "confidential"),
            ("chief", "police", ["supervisor"], "secret")])
        cls.s.start()
        for code, kind in [("police", "police"), ("civil_defence", "fire")]:
            cls.s.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": kind})
        cls.tokens = {n: cls.s.login(n) for n in ("pd1", "pd2", "pr", "fd1", "fd2", "chief")}
        status, unit = cls.s.request("POST", "/api/v1/units", {
            "callsign": "CANARY-POLICE-PATROL", "agency": "police", "kind": "patrol", "classification": "confidential",
            "location": {"lat": HERE[0], "lon": HERE[1]}}, token=cls.tokens["chief"])
        assert status == 201, unit
        cls.patrol = unit["id"]
        status, made = cls.s.request("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 2, "classification": "confidential", "summary": "shared",
            "location": {"lat": HERE[0], "lon": HERE[1]}}, token=cls.tokens["pd1"])
        assert status == 201, made
        cls.shared = made["id"]
        status, body = cls.s.request("POST", f"/api/v1/incidents/{cls.shared}/shares", {"agency": "civil_defence"},
                                     token=cls.tokens["pd1"])
        assert status == 201, body
        cls.ws = {}
        cls.after = {}
        for name in ("pd1", "pd2", "pr", "fd1", "fd2"):
            ws = WebSocket(cls.s.port, "/api/v1/stream", token=cls.tokens[name])
            assert ws.status == 101
            hello = ws.recv_json()
            assert hello["type"] == "stream_hello", hello
            cls.ws[name], cls.after[name] = ws, hello["after"]
        pd1, fd1 = cls.tokens["pd1"], cls.tokens["fd1"]
        status, cls.rec = cls.s.request("POST", f"/api/v1/incidents/{cls.shared}/recommendation", token=pd1)
        assert status == 200, cls.rec
        status, body = cls.s.request("POST", f"/api/v1/incidents/{cls.shared}/recommendation/accept", {}, token=pd1)
        assert status == 201, body
        status, mine = cls.s.request("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 3, "summary": "POLICE-ONLY",
            "location": {"lat": HERE[0], "lon": HERE[1]}}, token=pd1)
        assert status == 201, mine
        status, theirs = cls.s.request("POST", "/api/v1/incidents", {
            "type": "fire.structure", "priority": 1, "summary": "FIRE-ONLY", "agency": "civil_defence",
            "location": {"lat": HERE[0], "lon": HERE[1]}}, token=fd1)
        assert status == 201, theirs
        for iid, token in ((mine["id"], pd1), (theirs["id"], fd1), (cls.shared, pd1)):
            status, body = cls.s.request("POST", f"/api/v1/incidents/{iid}/notes", {"text": "note"}, token=token)
            assert status == 201, body

    @classmethod
    def tearDownClass(cls):
        for ws in cls.ws.values():
            ws.close()
        stop_server(cls.s)

    def stream_and_events(self, name):
        """What the stream carried and what /events shows the same reader, after its hello."""
        status, page = self.s.request("GET", f"/api/v1/events?after={self.after[name]}&limit=1000",
                                      token=self.tokens[name])
        self.assertEqual(status, 200, page)
        expected = page["items"]
        got = []
        last = expected[-1]["seq"] if expected else 0
        deadline = time.time() + 10
        while (not got or got[-1]["seq"] < last) and time.time() < deadline:
            msg = self.ws[name].recv_json()
            if "seq" in msg and msg["seq"] <= last:
                got.append(msg)
        return got, expected

    def test_every_stream_carries_what_its_reader_may_see(self):
        carried = {}
        for name in self.ws:
            got, expected = self.stream_and_events(name)
            self.assertTrue(expected, name)
            self.assertEqual([m["seq"] for m in got], [e["seq"] for e in expected], name)
            self.assertEqual(got, expected, name)
            carried[name] = got
        police, fire = text(carried["pd1"]), text(carried["fd1"])
        self.assertIn("POLICE-ONLY", police)
        self.assertNotIn("FIRE-ONLY", police)
        self.assertIn("FIRE-ONLY", fire)
        self.assertNotIn("POLICE-ONLY", fire)
        self.assertNotIn("FIRE-ONLY", text(carried["pr"]))
        # The same view, the same stream.
        self.assertEqual(carried["pd1"], carried["pd2"])
        self.assertEqual(carried["fd1"], carried["fd2"])
        # The recommendation: named to police, withheld from civil_defence (it may not see the
        # patrol) and from the restricted police console (the incident is confidential).
        self.assertIn(self.patrol, recommended_ids(carried["pd1"]))
        self.assertIn("recommendation_made", [m["type"] for m in carried["fd1"]])
        self.assertNotIn(self.patrol, recommended_ids(carried["fd1"]))
        self.assertNotIn("CANARY", fire)
        self.assertNotIn(self.shared, [m["data"].get("incident") for m in carried["pr"]])


class AlarmScopeTest(unittest.TestCase):
    """F8: alarm ids are per agency. Another agency's key posting the same id gets its own alarm
    (never "duplicate" with the first agency's incident), and GET /alarms/{id} by a stranger
    answers as for an id nobody used."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(NCC)
        cls.s.add_user("firedisp", "fire", ["dispatcher"], "secret")
        cls.s.add_user("ambdisp", "ambulance", ["dispatcher"], "secret")
        cls.keys = {a: key(cls.s, f"sensors-{a}", a, "alarms") for a in ("police", "fire")}
        cls.s.start()
        for code in ("police", "fire", "ambulance"):
            cls.s.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": code})

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def post(self, agency, body):
        return self.s.request("POST", "/api/v1/alarms", body, token=False,
                              headers={"Authorization": "ApiKey " + self.keys[agency]})

    def alarm(self, alarm_id, lat):
        return {"id": alarm_id, "kind": "intrusion", "sensor": "door-" + alarm_id, "details": "CANARY-police-alarm",
                "location": {"lat": lat, "lon": 51.5}, "time": int(time.time() * 1000) - 1000}

    def test_f8_another_agencys_alarm_id_is_another_alarm(self):
        status, police = self.post("police", self.alarm("site/7", 25.30))
        self.assertEqual((status, police["outcome"]), (201, "opened"), police)
        status, again = self.post("police", self.alarm("site/7", 25.30))
        self.assertEqual((status, again["outcome"], again.get("incident")), (200, "duplicate", police["incident"]))
        fire_alarm = dict(self.alarm("site/7", 25.40), details="fire's own")
        status, fire = self.post("fire", fire_alarm)
        self.assertEqual((status, fire["outcome"]), (201, "opened"), fire)
        self.assertNotEqual(fire["incident"], police["incident"])
        # Each agency reads its own alarm under the shared id; a third agency reads nothing, and
        # its answer is the one for an id never used.
        status, body = self.s.request("GET", "/api/v1/alarms/site%2F7")
        self.assertEqual((status, body["incident"]), (200, police["incident"]), body)
        status, body = self.s.request("GET", "/api/v1/alarms/site%2F7", token=self.s.login("firedisp"))
        self.assertEqual((status, body["incident"]), (200, fire["incident"]), body)
        self.assertNotIn("CANARY", text(body))
        amb = self.s.login("ambdisp")
        status, known = self.s.request("GET", "/api/v1/alarms/site%2F7", token=amb)
        status2, unknown = self.s.request("GET", "/api/v1/alarms/never%2F7", token=amb)
        self.assertEqual((status, status2), (404, 404))
        self.assertEqual(text(known).replace("site/7", "X"), text(unknown).replace("never/7", "X"))


class CallsignAndWatchlistTest(unittest.TestCase):
    """F14: callsigns are unique per agency (another agency's callsign is no oracle; the field
    account of each agency still moves its own unit), and a plate read that hits a secret
    watchlist answers a restricted sensor exactly as a plate on no list (the hit is recorded)."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(NCC)
        cls.s.add_user("firesup", "fire", ["supervisor"], "restricted")
        cls.s.add_user("E-1", "fire", ["field_unit"], "restricted")
        cls.keys = {"alarms": key(cls.s, "anpr", "police", "alarms", "restricted")}
        cls.s.start()
        for code in ("police", "fire"):
            cls.s.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": code})

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def test_f14_callsigns_are_per_agency(self):
        status, police = self.s.request("POST", "/api/v1/units", {
            "callsign": "E-1", "agency": "police", "kind": "patrol", "classification": "secret"})
        self.assertEqual(status, 201, police)
        firesup = self.s.login("firesup")
        status, fire = self.s.request("POST", "/api/v1/units", {"callsign": "E-1", "kind": "engine"}, token=firesup)
        self.assertEqual(status, 201, fire)  # not 409: police's callsigns are not fire's business
        status, again = self.s.request("POST", "/api/v1/units", {"callsign": "E-1", "kind": "engine"}, token=firesup)
        self.assertEqual((status, again["error"]["field"]), (409, "callsign"), again)
        self.assertNotIn("police", text(again))
        # The fire field account "E-1" moves fire's E-1, not police's.
        field = self.s.login("E-1")
        status, body = self.s.request("POST", f"/api/v1/units/{fire['id']}/status", {"status": "out_of_service"},
                                      token=field)
        self.assertEqual(status, 200, body)
        status, body = self.s.request("POST", f"/api/v1/units/{police['id']}/status", {"status": "out_of_service"},
                                      token=field)
        self.assertEqual(status, 404, body)

    def test_f14_a_secret_watchlist_hit_looks_like_no_hit(self):
        status, body = self.s.request("POST", "/api/v1/watchlists", {
            "plate": "CAN 4242", "list": "canary-secret-list", "reason": "CANARY-secret-reason",
            "classification": "secret"})
        self.assertEqual(status, 201, body)
        now = int(time.time() * 1000) - 1000

        def read(alarm_id, plate):
            return self.s.request("POST", "/api/v1/alarms", {
                "id": alarm_id, "kind": "lpr_read", "plate": plate, "sensor": "cam-1",
                "location": {"lat": 25.3, "lon": 51.5}, "time": now}, token=False,
                headers={"Authorization": "ApiKey " + self.keys["alarms"]})
        miss = read("read-1", "ZZ 0000")
        hit = read("read-2", "CAN 4242")
        repeat = read("read-2", "CAN 4242")

        def shape(answer):
            status, body = answer
            return status, {k: v for k, v in body.items() if k not in ("id", "index")}
        self.assertEqual(shape(miss), (200, {"outcome": "no_hit", "seq": 0}), miss)
        self.assertEqual(shape(hit), shape(miss), hit)
        self.assertEqual(shape(repeat), shape(miss), repeat)
        self.assertNotIn("CANARY", text(hit[1]).upper())
        # The hit is recorded for those cleared to see it.
        status, listed = self.s.request("GET", "/api/v1/incidents")
        hits = [i for i in listed["items"] if any(s["plate"] == "CAN4242" for s in i["sources"])]
        self.assertEqual(len(hits), 1, listed)
        self.assertEqual(hits[0]["classification"], "secret")


def listed_police(test):
    status, listed = test.s.request("GET", "/api/v1/resource-requests")
    test.assertEqual(status, 200, listed)
    return listed["items"]


class AuditedUnitReadsTest(unittest.TestCase):
    """F15: a confidential or secret unit read through its track, its CoT, /units/nearby,
    /coverage or /resource-requests is a records_read, as GET /units/{id} is."""

    @classmethod
    def setUpClass(cls):
        cls.s = start_server([("ambdisp", "ambulance", ["dispatcher"], "secret"),
                              ("ambsup", "ambulance", ["supervisor"], "secret")], with_zones=True)
        cls.s.start()
        for code, kind in [("police", "police"), ("ambulance", "ambulance")]:
            cls.s.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": kind})
        status, body = cls.s.request("POST", "/api/v1/units", {
            "callsign": "CANARY-SECRET-AUDIT", "agency": "police", "kind": "patrol", "classification": "secret",
            "location": {"lat": HERE[0], "lon": HERE[1]}})
        assert status == 201, body
        cls.unit = body["id"]
        status, body = cls.s.request("POST", "/api/v1/positions", {"fixes": [
            {"unit": cls.unit, "lat": HERE[0], "lon": HERE[1], "time": int(time.time() * 1000) - 2000}]})
        assert status == 202 and body["accepted"] == 1, body
        status, made = cls.s.request("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 2, "classification": "secret",
            "location": {"lat": HERE[0], "lon": HERE[1]}})
        assert status == 201, made
        cls.iid = made["id"]
        status, body = cls.s.request("POST", "/api/v1/resource-requests", {
            "incident": cls.iid, "agency": "ambulance", "kind": "ambulance", "count": 1, "reason": "hurt",
            "deadline": int(time.time() * 1000) + 600000})
        assert status == 201, body
        cls.request_id = body["id"]
        status, body = cls.s.request("POST", "/api/v1/units", {
            "callsign": "CANARY-SECRET-AMB", "agency": "ambulance", "kind": "ambulance",
            "classification": "secret"}, token=cls.s.login("ambsup"))
        assert status == 201, body
        cls.amb_unit = body["id"]
        status, body = cls.s.request("POST", f"/api/v1/resource-requests/{cls.request_id}/answer",
                                     {"accept": True, "units": [cls.amb_unit]}, token=cls.s.login("ambdisp"))
        assert status == 200, body

    @classmethod
    def tearDownClass(cls):
        stop_server(cls.s)

    def audited(self, via, token=None):
        status, page = self.s.request("GET", "/api/v1/events?after=0&limit=1000", token=token)
        self.assertEqual(status, 200)
        return [r for e in page["items"] if e["type"] == "records_read" and e["data"]["via"] == via
                for r in e["data"]["records"]]

    def test_f15_unit_reads_through_every_route_are_audited(self):
        unit = f"unit:{self.unit}"
        for path, via in [
                (f"/api/v1/units/{self.unit}/track", "GET /api/v1/units/{id}/track"),
                (f"/api/v1/units/{self.unit}/cot", "GET /api/v1/units/{id}/cot"),
                (f"/api/v1/units/nearby?lat={HERE[0]}&lon={HERE[1]}", "GET /api/v1/units/nearby"),
                ("/api/v1/coverage", "GET /api/v1/coverage")]:
            status, body = self.s.request("GET", path)
            self.assertEqual(status, 200, (path, body))
            self.assertIn(unit, self.audited(via), path)

    def test_f15_resource_requests_are_audited(self):
        status, listed = self.s.request("GET", "/api/v1/resource-requests")
        self.assertEqual(status, 200, listed)
        self.assertIn(f"incident:{self.iid}", self.audited("GET /api/v1/resource-requests"))
        # The ambulance dispatcher sees the secret ambulance unit it sent: a read of it.
        status, listed = self.s.request("GET", "/api/v1/resource-requests", token=self.s.login("ambdisp"))
        self.assertEqual([q["units"] for q in listed["items"]], [[self.amb_unit]])
        self.assertIn(f"unit:{self.amb_unit}",
                      self.audited("GET /api/v1/resource-requests", token=self.s.login("ambsup")))
        # The police side does not see the ambulance's secret unit: left out of the request.
        self.assertEqual([q["units"] for q in listed_police(self)], [[]])


if __name__ == "__main__":
    main()
