"""The picture at a past moment (issue 13, item 5) against the real `ncc serve`: GET
/api/v1/picture?seq= and ?at= show incidents, units, assignments and positions as they were
(positions from the track store), filtered for the caller like /incidents and /units (another
agency's unshared incidents are not in it, a confidential unit's read is audited), in the same
shapes as the live lists; bad parameters are refused naming the parameter; the past is the same
after a restart (snapshots written every 20 events)."""
import time
import unittest

from harness import main, Server

NCC = None
HERE = (37.7905, -122.4080)
LATER = (37.7950, -122.4100)


def ok(status, body, want=None):
    assert status == want if want else status in (200, 201), (status, body)
    return body


class PictureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = s = Server(NCC, extra=["--snapshot-every", "20"])
        s.add_user("pdisp", "police", ["dispatcher"], "confidential")
        s.add_user("plow", "police", ["dispatcher"], "restricted")
        s.add_user("fdisp", "fire", ["dispatcher"], "secret")
        s.add_user("fsup", "fire", ["supervisor"], "secret")
        s.start()
        cls.tokens = {u: s.login(u) for u in ["pdisp", "plow", "fdisp", "fsup"]}
        for code in ["police", "fire"]:
            ok(*s.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": code}), 201)
        cls.p1 = ok(*s.request("POST", "/api/v1/units", {"callsign": "P-1", "agency": "police", "kind": "patrol",
                                                         "classification": "confidential"}), 201)["id"]
        cls.f1 = ok(*s.request("POST", "/api/v1/units", {"callsign": "F-1", "agency": "fire", "kind": "engine"},
                               token=cls.tokens["fsup"]), 201)["id"]
        cls.fix1_time = int(time.time() * 1000) - 120_000
        body = ok(*s.request("POST", "/api/v1/positions", {"fixes": [
            {"unit": cls.p1, "lat": HERE[0], "lon": HERE[1], "time": cls.fix1_time}]}), 202)
        assert body["accepted"] == 1, body
        time.sleep(0.05)
        made = ok(*s.request("POST", "/api/v1/incidents", {"type": "police.robbery", "priority": 2, "agency": "police",
                                                           "location": {"lat": HERE[0], "lon": HERE[1]}}), 201)
        cls.a, cls.seq_a = made["id"], made["seq"]
        time.sleep(0.05)
        cls.b = ok(*s.request("POST", "/api/v1/incidents", {"type": "fire.structure", "priority": 1, "agency": "fire",
                                                            "location": {"lat": LATER[0], "lon": LATER[1]}},
                              token=cls.tokens["fdisp"]), 201)["id"]
        for k in range(30):  # past a snapshot or two
            ok(*s.request("POST", f"/api/v1/incidents/{cls.a}/notes", {"text": f"note {k}"}))
        ok(*s.request("POST", f"/api/v1/incidents/{cls.a}/assignments", {"unit": cls.p1}))
        ok(*s.request("POST", f"/api/v1/units/{cls.p1}/status", {"status": "en_route"}))
        body = ok(*s.request("POST", "/api/v1/positions", {"fixes": [
            {"unit": cls.p1, "lat": LATER[0], "lon": LATER[1], "time": int(time.time() * 1000)}]}), 202)
        assert body["accepted"] == 1, body
        cls.c = ok(*s.request("POST", "/api/v1/incidents", {"type": "police.theft", "priority": 4, "agency": "police",
                                                            "location": {"lat": HERE[0], "lon": HERE[1]}}), 201)["id"]

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def picture(self, query, user=None):
        return self.s.request("GET", "/api/v1/picture?" + query, token=self.tokens[user] if user else None)

    def event_time(self, seq):
        page = ok(*self.s.request("GET", f"/api/v1/events?after={seq - 1}&limit=1"))
        self.assertEqual(page["items"][0]["seq"], seq)
        return page["items"][0]["time"]

    def test_the_picture_at_a_seq_is_as_it_was_then(self):
        p = ok(*self.picture(f"seq={self.seq_a}", "pdisp"))
        self.assertEqual(p["seq"], self.seq_a)
        self.assertEqual(p["time"], self.event_time(self.seq_a))
        self.assertGreater(p["head"], self.seq_a)
        self.assertEqual([i["id"] for i in p["incidents"]], [self.a])
        self.assertEqual(p["incidents"][0]["status"], "new")
        self.assertEqual(p["incidents"][0]["assignments"], [])
        units = {u["id"]: u for u in p["units"]}
        self.assertEqual(list(units), [self.p1], "fire's unit is not police's to see")
        self.assertEqual(units[self.p1]["status"], "available")
        self.assertIsNone(units[self.p1]["incident"])
        # The position then: the track's fix at or before that moment, not the newer one.
        self.assertAlmostEqual(units[self.p1]["position"]["lat"], HERE[0], places=5)
        # And now, for contrast: assigned, en route, moved.
        live = ok(*self.s.request("GET", f"/api/v1/units/{self.p1}", token=self.tokens["pdisp"]))
        self.assertEqual((live["status"], live["incident"]), ("en_route", self.a))

    def test_the_picture_at_the_head_has_the_live_lists_shapes(self):
        head = ok(*self.picture("seq=0", "pdisp"))["head"]
        p = ok(*self.picture(f"seq={head}", "pdisp"))
        live = ok(*self.s.request("GET", "/api/v1/incidents?limit=1000", token=self.tokens["pdisp"]))["items"]
        open_live = [i for i in live if i["status"] in ("new", "triaged", "dispatched", "en_route", "on_scene")]
        self.assertEqual(p["incidents"], open_live)
        units = ok(*self.s.request("GET", "/api/v1/units", token=self.tokens["pdisp"]))["items"]
        self.assertEqual([u["id"] for u in p["units"]], [u["id"] for u in units])
        for past, now in zip(p["units"], units):
            self.assertEqual(set(past) - {"suspect"}, set(now) - {"suspect"})
            self.assertEqual(past["status"], now["status"])

    def test_at_resolves_to_the_last_event_at_or_before_it(self):
        at = self.event_time(self.seq_a)
        p = ok(*self.picture("at=" + at, "pdisp"))
        self.assertEqual(p["seq"], self.seq_a)
        self.assertEqual(p["at"], at)
        self.assertEqual([i["id"] for i in p["incidents"]], [self.a])
        # A millisecond earlier the incident did not exist yet.
        earlier = ok(*self.picture(f"seq={self.seq_a - 1}", "pdisp"))
        before = ok(*self.picture("at=" + earlier["time"], "pdisp"))
        self.assertLess(before["seq"], self.seq_a)
        self.assertEqual(before["incidents"], [])
        # Before the first event: the empty picture at seq 0.
        empty = ok(*self.picture("at=2000-01-01T00:00:00Z", "pdisp"))
        self.assertEqual((empty["seq"], empty["incidents"], empty["units"]), (0, [], []))

    def test_another_agencys_unshared_incidents_are_not_in_the_past(self):
        head = ok(*self.picture("seq=0", "fdisp"))["head"]
        for seq in [self.seq_a + 2, head]:
            fire = ok(*self.picture(f"seq={seq}", "fdisp"))
            self.assertEqual([i["id"] for i in fire["incidents"]], [self.b], seq)
            self.assertEqual([u["id"] for u in fire["units"]], [self.f1], seq)
            police = ok(*self.picture(f"seq={seq}", "pdisp"))
            self.assertNotIn(self.b, [i["id"] for i in police["incidents"]], seq)
        low = ok(*self.picture(f"seq={head}", "plow"))
        self.assertEqual(low["units"], [], "a confidential unit shown to a restricted reader")

    def test_a_confidential_unit_in_the_past_picture_is_audited(self):
        ok(*self.picture(f"seq={self.seq_a}", "pdisp"))
        page = ok(*self.s.request("GET", "/api/v1/events?after=0&limit=1000"))
        reads = [e for e in page["items"] if e["type"] == "records_read" and e["data"]["via"] == "GET /api/v1/picture"]
        self.assertTrue(any(f"unit:{self.p1}" in e["data"]["records"] and e["actor"] == "pdisp" for e in reads), reads)

    def test_bad_parameters_are_refused_naming_the_parameter(self):
        head = ok(*self.picture("seq=0"))["head"]
        future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))
        for query, field in [("", "at"), ("at=2026-01-01T00:00:00Z&seq=3", "seq"), ("at=yesterday", "at"),
                             ("at=2026-13-01T00:00:00Z", "at"), ("seq=abc", "seq"), ("seq=-1", "seq"),
                             (f"seq={head + 1000}", "seq"), (f"at={future}", "at"), ("seq=1&limit=0", "limit"),
                             ("seq=1&after=x", "after")]:
            status, body = self.picture(query)
            self.assertEqual(status, 400, (query, body))
            self.assertEqual(body["error"].get("field"), field, (query, body))
        status, body = self.s.request("GET", "/api/v1/picture?seq=1", token=False)
        self.assertEqual(status, 401, body)

    def test_zz_the_past_is_the_same_after_a_restart(self):
        before = ok(*self.picture(f"seq={self.seq_a + 5}", "pdisp"))
        self.s.stop()
        self.s.start()
        self.tokens["pdisp"] = self.s.login("pdisp")
        after = ok(*self.picture(f"seq={self.seq_a + 5}", "pdisp"))
        for key in ("seq", "time", "incidents", "units"):
            self.assertEqual(before[key], after[key], key)


if __name__ == "__main__":
    main()
