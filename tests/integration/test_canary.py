"""The canary test (issue 11, "What it must show"): records of every label and agency are seeded
through the real API and CLI, each carrying unique canary strings in its texts, callsigns,
addresses, plates and ids. Then every principal of the role table (docs/security.md) calls every
route of docs/api.yaml that reads — path parameters filled with every seeded id, unknown ids and
other agencies' ids — plus the WebSocket stream, /events, every export, webhook deliveries, the
console's files, and refused writes whose error could name a record. No answer body, header or
error may hold a canary the principal may not see, nor name by id a unit it may not see.

The expected visibility is computed here, in Python, from the seeded labels and the rules and
role table of docs/security.md — never asked of the server. New routes are covered by being in
docs/api.yaml."""
import json
import os
import re
import socket
import subprocess
import time
import unittest

from harness import main, Server, WebSocket
from test_exports import Receiver

NCC = None
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
LEVELS = ["public", "restricted", "confidential", "secret"]
AGENCIES = ["police", "fire"]
PARTNER = "ambulance"
HERE = (37.7905, -122.4080)
PLANS = """
[plan default]
name = Default
need = 1 patrol from police
need = 1 engine from fire
target.* = 60 600 600
"""
ZONES = """{"type":"FeatureCollection","features":[{"type":"Feature",
 "properties":{"id":"downtown","capability":"patrol","minutes":2,"target":0.9,"spacing_m":150},
 "geometry":{"type":"Polygon","coordinates":[[[-122.414,37.784],[-122.400,37.784],[-122.400,37.795],[-122.414,37.795],[-122.414,37.784]]]}}]}"""


# ---- the documented rules (docs/security.md), read from the document itself -------------------

def role_table():
    """action -> (roles granting it, usable via share, gateway lane or None)."""
    with open(os.path.join(REPO, "docs", "security.md")) as f:
        body = f.read().split("<!-- permissions-table:begin -->")[1].split("<!-- permissions-table:end -->")[0]
    lines = body.strip().splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    roles = header[1:8]
    table = {}
    for row in lines[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        action = cells[0].strip("`")
        granted = {roles[k] for k in range(7) if cells[1 + k] == "✓"}
        lane = cells[9].strip("`") or None
        table[action] = (granted, cells[8] == "✓", lane)
    return table


RULES = role_table()


class Principal:
    def __init__(self, name, agency, roles=(), clearance="restricted", lanes=(), kind="user"):
        self.name, self.agency, self.clearance, self.kind = name, agency, clearance, kind
        # roles: "dispatcher" (home agency) or "police:agency_liaison"
        self.roles = [tuple(r.split(":")) if ":" in r else (agency, r) for r in roles]
        self.lanes = list(lanes)
        self.token = None
        self.headers = {}

    def can(self, action, label):
        """auth::CanSee as documented: a role in the owning agency, or in an agency it is shared
        with when the action is usable via share; clearance at least the classification. A
        gateway: only its lane's action, on its own agency's records."""
        granted, via_share, lane = RULES[action]
        if LEVELS.index(self.clearance) < LEVELS.index(label["classification"]):
            return False
        if self.kind == "gateway":
            return lane in self.lanes and label["agency"] == self.agency
        for agency, role in self.roles:
            if role not in granted:
                continue
            if agency == label["agency"] or (via_share and agency in label["shared_with"]):
                return True
        return False

    def home(self, action):
        granted, _, lane = RULES[action]
        if self.kind == "gateway":
            return lane in self.lanes
        return any(a == self.agency and r in granted for a, r in self.roles)


def canary(agency, level, kind):
    """Upper-case letters only (plates are normalised to upper case, without separators), and
    each ends in Q, which no word inside holds: no canary is part of another."""
    return f"CNRY{agency}{level}{kind}Q".upper()


class World:
    """What was seeded, with the labels the rules are applied to."""

    def __init__(self):
        self.incidents = {}  # id -> label
        self.units = {}  # id -> label
        self.canaries = {}  # canary -> (what, [labels...]) every label must be readable
        self.webhook_canaries = {}  # canary -> agency

    def label(self, agency, level, shared=()):
        return {"agency": agency, "classification": level, "shared_with": list(shared)}

    def may_see(self, who, token):
        what, refs = self.canaries[token]
        if what == "webhook":
            return who.agency == refs and who.home("webhook.manage")
        action = {"unit": "unit.read", "incident": "incident.read", "watchlist": "watchlist.read",
                  "plan": "plan.read", "sitrep": "sitrep.read", "channel": "channel.read"}[what]
        return all(who.can(action, ref()) for ref in refs)


class Canary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = s = Server(NCC)
        base = s.data_dir.rstrip("/")
        cls.extra_paths = [base + "-plans", base + ".geojson"]
        os.makedirs(base + "-plans", exist_ok=True)
        with open(os.path.join(base + "-plans", "test.conf"), "w") as f:
            f.write(PLANS)
        with open(base + ".geojson", "w") as f:
            f.write(ZONES)
        # The PDF pages answer 503 here (checked for each caller after the read check, so 404
        # for those who may not see the record): printing one per caller and record in chromium
        # would take the sweep many minutes; test_plans prints them.
        s.extra += ["--plans", base + "-plans", "--zones", base + ".geojson", "--chromium", "none"]
        # Seeders: a secret supervisor+admin in each agency (the CLI makes them).
        for agency in AGENCIES + [PARTNER]:
            s.add_user(f"seed-{agency}", agency, ["supervisor", "admin", "field_unit"], "secret")
        # One principal per row of the role table, in police, at confidential; low-clearance
        # variants; another agency's dispatcher; a liaison of the partner posted in police;
        # one gateway key per lane.
        P = Principal
        cls.principals = [P(f"p-{role}", "police", [role], "confidential") for role in
                          ["call_taker", "dispatcher", "supervisor", "agency_liaison", "analyst", "field_unit",
                           "admin"]]
        cls.principals += [
            P("p-supervisor-secret", "police", ["supervisor"], "secret"),
            P("p-dispatcher-restricted", "police", ["dispatcher"], "restricted"),
            P("p-supervisor-public", "police", ["supervisor"], "public"),
            P("f-dispatcher", "fire", ["dispatcher"], "confidential"),
            P("f-supervisor-secret", "fire", ["supervisor"], "secret"),
            P("a-liaison", PARTNER, ["dispatcher", "police:agency_liaison"], "secret"),
        ]
        for p in cls.principals:
            s.add_user(p.name, p.agency, [r if a == p.agency else f"{a}:{r}" for a, r in p.roles], p.clearance)
        for lane, clearance in [("positions", "restricted"), ("alarms", "restricted"), ("cot", "confidential")]:
            p = P(f"gw-{lane}", "police", clearance=clearance, lanes=[lane], kind="gateway")
            done = subprocess.run([NCC, "apikey", "add", "--data", s.data_dir, "--agency", "police", "--lane", lane,
                                   "--clearance", clearance, p.name], capture_output=True, text=True, check=True)
            p.headers = {"Authorization": "ApiKey " + done.stdout.strip().split()[-1]}
            cls.principals.append(p)
        # The seeders' alarm keys (secret, to seed every label).
        cls.alarm_keys = {}
        for agency in AGENCIES:
            done = subprocess.run([NCC, "apikey", "add", "--data", s.data_dir, "--agency", agency, "--lane", "alarms",
                                   "--clearance", "secret", f"seed-alarms-{agency}"],
                                  capture_output=True, text=True, check=True)
            cls.alarm_keys[agency] = done.stdout.strip().split()[-1]
        s.start()
        for p in cls.principals:
            if p.kind == "user":
                p.headers = {"Authorization": "Bearer " + s.login(p.name)}
        cls.seed_tokens = {a: s.login(f"seed-{a}") for a in AGENCIES + [PARTNER]}
        cls.receivers = []
        cls.world = cls.seed()

    @classmethod
    def tearDownClass(cls):
        for rx, _ in cls.receivers:
            rx.stop()
        cls.s.cleanup()
        subprocess.run(["rm", "-rf"] + cls.extra_paths)

    # ---- seeding ---------------------------------------------------------------------------

    @classmethod
    def call(cls, method, path, body=None, agency="police", headers=None):
        status, answer = cls.s.request(method, path, body, token=cls.seed_tokens[agency], headers=headers)
        assert status in (200, 201, 202), (method, path, body, status, answer)
        return answer

    @classmethod
    def seed(cls):
        w = World()
        s = cls.s
        for code, kind in [("police", "police"), ("fire", "fire"), (PARTNER, "ambulance")]:
            cls.call("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": kind}, agency="police")
        cls.webhook_ids = []
        cls.channel_ids, cls.message_ids = [], []
        for agency in AGENCIES:
            for level in LEVELS:
                c = lambda kind: canary(agency, level, kind)  # noqa: E731
                # A unit (positions inside the coverage zone, so coverage and nearby name it).
                kind = "patrol" if agency == "police" else "engine"
                unit = cls.call("POST", "/api/v1/units", {
                    "callsign": c("UNIT"), "agency": agency, "kind": kind, "classification": level,
                    "station": c("STATION"), "location": {"lat": HERE[0] + 0.0001 * LEVELS.index(level),
                                                         "lon": HERE[1]}}, agency=agency)["id"]
                w.units[unit] = w.label(agency, level)
                ul = lambda u=unit: w.units[u]  # noqa: E731
                w.canaries[c("UNIT")] = ("unit", [ul])
                w.canaries[c("STATION")] = ("unit", [ul])
                # An incident with its texts, a note and a message.
                inc = cls.call("POST", "/api/v1/incidents", {
                    "type": "police.robbery", "priority": 2, "classification": level, "agency": agency,
                    "summary": c("SUMMARY"), "address": c("ADDRESS"), "landmark": c("LANDMARK"),
                    "location": {"lat": HERE[0], "lon": HERE[1]}}, agency=agency)["id"]
                w.incidents[inc] = w.label(agency, level)
                il = lambda i=inc: w.incidents[i]  # noqa: E731
                for k in ("SUMMARY", "ADDRESS", "LANDMARK", "NOTE"):
                    w.canaries[c(k)] = ("incident", [il])
                cls.call("POST", f"/api/v1/incidents/{inc}/notes", {"text": c("NOTE")}, agency=agency)
                cls.call("POST", f"/api/v1/incidents/{inc}/messages", {"text": c("MESSAGE"), "classification": level},
                         agency=agency)
                # The message's own label: its author's agency, shared with every agency working
                # the incident at posting (none yet), never below the incident's.
                w.canaries[c("MESSAGE")] = ("incident", [il, lambda a=agency, l=level: w.label(a, l)])
                # A watchlist entry.
                cls.call("POST", "/api/v1/watchlists", {"plate": c("PLATE"), "list": c("LIST").lower(), "reason": c("REASON"),
                                                        "agency": agency, "classification": level}, agency=agency)
                for k in ("PLATE", "LIST", "REASON"):
                    w.canaries[c(k)] = ("watchlist", [lambda a=agency, l=level: w.label(a, l)])
                # An operation plan at this label; the partner takes part in police's restricted
                # one (a plan is shared with its participants).
                partners = [PARTNER] if (agency, level) == ("police", "restricted") else []
                plan = cls.call("POST", "/api/v1/operations", {
                    "name": c("PLAN"), "venue": c("VENUE"), "agency": agency, "agencies": partners,
                    "classification": level, "objectives": [c("OBJECTIVE")],
                    "start": "2026-10-10T16:00:00Z", "end": "2026-10-11T02:00:00Z",
                    "phases": [{"id": "p1", "name": c("PHASE")}],
                    "tasks": [{"id": "t1", "title": c("TASK"), "agency": agency, "phase": "p1"}]}, agency=agency)
                for k in ("PLAN", "VENUE", "OBJECTIVE", "PHASE", "TASK"):
                    w.canaries[c(k)] = ("plan", [lambda a=agency, l=level, p=partners: w.label(a, l, p)])
                # The plan's channel and a message in it at this label (shared with the plan's
                # participants): read on the plan's label and on the message's own.
                channel = cls.call("POST", "/api/v1/channels", {"kind": "operation", "plan": plan["id"]},
                                   agency=agency)["id"]
                cls.channel_ids.append(channel)
                cls.message_ids.append(cls.call("POST", f"/api/v1/channels/{channel}/messages", {
                    "text": c("CHANNELMSG"), "classification": level}, agency=agency)["id"])
                w.canaries[c("CHANNELMSG")] = ("channel", [lambda a=agency, l=level, p=partners: w.label(a, l, p)] * 2)
                # A situation report at this label, shared with the partner for police's
                # restricted one.
                cls.call("POST", "/api/v1/sitreps", {
                    "title": c("SITREP"), "narrative": c("NARRATIVE"), "classification": level,
                    "shared_with": partners}, agency=agency)
                for k in ("SITREP", "NARRATIVE"):
                    w.canaries[c(k)] = ("sitrep", [lambda a=agency, l=level, p=partners: w.label(a, l, p)])
                # An alarm: it opens its own incident (labelled as the alarm).
                status, alarm = s.request("POST", "/api/v1/alarms", {
                    "id": c("ALARMID"), "kind": "intrusion", "sensor": c("SENSOR"), "details": c("DETAILS"),
                    "classification": level, "location": {"lat": 25.3 + 0.01 * LEVELS.index(level), "lon": 51.5},
                    "time": int(time.time() * 1000) - 1000}, token=False,
                    headers={"Authorization": "ApiKey " + cls.alarm_keys[agency]})
                assert status == 201, alarm
                w.incidents[alarm["incident"]] = w.label(agency, level)
                al = lambda i=alarm["incident"]: w.incidents[i]  # noqa: E731
                for k in ("ALARMID", "SENSOR", "DETAILS"):
                    w.canaries[c(k)] = ("incident", [al])
                setattr(cls, f"inc_{agency}_{level}", inc)
                setattr(cls, f"unit_{agency}_{level}", unit)
            # A webhook per agency (its URL is the agency's business), delivering everything
            # its creator (a confidential supervisor) may see.
            rx = Receiver()
            token = canary(agency, "", "WEBHOOK")
            creator = {"police": "p-supervisor", "fire": "f-supervisor-secret"}[agency]
            who = [p for p in cls.principals if p.name == creator][0]
            status, hook = s.request("POST", "/api/v1/webhooks", {"url": f"http://127.0.0.1:{rx.port}/{token}"},
                                     headers=who.headers, token=False)
            assert status == 201, hook
            cls.webhook_ids.append(hook["id"])
            w.canaries[token] = ("webhook", agency)
            cls.receivers.append((rx, who))
        # Shares: police's restricted and confidential incidents are worked with fire; police's
        # confidential unit is shared with fire.
        for level in ("restricted", "confidential"):
            inc = getattr(cls, f"inc_police_{level}")
            cls.call("POST", f"/api/v1/incidents/{inc}/shares", {"agency": "fire"})
            w.incidents[inc]["shared_with"].append("fire")
        unit = cls.unit_police_confidential
        cls.call("POST", f"/api/v1/units/{unit}/shares", {"agency": "fire"})
        w.units[unit]["shared_with"].append("fire")
        # A message on the shared incident, shared with fire (posted after the share).
        shared = cls.inc_police_restricted
        cls.call("POST", f"/api/v1/incidents/{shared}/messages", {"text": canary("police", "shared", "MESSAGE")})
        w.canaries[canary("police", "shared", "MESSAGE")] = (
            "incident", [lambda: w.incidents[shared], lambda: w.label("police", "restricted", ["fire"])])
        # The police-fire pair's channel (fire first: sorted) and a police message in it.
        pair = cls.call("POST", "/api/v1/channels", {"kind": "agencies", "agencies": ["police", "fire"]})["id"]
        cls.channel_ids.append(pair)
        cls.message_ids.append(cls.call("POST", f"/api/v1/channels/{pair}/messages",
                                        {"text": canary("police", "pair", "CHANNELMSG")})["id"])
        w.canaries[canary("police", "pair", "CHANNELMSG")] = (
            "channel", [lambda: w.label("fire", "restricted", ["police"]), lambda: w.label("police", "restricted", ["fire"])])
        # Recommendations on the shared incident (logged), then assignments: police's secret
        # unit and restricted unit, and fire's restricted engine sent by fire through the share.
        cls.call("POST", f"/api/v1/incidents/{shared}/recommendation")
        for unit in (cls.unit_police_secret, cls.unit_police_restricted):
            cls.call("POST", f"/api/v1/incidents/{shared}/assignments", {"unit": unit})
        cls.call("POST", f"/api/v1/units/{cls.unit_police_secret}/status", {"status": "en_route"})
        cls.call("POST", f"/api/v1/incidents/{shared}/assignments", {"unit": cls.unit_fire_restricted}, agency="fire")
        cls.call("POST", f"/api/v1/incidents/{cls.inc_police_secret}/recommendation")
        # Mutual aid: police asks the partner on its confidential incident; the partner sends a
        # secret ambulance unit of its own.
        conf = cls.inc_police_confidential
        rr = cls.call("POST", "/api/v1/resource-requests", {
            "incident": conf, "agency": PARTNER, "kind": "ambulance", "count": 1, "reason": canary("police", "confidential", "RRREASON"),
            "deadline": int(time.time() * 1000) + 3600_000})
        w.incidents[conf]["shared_with"].append(PARTNER)
        w.canaries[canary("police", "confidential", "RRREASON")] = ("incident", [lambda: w.incidents[conf]])
        amb = cls.call("POST", "/api/v1/units", {"callsign": canary(PARTNER, "secret", "UNIT"), "kind": "ambulance",
                                                 "classification": "secret"}, agency=PARTNER)["id"]
        w.units[amb] = w.label(PARTNER, "secret")
        w.canaries[canary(PARTNER, "secret", "UNIT")] = ("unit", [lambda: w.units[amb]])
        cls.call("POST", f"/api/v1/resource-requests/{rr['id']}/answer", {"accept": True, "units": [amb]},
                 agency=PARTNER)
        cls.request_ids = [rr["id"]]
        # Positions (tracks) for every seeded unit.
        now = int(time.time() * 1000) - 5000
        for agency in AGENCIES + [PARTNER]:
            fixes = [{"unit": u, "lat": HERE[0], "lon": HERE[1] + 0.0001 * k, "time": now}
                     for k, (u, l) in enumerate(w.units.items()) if l["agency"] == agency]
            answer = cls.call("POST", "/api/v1/positions", {"fixes": fixes}, agency=agency)
            assert answer["accepted"] == len(fixes), answer
        return w

    # ---- the check -------------------------------------------------------------------------

    def leaks(self, who, where, status, headers, body, sent="", sent_units=()):
        """Canaries and unit ids in one answer that `who` may not see (an answer repeating what
        the request itself said, `sent`, e.g. an id in a 404, discloses nothing)."""
        found = []
        blob = (headers or "") + "\n" + (body if isinstance(body, str) else json.dumps(body))
        echoed = set(re.findall(r"CNRY[A-Z]*Q", sent.upper()))
        for token in set(re.findall(r"CNRY[A-Z]*Q", blob.upper())) - echoed:
            if token in self.world.canaries and not self.world.may_see(who, token):
                found.append(f"{where}: {status} shows {token}")
        if not isinstance(body, str):
            for unit in set(unit_refs(body)) - set(sent_units):
                if unit in self.world.units and not who.can("unit.read", self.world.units[unit]):
                    found.append(f"{where}: {status} names unit {unit}")
        return found

    def get(self, who, path, conn):
        conn.request("GET", path, headers=who.headers)
        resp = conn.getresponse()
        data = resp.read().decode(errors="replace")
        headers = "\n".join(f"{k}: {v}" for k, v in resp.getheaders())
        try:
            body = json.loads(data)
        except ValueError:
            body = data
        return resp.status, headers, body

    def read_paths(self):
        """Every GET of docs/api.yaml, path parameters filled with every seeded id (incidents,
        units, requests, alarms), an unknown id and a malformed one."""
        paths, current = [], None
        with open(os.path.join(REPO, "docs", "api.yaml")) as f:
            for line in f:
                m = re.match(r"^  (/\S*):\s*$", line)
                if m:
                    current = m.group(1)
                    continue
                if current and re.match(r"^    get:", line):
                    paths.append(current)
        self.assertGreater(len(paths), 20, "api.yaml was not read")
        ids = sorted(set(self.world.incidents) | set(self.world.units) | set(self.request_ids) |
                     set(self.channel_ids) | set(self.message_ids)) + [999_999, 0]
        alarm_ids = [t for t in self.world.canaries if t.endswith("ALARMIDQ")] + ["no-such-alarm"]
        head = self.call("GET", "/api/v1/whoami")["head"]
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        queries = {
            "/api/v1/picture": [f"?seq={head}", f"?seq={head // 2}", f"?at={now}", f"?seq={head}&after=1&limit=2"],
            "/api/v1/units/nearby": [f"?lat={HERE[0]}&lon={HERE[1]}&k=50"],
            "/api/v1/events": [f"?after={a}&limit=1000" for a in range(0, 2000, 1000)],
            "/api/v1/incidents": ["", "?limit=1000", "?status=dispatched", "?agency=police"],
            "/api/v1/incidents/cap": ["", "?status=all"],
            "/api/v1/units": ["", "?agency=police"],
            "/api/v1/route": ["?from=37.79,-122.40&to=37.78,-122.41"],
            "/api/v1/geocode": ["?q=Union"],
        }
        out = []
        for path in paths:
            variants = [path]
            if "{id}" in path:
                variants = [path.replace("{id}", str(i)) for i in ids]
            elif "{alarm_id}" in path:
                variants = [path.replace("{alarm_id}", a) for a in alarm_ids]
            for v in variants:
                for q in queries.get(path, [""]):
                    out.append(v + q)
        return out

    def test_every_read_route_shows_each_principal_only_what_it_may_see(self):
        paths = self.read_paths()
        found, answered, seen = [], 0, set()
        for who in self.principals:
            conn = self.s.connection()
            for path in paths + ["/", "/index.html", "/console.js", "/console.css", "/healthz", "/metrics"]:
                status, headers, body = self.get(who, path, conn)
                answered += 1
                found += self.leaks(who, f"{who.name} GET {path}", status, headers, body, sent=path,
                                    sent_units=[int(n) for n in re.findall(r"/(\d+)", path)])
                if status == 200:
                    seen |= set(re.findall(r"CNRY[A-Z]*Q", json.dumps(body).upper()))
            conn.close()
        self.assertGreater(answered, 1000)
        # The sweep reaches the data: every seeded canary is shown to someone allowed to see it.
        self.assertEqual(sorted(set(self.world.canaries) - seen), [])
        self.assertEqual(found, [], "\n".join(found))

    def test_the_stream_shows_each_principal_only_what_it_may_see(self):
        found = []
        for who in self.principals:
            token = who.headers["Authorization"].split(" ", 1)[1] if who.kind == "user" else None
            if token is None:
                continue
            ws = WebSocket(self.s.port, "/api/v1/stream?after=0", token=token, timeout=0.5)
            if ws.status != 101:
                ws.close()
                continue
            got = []
            try:
                while True:
                    got.append(ws.recv())
            except (socket.timeout, ConnectionError, OSError):
                pass
            ws.close()
            for kind, data in got:
                body = json.loads(data) if kind == "text" else str(data)
                found += self.leaks(who, f"{who.name} stream", 101, "", body)
        self.assertEqual(found, [], "\n".join(found))

    def test_webhooks_deliver_only_what_their_creator_may_see(self):
        found = []
        deadline = time.time() + 10
        for rx, who in self.receivers:
            while time.time() < deadline and not rx.received:
                time.sleep(0.1)
            self.assertTrue(rx.received, who.name)
            for headers, body in rx.received:
                found += self.leaks(who, f"webhook of {who.name}", 200, json.dumps(headers), json.loads(body))
        self.assertEqual(found, [], "\n".join(found))

    def test_recommendations_and_refused_writes_name_nothing_hidden(self):
        found = []
        for who in self.principals:
            for inc in sorted(self.world.incidents) + [999_999]:
                status, body = self.s.request("POST", f"/api/v1/incidents/{inc}/recommendation", token=False,
                                              headers=who.headers)
                found += self.leaks(who, f"{who.name} recommend {inc}", status, "", body)
                # Incidents with units on them: cancelling is refused (a unit is still assigned)
                # and the refusal must not name a unit the caller may not see.
                if inc == self.inc_police_restricted:
                    status, body = self.s.request("POST", f"/api/v1/incidents/{inc}/status",
                                                  {"status": "cancelled"}, token=False, headers=who.headers)
                    self.assertNotIn(status, (200, 201), (who.name, body))
                    found += self.leaks(who, f"{who.name} cancel {inc}", status, "", body)
            # Sending a unit it may not see: the answer is the one for no such unit.
            for unit in sorted(self.world.units):
                if who.can("unit.read", self.world.units[unit]):
                    continue  # it might really be sent: only refusals are probed
                status, body = self.s.request("POST", f"/api/v1/incidents/{self.inc_police_secret}/assignments",
                                              {"unit": unit}, token=False, headers=who.headers)
                found += self.leaks(who, f"{who.name} assign {unit}", status, "", body, sent_units=[unit])
        self.assertEqual(found, [], "\n".join(found))

    def test_zz_another_agencys_alarm_id_is_another_alarm(self):
        """Last (it adds a police incident under a fire alarm's id): the police key posting
        fire's alarm id gets a new alarm of its own, not "duplicate" with fire's incident."""
        who = [p for p in self.principals if p.name == "gw-alarms"][0]
        status, body = self.s.request("POST", "/api/v1/alarms", {
            "id": canary("fire", "restricted", "ALARMID"), "kind": "intrusion",
            "location": {"lat": 24.0, "lon": 50.0}, "time": int(time.time() * 1000) - 1000},
            token=False, headers=who.headers)
        self.assertEqual((status, body.get("outcome")), (201, "opened"), body)
        self.assertNotIn(body.get("incident"), self.world.incidents)


def unit_refs(value, key=None):
    """Unit ids an answer names: values of "unit", "units" and "recommended", and "unit N" in
    an error message."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out += unit_refs(v, k)
    elif isinstance(value, list):
        for v in value:
            out += unit_refs(v, key)
    elif key in ("unit", "units", "recommended") and isinstance(value, int) and not isinstance(value, bool):
        out.append(value)
    elif key == "message" and isinstance(value, str):  # an error naming a unit: "unit 7 is ..."
        out += [int(n) for n in re.findall(r"\bunits? (\d+)\b", value)]
    return out


if __name__ == "__main__":
    main()
