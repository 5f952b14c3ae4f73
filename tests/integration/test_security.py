"""Authorization over real HTTP and WebSocket, generated from the role table in docs/security.md:
every role × relation (own agency, shared with it, not shared) × classification × clearance, on
every incident route, the lists, /events and the stream. Plus attacks: forged, revoked and
missing tokens, privilege escalation through body fields, brute-force lock-out, rate limits."""
import json
import os
import re
import time
import unittest

from harness import main, PASSWORD, Server, WebSocket

NCC = None
LEVELS = ["public", "restricted", "confidential", "secret"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def role_table():
    """{action: (set of roles, via_share)} parsed from the documented table."""
    text = open(os.path.join(ROOT, "docs", "security.md")).read()
    body = text.split("<!-- permissions-table:begin -->")[1].split("<!-- permissions-table:end -->")[0]
    rows = [r for r in body.strip().splitlines() if r.startswith("| `")]
    header = [c.strip() for c in body.strip().splitlines()[0].strip("|").split("|")]
    roles = header[1:8]
    table = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        action = cells[0].strip("`")
        granted = {roles[i] for i in range(7) if cells[1 + i] == "✓"}
        table[action] = (granted, cells[8] == "✓")
    return roles, table


ROLES, TABLE = role_table()


def holds(role, action):
    """The router's gate: a role that grants `action` in no agency is refused (403) before any
    record is looked at, so the answer cannot depend on the record."""
    return role in TABLE[action][0]


def allowed(role, clearance, action, relation, classification):
    granted, via_share = TABLE[action]
    if role not in granted:
        return False
    if relation == "not_shared" or (relation == "shared" and not via_share):
        return False
    return LEVELS.index(clearance) >= LEVELS.index(classification)


class Security(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        s = cls.server = Server(NCC)
        s.add_user("fire_boss", "fire", ["supervisor"], "secret")
        for role in ROLES:
            for clearance in LEVELS:
                s.add_user(f"{role}-{clearance}", "police", [role], clearance)
        s.add_user("victim", "police", ["dispatcher"], "restricted")
        s.start()
        for code in ("police", "fire", "ambulance"):
            status, body = s.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": "police"})
            assert status == 201, body
        fire = s.login("fire_boss")
        cls.records = {}  # (relation, classification) -> (incident id, seq of its creation)
        for cls_name in LEVELS:
            for relation in ("own", "shared", "not_shared"):
                token = None if relation == "own" else fire
                agency = "police" if relation == "own" else "fire"
                status, body = s.request("POST", "/api/v1/incidents", {
                    "type": "police.robbery", "priority": 2, "agency": agency, "classification": cls_name,
                    "location": {"lat": 25.28, "lon": 51.52}, "summary": f"{relation}-{cls_name}"}, token=token)
                assert status == 201, body
                cls.records[(relation, cls_name)] = (body["id"], body["seq"])
                if relation == "shared":
                    status, share = s.request("POST", f"/api/v1/incidents/{body['id']}/shares", {"agency": "police"},
                                              token=fire)
                    assert status == 201, share
        # Messages, each its own record: (relation of the message, its label) -> (incident, message
        # id, seq). "own": police wrote it on a police incident; "shared": fire wrote it on a fire
        # incident shared with police, to everyone working it; "not_shared": fire wrote it on the
        # same incident to fire only.
        cls.messages = {}
        for cls_name in LEVELS:
            own_incident = cls.records[("own", cls_name)][0]
            shared_incident = cls.records[("shared", cls_name)][0]
            for relation, incident, token, body in (
                    ("own", own_incident, None, {"text": f"own-{cls_name}", "classification": cls_name}),
                    ("shared", shared_incident, fire, {"text": f"shared-{cls_name}", "classification": cls_name}),
                    ("not_shared", shared_incident, fire,
                     {"text": f"not-shared-{cls_name}", "classification": cls_name, "to": ["fire"]})):
                status, posted = s.request("POST", f"/api/v1/incidents/{incident}/messages", body, token=token)
                assert status == 201, posted
                cls.messages[(relation, cls_name)] = (incident, posted["id"], posted["seq"])
        # Units at every label: (relation, label) -> (unit id, seq of its last event). Police
        # units are "own"; fire units shared with police "shared"; other fire units "not_shared".
        cls.labelled_units = {}
        for cls_name in LEVELS:
            for relation in ("own", "shared", "not_shared"):
                agency = "police" if relation == "own" else "fire"
                token = None if relation == "own" else fire
                status, unit = s.request("POST", "/api/v1/units", {
                    "callsign": f"L-{relation}-{cls_name}", "agency": agency, "kind": "patrol",
                    "classification": cls_name}, token=token)
                assert status == 201, unit
                seq = unit["seq"]
                if relation == "shared":
                    status, share = s.request("POST", f"/api/v1/units/{unit['id']}/shares", {"agency": "police"},
                                              token=fire)
                    assert status == 201, share
                    seq = share["seq"]
                cls.labelled_units[(relation, cls_name)] = (unit["id"], seq)
        cls.units = []
        for k in range(200):
            status, body = s.request("POST", "/api/v1/units", {"callsign": f"P{k}", "agency": "police", "kind": "patrol"})
            assert status == 201, body
            cls.units.append(body["id"])
        # A last incident every police role that reads events may see: the end marker of streams.
        status, body = s.request("POST", "/api/v1/incidents", {
            "type": "police.patrol", "priority": 5, "agency": "police", "classification": "public",
            "location": {"lat": 25.28, "lon": 51.52}})
        cls.marker = body["seq"]
        cls.tokens = {f"{r}-{c}": s.login(f"{r}-{c}") for r in ROLES for c in LEVELS}

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def cases(self):
        for role in ROLES:
            for clearance in LEVELS:
                for (relation, classification), (incident, seq) in self.records.items():
                    yield role, clearance, relation, classification, incident, seq

    def test_reads_lists_and_events(self):
        s = self.server
        checked = 0
        for role in ROLES:
            for clearance in LEVELS:
                token = self.tokens[f"{role}-{clearance}"]
                status, listing = s.request("GET", "/api/v1/incidents?limit=1000", token=token)
                reads = holds(role, "incident.read")
                self.assertEqual(status, 200 if reads else 403, (role, listing))
                listed = {i["id"] for i in listing["items"]} if status == 200 else set()
                status, events = s.request("GET", "/api/v1/events?after=0&limit=1000", token=token)
                event_seqs = {e["seq"] for e in events["items"]} if status == 200 else set()
                for (relation, classification), (incident, seq) in self.records.items():
                    want = allowed(role, clearance, "incident.read", relation, classification)
                    status, _ = s.request("GET", f"/api/v1/incidents/{incident}", token=token)
                    self.assertEqual(status, 200 if want else 404 if reads else 403,
                                     (role, clearance, relation, classification))
                    self.assertEqual(incident in listed, want, ("list", role, clearance, relation, classification))
                    want_event = allowed(role, clearance, "event.read", relation, classification)
                    self.assertEqual(seq in event_seqs, want_event, ("events", role, clearance, relation, classification))
                    checked += 3
        print(f"{checked} read decisions checked", flush=True)

    def test_messages_follow_their_own_label_and_their_incident(self):
        s = self.server
        checked = 0
        for role in ROLES:
            for clearance in LEVELS:
                token = self.tokens[f"{role}-{clearance}"]
                status, events = s.request("GET", "/api/v1/events?after=0&limit=1000", token=token)
                event_seqs = {e["seq"] for e in events["items"]} if status == 200 else set()
                lists = {}
                for (relation, classification), (incident, message, seq) in self.messages.items():
                    incident_relation = "own" if relation == "own" else "shared"
                    sees_incident = allowed(role, clearance, "incident.read", incident_relation, classification)
                    if incident not in lists:
                        status, body = s.request("GET", f"/api/v1/incidents/{incident}/messages", token=token)
                        self.assertEqual(status, 200 if sees_incident else 404 if holds(role, "incident.read") else 403,
                                         (role, clearance, incident, body))
                        lists[incident] = {m["id"] for m in body["items"]} if status == 200 else set()
                    want = sees_incident and allowed(role, clearance, "incident.read", relation, classification)
                    self.assertEqual(message in lists[incident], want, ("messages", role, clearance, relation,
                                                                        classification))
                    want_event = want and allowed(role, clearance, "event.read", relation, classification)
                    self.assertEqual(seq in event_seqs, want_event, ("message event", role, clearance, relation,
                                                                     classification))
                    checked += 2
        print(f"{checked} message decisions checked", flush=True)

    # Every export format of one incident goes through the same decision: export.read on the
    # incident's label; a record the caller may not read is 404, one it reads but may not
    # export 403.
    EXPORTS = ["cot", "cap", "eido"]

    def test_exports_follow_the_matrix(self):
        s = self.server
        checked = 0
        for role, clearance, relation, classification, incident, seq in self.cases():
            token = self.tokens[f"{role}-{clearance}"]
            visible = allowed(role, clearance, "incident.read", relation, classification)
            want = allowed(role, clearance, "export.read", relation, classification)
            for fmt in self.EXPORTS:
                status, body = s.request("GET", f"/api/v1/incidents/{incident}/{fmt}", token=token)
                refused = visible or not holds(role, "export.read")
                self.assertEqual(status, 200 if want else 403 if refused else 404,
                                 (fmt, role, clearance, relation, classification, body))
                checked += 1
        print(f"{checked} export decisions checked", flush=True)

    def test_message_bodies_cannot_raise_or_widen(self):
        s = self.server
        incident = self.records[("own", "restricted")][0]
        token = self.tokens["dispatcher-restricted"]
        status, body = s.request("POST", f"/api/v1/incidents/{incident}/messages",
                                 {"text": "x", "classification": "secret"}, token=token)
        self.assertEqual((status, body["error"]["field"]), (403, "classification"))
        status, body = s.request("POST", f"/api/v1/incidents/{incident}/messages",
                                 {"text": "x", "to": ["ambulance"]}, token=token)
        self.assertEqual((status, body["error"]["field"]), (409, "to[0]"), body)
        status, body = s.request("POST", f"/api/v1/incidents/{incident}/messages",
                                 {"text": "x", "agency": "fire"}, token=token)
        self.assertEqual((status, body["error"]["field"]), (400, "agency"))
        status, body = s.request("POST", f"/api/v1/incidents/{incident}/messages",
                                 {"text": "x", "classification": "top-secret"}, token=token)
        self.assertEqual((status, body["error"]["field"]), (422, "classification"))

    def test_units_follow_their_label(self):
        s = self.server
        checked = 0
        for role in ROLES:
            for clearance in LEVELS:
                token = self.tokens[f"{role}-{clearance}"]
                status, listing = s.request("GET", "/api/v1/units", token=token)
                listed = {u["id"] for u in listing["items"]} if status == 200 else set()
                status, events = s.request("GET", "/api/v1/events?after=0&limit=1000", token=token)
                event_seqs = {e["seq"] for e in events["items"]} if status == 200 else set()
                for (relation, classification), (unit, seq) in self.labelled_units.items():
                    want = allowed(role, clearance, "unit.read", relation, classification)
                    status, _ = s.request("GET", f"/api/v1/units/{unit}", token=token)
                    self.assertEqual(status, 200 if want else 404, (role, clearance, relation, classification))
                    self.assertEqual(unit in listed, want, ("unit list", role, clearance, relation, classification))
                    want_event = allowed(role, clearance, "event.read", relation, classification)
                    self.assertEqual(seq in event_seqs, want_event, ("unit events", role, clearance, relation,
                                                                     classification))
                    checked += 3
        print(f"{checked} unit decisions checked", flush=True)

    def test_writes(self):
        s = self.server
        next_unit = 0  # a unit is used up only by an assignment that succeeds
        for role, clearance, relation, classification, incident, seq in self.cases():
            token = self.tokens[f"{role}-{clearance}"]
            visible = allowed(role, clearance, "incident.read", relation, classification)
            for action, path, body in (
                    ("incident.note", f"/api/v1/incidents/{incident}/notes", {"text": "checked"}),
                    ("incident.update_status", f"/api/v1/incidents/{incident}/status", {"status": "triaged"}),
                    ("incident.assign", f"/api/v1/incidents/{incident}/assignments", None),
                    # The same label again: allowed callers get 409 and nothing changes.
                    ("record.classify", f"/api/v1/incidents/{incident}/classification",
                     {"classification": classification})):
                if body is None:
                    body = {"unit": self.units[next_unit]}
                status, reply = s.request("POST", path, body, token=token)
                if action == "incident.assign" and status == 201:
                    next_unit += 1
                want = allowed(role, clearance, action, relation, classification)
                where = (action, role, clearance, relation, classification, reply)
                if want and action == "incident.assign" and clearance == "public":
                    # Units carry the label restricted: a caller cleared only for public cannot
                    # see (so cannot send) any unit.
                    self.assertEqual((status, reply["error"]["field"]), (404, "unit"), where)
                elif want:
                    self.assertIn(status, (200, 201, 409), where)  # 409: a legal request the lifecycle refused
                else:
                    self.assertEqual(status, 403 if visible or not holds(role, action) else 404, where)

    def test_stream_filters_like_reads(self):
        s = self.server
        for role in ROLES:
            for clearance in LEVELS:
                token = self.tokens[f"{role}-{clearance}"]
                ws = WebSocket(s.port, "/api/v1/stream?after=0", token=token)
                if role not in TABLE["stream.subscribe"][0]:
                    self.assertEqual(ws.status, 403, role)
                    ws.close()
                    continue
                self.assertEqual(ws.status, 101)
                ws.recv_json()
                seen = set()
                while self.marker not in seen:
                    seen.add(ws.recv_json()["seq"])
                ws.close()
                for (relation, classification), (incident, seq) in self.records.items():
                    want = allowed(role, clearance, "event.read", relation, classification)
                    self.assertEqual(seq in seen, want, ("stream", role, clearance, relation, classification))

    def test_privilege_escalation_through_body_fields(self):
        s = self.server
        token = self.tokens["dispatcher-restricted"]
        status, body = s.request("POST", "/api/v1/incidents", {
            "type": "fire.alarm", "priority": 1, "agency": "fire", "location": {"lat": 1, "lon": 1}}, token=token)
        self.assertEqual(status, 403, body)
        status, body = s.request("POST", "/api/v1/incidents", {
            "type": "fire.alarm", "priority": 1, "classification": "secret", "location": {"lat": 1, "lon": 1}},
            token=token)
        self.assertEqual(status, 403, body)
        status, body = s.request("POST", "/api/v1/incidents", {
            "type": "fire.alarm", "priority": 1, "actor": "admin", "location": {"lat": 1, "lon": 1}}, token=token)
        self.assertEqual((status, body["error"]["field"]), (400, "actor"))
        status, body = s.request("POST", "/api/v1/agencies", {"code": "navy", "name": "Navy", "kind": "police"},
                                 token=token)
        self.assertEqual(status, 403, body)
        # What a dispatcher does is recorded under their name, whatever the headers say.
        status, body = s.request("POST", "/api/v1/incidents", {
            "type": "fire.alarm", "priority": 1, "location": {"lat": 1, "lon": 1}}, token=token,
            headers={"X-NCC-Actor": "someone-else"})
        status, page = s.request("GET", f"/api/v1/events?after={body['seq'] - 1}&limit=1")
        self.assertEqual(page["items"][0]["actor"], "dispatcher-restricted")

    def test_bad_tokens(self):
        s = self.server
        for header in ("Bearer ncc_at_" + "0" * 64, "Bearer nonsense", "Basic dGVzdDp0ZXN0", "Bearer ", "ApiKey x"):
            status, body = s.request("GET", "/api/v1/incidents", headers={"Authorization": header}, token=False)
            self.assertEqual(status, 401, (header, body))
        status, body = s.request("GET", "/api/v1/incidents", token=False)
        self.assertEqual(status, 401)
        token = s.login("victim")
        status, _ = s.request("POST", "/api/v1/auth/logout", {}, token=token)
        self.assertEqual(status, 200)
        status, body = s.request("GET", "/api/v1/incidents", token=token)  # revoked
        self.assertEqual(status, 401, body)

    def test_refresh_replay_revokes_the_login(self):
        s = self.server
        status, first = s.request("POST", "/api/v1/auth/login", {"username": "victim", "password": PASSWORD}, token=False)
        status, second = s.request("POST", "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, token=False)
        self.assertEqual(status, 200)
        status, replay = s.request("POST", "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}, token=False)
        self.assertEqual(status, 401, replay)
        status, body = s.request("GET", "/api/v1/incidents", token=second["access_token"])
        self.assertEqual(status, 401, "a replayed refresh token must end the whole login")

    def test_brute_force_hits_the_lockout(self):
        s = self.server
        s.add_user("target", "police", ["analyst"])
        codes = [s.request("POST", "/api/v1/auth/login", {"username": "target", "password": f"guess{k}"}, token=False)[0]
                 for k in range(7)]
        # The lock does not show (a 429 would tell that the account exists): every answer is the
        # wrong password's, even for the right password until the back-off ends.
        self.assertEqual(codes, [401] * 7, codes)
        status, body = s.request("POST", "/api/v1/auth/login", {"username": "target", "password": PASSWORD}, token=False)
        self.assertEqual(status, 401, "locked even with the right password until the back-off ends")

    def test_no_secret_in_the_event_log_or_server_log(self):
        s = self.server
        with open(os.path.join(s.data_dir, "events.db"), "rb") as f:
            log = f.read()
        self.assertNotIn(PASSWORD.encode(), log)
        self.assertNotIn(s.token.encode(), log)
        self.assertNotIn(PASSWORD, s.read_log())
        self.assertNotIn(s.token, s.read_log())


class RateLimit(unittest.TestCase):
    def test_429_with_retry_after(self):
        server = Server(NCC, rate="5").start()
        try:
            conn = server.connection()
            statuses = []
            for _ in range(30):
                conn.request("GET", "/api/v1/incidents", headers={"Authorization": "Bearer " + server.token})
                resp = conn.getresponse()
                resp.read()
                statuses.append((resp.status, resp.getheader("Retry-After")))
            refused = [r for r in statuses if r[0] == 429]
            self.assertTrue(refused, statuses)
            self.assertTrue(all(int(r[1]) >= 1 for r in refused))
        finally:
            server.cleanup()



class ExpiredTokens(unittest.TestCase):
    """An access token past its lifetime is refused like a forged one (401), changes nothing in
    the log, and the refresh token still gets a new one."""

    def test_expired_access_token(self):
        s = Server(NCC, extra=["--access-token-ttl", "1"])
        try:
            s.add_user("shortlived", "police", ["dispatcher"])
            s.start()
            status, login = s.request("POST", "/api/v1/auth/login",
                                      {"username": "shortlived", "password": PASSWORD}, token=False)
            self.assertEqual(status, 200, login)
            self.assertEqual(login["expires_in"], 1)
            token = login["access_token"]
            self.assertEqual(s.request("GET", "/api/v1/incidents", token=token)[0], 200)
            time.sleep(1.5)
            admin = s.login("tester")  # the harness's own token has expired too
            before = s.request("GET", "/healthz", token=admin)[1]["last_seq"]
            status, body = s.request("GET", "/api/v1/incidents", token=token)
            self.assertEqual(status, 401, body)
            status, body = s.request("POST", "/api/v1/incidents", {
                "type": "fire.alarm", "priority": 1, "location": {"lat": 1, "lon": 1}}, token=token)
            self.assertEqual(status, 401, body)
            # Nothing was written but the admin's own sign-ins (logged in the next group commit,
            # so one may land after `before`); the admin's token expires in 1 s too: a fresh one.
            status, page = s.request("GET", f"/api/v1/events?after={before}&limit=100", token=s.login("tester"))
            self.assertEqual(status, 200, page)
            self.assertEqual({e["type"] for e in page["items"]} - {"sign_in_attempted"}, set(), page)
            status, fresh = s.request("POST", "/api/v1/auth/refresh", {"refresh_token": login["refresh_token"]},
                                      token=False)
            self.assertEqual(status, 200, fresh)
            self.assertEqual(s.request("GET", "/api/v1/incidents", token=fresh["access_token"])[0], 200)
        finally:
            s.cleanup()


class UnitShares(unittest.TestCase):
    """A unit is seen by its own agency and by the agencies it is shared with; only the owner's
    supervisors share it, and sharing does not hand over command."""

    def test_share_list_on_units(self):
        s = Server(NCC)
        try:
            s.add_user("fire_disp", "fire", ["dispatcher"], "secret")
            s.add_user("fire_sup", "fire", ["supervisor"], "secret")
            s.add_user("pol_disp", "police", ["dispatcher"], "secret")
            s.start()
            for code in ("police", "fire"):
                s.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": "police"})
            status, unit = s.request("POST", "/api/v1/units", {"callsign": "P1", "agency": "police", "kind": "patrol"})
            self.assertEqual(status, 201, unit)
            uid = unit["id"]
            fire = s.login("fire_disp")
            self.assertEqual(s.request("GET", f"/api/v1/units/{uid}", token=fire)[0], 404)
            # A dispatcher may not share (unit.register); another agency cannot even see it.
            status, body = s.request("POST", f"/api/v1/units/{uid}/shares", {"agency": "fire"},
                                     token=s.login("pol_disp"))
            self.assertEqual(status, 403, body)
            status, body = s.request("POST", f"/api/v1/units/{uid}/shares", {"agency": "fire"}, token=fire)
            self.assertEqual(status, 403, body)  # holds unit.register nowhere: refused first
            status, body = s.request("POST", f"/api/v1/units/{uid}/shares", {"agency": "fire"},
                                     token=s.login("fire_sup"))
            self.assertEqual(status, 404, body)
            status, body = s.request("POST", f"/api/v1/units/{uid}/shares", {"agency": "fire"})
            self.assertEqual(status, 201, body)
            status, body = s.request("POST", f"/api/v1/units/{uid}/shares", {"agency": "fire"})
            self.assertEqual(status, 409, body)
            status, body = s.request("POST", f"/api/v1/units/{uid}/shares", {"agency": "navy"})
            self.assertEqual((status, body["error"]["field"]), (404, "agency"))
            status, seen = s.request("GET", f"/api/v1/units/{uid}", token=fire)
            self.assertEqual(status, 200, seen)
            self.assertEqual(seen["shared_with"], ["fire"])
            listed = [u["id"] for u in s.request("GET", "/api/v1/units", token=fire)[1]["items"]]
            self.assertIn(uid, listed)
            events = s.request("GET", "/api/v1/events?after=0&limit=1000", token=fire)[1]["items"]
            self.assertIn("unit_registered", [e["type"] for e in events if e["data"].get("id") == uid])
            # Seeing is not commanding: the fire dispatcher cannot move the police unit.
            status, body = s.request("POST", f"/api/v1/units/{uid}/status", {"status": "out_of_service"}, token=fire)
            self.assertEqual(status, 403, body)
        finally:
            s.cleanup()


if __name__ == "__main__":
    main()
