"""The edge of the server as an attacker meets it (security review of 4008c84, issue 11):
static files, sign-in forms, framing, Host/Origin, connection limits, streams after sign-out,
file modes of the data folder, what /healthz and /metrics tell a stranger."""
import json
import os
import resource
import socket
import stat
import subprocess
import time
import unittest

from harness import main, seed, Server, WebSocket, PASSWORD

NCC = None


def raw_http(port, request, source=None, timeout=5):
    """Sends bytes as they are; returns (status, headers text, body text)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    try:
        s.sendall(request)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= length[0]:
                    break
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head else 0
    return status, head.decode(errors="replace"), body.decode(errors="replace")


class EdgeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(NCC)
        cls.s.add_user("disp", "fire", ["dispatcher"], "restricted")
        cls.s.start()
        seed(cls.s)

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def get(self, path, headers=b""):
        return raw_http(self.s.port, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                        headers + b"\r\n")

    def test_f1_only_the_consoles_own_files(self):
        data = self.s.data_dir.encode()
        for path in [b"//etc/passwd", b"/../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd", b"/..%2f..%2fetc/passwd",
                     b"/" + data + b"/events.db", b"/" + data + b"/auth.db", b"//" + data + b"/anchor.key",
                     b"/./index.html/..", b"/web/index.html", b"/index.html%00", b"/.", b"/%2fetc%2fpasswd"]:
            status, head, body = self.get(path)
            self.assertEqual(status, 404, (path, head))
            self.assertNotIn("root:", body)
        status, head, body = self.get(b"/")
        self.assertEqual(status, 200)
        self.assertIn("form-action 'self'", head)
        self.assertIn("frame-ancestors 'none'", head)
        self.assertEqual(self.get(b"/console.js")[0], 200)

    def test_f1_a_symlink_out_of_the_web_root_is_not_served(self):
        web = os.path.join(self.s.data_dir, "..", os.path.basename(self.s.data_dir) + "-web")
        os.makedirs(web, exist_ok=True)
        with open(os.path.join(web, "index.html"), "w") as f:
            f.write("<p>console</p>")
        os.symlink("/etc/passwd", os.path.join(web, "passwd"))
        s = Server(NCC, extra=["--web", web])
        try:
            s.start()
            self.assertEqual(raw_http(s.port, b"GET /passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")[0], 404)
            self.assertEqual(raw_http(s.port, b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")[0], 200)
        finally:
            s.cleanup()
            subprocess.run(["rm", "-rf", web])

    def test_every_answer_carries_security_headers(self):
        for path in [b"/healthz", b"/api/v1/incidents", b"/nothing-here"]:
            _, head, _ = self.get(path)
            self.assertIn("X-Frame-Options: DENY", head)
            self.assertIn("Content-Security-Policy:", head)
            self.assertIn("X-Content-Type-Options: nosniff", head)

    def test_f10_data_folder_is_private(self):
        mode = stat.S_IMODE(os.stat(self.s.data_dir).st_mode)
        self.assertEqual(mode, 0o700, oct(mode))
        for name in os.listdir(self.s.data_dir):
            path = os.path.join(self.s.data_dir, name)
            if os.path.isfile(path):
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode) & 0o077, 0, name)

    def test_f10_existing_files_are_narrowed_at_start(self):
        s = Server(NCC)
        try:
            os.chmod(s.data_dir, 0o755)
            os.chmod(os.path.join(s.data_dir, "auth.db"), 0o644)
            s.start()
            self.assertEqual(stat.S_IMODE(os.stat(s.data_dir).st_mode), 0o700)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(s.data_dir, "auth.db")).st_mode), 0o600)
        finally:
            s.cleanup()

    def test_f13_logout_reads_the_scheme_as_sign_in_does(self):
        for form in ["bearer {}", "BEARER {}", "Bearer  {}"]:
            token = self.s.login("disp")
            status, body = self.s.request("POST", "/api/v1/auth/logout", headers={"Authorization": form.format(token)},
                                          token=False)
            if status == 200:
                self.assertEqual(self.s.request("GET", "/api/v1/whoami", token=token)[0], 401, form)
            else:
                self.assertEqual(status, 401, (form, body))
                self.assertEqual(self.s.request("GET", "/api/v1/whoami", token=token)[0], 200, form)
        # Lower-case scheme is the one the review tried: it must sign out.
        token = self.s.login("disp")
        status, _ = self.s.request("POST", "/api/v1/auth/logout", headers={"Authorization": "bearer " + token},
                                   token=False)
        self.assertEqual(status, 200)
        self.assertEqual(self.s.request("GET", "/api/v1/whoami", token=token)[0], 401)
        # A token in the URL or no token: nothing is revoked, so nothing says "signed out".
        token = self.s.login("disp")
        status, body = self.s.request("POST", "/api/v1/auth/logout?access_token=" + token, token=False)
        self.assertEqual(status, 401, body)
        self.assertEqual(self.s.request("GET", "/api/v1/whoami", token=token)[0], 200)
        status, body = self.s.request("POST", "/api/v1/auth/logout", token=False)
        self.assertEqual(status, 401, body)

    def test_f18_access_token_in_the_url_only_on_the_stream(self):
        status, body = self.s.request("GET", "/api/v1/incidents?access_token=" + self.s.token, token=False)
        self.assertEqual(status, 401, body)
        self.assertEqual(body["error"]["field"], "access_token")
        ws = WebSocket(self.s.port, "/api/v1/stream", token=self.s.token)
        self.assertEqual(ws.status, 101)
        ws.close()

    def test_f25_x_api_key_header_signs_in_a_gateway(self):
        done = subprocess.run([NCC, "apikey", "add", "--data", self.s.data_dir, "--agency", "police", "--lane",
                               "positions", "gw-edge"], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        key = done.stdout.strip().split()[-1]
        self.assertTrue(key.startswith("ncc_ak_"), done.stdout)
        body = {"fixes": []}
        status, answer = self.s.request("POST", "/api/v1/positions", body, headers={"X-API-Key": key}, token=False)
        self.assertNotEqual(status, 401, answer)
        status, answer = self.s.request("POST", "/api/v1/positions", body, headers={"X-API-Key": key + "x"},
                                        token=False)
        self.assertEqual(status, 401, answer)

    def test_f14_strangers_learn_no_counts(self):
        status, body = self.s.request("GET", "/healthz", token=False)
        self.assertEqual((status, body), (200, {"status": "ok"}))
        status, body = self.s.request("GET", "/metrics", token=False)
        self.assertEqual(status, 401, body)
        disp = self.s.login("disp")
        status, body = self.s.request("GET", "/metrics", token=disp)
        self.assertEqual(status, 403, body)
        status, body = self.s.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertIn("ncc_http_requests_total", body)
        self.assertIn("last_seq", self.s.request("GET", "/healthz")[1])

    def test_f22_transfer_encoding_other_than_chunked_is_refused(self):
        body = b'{"code":"x1","name":"X","kind":"police"}'
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        auth = b"Authorization: Bearer " + self.s.token.encode() + b"\r\n"
        for te in [b"chunked, identity", b"identity, chunked", b"gzip, chunked", b"chunked\r\nTransfer-Encoding: chunked",
                   b"xchunked"]:
            status, head, text = raw_http(self.s.port, b"POST /api/v1/agencies HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                                          b"Content-Type: application/json\r\nTransfer-Encoding: " + te + b"\r\n\r\n" +
                                          chunked)
            self.assertEqual(status, 400, (te, head, text))
        status, _, text = raw_http(self.s.port, b"POST /api/v1/agencies HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                                   b"Content-Type: application/json\r\nContent-Length: 5\r\n"
                                   b"Transfer-Encoding: chunked\r\n\r\n" + chunked)
        self.assertEqual(status, 400, text)

    def test_f23_host_and_origin_checks(self):
        status, _, text = raw_http(self.s.port, b"GET /healthz HTTP/1.1\r\nHost: rebind.attacker.example\r\n\r\n")
        self.assertEqual(status, 421, text)
        self.assertIn("Host", text)
        self.assertEqual(raw_http(self.s.port, b"GET /healthz HTTP/1.1\r\nHost: localhost:1\r\n\r\n")[0], 200)

        def upgrade(origin, host=b"127.0.0.1:%d" % self.s.port):
            return raw_http(self.s.port, b"GET /api/v1/stream?access_token=" + self.s.token.encode() +
                            b" HTTP/1.1\r\nHost: " + host + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
                            (b"Origin: " + origin + b"\r\n" if origin else b"") + b"\r\n", timeout=2)[0]
        self.assertEqual(upgrade(b"https://evil.example"), 403)
        self.assertEqual(upgrade(b"http://127.0.0.1:1"), 403)
        self.assertEqual(upgrade(b"http://127.0.0.1:%d" % self.s.port), 101)
        self.assertEqual(upgrade(None), 101)
        s = Server(NCC, extra=["--allowed-origin", "https://ops.example", "--allowed-host", "ncc.example"])
        try:
            s.start()
            self.assertEqual(raw_http(s.port, b"GET /healthz HTTP/1.1\r\nHost: NCC.example:443\r\n\r\n")[0], 200)
            status = raw_http(s.port, b"GET /api/v1/stream?access_token=" + s.token.encode() +
                              b" HTTP/1.1\r\nHost: ncc.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                              b"Origin: https://ops.example\r\n\r\n", timeout=2)[0]
            self.assertEqual(status, 101)
        finally:
            s.cleanup()

    def test_f6_streams_close_when_the_sign_in_ends(self):
        def open_stream(token):
            ws = WebSocket(self.s.port, "/api/v1/stream", token=token)
            self.assertEqual(ws.status, 101)
            self.assertEqual(ws.recv_json()["type"], "stream_hello")
            return ws

        def closed_within(ws, seconds):
            ws.sock.settimeout(seconds)
            start = time.time()
            while True:
                kind, data = ws.recv()
                if kind == "close":
                    return data, time.time() - start

        # Logout.
        token = self.s.login("disp")
        ws = open_stream(token)
        self.s.request("POST", "/api/v1/auth/logout", token=token)
        (code, reason), took = closed_within(ws, 3)
        self.assertEqual(code, 1008, reason)
        self.assertLess(took, 2.5)
        ws.close()
        # The account disabled.
        self.s.add_user("shortlived", "fire", ["dispatcher"])
        token = self.s.login("shortlived")
        ws = open_stream(token)
        done = subprocess.run([NCC, "user", "disable", "--data", self.s.data_dir, "shortlived"], capture_output=True,
                              text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        (code, reason), _ = closed_within(ws, 3)
        self.assertEqual(code, 1008, reason)
        ws.close()

    def test_f6_stream_closes_when_its_token_expires(self):
        s = Server(NCC, extra=["--access-token-ttl", "2"])
        try:
            s.start()
            ws = WebSocket(s.port, "/api/v1/stream", token=s.login("tester"))
            self.assertEqual(ws.status, 101)
            ws.sock.settimeout(5)
            kinds = []
            while True:
                kind, data = ws.recv()
                kinds.append(kind)
                if kind == "close":
                    self.assertEqual(data[0], 1008, data)
                    self.assertIn("expired", data[1])
                    break
            ws.close()
        finally:
            s.cleanup()


ZONES = """{"type":"FeatureCollection","features":[{"type":"Feature",
 "properties":{"id":"downtown","capability":"ambulance","minutes":2,"target":0.9,"spacing_m":150},
 "geometry":{"type":"Polygon","coordinates":[[[-122.414,37.784],[-122.400,37.784],[-122.400,37.795],[-122.414,37.795],[-122.414,37.784]]]}}]}"""
PLANS = """
[plan default]
name = Default
need = 1 patrol from police
target.* = 60 600 600

[plan test.patrol]
name = One patrol
need = 1 patrol from police
target.* = 60 600 600
"""


class RouterTest(unittest.TestCase):
    """What the one router answers before any handler, the same for every row of the table."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(NCC)
        cls.server.add_user("ct", "police", ["call_taker"], "secret")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def raw(self, method, path, headers=None, body=None):
        conn = self.server.connection()
        try:
            hdrs = {"Authorization": "Bearer " + self.server.token}
            hdrs.update(headers or {})
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    def test_wrong_method_is_405_naming_what_the_path_takes(self):
        status, headers, body = self.raw("PUT", "/api/v1/incidents")
        self.assertEqual((status, headers.get("Allow"), body["error"]["field"]), (405, "GET, POST", "method"))
        status, headers, _ = self.raw("DELETE", "/api/v1/incidents/1")
        self.assertEqual((status, headers.get("Allow")), (405, "GET"))

    def test_plain_get_on_the_stream_is_told_to_upgrade(self):
        status, headers, body = self.raw("GET", "/api/v1/stream")
        self.assertEqual((status, headers.get("Upgrade"), body["error"]["code"]),
                         (426, "websocket", "upgrade_required"))

    def test_body_type_and_malformed_ids(self):
        status, _, body = self.raw("POST", "/api/v1/incidents", {"Content-Type": "text/plain"}, b"{}")
        self.assertEqual((status, body["error"]["field"]), (415, "Content-Type"))
        for bad in ("abc", "0", "-3", "99999999999999999999"):
            status, _, body = self.raw("GET", f"/api/v1/incidents/{bad}")
            self.assertEqual((status, body["error"]["code"], body["error"]["field"]), (400, "malformed", "id"), bad)

    def test_a_caller_holding_the_action_nowhere_is_refused_before_the_record(self):
        ct = self.server.login("ct")
        self.server.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
        status, body = self.server.request("POST", "/api/v1/incidents", {
            "type": "fire", "priority": 2, "location": {"lat": 25.28, "lon": 51.52}})
        self.assertEqual(status, 201, body)
        # The same answer for an incident that exists and one that does not: nothing is looked up.
        for incident in (body["id"], 999999):
            status, refused = self.server.request("POST", f"/api/v1/incidents/{incident}/assignments",
                                                  {"unit": 1}, token=ct)
            self.assertEqual((status, refused["error"]["code"]), (403, "permission_denied"), refused)
            self.assertIn("incident.assign", refused["error"]["message"])
            self.assertNotIn(str(incident), refused["error"]["message"])

    def test_rate_limited_answers_429_with_retry_after(self):
        s = Server(NCC, rate="2")
        try:
            s.start()
            statuses = [s.request("GET", "/api/v1/whoami")[0] for _ in range(6)]
            self.assertIn(429, statuses)
            conn = s.connection()
            conn.request("GET", "/api/v1/whoami", headers={"Authorization": "Bearer " + s.token})
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, 429)
            self.assertGreaterEqual(int(resp.getheader("Retry-After")), 1)
            conn.close()
        finally:
            s.cleanup()


class AggregateVisibilityTest(unittest.TestCase):
    """Review F2, F3: coverage and recommendations count, name and log only units the caller may
    see (and a recommendation logged on an incident names no unit above the incident's label)."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(NCC)
        d = cls.s.data_dir
        with open(os.path.join(d, "..", os.path.basename(d) + ".geojson"), "w") as f:
            f.write(ZONES)
        plans = os.path.join(d, "..", os.path.basename(d) + "-plans")
        os.makedirs(plans, exist_ok=True)
        with open(os.path.join(plans, "test.conf"), "w") as f:
            f.write(PLANS)
        cls.extra_files = [os.path.join(d, "..", os.path.basename(d) + ".geojson"), plans]
        cls.s.extra += ["--zones", cls.extra_files[0], "--plans", plans]
        cls.s.add_user("firedisp", "civil_defence", ["dispatcher"], "restricted")
        cls.s.add_user("pdisp", "police", ["dispatcher"], "restricted")
        cls.s.add_user("chief", "police", ["supervisor", "civil_defence:supervisor"], "secret")
        cls.s.start()
        chief = cls.s.login("chief")
        for code, kind in [("police", "police"), ("civil_defence", "fire")]:
            cls.s.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": kind})
        cls.units = {}
        for callsign, agency, kind, cls_name, (lat, lon) in [
                ("CANARY-SECRET-AMB", "police", "ambulance", "secret", (37.7900, -122.4070)),
                ("CANARY-SECRET-PATROL", "police", "patrol", "secret", (37.7906, -122.4081)),
                ("P-PUBLIC", "police", "patrol", "restricted", (37.7990, -122.4200)),
                ("FIRE-AMB", "civil_defence", "ambulance", "restricted", (37.7880, -122.4110))]:
            status, body = cls.s.request("POST", "/api/v1/units", {
                "callsign": callsign, "agency": agency, "kind": kind, "classification": cls_name,
                "location": {"lat": lat, "lon": lon}}, token=chief)
            assert status == 201, body
            cls.units[callsign] = body["id"]

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()
        subprocess.run(["rm", "-rf"] + cls.extra_files)

    def test_f2_coverage_counts_only_visible_units(self):
        fire = self.s.login("firedisp")
        status, text = self.s.request("GET", "/api/v1/coverage", token=fire)
        self.assertEqual(status, 200, text)
        zone = text["zones"][0]
        self.assertNotIn("police", zone["by_agency"])
        self.assertNotIn("CANARY", json_text(text))
        # The same question from the police secret supervisor counts the secret unit.
        status, text = self.s.request("GET", "/api/v1/coverage")
        self.assertIn("police", text["zones"][0]["by_agency"])

    def test_f3_recommendation_names_only_visible_units(self):
        pdisp = self.s.login("pdisp")
        status, made = self.s.request("POST", "/api/v1/incidents", {
            "type": "test.patrol", "priority": 2, "location": {"lat": 37.7905, "lon": -122.4080}}, token=pdisp)
        self.assertEqual(status, 201, made)
        status, rec = self.s.request("POST", f"/api/v1/incidents/{made['id']}/recommendation", token=pdisp)
        self.assertEqual(status, 200, rec)
        self.assertNotIn("CANARY", json_text(rec))
        self.assertNotIn(self.units["CANARY-SECRET-PATROL"], unit_ids(rec))
        self.assertIn(self.units["P-PUBLIC"], unit_ids(rec))
        # Asked by the secret supervisor on the restricted incident: the secret unit is nearer,
        # yet the logged recommendation must not carry it into the incident's history.
        status, rec = self.s.request("POST", f"/api/v1/incidents/{made['id']}/recommendation")
        self.assertEqual(status, 200, rec)
        self.assertNotIn(self.units["CANARY-SECRET-PATROL"], unit_ids(rec))
        status, events = self.s.request("GET", "/api/v1/events?after=0&limit=1000", token=pdisp)
        self.assertEqual(status, 200, events)
        self.assertNotIn("CANARY", json_text(events))
        # On a secret incident the secret unit is the nearest and is recommended.
        status, made = self.s.request("POST", "/api/v1/incidents", {
            "type": "test.patrol", "priority": 2, "classification": "secret",
            "location": {"lat": 37.7905, "lon": -122.4080}})
        self.assertEqual(status, 201, made)
        status, rec = self.s.request("POST", f"/api/v1/incidents/{made['id']}/recommendation")
        self.assertIn(self.units["CANARY-SECRET-PATROL"], unit_ids(rec))

    def test_f4_only_the_owner_asks_for_mutual_aid(self):
        self.s.request("POST", "/api/v1/agencies", {"code": "ambulance", "name": "Ambulance", "kind": "ambulance"})
        pdisp, fire = self.s.login("pdisp"), self.s.login("firedisp")
        status, made = self.s.request("POST", "/api/v1/incidents", {
            "type": "test.patrol", "priority": 2, "location": {"lat": 37.7905, "lon": -122.4080}}, token=pdisp)
        self.assertEqual(status, 201, made)
        iid = made["id"]
        status, body = self.s.request("POST", f"/api/v1/incidents/{iid}/shares", {"agency": "civil_defence"},
                                      token=pdisp)
        self.assertIn(status, (200, 201), body)
        ask = {"incident": iid, "agency": "ambulance", "kind": "ambulance", "count": 1, "reason": "injured",
               "deadline": int(time.time() * 1000) + 600000}
        status, body = self.s.request("POST", "/api/v1/resource-requests", ask, token=fire)
        self.assertEqual(status, 403, body)
        status, inc = self.s.request("GET", f"/api/v1/incidents/{iid}", token=pdisp)
        self.assertNotIn("ambulance", inc.get("shared_with", []), inc)
        status, body = self.s.request("POST", "/api/v1/resource-requests", ask, token=pdisp)
        self.assertEqual(status, 201, body)
        status, listed = self.s.request("GET", "/api/v1/resource-requests", token=pdisp)
        mine = [q for q in listed["items"] if q["id"] == body["id"]]
        self.assertEqual(mine[0]["from_agency"], "police", mine)


class LaneLabelTest(unittest.TestCase):
    """Review F5, F24: every lane checks the unit's real label (a restricted key cannot move a
    secret unit, and its answer is the one for a unit that does not exist); a field account
    moves only its own unit."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server(NCC)
        cls.s.add_user("P-FIELD", "police", ["field_unit"], "restricted")
        done = subprocess.run([NCC, "apikey", "add", "--data", cls.s.data_dir, "--agency", "police", "--lane",
                               "positions", "gw-restricted"], capture_output=True, text=True, check=True)
        cls.key = done.stdout.strip().split()[-1]
        cls.s.start()
        cls.s.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
        cls.units = {}
        for callsign, cls_name in [("CANARY-SECRET-CAR", "secret"), ("P-FIELD", "restricted"),
                                   ("P-OTHER", "restricted")]:
            status, body = cls.s.request("POST", "/api/v1/units", {
                "callsign": callsign, "agency": "police", "kind": "patrol", "classification": cls_name})
            assert status == 201, body
            cls.units[callsign] = body["id"]

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def fix(self, unit):
        return {"unit": unit, "time": int(time.time() * 1000) - 1000, "lat": 25.28, "lon": 51.53}

    def test_f5_restricted_key_cannot_move_a_secret_unit(self):
        secret, missing = self.units["CANARY-SECRET-CAR"], 999_999
        status, body = self.s.request("POST", "/api/v1/positions", {"fixes": [self.fix(secret), self.fix(missing)]},
                                      headers={"Authorization": "ApiKey " + self.key}, token=False)
        self.assertEqual(status, 202, body)
        self.assertEqual(body["accepted"], 0, body)
        reasons = [r["reason"].replace(str(secret), "N").replace(str(missing), "N") for r in body["rejected"]]
        self.assertEqual(reasons[0], reasons[1], body)  # a secret unit looks like no unit
        self.assertNotIn("CANARY", json_text(body))
        status, body = self.s.request("POST", "/api/v1/positions", {"fixes": [self.fix(self.units["P-OTHER"])]},
                                      headers={"Authorization": "ApiKey " + self.key}, token=False)
        self.assertEqual(body["accepted"], 1, body)

    def test_f24_field_account_moves_only_its_own_unit(self):
        field = self.s.login("P-FIELD")
        status, body = self.s.request("POST", "/api/v1/positions", {"fixes": [self.fix(self.units["P-OTHER"])]},
                                      token=field)
        self.assertEqual(status, 202, body)
        self.assertEqual(body["accepted"], 0, body)
        self.assertIn("own unit", body["rejected"][0]["reason"])
        status, body = self.s.request("POST", "/api/v1/positions", {"fixes": [self.fix(self.units["P-FIELD"])]},
                                      token=field)
        self.assertEqual(body["accepted"], 1, body)


class WebhookAccountTest(unittest.TestCase):
    def test_f11_a_disabled_accounts_webhook_stops(self):
        from test_exports import Receiver, incident_ids
        s = Server(NCC)
        s.add_user("hooker", "police", ["supervisor"], "secret")
        rx = Receiver()
        try:
            s.start()
            seed(s)
            hooker = s.login("hooker")
            status, hook = s.request("POST", "/api/v1/webhooks", {
                "url": f"http://127.0.0.1:{rx.port}/in", "events": ["incident_created"]}, token=hooker)
            self.assertEqual(status, 201, hook)

            def create(summary):
                status, made = s.request("POST", "/api/v1/incidents", {
                    "type": "police.robbery", "priority": 2, "classification": "secret", "summary": summary,
                    "location": {"lat": 25.28, "lon": 51.53}})
                self.assertEqual(status, 201, made)
                return made["id"]
            before = create("before")
            rx.wait_for(lambda ev: before in incident_ids(ev))
            done = subprocess.run([NCC, "user", "disable", "--data", s.data_dir, "hooker"], capture_output=True,
                                  text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            after = create("CANARY-after-disable")
            time.sleep(2)
            self.assertNotIn(after, incident_ids(rx.events()))
            self.assertNotIn(b"CANARY", b"".join(body for _, body in rx.received))
            # Enabled again: delivery resumes where it stopped, nothing lost.
            done = subprocess.run([NCC, "user", "enable", "--data", s.data_dir, "hooker"], capture_output=True,
                                  text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            got = rx.wait_for(lambda ev: after in incident_ids(ev), timeout=40)
            self.assertEqual(incident_ids(got).count(after), 1)
        finally:
            rx.stop()
            s.cleanup()


def json_text(value):
    import json
    return json.dumps(value)


def unit_ids(rec):
    """Every unit id a recommendation body names."""
    found = []

    def walk(v, key=None):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, key)
        elif key in ("unit", "units", "id") and isinstance(v, int):
            found.append(v)
    walk(rec)
    return found


class ConnectionLimitTest(unittest.TestCase):
    def test_f7_idle_connections_cannot_take_the_server_down(self):
        """With the open-file limit lowered to 256 and 64 connections per address: 400 idle
        connections from one address leave /healthz answering from another, and the accept
        loop does not spin."""
        def low_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

        s = Server(NCC, extra=["--max-connections-per-address", "64"], preexec=low_limit)
        s.start()
        held = []
        try:
            for _ in range(400):
                try:
                    held.append(socket.create_connection(("127.0.0.1", s.port), timeout=2))
                except OSError:
                    break
            time.sleep(0.5)
            with open(f"/proc/{s.proc.pid}/stat") as f:
                before = sum(int(x) for x in f.read().split(")")[1].split()[11:13])
            time.sleep(2)
            with open(f"/proc/{s.proc.pid}/stat") as f:
                after = sum(int(x) for x in f.read().split(")")[1].split()[11:13])
            ticks = os.sysconf("SC_CLK_TCK")
            self.assertLess((after - before) / ticks, 0.5, "the server burned CPU while idle connections waited")
            status, _, body = raw_http(s.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", source="127.0.0.2")
            self.assertEqual(status, 200, body)
            self.assertEqual(s.proc.poll(), None)
        finally:
            for c in held:
                c.close()
        time.sleep(0.3)
        status, metrics = s.request("GET", "/metrics")
        self.assertEqual(status, 200)
        refused = [l for l in metrics.splitlines() if l.startswith("ncc_http_connections_refused_total")]
        self.assertTrue(refused and int(refused[0].split()[-1]) >= 300, refused)
        s.cleanup()


if __name__ == "__main__":
    main()
