"""CAP intake on partners' real alerts, over a real `ncc serve` (issue 16, findings 1-3, 6, 7):
- the declared encoding is honoured: "Usulután" in an ISO-8859-1 alert reaches the incident and
  the hash-chained log as UTF-8, never as U+FFFD;
- "+41.12,-117.61" (CAP's pattern allows the sign) is accepted;
- an alert placed only by geocode is placed from the --cap-areas table, refused naming the
  geocode when the table lacks it;
- type and priority come from --cap-rules and the built-in defaults, not always call/3;
- Update and Cancel act on the incident of the alert they reference (the sender's own only);
  this centre's own alerts relayed back are never imported;
- an undefined entity (&xxe; without a DOCTYPE) is refused as not well-formed;
- a broken --cap-areas or --cap-rules file stops the start, naming the field."""
import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from harness import main, Server

NCC = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("NCC_DATA_DIR") or os.path.join(ROOT, "..", "shared", "data")
OWN_SENDER = "ncc@test.example"

# A test fixture, not NWS zone MNZ020's real shape: a square around Grand Marais, MN.
AREAS = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Fixture square for MNZ020", "geocodes": {"UGC": ["MNZ020"]}},
     "geometry": {"type": "Polygon", "coordinates": [[[-90.5, 47.5], [-90.5, 48.0], [-90.0, 48.0],
                                                      [-90.0, 47.5], [-90.5, 47.5]]]}}]}
RULES = {"rules": [{"when": {"event": "Blizzard Warning"}, "type": "hazard.winter_storm", "priority": 2}]}


def read_cap(name):
    with open(os.path.join(DATA, "cap", "oasiscap", name), encoding="utf-8") as f:
        return f.read()


def fresh(xml, identifier=None):
    """The alert as if sent now (the intake takes alarms of the last 24 h only)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S-00:00", time.gmtime())
    xml = re.sub(r"<sent>[^<]*</sent>", f"<sent>{now}</sent>", xml, count=1)
    if identifier:
        xml = re.sub(r"<identifier>[^<]*</identifier>", f"<identifier>{identifier}</identifier>", xml, count=1)
    return xml


def moved(xml, lat):
    """The alert's circle moved to latitude `lat`: alerts at the same place would be correlated
    into one incident, and each test wants its own."""
    return xml.replace("32.9525,-115.5527 0", f"{lat},-115.5527 0")


def sent_of(xml):
    return re.search(r"<sent>([^<]*)</sent>", xml).group(1)


class CapServer(unittest.TestCase):
    """A real `ncc serve` with `extra` flags, the police agency and a gateway key (lane alarms)
    that posts alerts as a partner would."""

    @classmethod
    def start_server(cls, extra):
        s = cls.server = Server(NCC, extra=extra)
        done = subprocess.run([NCC, "apikey", "add", "--data", s.data_dir, "--agency", "police",
                               "--lane", "alarms", "--clearance", "restricted", "gw-cap"],
                              capture_output=True, text=True, check=True)
        cls.cap_key = done.stdout.strip().split()[-1]
        s.start()
        status, body = s.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
        assert status == 201, body

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def post_cap(self, xml, encoding="utf-8"):
        return self.server.request("POST", "/api/v1/cap", raw=xml.encode(encoding), token=False,
                                   headers={"Content-Type": "application/cap+xml",
                                            "Authorization": "ApiKey " + self.cap_key})


class CapIntake(CapServer):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ncc-cap-")
        cls.areas = os.path.join(cls.tmp, "areas.geojson")
        cls.rules = os.path.join(cls.tmp, "rules.json")
        with open(cls.areas, "w") as f:
            json.dump(AREAS, f)
        with open(cls.rules, "w") as f:
            json.dump(RULES, f)
        cls.start_server(["--cap-sender", OWN_SENDER, "--cap-areas", cls.areas, "--cap-rules", cls.rules])

    def incident(self, id_):
        status, body = self.server.request("GET", f"/api/v1/incidents/{id_}")
        self.assertEqual(status, 200, body)
        return body

    def test_declared_latin1_is_read_as_latin1(self):
        xml = moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "LATIN1-1"), 30.1)
        xml = re.sub(r'encoding\s*=\s*"UTF-8"', 'encoding="ISO-8859-1"', xml, count=1)
        xml = re.sub(r"<headline>[^<]*</headline>", "<headline>Sismo cerca de Usulután</headline>", xml, count=1)
        self.assertIn('encoding="ISO-8859-1"', xml)
        status, body = self.post_cap(xml, encoding="latin-1")
        self.assertEqual(status, 201, body)
        self.assertEqual(body["cap"]["encoding"], "ISO-8859-1")
        summary = self.incident(body["incident"])["summary"]
        self.assertIn("Usulután", summary)
        self.assertNotIn("\ufffd", summary)
        status, events = self.server.request("GET", f"/api/v1/events?after={body['seq'] - 1}&limit=5")
        self.assertEqual(status, 200, events)
        self.assertIn("Usulután", json.dumps(events, ensure_ascii=False))
        # Undeclared, the same bytes are not UTF-8: refused, never stored wrong.
        status, body = self.post_cap(xml.replace('encoding="ISO-8859-1"', 'encoding="UTF-8"'), encoding="latin-1")
        self.assertEqual((status, body["error"]["field"]), (400, "alert"), body)
        self.assertIn("is not UTF-8", body["error"]["message"])

    def test_signed_coordinates(self):
        xml = fresh(read_cap("v1dot2_appendix_adot3.xml"), "PLUS-1").replace(
            "32.9525,-115.5527 0", "+30.2,-115.5527 0")
        status, body = self.post_cap(xml)
        self.assertEqual(status, 201, body)
        self.assertAlmostEqual(self.incident(body["incident"])["location"]["lat"], 30.2)

    def nws(self):
        return next(n for n in os.listdir(os.path.join(DATA, "cap", "oasiscap")) if n.startswith("nws-"))

    def test_geocoded_alert_is_placed_from_the_area_table_and_typed_by_the_rules(self):
        xml = fresh(read_cap(self.nws()), "NWS-GEO-1")
        status, body = self.post_cap(xml)
        self.assertEqual(status, 201, body)
        self.assertIn(".geocode[", body["cap"]["placed_from"])
        self.assertEqual((body["cap"]["type"], body["cap"]["priority"], body["cap"]["rule"]),
                         ("hazard.winter_storm", 2, "rules[0]"))
        incident = self.incident(body["incident"])
        self.assertEqual(incident["type"], "hazard.winter_storm")
        self.assertEqual(incident["priority"], 2)
        self.assertAlmostEqual(incident["location"]["lat"], 47.75)
        # Without MNZ020 in the table the first unknown geocode is named.
        unknown = fresh(xml, "NWS-GEO-2").replace("MNZ020", "MNZ999")
        status, body = self.post_cap(unknown)
        self.assertEqual(status, 400, body)
        self.assertRegex(body["error"]["field"], r"^alert\.info\[0\]\.area\[0\]\.geocode\[\d+\]$")
        self.assertIn("is not in the area table", body["error"]["message"])

    def test_default_rules_type_by_category(self):
        # The real TriNet earthquake alert: category Geo, severity Minor, urgency Past.
        status, body = self.post_cap(moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "GEO-DEFAULT-1"), 30.3))
        self.assertEqual(status, 201, body)
        self.assertEqual((body["cap"]["type"], body["cap"]["rule"]), ("hazard.geo", "default"))
        self.assertEqual(self.incident(body["incident"])["type"], "hazard.geo")

    def cancel_of(self, original, identifier, sender=None):
        sender = sender or re.search(r"<sender>([^<]*)</sender>", original).group(1)
        ident = re.search(r"<identifier>([^<]*)</identifier>", original).group(1)
        xml = fresh(original, identifier)
        xml = re.sub(r"<sender>[^<]*</sender>", f"<sender>{sender}</sender>", xml, count=1)
        xml = re.sub(r"<references>[^<]*</references>", "", xml, count=1)
        xml = re.sub(r"<msgType>[^<]*</msgType>", "<msgType>Cancel</msgType>"
                     f"<references>{re.search(r'<sender>([^<]*)</sender>', original).group(1)},"
                          f"{ident},{sent_of(original)}</references>", xml, count=1)
        return xml

    def test_update_and_cancel_act_on_the_referenced_incident(self):
        # The real TriNet alert is an Update of an alert this centre never had: imported as news.
        original = moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "REF-1"), 30.4)
        status, body = self.post_cap(original)
        self.assertEqual(status, 201, body)
        incident = body["incident"]
        update = self.cancel_of(original, "REF-1-U").replace("<msgType>Cancel</msgType>", "<msgType>Update</msgType>")
        status, body = self.post_cap(update)
        self.assertEqual((status, body["outcome"], body["incident"]), (200, "updated", incident), body)
        # Another sender cannot cancel this sender's alert.
        status, body = self.post_cap(self.cancel_of(original, "REF-1-X", sender="mallory@example.org"))
        self.assertEqual((status, body["error"]["field"]), (404, "alert.references"), body)
        self.assertEqual(self.incident(incident)["status"], "new")
        status, body = self.post_cap(self.cancel_of(original, "REF-1-C"))
        self.assertEqual((status, body["outcome"], body["incident"]), (200, "cancelled", incident), body)
        self.assertEqual(self.incident(incident)["status"], "cancelled")
        status, body = self.post_cap(self.cancel_of(original, "REF-1-C2"))
        self.assertEqual((status, body["outcome"]), (200, "already_closed"), body)
        # A Cancel of an alert never received is named, not silently taken.
        status, body = self.post_cap(self.cancel_of(fresh(original, "NEVER-SEEN"), "REF-2-C"))
        self.assertEqual((status, body["error"]["field"]), (404, "alert.references"), body)

    def test_a_cancel_never_withdraws_another_senders_alert(self):
        # Two senders' alerts at one place are one incident; A's Cancel, even listing B's alert
        # among its references, leaves the incident open with a note.
        a = moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "MIX-A"), 30.7)
        b = re.sub(r"<sender>[^<]*</sender>", "<sender>other@example.org</sender>",
                   moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "MIX-B"), 30.7), count=1)
        status, first = self.post_cap(a)
        self.assertEqual(status, 201, first)
        status, second = self.post_cap(b)
        self.assertEqual((status, second["outcome"], second["incident"]), (200, "merged", first["incident"]), second)
        cancel = self.cancel_of(a, "MIX-A-C").replace(
            "</references>", f" other@example.org,MIX-B,{sent_of(b)}</references>", 1)
        status, body = self.post_cap(cancel)
        self.assertEqual((status, body["outcome"]), (200, "noted"), body)
        self.assertEqual(self.incident(first["incident"])["status"], "new")

    def test_the_real_ipaws_cancel_without_its_alert_is_refused_by_reference(self):
        name = "ipaws-5e6dd9de023f1930ef6548d9.xml"
        status, body = self.post_cap(fresh(read_cap(name)))
        self.assertEqual((status, body["error"]["field"]), (404, "alert.references"), body)

    def test_own_alerts_are_never_reimported(self):
        status, before = self.server.request("GET", "/api/v1/events?after=0&limit=1000")
        self.assertEqual(status, 200, before)
        xml = re.sub(r"<sender>[^<]*</sender>", f"<sender>{OWN_SENDER}</sender>",
                     moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "OWN-1"), 30.5), count=1)
        status, body = self.post_cap(xml)
        self.assertEqual((status, body["outcome"]), (200, "own"), body)
        self.assertNotIn("incident", body)
        status, after = self.server.request("GET", "/api/v1/events?after=0&limit=1000")
        self.assertEqual(json.dumps(after), json.dumps(before), "nothing was written")

    def test_envelopes_and_feeds(self):
        # A real alert in an EDXL-DE envelope (finding 5): unwrapped and imported.
        alert = moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "EDXL-1"), 30.6)
        alert = alert[alert.index("<alert"):]
        envelope = ('<?xml version="1.0" encoding="UTF-8"?><EDXLDistribution '
                    'xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0"><distributionID>d-1</distributionID>'
                    '<contentObject><xmlContent><embeddedXMLContent>' + alert +
                    '</embeddedXMLContent></xmlContent></contentObject></EDXLDistribution>')
        status, body = self.post_cap(envelope)
        self.assertEqual((status, body["kind"]), (200, "edxl-de"), body)
        self.assertEqual((body["items"][0]["status"], body["items"][0]["outcome"]), (201, "opened"), body)
        self.assertEqual(body["items"][0]["where"], "EDXLDistribution.contentObject[0]")
        # NWS's real Atom index links its alerts: the server does not fetch; it says who does.
        with open(os.path.join(DATA, "cap", "ibm-cap", "nws_atom_feed_example.xml"), encoding="utf-8") as f:
            index = f.read()
        status, body = self.post_cap(index)
        self.assertEqual((status, body["error"]["field"]), (422, "feed.entry"), body)
        self.assertIn("cap-gateway", body["error"]["message"])
        # ncc's own Atom export posted back (finding 6): every alert is recognised as its own.
        status, created = self.server.request("POST", "/api/v1/incidents", {
            "type": "fire.structure", "priority": 2, "location": {"lat": 25.2, "lon": 51.5},
            "summary": "own export"})
        self.assertEqual(status, 201, created)
        conn = self.server.connection()
        conn.request("GET", "/api/v1/incidents/cap?status=open", headers={"Authorization": "Bearer " + self.server.token})
        resp = conn.getresponse()
        exported = resp.read().decode()
        conn.close()
        self.assertEqual(resp.status, 200, exported)
        status, body = self.post_cap(exported)
        self.assertEqual((status, body["kind"]), (200, "atom"), body)
        self.assertGreaterEqual(len(body["items"]), 1)
        self.assertEqual({item["outcome"] for item in body["items"]}, {"own"}, body)

    def test_undefined_entity_is_not_well_formed(self):
        xml = fresh(read_cap("v1dot2_appendix_adot3.xml"), "XXE-1")
        xml = re.sub(r"<headline>[^<]*</headline>", "<headline>&xxe;</headline>", xml, count=1)
        status, body = self.post_cap(xml)
        self.assertEqual((status, body["error"]["field"]), (400, "alert"), body)
        self.assertIn("not well-formed", body["error"]["message"])

    def test_broken_configuration_stops_the_start(self):
        bad = os.path.join(self.tmp, "bad-rules.json")
        with open(bad, "w") as f:
            json.dump({"rules": [{"when": {"event": "X"}, "priority": 7}]}, f)
        data = tempfile.mkdtemp(prefix="ncc-cap-bad-")
        done = subprocess.run([NCC, "serve", "--data", data, "--listen", "127.0.0.1:0", "--cap-rules", bad],
                              capture_output=True, text=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("rules[0].priority", done.stdout + done.stderr)


SIGNATURE_TEMPLATE = (
    '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
    '<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>'
    '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    '<Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    '</Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference>'
    '</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>')


class CapSignatures(CapServer):
    """Finding 4: a tampered signed alert was taken as genuine. Signed with xmlsec1 by a
    partner whose certificate the centre trusts (--cap-trust), under --cap-signatures
    refuse-invalid; every imported alert is kept verbatim in DATA/cap-received."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ncc-capsig-")
        for who in ("partner", "stranger"):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", f"/CN={who}", "-keyout", os.path.join(cls.tmp, who + ".key"),
                            "-out", os.path.join(cls.tmp, who + ".pem")], check=True, capture_output=True)
        cls.start_server(["--cap-trust", os.path.join(cls.tmp, "partner.pem"), "--cap-signatures", "refuse-invalid"])

    def signed(self, xml, who="partner"):
        src = os.path.join(self.tmp, "in.xml")
        out = os.path.join(self.tmp, "out.xml")
        with open(src, "w", encoding="utf-8") as f:
            f.write(xml.replace("</alert>", SIGNATURE_TEMPLATE + "</alert>"))
        key = os.path.join(self.tmp, who)
        subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{key}.key,{key}.pem", "--output", out, src],
                       check=True, capture_output=True)
        with open(out, encoding="utf-8") as f:
            return f.read()

    def test_signed_alerts_are_verified_kept_verbatim_and_refused_when_altered(self):
        xml = self.signed(moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "SIG-1"), 31.1))
        status, body = self.post_cap(xml)
        self.assertEqual(status, 201, body)
        self.assertEqual(body["cap"]["signature"]["verdict"], "verified", body)
        self.assertIn("CN=partner", body["cap"]["signature"]["detail"])
        status, incident = self.server.request("GET", f"/api/v1/incidents/{body['incident']}")
        self.assertIn("signature verified", incident["summary"])
        kept = os.path.join(self.server.data_dir, "cap-received", body["cap"]["sha256"] + ".xml")
        with open(kept, "rb") as f:
            self.assertEqual(f.read(), xml.encode(), "the original, byte for byte")
        # One changed word after signing: refused, naming the signature.
        altered = self.signed(moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "SIG-2"), 31.2))
        altered = altered.replace("Earthquake", "Tsunami", 1)
        status, body = self.post_cap(altered)
        self.assertEqual((status, body["error"]["field"]), (422, "alert.Signature"), body)
        self.assertIn("signature invalid", body["error"]["message"])
        # Signed by a key the centre does not trust: invalid too.
        status, body = self.post_cap(self.signed(moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "SIG-3"), 31.3),
                                                 who="stranger"))
        self.assertEqual((status, body["error"]["field"]), (422, "alert.Signature"), body)
        # Unsigned: recorded as such and, under refuse-invalid, imported.
        status, body = self.post_cap(moved(fresh(read_cap("v1dot2_appendix_adot3.xml"), "SIG-4"), 31.4))
        self.assertEqual((status, body["cap"]["signature"]["verdict"]), (201, "unsigned"), body)

    def test_a_signature_policy_without_certificates_stops_the_start(self):
        data = tempfile.mkdtemp(prefix="ncc-capsig-bad-")
        done = subprocess.run([NCC, "serve", "--data", data, "--listen", "127.0.0.1:0", "--cap-signatures", "require"],
                              capture_output=True, text=True, timeout=30)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("--cap-trust", done.stdout + done.stderr)


if __name__ == "__main__":
    main()
