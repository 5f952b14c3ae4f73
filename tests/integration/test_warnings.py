"""Public warnings out (issue 16, "CAP public warning out") through a real `ncc serve` started
with a signing key:
- a supervisor issues a warning in Arabic and English over a polygon; its CAP 1.2 document is
  public, valid against OASIS's schema (xmllint) and signed (xmlsec1 verifies it against the
  centre's certificate, and refuses it once a byte changed);
- an Update and a Cancel reference the chain before them; the replaced warning is superseded,
  then cancelled, and cannot be replaced twice; another agency cannot replace it;
- the Atom feed carries the current warnings with their signed alerts (each verifiable when cut
  out), answers 304 to its ETag, and changes when a warning is issued;
- only supervisors issue; every operational role of every agency reads them;
- bad requests are refused naming the field; a retried request (Idempotency-Key) issues once;
- the centre's own warning posted back to its CAP intake is never imported;
- after kill -9 the warnings and their signed documents are the same bytes."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import main, Server

NCC = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("NCC_DATA_DIR") or os.path.join(ROOT, "..", "shared", "data")
XSD = os.path.join(DATA, "cap", "ibm-cap", "CAP-v1.2.xsd")
SENDER = "ncc@warnings.test"

# An operator's warning: the area drawn around the Marina Green (north San Francisco).
FLOOD = {
    "category": "Met", "urgency": "Expected", "severity": "Severe", "certainty": "Likely",
    "audience": "residents and visitors of the Marina",
    "area": {"description": "Marina Green, San Francisco",
             "polygon": [[37.8090, -122.4440], [37.8090, -122.4330], [37.8040, -122.4330],
                         [37.8040, -122.4440]]},
    "info": [
        {"language": "ar", "event": "تحذير من ارتفاع المد", "headline": "فيضان متوقع في مارينا غرين",
         "instruction": "ابتعدوا عن الواجهة البحرية"},
        {"language": "en", "event": "Coastal flood warning", "headline": "Flooding expected at Marina Green",
         "description": "King tide & storm surge <tonight>", "instruction": "Keep away from the seafront"},
    ]}


def update_of(ref):
    body = dict(FLOOD, msg_type="Update", references=ref, severity="Extreme")
    body["area"] = {"description": "Marina District", "circle": {"lat": 37.806, "lon": -122.437, "radius_km": 1.5}}
    return body


def cancel_of(ref):
    return {"msg_type": "Cancel", "references": ref, "category": "Met", "urgency": "Past",
            "severity": "Minor", "certainty": "Observed"}


class Warnings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ncc-warn-")
        cls.key, cls.cert = os.path.join(cls.tmp, "centre.key"), os.path.join(cls.tmp, "centre.pem")
        cls.other = os.path.join(cls.tmp, "other.pem")
        for key, cert, cn in [(cls.key, cls.cert, "ncc-centre"), (os.path.join(cls.tmp, "o.key"), cls.other, "x")]:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                            "/CN=" + cn, "-keyout", key, "-out", cert], check=True, capture_output=True)
        cls.s = s = Server(NCC, extra=["--cap-sender", SENDER, "--cap-sign-key", cls.key, "--cap-sign-cert", cls.cert])
        s.add_user("duty", "civil_defence", ["supervisor"])
        s.add_user("desk", "civil_defence", ["dispatcher"])
        s.add_user("fire-sup", "fire", ["supervisor"])
        s.add_user("fire-ct", "fire", ["call_taker"])
        done = subprocess.run([NCC, "apikey", "add", "--data", s.data_dir, "--agency", "civil_defence",
                               "--lane", "alarms", "--clearance", "restricted", "gw-cap"],
                              capture_output=True, text=True, check=True)
        cls.cap_key = done.stdout.strip().split()[-1]
        s.start()
        for code, name, kind in [("civil_defence", "Civil Defence", "civil_defence"), ("fire", "Fire", "fire")]:
            status, body = s.request("POST", "/api/v1/agencies", {"code": code, "name": name, "kind": kind})
            assert status == 201, body
        cls.sign_in()

    @classmethod
    def sign_in(cls):
        cls.tokens = {name: cls.s.login(name) for name in ["duty", "desk", "fire-sup", "fire-ct"]}

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def call(self, who, method, path, body=None, headers=None):
        return self.s.request(method, path, body, token=self.tokens[who], headers=headers)

    def issue(self, body, who="duty"):
        status, answer = self.call(who, "POST", "/api/v1/alerts", body)
        self.assertEqual(status, 201, answer)
        return answer

    def public(self, path, headers=None):
        """A GET with no credentials at all, as a public subscriber would."""
        conn = self.s.connection()
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def xmlsec_verifies(self, xml, cert):
        path = os.path.join(self.tmp, "check.xml")
        with open(path, "wb") as f:
            f.write(xml)
        return subprocess.run(["xmlsec1", "--verify", "--trusted-pem", cert, path],
                              capture_output=True).returncode == 0

    def schema_valid(self, xml):
        path = os.path.join(self.tmp, "schema.xml")
        with open(path, "wb") as f:
            f.write(xml)
        done = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", XSD, path], capture_output=True, text=True)
        return done.returncode == 0, done.stderr

    def test_a_warning_is_public_valid_and_signed(self):
        issued = self.issue(FLOOD)
        self.assertEqual(issued["identifier"], f"ncc-{SENDER}-warning-{issued['id']}")
        status, headers, xml = self.public(issued["cap"])
        self.assertEqual(status, 200, xml)
        self.assertTrue(headers["Content-Type"].startswith("application/cap+xml"))
        text = xml.decode()
        for piece in ["<scope>Public</scope>", "<msgType>Alert</msgType>", "<language>ar</language>",
                      "فيضان متوقع في مارينا غرين", "King tide &amp; storm surge &lt;tonight&gt;",
                      "<senderName>civil_defence</senderName>", f"<sender>{SENDER}</sender>"]:
            self.assertIn(piece, text)
        if os.path.exists(XSD):
            ok, why = self.schema_valid(xml)
            self.assertTrue(ok, why)
        self.assertTrue(self.xmlsec_verifies(xml, self.cert), text)
        self.assertFalse(self.xmlsec_verifies(xml, self.other), "another key must not verify it")
        tampered = xml.replace("Severe".encode(), "Minor".encode(), 1)
        self.assertFalse(self.xmlsec_verifies(tampered, self.cert), "an altered warning must fail")
        # The same bytes on every read.
        self.assertEqual(self.public(issued["cap"])[2], xml)

    def test_update_and_cancel_follow_the_chain(self):
        first = self.issue(FLOOD)
        update = self.issue(update_of(first["id"]))
        status, old = self.call("duty", "GET", f"/api/v1/alerts/{first['id']}")
        self.assertEqual((status, old["state"], old["replaced_by"], old["current"]),
                         (200, "superseded", update["id"], False), old)
        xml = self.public(update["cap"])[2].decode()
        self.assertIn("<msgType>Update</msgType>", xml)
        first_sent = re.search(r"<sent>([^<]*)</sent>", self.public(first["cap"])[2].decode()).group(1)
        self.assertIn(f"<references>{SENDER},ncc-{SENDER}-warning-{first['id']},{first_sent}</references>", xml)
        self.assertIn("<circle>37.806000,-122.437000 1.500</circle>", xml)
        # The superseded warning cannot be replaced again: the chain goes on from its latest.
        status, body = self.call("duty", "POST", "/api/v1/alerts", cancel_of(first["id"]))
        self.assertEqual((status, body["error"]["field"]), (409, "references"), body)
        self.assertIn(f"superseded by warning {update['id']}", body["error"]["message"])
        # Another agency's supervisor cannot cancel it.
        status, body = self.call("fire-sup", "POST", "/api/v1/alerts", cancel_of(update["id"]))
        self.assertEqual((status, body["error"]["field"]), (403, "references"), body)
        cancel = self.issue(cancel_of(update["id"]))
        xml = self.public(cancel["cap"])[2].decode()
        self.assertIn("<msgType>Cancel</msgType>", xml)
        self.assertIn(f"ncc-{SENDER}-warning-{first['id']}", xml)  # the whole chain, oldest first
        self.assertLess(xml.index(f"warning-{first['id']},"), xml.index(f"warning-{update['id']},"))
        if os.path.exists(XSD):
            ok, why = self.schema_valid(xml.encode())
            self.assertTrue(ok, why)
        status, now = self.call("fire-ct", "GET", f"/api/v1/alerts/{update['id']}")
        self.assertEqual((status, now["state"]), (200, "cancelled"), now)
        status, listed = self.call("fire-ct", "GET", "/api/v1/alerts")
        ids = [w["id"] for w in listed["items"]]
        self.assertIn(cancel["id"], ids)
        self.assertNotIn(update["id"], ids)
        self.assertNotIn(first["id"], ids)
        status, everything = self.call("fire-ct", "GET", "/api/v1/alerts?state=all")
        self.assertTrue({first["id"], update["id"], cancel["id"]} <= {w["id"] for w in everything["items"]})

    def feed_updated(self):
        status, headers, feed = self.public("/api/v1/alerts/feed")
        self.assertEqual(status, 200, feed)
        found = re.search(r"<feed [^>]*>.*?<updated>([^<]+)</updated>", feed.decode(), re.S)
        self.assertIsNotNone(found, feed[:400])
        return found.group(1), headers["ETag"]

    def test_0_a_feed_that_never_carried_a_warning_dates_from_the_log(self):
        # Runs first (name order): no warning has been issued yet on this server.
        updated, tag = self.feed_updated()
        status, page = self.call("duty", "GET", "/api/v1/events?after=0&limit=100")
        self.assertEqual(status, 200, page)
        first_seen = page["items"][0]["time"]  # the first event this reader may see
        self.assertFalse(updated.startswith("1970"), updated)
        self.assertLessEqual(updated[:19], first_seen[:19])
        started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 600))
        self.assertGreater(updated[:19], started)
        self.assertEqual(self.feed_updated(), (updated, tag))  # the same bytes on every read

    def test_an_expired_warning_moves_the_feed(self):
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
        self.issue(dict(FLOOD, expires=soon, audience="kayakers at the Marina"))
        before, tag = self.feed_updated()
        deadline = time.time() + 10
        while time.time() < deadline:
            updated, now_tag = self.feed_updated()
            if updated[:19] == soon[:19]:
                break
            time.sleep(0.5)
        self.assertEqual(updated[:19], soon[:19], f"feed still says {updated} after the warning expired")
        self.assertNotEqual(now_tag, tag)
        self.assertGreater(updated, before)

    def test_the_feed_carries_current_signed_alerts_with_an_etag(self):
        issued = self.issue(FLOOD)
        status, headers, feed = self.public("/api/v1/alerts/feed")
        self.assertEqual(status, 200, feed)
        self.assertTrue(headers["Content-Type"].startswith("application/atom+xml"))
        text = feed.decode()
        self.assertIn('<feed xmlns="http://www.w3.org/2005/Atom">', text)
        self.assertIn(f"<id>urn:ncc:ncc-{SENDER}-warning-{issued['id']}</id>", text)
        self.assertIn(f'href="/api/v1/alerts/{issued["id"]}/cap"', text)
        subprocess.run(["xmllint", "--noout", "-"], input=feed, check=True)  # well-formed
        # Each alert, cut out of the feed, verifies as it is.
        alerts = re.findall(r'<content type="application/cap\+xml">(<alert .*?</alert>)</content>', text, re.S)
        self.assertGreaterEqual(len(alerts), 1)
        for alert in alerts:
            self.assertTrue(self.xmlsec_verifies(alert.encode(), self.cert), alert[:200])
        tag = headers["ETag"]
        status, _, body = self.public("/api/v1/alerts/feed", {"If-None-Match": tag})
        self.assertEqual((status, body), (304, b""))
        self.issue(dict(FLOOD, audience="boat owners at the Marina harbour"))
        status, headers, _ = self.public("/api/v1/alerts/feed", {"If-None-Match": tag})
        self.assertEqual(status, 200)
        self.assertNotEqual(headers["ETag"], tag)

    def test_who_issues_and_who_reads(self):
        for who in ["desk", "fire-ct"]:
            status, body = self.call(who, "POST", "/api/v1/alerts", FLOOD)
            self.assertEqual(status, 403, (who, body))
        issued = self.issue(FLOOD, who="fire-sup")
        for who in ["duty", "desk", "fire-ct"]:
            status, body = self.call(who, "GET", f"/api/v1/alerts/{issued['id']}")
            self.assertEqual((status, body["agency"]), (200, "fire"), (who, body))
        # The signed-in JSON is not public; the CAP document is.
        status, _, _ = self.public(f"/api/v1/alerts/{issued['id']}")
        self.assertEqual(status, 401)
        status, _, _ = self.public("/api/v1/alerts/999999/cap")
        self.assertEqual(status, 404)
        # Its event reaches another agency's readers.
        status, events = self.call("duty", "GET", f"/api/v1/events?after={issued['seq'] - 1}&limit=5")
        self.assertEqual(status, 200, events)
        self.assertIn("warning_issued", [e["type"] for e in events["items"]])

    def test_bad_requests_name_the_field(self):
        bad_polygon = dict(FLOOD, area={"description": "x", "polygon": [[37.8, -122.4], [37.81, -122.4], [95, -122.4]]})
        cases = [
            (bad_polygon, "area.polygon[2].lat"),
            (dict(FLOOD, colour="red"), "colour"),
            (dict(FLOOD, severity="Catastrophic"), "severity"),
            (dict(FLOOD, info=[dict(FLOOD["info"][0], language="fr")]), "info[0].language"),
            (dict(FLOOD, expires="2001-01-01T00:00:00Z"), "expires"),
            (dict(FLOOD, msg_type="Update"), "references"),
            (cancel_of(987654), "references"),
        ]
        for body, field in cases:
            status, answer = self.call("duty", "POST", "/api/v1/alerts", body)
            self.assertIn(status, (400, 404, 422), (body, answer))
            self.assertEqual(answer["error"]["field"], field, answer)
        status, answer = self.s.request("POST", "/api/v1/alerts", raw=b"{not json", token=self.tokens["duty"])
        self.assertEqual(status, 400, answer)

    def test_a_retry_issues_once(self):
        headers = {"Idempotency-Key": "warn-retry-1"}
        status, first = self.call("duty", "POST", "/api/v1/alerts", FLOOD, headers)
        self.assertEqual(status, 201, first)
        status, again = self.call("duty", "POST", "/api/v1/alerts", FLOOD, headers)
        self.assertEqual((status, again["id"]), (201, first["id"]), again)

    def test_own_warning_is_never_reimported(self):
        issued = self.issue(FLOOD)
        xml = self.public(issued["cap"])[2]
        status, body = self.s.request("POST", "/api/v1/cap", raw=xml, token=False,
                                      headers={"Content-Type": "application/cap+xml",
                                               "Authorization": "ApiKey " + self.cap_key})
        self.assertEqual((status, body["outcome"]), (200, "own"), body)

    def test_z_warnings_survive_kill_9(self):
        issued = self.issue(FLOOD)
        before = self.public(issued["cap"])[2]
        status, listed = self.call("duty", "GET", "/api/v1/alerts?state=all")
        self.s.kill9()
        self.s.start()
        self.sign_in()
        self.assertEqual(self.public(issued["cap"])[2], before)
        status, after = self.call("duty", "GET", "/api/v1/alerts?state=all")
        self.assertEqual(after["items"], listed["items"])


if __name__ == "__main__":
    main()
