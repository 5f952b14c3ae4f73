"""EIDO import (POST /api/v1/eido) over two real `ncc serve`, checked by an independent peer:
- round trip: an incident exported by centre A and imported into centre B keeps every field ncc
  models, field by field, and B's export of it says what A's said; importing again changes
  nothing; A's later note and status reach B by importing A's new export;
- B's own export names B's incident ($id): importing it updates that incident, never a copy;
- a partner's EIDO (NENA's sample call transfer, given an incident and a geodetic location by
  this test) creates an incident typed from the APCO code, with the partner's id as its source;
- every document ncc exports and every document the import accepted validates with ajv against
  NENA's schema in the data folder (tests/peers/eido, pinned; installed by `make peers`);
- bad input: 4xx JSON naming the field by its JSON path; authorization as for the commands."""
import copy
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

from harness import main, Server

NCC = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("NCC_DATA_DIR") or os.path.join(ROOT, "..", "shared", "data")
NENA = os.path.join(DATA, "eido", "nena-eido-json")
SCHEMA_DIR = os.path.join(NENA, "Schema")
SAMPLE = os.path.join(NENA, "Samples", "Sample call transfer EIDO.json")
PEER = os.path.join(ROOT, "tests", "peers", "eido")
GML = "{http://www.opengis.net/gml}"


def ajv(documents):
    """Validates EIDO documents with the independent peer; returns {index: errors} of the invalid."""
    work = tempfile.mkdtemp(prefix="ncc-eido-ajv-")
    try:
        paths = []
        for k, doc in enumerate(documents):
            p = os.path.join(work, f"{k}.json")
            with open(p, "w") as f:
                json.dump(doc, f)
            paths.append(p)
        done = subprocess.run(["node", os.path.join(PEER, "validate.mjs"), SCHEMA_DIR] + paths,
                              capture_output=True, text=True, timeout=240)
        if done.returncode not in (0, 1):
            raise AssertionError("ajv peer failed: " + done.stderr[-2000:])
        results = [json.loads(line) for line in done.stdout.splitlines()]
        assert len(results) == len(paths), done.stdout
        return {k: r["errors"] for k, r in enumerate(results) if not r["valid"]}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pidf_point(location_component):
    pos = ET.fromstring(location_component["locationByValue"]).find(f".//{GML}pos").text.split()
    return float(pos[0]), float(pos[1])


def notes_of(incident):
    return [t["text"] for t in incident["timeline"] if t["kind"] == "note"]


class Eido(unittest.TestCase):
    validated = []  # every document exported or accepted, checked with ajv at the end

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(os.path.join(PEER, "node_modules", "ajv")):
            raise RuntimeError("the ajv peer is not installed: run `make peers`")
        cls.a = Server(NCC, extra=["--eido-issuer", "ncc-a.test.example"])
        cls.b = Server(NCC, extra=["--eido-issuer", "ncc-b.test.example"])
        cls.b.add_user("fire_disp", "fire", ["dispatcher"], "secret")
        cls.b.add_user("police_calltaker", "police", ["call_taker"], "secret")
        cls.b.add_user("police_analyst", "police", ["analyst"], "secret")
        for s in (cls.a, cls.b):
            s.start()
            for code, kind in (("police", "police"), ("fire", "fire"), ("ambulance", "ambulance")):
                status, body = s.request("POST", "/api/v1/agencies", {"code": code, "name": code.title(), "kind": kind})
                assert status == 201, body
        cls.tokens = {n: cls.b.login(n) for n in ("fire_disp", "police_calltaker", "police_analyst")}

    @classmethod
    def tearDownClass(cls):
        cls.a.cleanup()
        cls.b.cleanup()

    def export(self, server, iid):
        status, doc = server.request("GET", f"/api/v1/incidents/{iid}/eido")
        self.assertEqual(status, 200, doc)
        self.validated.append(doc)
        return doc

    def incident(self, server, iid):
        status, body = server.request("GET", f"/api/v1/incidents/{iid}")
        self.assertEqual(status, 200, body)
        return body

    def post(self, server, doc, query="", token=None, raw=None):
        return server.request("POST", "/api/v1/eido" + query, doc, token=token, raw=raw)

    def a_incident(self, **over):
        body = {"type": "police.robbery", "priority": 2, "agency": "police", "classification": "confidential",
                "location": {"lat": 25.286712, "lon": 51.533301}, "address": "Souq Waqif & Co <gate 3>",
                "landmark": "Al Koot Fort", "summary": "two suspects, one armed\nheading north"}
        body.update(over)
        status, made = self.a.request("POST", "/api/v1/incidents", body)
        self.assertEqual(status, 201, made)
        return made["id"]

    # --- round trip ---------------------------------------------------------------------------

    def test_round_trip_keeps_every_field_ncc_models(self):
        iid = self.a_incident()
        for path, body in ((f"/api/v1/incidents/{iid}/shares", {"agency": "ambulance"}),
                           (f"/api/v1/incidents/{iid}/notes", {"text": "caller: <suspect> left & ran"}),
                           (f"/api/v1/incidents/{iid}/status", {"status": "triaged"})):
            status, out = self.a.request("POST", path, body)
            self.assertIn(status, (200, 201), out)
        sent = self.export(self.a, iid)
        status, got = self.post(self.b, sent, "?classification=confidential")
        self.assertEqual(status, 201, got)
        self.validated.append(sent)
        self.assertEqual(got["outcome"], "created")
        self.assertEqual(got["not_applied"], [])
        bid = got["incident"]

        # Field by field: every field of the incident ncc models, as A has it and as B has it.
        a, b = self.incident(self.a, iid), self.incident(self.b, bid)
        for field in ("type", "priority", "address", "landmark", "summary", "agency", "classification",
                      "shared_with", "status"):
            self.assertEqual(b[field], a[field], field)
        self.assertAlmostEqual(b["location"]["lat"], a["location"]["lat"], places=6)
        self.assertAlmostEqual(b["location"]["lon"], a["location"]["lon"], places=6)
        self.assertEqual(notes_of(b), notes_of(a))
        self.assertEqual([s["id"] for s in b["sources"]], ["eido:" + sent["$id"]])

        # B's export says what A's said (ids, times and the timeline's actors are each centre's own).
        back = self.export(self.b, bid)
        ai, bi = sent["incidentComponent"], back["incidentComponent"]
        for field in ("incidentTypeCommonRegistryText", "incidentTypeInternalCode", "incidentTypeInternalText",
                      "incidentStatusCommonRegistryText", "incidentStatusInternalText",
                      "incidentPriorityInternalText"):
            self.assertEqual(bi[field], ai[field], field)
        al, bl = sent["locationComponent"][0], back["locationComponent"][0]
        self.assertEqual(bl["locationDescriptionText"], al["locationDescriptionText"])
        self.assertEqual(pidf_point(bl), pidf_point(al))
        self.assertEqual([(c["agencyType"], c["incidentOwningAgencyIndicator"]) for c in back["agencyComponent"]],
                         [(c["agencyType"], c["incidentOwningAgencyIndicator"]) for c in sent["agencyComponent"]])
        note = lambda d: [n["notesActionComments"] for n in d["notesComponent"]
                          if n["notesActionComments"].startswith("note: ")]
        self.assertEqual(note(back), note(sent))

        # The same document again: recognised by its $id, nothing new to apply.
        status, again = self.post(self.b, sent)
        self.assertEqual(status, 200, again)
        self.assertEqual((again["outcome"], again["incident"], again["applied"]), ("updated", bid, []))

        # A moves on; its new export brings B along through the same commands.
        self.a.request("POST", f"/api/v1/incidents/{iid}/notes", {"text": "second caller confirms"})
        self.a.request("POST", f"/api/v1/incidents/{iid}/status", {"status": "dispatched"})
        status, moved = self.post(self.b, self.export(self.a, iid))
        self.assertEqual(status, 200, moved)
        self.assertEqual(moved["applied"], ["note", "status:dispatched"])
        b = self.incident(self.b, bid)
        self.assertEqual(b["status"], "dispatched")
        self.assertEqual(notes_of(b), notes_of(self.incident(self.a, iid)))

    def test_landmark_only_and_closed_incident_round_trip(self):
        iid = self.a_incident(address="", summary="", classification="restricted", type="fire.structure",
                              priority=1)
        for to in ("dispatched", "resolved", "closed"):
            status, out = self.a.request("POST", f"/api/v1/incidents/{iid}/status", {"status": to})
            self.assertEqual(status, 200, out)
        sent = self.export(self.a, iid)
        status, got = self.post(self.b, sent)
        self.assertEqual(status, 201, got)
        self.validated.append(sent)
        b = self.incident(self.b, got["incident"])
        self.assertEqual((b["address"], b["landmark"], b["summary"]), ("", "Al Koot Fort", ""))
        self.assertEqual((b["type"], b["priority"], b["agency"], b["status"]), ("fire.structure", 1, "police", "closed"))
        self.assertEqual(got["applied"], ["incident_created", "status:dispatched", "status:resolved", "status:closed"])
        status, again = self.post(self.b, sent)
        self.assertEqual((status, again["outcome"]), (200, "already_closed"), again)

    def test_own_export_updates_the_incident_it_names(self):
        status, made = self.b.request("POST", "/api/v1/incidents", {
            "type": "medical.cardiac", "priority": 3, "location": {"lat": 25.3, "lon": 51.5}})
        self.assertEqual(status, 201, made)
        doc = self.export(self.b, made["id"])
        doc["incidentComponent"]["incidentPriorityInternalText"] = "1"
        doc["notesComponent"].append({"$id": "urn:emergency:uid:notesid:x:partner.example",
                                      "lastUpdateTimeStamp": "2026-12-03T10:00:00.000Z",
                                      "updatedByAgencyReference": {"$ref": "partner.example"},
                                      "notesActionComments": "patient not breathing"})
        status, got = self.post(self.b, doc)
        self.assertEqual(status, 200, got)
        self.validated.append(doc)
        self.assertEqual((got["outcome"], got["incident"]), ("updated", made["id"]))
        self.assertEqual(got["applied"], ["priority:1", "note"])
        b = self.incident(self.b, made["id"])
        self.assertEqual(b["priority"], 1)
        self.assertEqual(notes_of(b), ["patient not breathing"])
        status, listed = self.b.request("GET", "/api/v1/incidents?limit=1000")
        self.assertEqual(sum(1 for i in listed["items"] if i["type"] == "medical.cardiac"), 1, "a copy was made")
        # An id of this centre that names no incident.
        doc["$id"] = "urn:emergency:uid:incidentid:999999:ncc-b.test.example"
        status, err = self.post(self.b, doc)
        self.assertEqual((status, err["error"]["field"]), (404, "$id"), err)

    # --- a partner's document ----------------------------------------------------------------

    def partner_doc(self):
        """NENA's sample call transfer, which locates the caller by civic address and reference
        only, given what a CAD adds: an incident component and a geodetic location."""
        with open(SAMPLE) as f:
            doc = json.load(f)
        prologue = {"lastUpdateTimeStamp": "2021-04-30T14:43:49.439-04:00",
                    "updatedByAgencyReference": {"$ref": "state.pa.us"}}
        doc["incidentComponent"] = dict(prologue, **{
            "$id": doc["$id"], "incidentTypeCommonRegistryText": "FSTRU",
            "incidentStatusCommonRegistryText": ["Active", "ResourcesAssigned"],
            "locationReference": [{"$ref": "urn:emergency:uid:locationid:geo-1:state.pa.us"}]})
        pidf = ('<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
                'xmlns:gml="http://www.opengis.net/gml" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
                'entity="pres:alice@atlanta.example.com"><dm:device id="d1"><gp:geopriv><gp:location-info>'
                '<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>39.7459 -75.5466</gml:pos></gml:Point>'
                '</gp:location-info><gp:usage-rules/><gp:method>GPS</gp:method></gp:geopriv></dm:device></presence>')
        doc["locationComponent"].append(dict(prologue, **{
            "$id": "urn:emergency:uid:locationid:geo-1:state.pa.us",
            "locationTypeDescriptionRegistryText": "Current Incident", "locationByValue": pidf,
            "locationDescriptionText": "42 W Cellular Street, Wilmington"}))
        doc["notesComponent"] = [dict(prologue, **{"$id": "urn:emergency:uid:notesid:n1:state.pa.us",
                                                   "notesActionComments": "smoke from 2nd floor window"})]
        return doc

    def test_partner_document_creates_an_incident_with_its_id_as_source(self):
        doc = self.partner_doc()
        status, got = self.post(self.b, doc)
        self.assertEqual(status, 201, got)
        self.validated.append(doc)
        b = self.incident(self.b, got["incident"])
        self.assertEqual(b["type"], "fire.structure")  # APCO FSTRU
        self.assertEqual(b["status"], "dispatched")  # ResourcesAssigned
        self.assertEqual(b["agency"], "police")  # "psap" is no agency here: the caller's
        self.assertEqual(b["address"], "42 W Cellular Street, Wilmington")
        self.assertAlmostEqual(b["location"]["lat"], 39.7459)
        self.assertEqual(notes_of(b), ["smoke from 2nd floor window"])
        self.assertEqual(b["sources"][0]["id"], "eido:" + doc["$id"])
        self.assertEqual(b["sources"][0]["sensor"], "idx.state.pa.us")
        self.export(self.b, got["incident"])
        # The partner's next version: found by its $id, the new note added once.
        doc["notesComponent"].append(dict(doc["notesComponent"][0], **{
            "$id": "urn:emergency:uid:notesid:n2:state.pa.us", "notesActionComments": "second engine requested"}))
        doc["incidentComponent"]["incidentTypeCommonRegistryText"] = "FVEH"
        status, got2 = self.post(self.b, doc)
        self.assertEqual(status, 200, got2)
        self.assertEqual(got2["incident"], got["incident"])
        self.assertEqual(got2["applied"], ["note:differences", "note"])
        self.assertEqual(notes_of(self.incident(self.b, got["incident"]))[1:],
                         ["EIDO from idx.state.pa.us says type fire.vehicle (here: fire.structure)",
                          "second engine requested"])

    def test_nena_sample_as_it_is_is_refused_for_want_of_a_position(self):
        with open(SAMPLE) as f:
            status, err = self.post(self.b, None, raw=f.read())
        self.assertEqual(status, 422, err)
        self.assertEqual(err["error"]["field"], "locationComponent")

    # --- bad input and authorization ----------------------------------------------------------

    def test_bad_input_names_the_field(self):
        good = self.partner_doc()

        def spoil(f):
            d = copy.deepcopy(good)
            f(d)
            return d
        cases = [
            (None, "{not json", 400, "eido"),
            (spoil(lambda d: d.pop("eidoVersion")), None, 400, "eidoVersion"),
            (spoil(lambda d: d.update(eidoVersion="2.0")), None, 422, "eidoVersion"),
            (spoil(lambda d: d["incidentComponent"].pop("lastUpdateTimeStamp")), None, 400,
             "incidentComponent.lastUpdateTimeStamp"),
            (spoil(lambda d: d["incidentComponent"].update(incidentPriorityInternalText="0")), None, 422,
             "incidentComponent.incidentPriorityInternalText"),
            (spoil(lambda d: d["locationComponent"][2].update(locationByValue="<presence><x>")), None, 400,
             "locationComponent[2].locationByValue"),
            (spoil(lambda d: d["locationComponent"][2].update(
                locationByValue=d["locationComponent"][2]["locationByValue"].replace("39.7459", "139.7459"))),
             None, 422, "locationComponent[2].locationByValue.lat"),
            (spoil(lambda d: d["agencyComponent"][0].update(incidentOwningAgencyIndicator="yes")), None, 400,
             "agencyComponent[0].incidentOwningAgencyIndicator"),
            (spoil(lambda d: d["notesComponent"][0].update(notesActionComments=["x"])), None, 400,
             "notesComponent[0].notesActionComments"),
            (spoil(lambda d: d.update(**{"$id": "x" * 400})), None, 422, "$id"),
        ]
        for k, (doc, raw, want_status, want_field) in enumerate(cases):
            status, err = self.post(self.b, doc, raw=raw)
            self.assertEqual(status, want_status, f"case {k}: {err}")
            self.assertEqual(err["error"]["field"], want_field, f"case {k}")
        status, err = self.post(self.b, good, "?classification=top")
        self.assertEqual((status, err["error"]["field"]), (400, "classification"), err)
        status, err = self.b.request("POST", "/api/v1/eido", raw=json.dumps(good), headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 415, err)
        status, err = self.post(self.b, None, raw='{"a": "' + "x" * (1 << 20) + '"}')
        self.assertEqual(status, 413, err)

    def test_authorization_follows_the_commands(self):
        # No incident.create: refused by the route table.
        status, err = self.post(self.b, self.partner_doc(), token=self.tokens["police_analyst"])
        self.assertEqual(status, 403, err)
        # Above the caller's agency: a fire dispatcher may not create a police incident.
        doc = self.partner_doc()
        doc["$id"] = "urn:emergency:uid:incidentid:auth-1:state.pa.us"
        status, err = self.post(self.b, doc, "?agency=police", token=self.tokens["fire_disp"])
        self.assertEqual(status, 403, err)
        # An incident of B's the fire dispatcher may not see: 404, as for any other route.
        status, made = self.b.request("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 2, "location": {"lat": 25.3, "lon": 51.5}})
        own = self.export(self.b, made["id"])
        status, err = self.post(self.b, own, token=self.tokens["fire_disp"])
        self.assertEqual((status, err["error"]["field"]), (404, "$id"), err)
        # A call taker creates (incident.create) but moves no status: the status step is said,
        # not applied.
        doc["$id"] = "urn:emergency:uid:incidentid:auth-2:state.pa.us"
        status, got = self.post(self.b, doc, token=self.tokens["police_calltaker"])
        self.assertEqual(status, 201, got)
        self.assertEqual(self.incident(self.b, got["incident"])["status"], "new")
        self.assertTrue(any(n.startswith("incidentComponent.incidentStatusCommonRegistryText: status:dispatched")
                            for n in got["not_applied"]), got)

    def test_zz_every_exported_and_accepted_document_is_valid_for_ajv(self):
        # Runs last (unittest orders by name): the documents the other tests gathered.
        self.assertGreaterEqual(len(self.validated), 8)
        invalid = ajv(self.validated)
        self.assertEqual(invalid, {}, "invalid for NENA's schema")
        # And the peer does refuse: without what the schema requires.
        broken = copy.deepcopy(self.validated[0])
        del broken["incidentComponent"]["incidentTypeCommonRegistryText"]
        del broken["agencyComponent"]
        self.assertEqual(len(ajv([broken])), 1)


if __name__ == "__main__":
    main()
