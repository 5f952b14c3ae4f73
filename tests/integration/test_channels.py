"""Channels with receipts through the real server (issue 15, item 5): the channels of an
operation plan, a sector, an agency pair and an incident; who may and may not read and post
(labels and shares); mentions resolved and stored; delivery to a recipient who was away —
across a disconnect and across kill -9 of the server — with no message lost and none twice,
the cursors and receipts right, an acknowledgement retried with its Idempotency-Key applied
once; unread counts; bad input refused naming the field."""
import json
import os
import unittest

from harness import Server, main, seed_fleet_week

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "config", "operations", "fleet-week-marina-green.json")

USERS = {  # name: (agency, roles, clearance)
    "lead": ("sffd", ["supervisor"], "secret"),
    "fire-dispatch": ("sffd", ["dispatcher"], "restricted"),
    "E16": ("sffd", ["field_unit"], "restricted"),  # the engine's own account (its callsign)
    "pd-dispatch": ("sfpd", ["dispatcher"], "secret"),
    "ems-dispatch": ("ems_private", ["dispatcher"], "secret"),
    "ems-sup": ("ems_private", ["supervisor"], "secret"),
    "outsider": ("coast_guard", ["supervisor"], "secret"),
}


class Channels(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = s = Server(NCC)
        for name, (agency, roles, clearance) in USERS.items():
            s.add_user(name, agency, roles, clearance)
        s.start()
        cls.tokens = {}
        cls.sign_in()
        seed_fleet_week(s, lambda who, path, body: cls.call(who, "POST", path, body))
        with open(EXAMPLE) as f:
            status, body = cls.call("lead", "POST", "/api/v1/operations", json.load(f))
        assert status == 201, body
        cls.plan = body["id"]

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    @classmethod
    def sign_in(cls):
        for name in USERS:
            cls.tokens[name] = cls.s.login(name)

    @classmethod
    def call(cls, who, method, path, body=None, headers=None):
        return cls.s.request(method, path, body, headers=headers, token=cls.tokens[who])

    def ok(self, who, method, path, body=None, expect=200, headers=None):
        status, answer = self.call(who, method, path, body, headers)
        self.assertEqual(status, expect, (who, method, path, answer))
        return answer

    def refused(self, who, method, path, body, status, field=None):
        got, answer = self.call(who, method, path, body)
        self.assertEqual(got, status, (who, method, path, answer))
        if field is not None:
            self.assertEqual(answer["error"].get("field"), field, answer)
        return answer

    def open(self, who, body):
        return self.ok(who, "POST", "/api/v1/channels", body, expect=201)["id"]

    def post(self, who, channel, text, **extra):
        return self.ok(who, "POST", f"/api/v1/channels/{channel}/messages", {"text": text, **extra}, expect=201)["id"]

    def page(self, who, channel, after):
        """Every message after `after`, page by page, as a client that resumes does."""
        items = []
        while True:
            got = self.ok(who, "GET", f"/api/v1/channels/{channel}/messages?after={after}&limit=2")
            items += got["items"]
            if not got["more"]:
                return items
            after = got["items"][-1]["id"]

    def mine(self, who, channel):
        return [c for c in self.ok(who, "GET", "/api/v1/channels")["items"] if c["id"] == channel][0]

    def test_1_who_may_read_and_post(self):
        op = self.open("lead", {"kind": "operation", "plan": self.plan})
        self.assertEqual(self.open("pd-dispatch", {"kind": "operation", "plan": self.plan}), op)  # found, not again
        sector = self.open("fire-dispatch", {"kind": "sector", "plan": self.plan, "sector": "A"})
        shown = self.ok("ems-dispatch", "GET", f"/api/v1/channels/{sector}")
        self.assertEqual((shown["name"], shown["agency"], shown["sector"]),
                         (f"operation-{self.plan}-sector-A", "sffd", "A"))
        # The plan's participants read and post in its channels; an agency outside the plan
        # does not learn they exist.
        self.post("ems-dispatch", op, "KM09 staged at Marina Blvd")
        for path in (f"/api/v1/channels/{op}", f"/api/v1/channels/{op}/messages"):
            self.refused("outsider", "GET", path, None, 404, "id")
        self.refused("outsider", "POST", f"/api/v1/channels/{op}/messages", {"text": "hello"}, 404, "id")
        self.refused("outsider", "POST", "/api/v1/channels", {"kind": "operation", "plan": self.plan}, 404, "plan")
        self.assertNotIn(op, [c["id"] for c in self.ok("outsider", "GET", "/api/v1/channels")["items"]])
        # An agency pair's channel is for the two agencies only.
        pair = self.open("pd-dispatch", {"kind": "agencies", "agencies": ["sfpd", "sffd"]})
        self.assertEqual(self.ok("fire-dispatch", "GET", f"/api/v1/channels/{pair}")["name"], "agencies-sffd-sfpd")
        self.refused("ems-dispatch", "POST", "/api/v1/channels", {"kind": "agencies", "agencies": ["sfpd", "sffd"]},
                     403, "agencies")
        self.refused("ems-dispatch", "GET", f"/api/v1/channels/{pair}", None, 404, "id")
        # A message's own label: confidential is not shown to a restricted reader; `to` keeps it
        # from the plan's third agency.
        secret = self.post("lead", op, "VIP convoy route via Laguna", classification="confidential")
        narrow = self.post("lead", op, "sfpd only: crowd at the west gate", to=["sfpd"])
        seen = lambda who: [m["id"] for m in self.page(who, op, 0)]
        self.assertIn(secret, seen("pd-dispatch"))
        self.assertNotIn(secret, seen("fire-dispatch"))
        self.assertIn(narrow, seen("pd-dispatch"))
        self.assertNotIn(narrow, seen("ems-dispatch"))
        self.refused("outsider", "GET", f"/api/v1/messages/{secret}/receipts", None, 404, "id")
        self.refused("fire-dispatch", "GET", f"/api/v1/messages/{secret}/receipts", None, 404, "id")
        self.refused("fire-dispatch", "POST", f"/api/v1/channels/{op}/messages",
                     {"text": "x", "classification": "secret"}, 403, "classification")

    def test_2_incident_messages_are_its_channel(self):
        status, body = self.call("fire-dispatch", "POST", "/api/v1/incidents", {
            "type": "fire.structure", "priority": 2, "location": {"lat": 37.8, "lon": -122.43}, "summary": "smoke"})
        self.assertEqual(status, 201, body)
        incident = body["id"]
        first = self.ok("fire-dispatch", "POST", f"/api/v1/incidents/{incident}/messages", {"text": "first"},
                        expect=201)["id"]
        ch = self.open("fire-dispatch", {"kind": "incident", "incident": incident})
        second = self.post("fire-dispatch", ch, "second")
        self.assertEqual([m["id"] for m in self.page("fire-dispatch", ch, 0)], [first, second])
        listed = self.ok("fire-dispatch", "GET", f"/api/v1/incidents/{incident}/messages")["items"]
        self.assertEqual([m["id"] for m in listed], [first, second])
        self.refused("pd-dispatch", "GET", f"/api/v1/channels/{ch}", None, 404, "id")  # not shared with sfpd

    def test_3_mentions_resolved_and_stored(self):
        op = self.open("lead", {"kind": "operation", "plan": self.plan})
        mid = self.post("lead", op, "@E16 stage at the gate; @sfpd hold traffic; @pd-dispatch confirm. @KM09 @nobody")
        m = [x for x in self.page("lead", op, 0) if x["id"] == mid][0]
        got = {(x["kind"], x["name"]) for x in m["mentions"]}
        self.assertEqual(got, {("unit", "E16"), ("agency", "sfpd"), ("user", "pd-dispatch"), ("unit", "KM09")})
        receipts = self.ok("lead", "GET", f"/api/v1/messages/{mid}/receipts")
        self.assertIn("E16", receipts["pending"])
        self.assertIn("pd-dispatch", receipts["pending"])

    def test_4_delivery_across_a_disconnect_and_kill9(self):
        ch = self.open("lead", {"kind": "sector", "plan": self.plan, "sector": "B"})
        # E16's crew is away; four messages come in.
        sent = [self.post("lead", ch, f"@E16 move {k}") for k in range(4)]
        before = self.mine("E16", ch)
        self.assertEqual((before["delivered"], before["read"], before["unread"]), (0, 0, 4))
        # It comes back: it pages after its cursor (0) and acknowledges what it holds.
        got = self.page("E16", ch, before["delivered"])
        self.assertEqual([m["id"] for m in got], sent)
        acked = self.ok("E16", "POST", f"/api/v1/channels/{ch}/delivered", {"up_to": got[-1]["id"]},
                        headers={"Idempotency-Key": "e16-ack-1"})
        self.assertEqual(acked["delivered"], sent[-1])
        # Away again: two more, then the server is killed and started again.
        later = [self.post("lead", ch, f"@E16 hold {k}") for k in range(2)]
        self.s.kill9()
        self.s.start()
        self.sign_in()
        # The retried acknowledgement is the first one's outcome, not a second event.
        status, again = self.call("E16", "POST", f"/api/v1/channels/{ch}/delivered", {"up_to": sent[-1]},
                                  headers={"Idempotency-Key": "e16-ack-1"})
        self.assertEqual(status, 200, again)
        state = self.mine("E16", ch)
        self.assertEqual((state["delivered"], state["unread"]), (sent[-1], 6))
        # Resuming from the cursor: exactly the two it did not have, each once.
        got = self.page("E16", ch, state["delivered"])
        self.assertEqual([m["id"] for m in got], later)
        self.ok("E16", "POST", f"/api/v1/channels/{ch}/read", {"up_to": later[-1]})
        state = self.mine("E16", ch)
        self.assertEqual((state["delivered"], state["read"], state["unread"]), (later[-1], later[-1], 0))
        self.assertEqual(self.page("E16", ch, state["delivered"]), [])
        # Going back is no change.
        self.assertEqual(self.ok("E16", "POST", f"/api/v1/channels/{ch}/delivered", {"up_to": sent[0]})["seq"], 0)
        # Receipts: each message delivered to E16 once, the early ones before the later ones.
        for mid in sent + later:
            r = self.ok("lead", "GET", f"/api/v1/messages/{mid}/receipts")
            self.assertEqual([x["user"] for x in r["delivered"]], ["E16"], r)
            self.assertEqual([x["user"] for x in r["read"]], ["E16"], r)
            self.assertEqual(r["pending"], [])
        first, last = (self.ok("lead", "GET", f"/api/v1/messages/{m}/receipts") for m in (sent[0], later[0]))
        self.assertLess(first["delivered"][0]["time"], last["delivered"][0]["time"])
        self.assertLessEqual(first["read"][0]["time"], last["read"][0]["time"])
        # The log holds one messages_delivered per cursor step of E16: the first ack, the read's.
        events, after = [], 0
        while True:
            page = self.ok("lead", "GET", f"/api/v1/events?after={after}&limit=1000")
            events += page["items"]
            if page["last_seq"] >= page["head"] or page["last_seq"] <= after:
                break
            after = page["last_seq"]
        steps = [e["data"]["up_to"] for e in events if e["type"] == "messages_delivered" and e["actor"] == "E16"
                 and e["data"]["channel"] == ch]
        self.assertEqual(steps, [sent[-1], later[-1]])
        posted = [e["data"]["id"] for e in events if e["type"] == "channel_message_posted" and e["data"]["channel"] == ch]
        self.assertEqual(posted, sent + later)

    def test_5_bad_input_names_the_field(self):
        op = self.open("lead", {"kind": "operation", "plan": self.plan})
        cases = [
            ("POST", "/api/v1/channels", {"kind": "group"}, 422, "kind"),
            ("POST", "/api/v1/channels", {}, 400, "kind"),
            ("POST", "/api/v1/channels", {"kind": "operation", "plan": "x"}, 400, "plan"),
            ("POST", "/api/v1/channels", {"kind": "incident", "incident": 999999}, 404, "incident"),
            ("POST", "/api/v1/channels", {"kind": "sector", "plan": self.plan, "sector": "Z"}, 404, "sector"),
            ("POST", "/api/v1/channels", {"kind": "agencies", "agencies": ["sffd"]}, 422, "agencies"),
            ("POST", "/api/v1/channels", {"kind": "agencies", "agencies": ["sffd", "nowhere"]}, 404, "agencies[1]"),
            ("POST", "/api/v1/channels", {"kind": "operation", "plan": self.plan, "extra": 1}, 400, "extra"),
            ("POST", f"/api/v1/channels/{op}/messages", {"text": ""}, 422, "text"),
            ("POST", f"/api/v1/channels/{op}/messages", {"text": 5}, 400, "text"),
            ("POST", f"/api/v1/channels/{op}/messages", {"text": "x", "classification": "top"}, 422, "classification"),
            ("POST", f"/api/v1/channels/{op}/messages", {"text": "x", "to": ["coast_guard"]}, 409, "to[0]"),
            ("POST", f"/api/v1/channels/{op}/delivered", {}, 400, "up_to"),
            ("POST", f"/api/v1/channels/{op}/delivered", {"up_to": 0}, 422, "up_to"),
            ("POST", f"/api/v1/channels/{op}/read", {"up_to": 10 ** 9}, 422, "up_to"),
            ("POST", "/api/v1/channels/999999/messages", {"text": "x"}, 404, "id"),
            ("GET", f"/api/v1/channels/{op}/messages?after=-1", None, 422, "after"),
            ("GET", f"/api/v1/channels/{op}/messages?limit=0", None, 422, "limit"),
            ("GET", f"/api/v1/channels/{op}/messages?limit=5000", None, 422, "limit"),
            ("GET", "/api/v1/messages/999999/receipts", None, 404, "id"),
        ]
        for method, path, body, status, field in cases:
            with self.subTest(path=path, body=body):
                self.refused("lead", method, path, body, status, field)


if __name__ == "__main__":
    main()
