"""Exports in open standards and webhooks, over a real `ncc serve`:
- CAP 1.2 export validates against the OASIS XSD (xmllint --schema), Alert then Update;
- EIDO export has what NENA's schema requires, and only properties it defines;
- one authorization decision: 404 for what the caller may not see, 403 for what it may see but
  not export (generated from the role table of docs/security.md), audited confidential reads;
- webhooks: a loopback receiver gets only what the subscription's principal may see, signed;
  receiver down then up, and server kill -9 then restart: every event, in order, none lost;
  the secret never reaches the event log or the server's output; SSRF targets are refused."""
import hashlib
import hmac
import http.server
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

from harness import main, Server

NCC = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("NCC_DATA_DIR") or os.path.join(ROOT, "..", "shared", "data")
CAP_XSD = os.path.join(DATA, "cap", "ibm-cap", "CAP-v1.2.xsd")
CAP_XSD_OASIS = os.path.join(DATA, "cap", "oasiscap", "schema")
EIDO_SCHEMA = os.path.join(DATA, "eido", "nena-eido-json", "Schema", "openapi.yaml")
CAP_NS = "{urn:oasis:names:tc:emergency:cap:1.2}"


def role_table():
    text = open(os.path.join(ROOT, "docs", "security.md")).read()
    body = text.split("<!-- permissions-table:begin -->")[1].split("<!-- permissions-table:end -->")[0]
    lines = body.strip().splitlines()
    roles = [c.strip() for c in lines[0].strip("|").split("|")][1:8]
    table = {}
    for row in lines[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        table[cells[0].strip("`")] = ({roles[i] for i in range(7) if cells[1 + i] == "✓"}, cells[8] == "✓")
    return roles, table


ROLES, TABLE = role_table()


def xmllint(xml_text):
    """Validates against the CAP 1.2 XSD; returns (ok, message)."""
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml_text)
        path = f.name
    try:
        done = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", CAP_XSD, path],
                              capture_output=True, text=True)
        return done.returncode == 0, done.stderr
    finally:
        os.unlink(path)


class Receiver:
    """A webhook subscriber on loopback: records (headers, body) of every POST, answers 200."""

    def __init__(self, port=0):
        self.received = []
        self.lock = threading.Lock()
        self.port = port
        self.httpd = None
        self.start()

    def start(self):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.received.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def events(self):
        with self.lock:
            return [(h, json.loads(b)) for h, b in self.received]

    def wait_for(self, predicate, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.events()
            if predicate(got):
                return got
            time.sleep(0.05)
        return self.events()


def incident_ids(events, kind="incident_created"):
    return [e["data"]["id"] for _, e in events if e.get("type") == kind]


class Exports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        s = cls.server = Server(NCC, extra=["--cap-sender", "ncc@test.example", "--eido-issuer", "ncc.test.example"])
        s.add_user("fire_sup", "fire", ["supervisor"], "secret")
        s.add_user("police_sup_r", "police", ["supervisor"], "restricted")
        s.add_user("police_disp", "police", ["dispatcher"], "secret")
        for role in ROLES:
            s.add_user(f"m-{role}", "police", [role], "secret")
        done = subprocess.run([NCC, "apikey", "add", "--data", s.data_dir, "--agency", "police",
                               "--lane", "alarms", "--clearance", "restricted", "gw-cap"],
                              capture_output=True, text=True, check=True)
        cls.cap_key = done.stdout.strip().split()[-1]
        s.start()
        for code, kind in (("police", "police"), ("fire", "fire")):
            status, body = s.request("POST", "/api/v1/agencies", {"code": code, "name": code.title(), "kind": kind})
            assert status == 201, body
        cls.tokens = {name: s.login(name) for name in ["fire_sup", "police_sup_r", "police_disp"] +
                      [f"m-{r}" for r in ROLES]}
        cls.ids = {}
        for key, cls_name in (("public", "public"), ("restricted", "restricted"), ("shared", "restricted"),
                              ("confidential", "confidential"), ("secret", "secret")):
            cls.ids[key] = cls.create(cls_name, summary=f"{key} incident\nsecond line")
        status, body = s.request("POST", f"/api/v1/incidents/{cls.ids['shared']}/shares", {"agency": "fire"})
        assert status == 201, body

    @classmethod
    def create(cls, classification, agency="police", token=None, summary="x", type_="police.robbery"):
        status, body = cls.server.request("POST", "/api/v1/incidents", {
            "type": type_, "priority": 2, "agency": agency, "classification": classification,
            "location": {"lat": 25.2867, "lon": 51.5333}, "address": "Souq Waqif & Co <gate 3>",
            "summary": summary}, token=token)
        assert status == 201, body
        return body["id"]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def get(self, path, token=None):
        conn = self.server.connection()
        try:
            hdrs = {"Authorization": "Bearer " + (token or self.server.token)}
            conn.request("GET", path, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type"), resp.read().decode()
        finally:
            conn.close()

    # --- CAP -------------------------------------------------------------------------------

    def test_cap_export_validates_against_the_oasis_schema(self):
        self.assertTrue(os.path.exists(CAP_XSD), CAP_XSD)
        iid = self.ids["public"]
        status, ctype, xml = self.get(f"/api/v1/incidents/{iid}/cap")
        self.assertEqual(status, 200, xml)
        self.assertTrue(ctype.startswith("application/cap+xml"), ctype)
        ok, why = xmllint(xml)
        self.assertTrue(ok, why + xml)
        root = ET.fromstring(xml)
        self.assertEqual(root.tag, CAP_NS + "alert")
        self.assertEqual(root.find(CAP_NS + "identifier").text, f"ncc-ncc@test.example-incident-{iid}")
        self.assertEqual(root.find(CAP_NS + "sender").text, "ncc@test.example")
        self.assertEqual(root.find(CAP_NS + "msgType").text, "Alert")
        self.assertEqual(root.find(CAP_NS + "scope").text, "Public")
        self.assertRegex(root.find(CAP_NS + "sent").text, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
        info = root.find(CAP_NS + "info")
        self.assertEqual(info.find(CAP_NS + "category").text, "Security")
        self.assertEqual(info.find(CAP_NS + "headline").text, "public incident")
        area = info.find(CAP_NS + "area")
        self.assertEqual(area.find(CAP_NS + "areaDesc").text, "Souq Waqif & Co <gate 3>")
        self.assertEqual(area.find(CAP_NS + "circle").text, "25.286700,51.533300 0")
        # Stable: the same state gives the same document.
        self.assertEqual(self.get(f"/api/v1/incidents/{iid}/cap")[2], xml)

        # A change makes it an Update that references the first alert; still valid.
        status, body = self.server.request("POST", f"/api/v1/incidents/{iid}/status", {"status": "dispatched"})
        self.assertEqual(status, 200, body)
        status, _, xml2 = self.get(f"/api/v1/incidents/{iid}/cap")
        ok, why = xmllint(xml2)
        self.assertTrue(ok, why + xml2)
        root2 = ET.fromstring(xml2)
        self.assertEqual(root2.find(CAP_NS + "msgType").text, "Update")
        self.assertEqual(root2.find(CAP_NS + "identifier").text,
                         f"ncc-ncc@test.example-incident-{iid}-{body['seq']}")
        refs = root2.find(CAP_NS + "references").text.split(",")
        self.assertEqual(refs[:2], ["ncc@test.example", f"ncc-ncc@test.example-incident-{iid}"])
        self.assertEqual(refs[2], root.find(CAP_NS + "sent").text)

    def test_cap_feed_holds_what_the_caller_may_export(self):
        atom = "{http://www.w3.org/2005/Atom}"

        def feed(token=None, query="?status=open"):
            status, ctype, text = self.get("/api/v1/incidents/cap" + query, token=token)
            self.assertEqual(status, 200, text)
            self.assertTrue(ctype.startswith("application/atom+xml"), ctype)
            root = ET.fromstring(text)
            self.assertEqual(root.tag, atom + "feed")
            alerts = [e.find(atom + "content").find(CAP_NS + "alert") for e in root.findall(atom + "entry")]
            ids = set()
            for alert in alerts:
                ET.register_namespace("", CAP_NS[1:-1])
                ok, why = xmllint(ET.tostring(alert, encoding="unicode"))
                self.assertTrue(ok, why)
                ident = alert.find(CAP_NS + "identifier").text
                ids.add(int(ident.split("-incident-")[1].split("-")[0]))
            return ids

        mine = feed()
        for key in ("public", "restricted", "shared", "confidential", "secret"):
            self.assertIn(self.ids[key], mine, key)
        partner = feed(self.tokens["fire_sup"])
        self.assertIn(self.ids["shared"], partner)
        self.assertNotIn(self.ids["restricted"], partner)
        low = feed(self.tokens["police_sup_r"])
        self.assertNotIn(self.ids["confidential"], low)
        self.assertIn(self.ids["restricted"], low)
        status, _, body = self.get("/api/v1/incidents/cap", token=self.tokens["police_disp"])
        self.assertEqual(status, 403, body)
        status, _, body = self.get("/api/v1/incidents/cap?status=nope")
        self.assertEqual(status, 400, body)
        status, page = self.server.request("GET", "/api/v1/events?after=0&limit=1000")
        self.assertTrue([e for e in page["items"] if e["type"] == "records_read"
                         and e["data"]["via"] == "GET /api/v1/incidents/cap"
                         and f"incident:{self.ids['confidential']}" in e["data"]["records"]])

    def test_cap_restricted_incident_is_restricted_scope(self):
        status, _, xml = self.get(f"/api/v1/incidents/{self.ids['shared']}/cap")
        self.assertEqual(status, 200, xml)
        ok, why = xmllint(xml)
        self.assertTrue(ok, why)
        root = ET.fromstring(xml)
        self.assertEqual(root.find(CAP_NS + "scope").text, "Restricted")
        self.assertIn("shared with fire", root.find(CAP_NS + "restriction").text)

    # --- EIDO ------------------------------------------------------------------------------

    def test_eido_export_has_what_the_schema_requires(self):
        # The schema is OpenAPI YAML (no YAML parser in the standard library): the required fields
        # below are copied from its `required:` lists, and every property we emit must be one the
        # schema names.
        with open(EIDO_SCHEMA) as f:
            schema = f.read()
        names = set(re.findall(r"^\s+'?([$@A-Za-z][A-Za-z$@]*)'?:\s*$", schema, re.M))
        status, body = self.server.request("GET", f"/api/v1/incidents/{self.ids['shared']}/eido")
        self.assertEqual(status, 200, body)
        prologue = ["$id", "lastUpdateTimeStamp", "updatedByAgencyReference"]
        required = {
            None: prologue + ["eidoVersion", "issuingElementIdentification", "agencyComponent"],
            "incidentComponent": prologue + ["incidentTypeCommonRegistryText"],
            "agencyComponent": prologue + ["agencyRoleDescriptionRegistryText", "agencyType"],
            "locationComponent": prologue + ["locationTypeDescriptionRegistryText"],
            "notesComponent": prologue + ["notesActionComments"],
        }

        def check(obj, need, where):
            for key in need:
                self.assertIn(key, obj, f"{where} lacks {key}")
            for key in obj:
                self.assertIn(key, names, f"{where}.{key} is not a property of the EIDO schema")

        check(body, required[None], "eido")
        self.assertEqual(body["eidoVersion"], "1.0")
        self.assertEqual(body["issuingElementIdentification"], "ncc.test.example")
        check(body["incidentComponent"], required["incidentComponent"], "incidentComponent")
        for part in ("agencyComponent", "locationComponent", "notesComponent"):
            self.assertIsInstance(body[part], list)
            for k, item in enumerate(body[part]):
                check(item, required[part], f"{part}[{k}]")
                self.assertRegex(item["lastUpdateTimeStamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[-+]\d\d:\d\d)$")
                self.assertIsInstance(item["updatedByAgencyReference"]["$ref"], str)
        owners = [a for a in body["agencyComponent"] if a.get("incidentOwningAgencyIndicator")]
        self.assertEqual([a["$id"] for a in owners], ["police.ncc.test.example"])
        self.assertIn("fire.ncc.test.example", [a["$id"] for a in body["agencyComponent"]])
        # References resolve inside the document.
        ids = {c["$id"] for part in ("locationComponent", "notesComponent") for c in body[part]}
        for ref in body["incidentComponent"]["locationReference"] + body["incidentComponent"]["notesReference"]:
            self.assertIn(ref["$ref"], ids)
        # The location is PIDF-LO with a GML point, as that EIDO version carries it.
        pidf = ET.fromstring(body["locationComponent"][0]["locationByValue"])
        self.assertEqual(pidf.tag, "{urn:ietf:params:xml:ns:pidf}presence")
        pos = pidf.find(".//{http://www.opengis.net/gml}pos").text.split()
        self.assertEqual([float(x) for x in pos], [25.2867, 51.5333])
        statuses = body["incidentComponent"]["incidentStatusCommonRegistryText"]
        self.assertIsInstance(statuses, list)
        self.assertIn("Active", statuses)
        for a in body["agencyComponent"]:
            self.assertIsInstance(a["agencyType"], list)
            self.assertIsInstance(a["agencyRoleDescriptionRegistryText"], list)

    # --- Authorization ---------------------------------------------------------------------

    def test_not_visible_is_404_visible_without_right_is_403(self):
        t = self.tokens
        cases = [
            ("police supervisor, own restricted", None, "restricted", 200),
            ("fire supervisor, police restricted not shared", t["fire_sup"], "restricted", 404),
            ("fire supervisor, police restricted shared with fire", t["fire_sup"], "shared", 200),
            ("police dispatcher, own restricted", t["police_disp"], "restricted", 403),
            ("supervisor cleared restricted, confidential", t["police_sup_r"], "confidential", 404),
            ("supervisor cleared restricted, secret", t["police_sup_r"], "secret", 404),
        ]
        for what, token, key, expected in cases:
            for fmt in ("cap", "eido"):
                status, _, body = self.get(f"/api/v1/incidents/{self.ids[key]}/{fmt}", token=token)
                self.assertEqual(status, expected, f"{what} {fmt}: {body}")
        status, _, _ = self.get("/api/v1/incidents/999999/eido")
        self.assertEqual(status, 404)

    def test_every_role_follows_the_table(self):
        granted, _ = TABLE["export.read"]
        readers, _ = TABLE["incident.read"]
        for role in ROLES:
            # A role that grants export.read nowhere is refused by the router before the record.
            expected = 200 if role in granted and role in readers else 403
            for fmt in ("cap", "eido"):
                status, _, body = self.get(f"/api/v1/incidents/{self.ids['restricted']}/{fmt}",
                                           token=self.tokens[f"m-{role}"])
                self.assertEqual(status, expected, f"{role} {fmt}: {body}")

    def test_confidential_export_is_audited(self):
        iid = self.ids["confidential"]
        status, _, _ = self.get(f"/api/v1/incidents/{iid}/eido")
        self.assertEqual(status, 200)
        status, page = self.server.request("GET", "/api/v1/events?after=0&limit=1000")
        self.assertEqual(status, 200, page)
        reads = [e for e in page["items"] if e["type"] == "records_read"
                 and f"incident:{iid}" in e["data"]["records"] and e["data"]["via"].endswith("/eido")]
        self.assertTrue(reads, "no records_read for the confidential export")
        self.assertEqual(reads[-1]["actor"], "tester")

    # --- CAP import ------------------------------------------------------------------------

    def post_cap(self, xml, key=None, content_type="application/cap+xml", token=False):
        headers = {"Content-Type": content_type}
        if token is False:
            headers["Authorization"] = "ApiKey " + (key or self.cap_key)
            return self.server.request("POST", "/api/v1/cap", raw=xml.encode(), headers=headers, token=False)
        return self.server.request("POST", "/api/v1/cap", raw=xml.encode(), headers=headers, token=token)

    @staticmethod
    def fresh(xml):
        """The alert as if sent now (the intake takes alarms of the last 24 h only)."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S-00:00", time.gmtime())
        return re.sub(r"<sent>[^<]*</sent>", f"<sent>{now}</sent>", xml, count=1)

    def read_cap(self, name):
        with open(os.path.join(DATA, "cap", "oasiscap", name)) as f:
            return f.read()

    def test_cap_import_of_real_alerts(self):
        circle = self.read_cap("v1dot2_appendix_adot3.xml")  # <circle>32.9525,-115.5527 0</circle>
        status, body = self.post_cap(self.fresh(circle))
        self.assertEqual(status, 201, body)
        self.assertEqual(body["outcome"], "opened")
        self.assertEqual(body["cap"]["placed_from"], "alert.info[0].area[0].circle[0]")
        status, incident = self.server.request("GET", f"/api/v1/incidents/{body['incident']}")
        self.assertEqual(status, 200, incident)
        self.assertAlmostEqual(incident["location"]["lat"], 32.9525)
        self.assertAlmostEqual(incident["location"]["lon"], -115.5527)
        self.assertEqual(incident["agency"], "police")
        self.assertIn(body["id"], [src["id"] for src in incident["sources"]])
        # The same alert again is recognised by its identifier.
        status, again = self.post_cap(self.fresh(circle))
        self.assertIn(status, (200, 201), again)
        self.assertEqual(again["incident"], body["incident"])
        self.assertNotEqual(again["outcome"], "opened")
        # A real IPAWS alert placed by its polygon; a CAP 1.1 alert.
        for name in ("ipaws-5e7e0fc5023f1930efcf3deb.xml", "v1dot1_appendix_adot3.xml"):
            status, body = self.post_cap(self.fresh(self.read_cap(name)))
            self.assertIn(status, (200, 201), (name, body))

    def test_cap_import_refuses_with_the_element_named(self):
        status, body = self.post_cap(self.read_cap("v1dot2_appendix_adot2.xml"))  # sent in 2003
        self.assertEqual((status, body["error"]["field"]), (422, "alert.sent"), body)
        status, body = self.post_cap(self.fresh(self.read_cap("v1dot2_appendix_adot1.xml")))  # geocodes only
        self.assertEqual((status, body["error"]["field"]), (400, "alert.info[0].area"), body)
        status, body = self.post_cap(self.read_cap("v1dot0_appendix_adot2.xml"))
        self.assertEqual((status, body["error"]["field"]), (400, "alert"), body)
        bad_circle = self.fresh(self.read_cap("v1dot2_appendix_adot3.xml")).replace(
            "32.9525,-115.5527 0", "132.9525,-115.5527 0")
        status, body = self.post_cap(bad_circle)
        self.assertEqual((status, body["error"]["field"]), (400, "alert.info[0].area[0].circle[0]"), body)
        xxe = ('<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>')
        status, body = self.post_cap(xxe)
        self.assertEqual(status, 400, body)
        self.assertNotIn("root:", json.dumps(body))
        status, body = self.post_cap("<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><sender>")
        self.assertEqual((status, body["error"]["field"]), (400, "alert"), body)
        status, body = self.post_cap(self.fresh(self.read_cap("v1dot2_appendix_adot3.xml")),
                                     content_type="application/json")
        self.assertEqual(status, 415, body)
        for accepted in ("application/cap+xml", "application/xml", "text/xml"):
            self.assertIn(accepted, body["error"]["message"])
        # People do not post alerts: alarm.report is the gateway lane `alarms`.
        status, body = self.post_cap(self.fresh(self.read_cap("v1dot2_appendix_adot3.xml")), token=None)
        self.assertEqual(status, 403, body)

    # --- Webhooks --------------------------------------------------------------------------

    def test_webhook_registration_is_checked(self):
        status, body = self.server.request("POST", "/api/v1/webhooks", {"url": "http://10.1.2.3/in"})
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "url")
        for url in ("http://169.254.169.254/latest", "https://10.0.0.9/x", "ftp://127.0.0.1/x", "http://u:p@127.0.0.1/"):
            status, body = self.server.request("POST", "/api/v1/webhooks", {"url": url})
            self.assertEqual((status, body["error"]["field"]), (400, "url"), url)
        status, body = self.server.request("POST", "/api/v1/webhooks",
                                           {"url": "http://127.0.0.1:9/", "events": ["incident_created", "nope"]})
        self.assertEqual((status, body["error"]["field"]), (400, "events[1]"), body)
        status, body = self.server.request("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:9/"},
                                           token=self.tokens["police_disp"])
        self.assertEqual(status, 403, body)

    def test_webhook_delivers_what_its_principal_may_see_in_order_across_outages_and_kill9(self):
        s = self.server
        rx = Receiver()
        sup = self.tokens["police_sup_r"]  # police supervisor cleared restricted only
        status, hook = s.request("POST", "/api/v1/webhooks", {
            "url": f"http://127.0.0.1:{rx.port}/ncc?x=1", "events": ["incident_created", "incident_status_changed"]},
            token=sup)
        self.assertEqual(status, 201, hook)
        secret = hook["secret"]
        self.assertTrue(secret.startswith("whsec_"))
        status, listed = s.request("GET", "/api/v1/webhooks", token=sup)
        self.assertEqual(status, 200)
        self.assertIn(hook["id"], [h["id"] for h in listed["items"]])
        self.assertNotIn(secret, json.dumps(listed))
        status, other = s.request("GET", "/api/v1/webhooks", token=self.tokens["fire_sup"])
        self.assertNotIn(hook["id"], [h["id"] for h in other["items"]])

        mine = self.create("restricted", summary="hook-1")
        not_mine = self.create("restricted", agency="fire", token=self.tokens["fire_sup"], summary="fire-only")
        above = self.create("confidential", summary="above clearance")
        mine2 = self.create("public", summary="hook-2")
        got = rx.wait_for(lambda ev: mine2 in incident_ids(ev))
        ids = incident_ids(got)
        self.assertEqual(ids, [mine, mine2], got)
        self.assertNotIn(not_mine, ids)
        self.assertNotIn(above, ids)
        for headers, body in rx.received:
            expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            self.assertEqual(headers["X-Ncc-Signature"], expected)
            self.assertEqual(headers["X-Ncc-Webhook"], str(hook["id"]))
        # Same shape as the stream: the event's type, seq and body.
        first = got[0][1]
        self.assertEqual(first["type"], "incident_created")
        self.assertIn("seq", first)

        # Receiver down for a while: nothing is lost, order is kept.
        rx.stop()
        down = [self.create("restricted", summary=f"down-{k}") for k in range(5)]
        time.sleep(1.5)
        rx.start()  # same port
        got = rx.wait_for(lambda ev: down[-1] in incident_ids(ev))
        ids = incident_ids(got)
        self.assertEqual([i for i in ids if i in down], down, ids)
        seqs = [e["seq"] for _, e in got]
        self.assertEqual(seqs, sorted(seqs), "out of order")

        # Server kill -9 while undelivered events wait: delivery resumes from the durable cursor.
        rx.stop()
        pending = [self.create("restricted", summary=f"kill-{k}") for k in range(3)]
        time.sleep(0.5)
        s.kill9()
        rx.start()
        s.start()
        got = rx.wait_for(lambda ev: pending[-1] in incident_ids(ev))
        ids = incident_ids(got)
        for i in pending:
            self.assertIn(i, ids)
        first_seen = []
        for i in ids:
            if i not in first_seen:
                first_seen.append(i)
        self.assertEqual(first_seen, sorted(first_seen))
        self.assertEqual([i for i in first_seen if i in down + pending], down + pending)

        # The secret is nowhere in the event log or the server's output.
        status, page = s.request("GET", "/api/v1/events?after=0&limit=1000")
        text = json.dumps(page)
        self.assertIn("webhook_registered", text)
        self.assertNotIn(secret, text)
        self.assertNotIn(secret, s.read_log())
        # Every file of the data folder (the log, its WAL, snapshots, auth.db) but webhooks.db.
        for name in os.listdir(s.data_dir):
            path = os.path.join(s.data_dir, name)
            if name.startswith("webhooks.db") or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                self.assertNotIn(secret.encode(), f.read(), name)
        mode = os.stat(os.path.join(s.data_dir, "webhooks.db")).st_mode & 0o777
        self.assertEqual(mode, 0o600)

        # Removed: nothing more is delivered; it is logged.
        status, body = s.request("DELETE", f"/api/v1/webhooks/{hook['id']}", token=self.tokens["fire_sup"])
        self.assertEqual(status, 404, body)  # another agency's subscription is not disclosed
        status, body = s.request("DELETE", f"/api/v1/webhooks/{hook['id']}", token=sup)
        self.assertEqual(status, 200, body)
        before = len(rx.received)
        after_removal = self.create("restricted", summary="after removal")
        time.sleep(1.0)
        self.assertNotIn(after_removal, incident_ids(rx.events()))
        self.assertEqual(len(rx.received), before)
        rx.stop()


if __name__ == "__main__":
    main()
