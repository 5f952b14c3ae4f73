"""Alarm correlation through the real server: the labelled scenarios of src/correlate/scenarios
over POST /api/v1/alarms (near-misses included), calls merging with alarms, escalation, operator
splits, plate watchlists, bad input counted per source, labels and visibility, and the correlator
rebuilt from the log after kill -9."""
import glob
import json
import math
import os
import subprocess
import tempfile
import unittest

import harness
from harness import Server, WebSocket, now_ms

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "..", "..", "src", "correlate", "scenarios")


def offset(origin, north_m, east_m):
    lat, lon = origin
    return lat + north_m / 111195.0, lon + east_m / (111195.0 * math.cos(math.radians(lat)))


def api_key(server, name, agency, clearance="restricted"):
    done = subprocess.run([server.ncc, "apikey", "add", "--data", server.data_dir, "--agency", agency,
                           "--lane", "alarms", "--clearance", clearance, name],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip().split()[-1]


def sources_file(directory):
    path = os.path.join(directory, "alarm-sources.json")
    with open(path, "w") as f:
        json.dump({"sources": {"fire-panels": {"agency": "fire"},
                               "psim-secret": {"agency": "police", "classification": "secret"}}}, f)
    return path


class AlarmServer:
    """A server correlating calls, with police and fire agencies and one alarm key per agency."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ncc-alarms-")
        self.server = Server(NCC, data_dir=self.dir,
                             extra=["--correlate-calls", "--alarm-sources", sources_file(self.dir)])
        self.server.add_user("watcher", "police", ["dispatcher"], "restricted")
        self.server.add_user("taker", "police", ["call_taker"], "secret")
        self.keys = {"police": api_key(self.server, "psim-north", "police", "secret"),
                     "fire": api_key(self.server, "fire-panels", "fire")}
        self.server.start()
        for code in ("police", "fire"):
            self.server.request("POST", "/api/v1/agencies", {"code": code, "name": code.title(), "kind": code})

    def post(self, body, agency="police", raw=None):
        return self.server.request("POST", "/api/v1/alarms", body, raw=raw, token=False,
                                   headers={"Authorization": "ApiKey " + self.keys[agency]})

    def alarm_incident(self, alarm_id):
        status, body = self.server.request("GET", "/api/v1/alarms/" + alarm_id.replace("/", "%2F"))
        assert status == 200, (alarm_id, status, body)
        return body["incident"]


class Correlation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = AlarmServer()
        cls.s = cls.a.server

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        import shutil
        shutil.rmtree(cls.a.dir, ignore_errors=True)

    def alarm(self, **fields):
        body = {"kind": "intrusion", "time": now_ms(), "location": {"lat": 25.3, "lon": 51.5}}
        body.update(fields)
        return body

    def test_labelled_scenarios(self):
        files = sorted(glob.glob(os.path.join(SCENARIOS, "*.json")))
        self.assertGreaterEqual(len(files), 10)
        base = now_ms() - 700 * 1000  # within every window of the newest alarm seen (now)
        for n, path in enumerate(files):
            name = os.path.splitext(os.path.basename(path))[0]
            with self.subTest(scenario=name), open(path) as f:
                scenario = json.load(f)
                # Each scenario in its own place (11 km apart), ids prefixed: they do not meet.
                origin = (scenario["origin"][0] + 0.1 * (n + 1), scenario["origin"][1])
                uid = lambda i: f"{name}/{i}"
                for step in scenario["steps"]:
                    if "split" in step:
                        ids = [uid(i) for i in step["split"]]
                        incident = self.a.alarm_incident(ids[0])
                        status, body = self.s.request("POST", f"/api/v1/incidents/{incident}/split",
                                                      {"sources": ids})
                        self.assertEqual(status, 201, body)
                        continue
                    a = step["alarm"]
                    lat, lon = offset(origin, a["at"][0], a["at"][1])
                    body = {"id": uid(a["id"]), "kind": a["kind"], "source": a["source"],
                            "location": {"lat": lat, "lon": lon}, "time": base + int(a["t"] * 1000)}
                    for key in ("sensor", "plate"):
                        if key in a:
                            body[key] = a[key]
                    status, reply = self.a.post(body)
                    self.assertIn(status, (200, 201), reply)
                incidents = {}
                for group in scenario["expect"]["groups"]:
                    ids = {self.a.alarm_incident(uid(i)) for i in group["alarms"]}
                    self.assertEqual(len(ids), 1, f"{group['alarms']} should be one incident, got {ids}")
                    incident = ids.pop()
                    self.assertNotIn(incident, incidents, "two expected groups share an incident")
                    incidents[incident] = group
                    status, inc = self.s.request("GET", f"/api/v1/incidents/{incident}")
                    self.assertEqual(sorted(s["id"] for s in inc["sources"]),
                                     sorted(uid(i) for i in group["alarms"]))
                    if "priority" in group:
                        self.assertEqual(inc["priority"], group["priority"], (name, group))

    def test_call_merges_into_alarm_incident_and_escalates(self):
        status, first = self.a.post(self.alarm(id="merge/a1", sensor="door-1",
                                               location={"lat": 24.9, "lon": 51.1}))
        self.assertEqual(status, 201, first)
        self.assertEqual(first["outcome"], "opened")
        incident = first["incident"]
        status, inc = self.s.request("GET", f"/api/v1/incidents/{incident}")
        self.assertEqual((inc["type"], inc["priority"], inc["agency"]), ("alarm.intrusion", 2, "police"))
        # A call 100 m away: the call joins the alarm's incident (no second incident).
        lat, lon = offset((24.9, 51.1), 100, 0)
        status, call = self.s.request("POST", "/api/v1/incidents", {
            "type": "police.burglary", "priority": 3, "location": {"lat": lat, "lon": lon},
            "summary": "someone is breaking in next door"})
        self.assertEqual(status, 200, call)
        self.assertEqual((call["id"], call["merged"]), (incident, True))
        self.assertEqual(self.a.alarm_incident(call["source"]), incident)
        # Two independent sources: priority 2 -> 1, an event in the log.
        status, inc = self.s.request("GET", f"/api/v1/incidents/{incident}")
        self.assertEqual(inc["priority"], 1)
        self.assertEqual(len(inc["sources"]), 2)
        status, events = self.s.request("GET", "/api/v1/events?after=0&limit=1000")
        changes = [e for e in events["items"] if e["type"] == "incident_priority_changed"
                   and e["data"]["id"] == incident]
        self.assertEqual([(c["data"]["from"], c["data"]["to"]) for c in changes], [(2, 1)])
        # A call far away opens its own incident as asked.
        status, other = self.s.request("POST", "/api/v1/incidents", {
            "type": "police.burglary", "priority": 3, "location": {"lat": 24.95, "lon": 51.1}})
        self.assertEqual(status, 201, other)
        self.assertNotEqual(other["id"], incident)

    def test_same_alarm_twice_is_one_source(self):
        body = self.alarm(id="dup/1", location={"lat": 24.8, "lon": 51.0})
        status, first = self.a.post(body)
        self.assertEqual(status, 201, first)
        status, again = self.a.post(body)
        self.assertEqual(status, 200, again)
        self.assertEqual((again["outcome"], again["incident"]), ("duplicate", first["incident"]))
        status, batch = self.a.post([body, dict(body, id="dup/2", sensor="x"), dict(body, id="dup/2", sensor="x")])
        self.assertEqual(status, 202, batch)
        self.assertEqual([i["outcome"] for i in batch["items"]], ["duplicate", "merged", "duplicate"])

    def test_other_agency_and_classification_do_not_merge(self):
        where = {"lat": 24.7, "lon": 50.9}
        status, police = self.a.post(self.alarm(id="agency/p", kind="fire_panel", location=where))
        self.assertEqual(status, 201, police)
        status, fire = self.a.post(self.alarm(id="agency/f", kind="fire_panel", source="fire-panels",
                                              location=where), agency="fire")
        self.assertEqual(status, 201, fire)
        self.assertNotEqual(police["incident"], fire["incident"])
        status, inc = self.s.request("GET", f"/api/v1/incidents/{fire['incident']}")
        self.assertEqual(status, 404)  # the tester is police only: fire's incident is not visible
        status, secret = self.a.post(self.alarm(id="agency/s", kind="fire_panel", source="psim-secret",
                                                location=where))
        self.assertEqual(status, 201, secret)
        self.assertNotIn(secret["incident"], (police["incident"], fire["incident"]))
        # A restricted-cleared dispatcher does not see the secret alarm, in reads or in events.
        token = self.s.login("watcher")
        status, _ = self.s.request("GET", "/api/v1/alarms/agency%2Fs", token=token)
        self.assertEqual(status, 404)
        status, _ = self.s.request("GET", "/api/v1/alarms/agency%2Fp", token=token)
        self.assertEqual(status, 200)
        status, events = self.s.request("GET", "/api/v1/events?after=0&limit=1000", token=token)
        seen = {e["data"]["alarm"]["id"] for e in events["items"] if e["type"] == "alarm_received"}
        self.assertIn("agency/p", seen)
        self.assertNotIn("agency/s", seen)
        self.assertNotIn("agency/f", seen)
        # The stream filters the same way: catch up from 0, then a live alarm ends the read.
        ws = WebSocket(self.s.port, "/api/v1/stream?after=0", token=token)
        self.assertEqual(ws.recv_json()["type"], "stream_hello")
        status, _ = self.a.post(self.alarm(id="agency/end", location={"lat": 24.65, "lon": 50.9}))
        self.assertEqual(status, 201)
        streamed = set()
        while "agency/end" not in streamed:
            event = ws.recv_json()
            if event.get("type") == "alarm_received":
                streamed.add(event["data"]["alarm"]["id"])
        ws.close()
        self.assertIn("agency/p", streamed)
        self.assertFalse({"agency/s", "agency/f"} & streamed, streamed)
        # A fire key may not report for police's configured source.
        status, body = self.a.post(self.alarm(id="agency/x", source="psim-secret"), agency="fire")
        self.assertEqual(status, 403, body)
        self.assertEqual(body["error"]["field"], "source")
        # People do not report alarms; sensors do (alarm.report is a gateway lane).
        status, body = self.s.request("POST", "/api/v1/alarms", self.alarm(id="agency/u"))
        self.assertEqual(status, 403, body)

    def test_operator_split(self):
        where = (24.6, 50.8)
        ids = []
        for k, (north, kind) in enumerate([(0, "intrusion"), (40, "cctv"), (80, "intrusion")]):
            lat, lon = offset(where, north, 0)
            status, body = self.a.post(self.alarm(id=f"split/{k}", kind=kind, sensor=f"s{k}",
                                                  location={"lat": lat, "lon": lon}))
            self.assertIn(status, (200, 201), body)
            ids.append(body["incident"])
        self.assertEqual(len(set(ids)), 1)
        incident = ids[0]
        status, body = self.s.request("POST", f"/api/v1/incidents/{incident}/split", {"sources": ["split/2"]})
        self.assertEqual(status, 201, body)
        new = body["id"]
        self.assertEqual(self.a.alarm_incident("split/2"), new)
        self.assertEqual(self.a.alarm_incident("split/0"), incident)
        status, inc = self.s.request("GET", f"/api/v1/incidents/{new}")
        self.assertEqual(inc["split_from"], incident)
        # Errors name the field: unknown source, everything, nothing, no incident.
        for sources, want in ((["nope"], 404), (["split/0", "split/1"], 422), ([], 422)):
            status, body = self.s.request("POST", f"/api/v1/incidents/{incident}/split", {"sources": sources})
            self.assertEqual(status, want, body)
            self.assertEqual(body["error"]["field"], "sources")
        status, body = self.s.request("POST", "/api/v1/incidents/99999/split", {"sources": ["x"]})
        self.assertEqual(status, 404)
        # A dispatcher of another agency may not split.
        status, events = self.s.request("GET", "/api/v1/events?after=0&limit=1000")
        self.assertTrue(any(e["type"] == "incident_split" and e["data"]["to"] == new for e in events["items"]))

    def test_watchlist_hits(self):
        status, body = self.s.request("POST", "/api/v1/watchlists",
                                      {"plate": "qa-123 45", "list": "stolen", "reason": "stolen 2026-11-28"})
        self.assertEqual(status, 201, body)
        self.assertEqual(body["plate"], "QA12345")
        status, listed = self.s.request("GET", "/api/v1/watchlists")
        self.assertIn("QA12345", [e["plate"] for e in listed["items"]])
        read = self.alarm(kind="lpr_read", sensor="cam-7", location={"lat": 24.5, "lon": 50.7})
        status, miss = self.a.post(dict(read, id="lpr/1", plate="ZZ 999"))
        self.assertEqual((status, miss["outcome"]), (200, "no_hit"))
        status, hit = self.a.post(dict(read, id="lpr/2", plate="Qa 12345"))
        self.assertEqual((status, hit["outcome"]), (201, "opened"), hit)
        status, inc = self.s.request("GET", f"/api/v1/incidents/{hit['incident']}")
        self.assertEqual(inc["type"], "police.wanted_vehicle")
        self.assertEqual((inc["sources"][0]["kind"], inc["sources"][0]["watchlist"]), ("lpr_hit", "stolen"))
        # The dispatcher reads the list but may not change it (watchlist.manage is supervisor's).
        token = self.s.login("watcher")
        status, _ = self.s.request("GET", "/api/v1/watchlists", token=token)
        self.assertEqual(status, 200)
        status, body = self.s.request("POST", "/api/v1/watchlists", {"plate": "X1", "list": "stolen"}, token=token)
        self.assertEqual(status, 403, body)
        status, body = self.s.request("POST", "/api/v1/watchlists", {"plate": " - ", "list": "stolen"})
        self.assertEqual((status, body["error"]["field"]), (422, "plate"))
        # Call takers read events but not watchlists: the entries stay out of their /events.
        status, events = self.s.request("GET", "/api/v1/events?after=0&limit=1000", token=self.s.login("taker"))
        self.assertEqual(status, 200)
        self.assertFalse([e for e in events["items"] if e["type"].startswith("watchlist")])
        status, events = self.s.request("GET", "/api/v1/events?after=0&limit=1000")
        self.assertTrue([e for e in events["items"] if e["type"] == "watchlist_entry_set"])
        status, _ = self.s.request("DELETE", "/api/v1/watchlists/QA12345")
        self.assertEqual(status, 200)
        status, miss = self.a.post(dict(read, id="lpr/3", plate="QA12345"))
        self.assertEqual(miss["outcome"], "no_hit")
        status, _ = self.s.request("DELETE", "/api/v1/watchlists/QA12345")
        self.assertEqual(status, 404)

    def test_bad_input_is_refused_naming_the_field_and_counted(self):
        def expect(reply, status, field=None, message=None):
            got, body = reply
            self.assertEqual(got, status, body)
            if field is not None:
                self.assertEqual(body["error"]["field"], field, body)
            if message is not None:
                self.assertIn(message, body["error"]["message"], body)

        a = lambda **kw: self.alarm(**{"id": "bad/x", **kw})
        expect(self.a.post(None, raw=b'{"id": "x", '), 400, message="JSON")
        expect(self.a.post(None, raw=b'{"id":"x","kind":"panic","time":1,"location":{"lat":NaN,"lon":1}}'), 400)
        expect(self.a.post(a(location={"lat": 91, "lon": 0})), 422, "location.lat")
        expect(self.a.post(a(location={"lat": 0, "lon": -181})), 422, "location.lon")
        expect(self.a.post(a(location={"lat": "x", "lon": 0})), 400, "location.lat")
        expect(self.a.post(a(time=now_ms() + 3600 * 1000)), 422, "time", "future")
        expect(self.a.post(a(time=now_ms() - 3 * 86400 * 1000)), 422, "time", "past")
        expect(self.a.post(a(time="yesterday")), 400, "time")
        expect(self.a.post(a(kind="earthquake")), 422, "kind")
        expect(self.a.post(a(colour="red")), 400, "colour", "unknown field")
        expect(self.a.post(a(kind="lpr_read")), 422, "plate")
        expect(self.a.post(a(source="no spaces please")), 422, "source")
        expect(self.a.post(a(id="")), 422, "id")
        expect(self.a.post([a()] * 1001), 413, "alarms")
        expect(self.a.post([]), 400, "alarms")
        expect(self.a.post("alarm"), 400, "body")
        # A batch: the bad items are listed by index and field, the good ones are kept.
        status, body = self.a.post([a(id="bad/ok1", location={"lat": 24.4, "lon": 50.6}),
                                    a(id="bad/b1", location={"lat": 95, "lon": 0}),
                                    a(id="bad/ok2", location={"lat": 24.41, "lon": 50.6}),
                                    a(id="bad/b2", kind="meteor")])
        self.assertEqual(status, 202, body)
        self.assertEqual(body["accepted"], 2)
        self.assertEqual([(r["index"], r["field"]) for r in body["rejected"]],
                         [(1, "alarms[1].location.lat"), (3, "alarms[3].kind")])
        self.a.alarm_incident("bad/ok1")
        self.a.alarm_incident("bad/ok2")
        status, _ = self.s.request("GET", "/api/v1/alarms/bad%2Fb1")
        self.assertEqual(status, 404)
        status, metrics = self.s.request("GET", "/metrics")
        self.assertIn('ncc_alarms_total{source="psim-north",outcome="rejected",field="location.lat"} 3', metrics)
        self.assertIn('ncc_alarms_total{source="psim-north",outcome="rejected",field="kind"} 2', metrics)
        self.assertIn('ncc_alarms_total{source="psim-north",outcome="rejected",field="time"} 3', metrics)


class Restart(unittest.TestCase):
    def test_kill9_then_a_new_matching_alarm_still_merges(self):
        a = AlarmServer()
        try:
            where = {"lat": 24.3, "lon": 50.5}
            status, first = a.post({"id": "r/1", "kind": "intrusion", "sensor": "s1", "time": now_ms(),
                                    "location": where})
            self.assertEqual(status, 201, first)
            status, second = a.post({"id": "r/2", "kind": "cctv", "sensor": "cam", "time": now_ms(),
                                     "location": where})
            self.assertEqual((status, second["incident"]), (200, first["incident"]))
            status, split = a.server.request("POST", f"/api/v1/incidents/{first['incident']}/split",
                                             {"sources": ["r/2"]})
            self.assertEqual(status, 201, split)
            a.server.kill9()
            a.server.start()
            a.server.token = a.server.login("tester")
            # The correlator is rebuilt from the log: a new alarm next to r/1 joins r/1's incident,
            # one next to r/2 joins the split-off incident, and an old id is still a duplicate.
            status, third = a.post({"id": "r/3", "kind": "intrusion", "sensor": "s3", "time": now_ms(),
                                    "location": where})
            self.assertIn(status, (200,), third)
            self.assertEqual(third["outcome"], "merged")
            self.assertIn(third["incident"], (first["incident"], split["id"]))
            status, again = a.post({"id": "r/1", "kind": "intrusion", "sensor": "s1", "time": now_ms(),
                                    "location": where})
            self.assertEqual((again["outcome"], again["incident"]), ("duplicate", first["incident"]))
            status, inc = a.server.request("GET", f"/api/v1/incidents/{split['id']}")
            self.assertEqual(inc["split_from"], first["incident"])
        finally:
            a.server.cleanup()


if __name__ == "__main__":
    harness.main()
