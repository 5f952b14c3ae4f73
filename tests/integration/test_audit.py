"""The audit trail against a real server: reads of confidential and secret incidents are in the
log (and only auditors see them), `ncc audit who` names who saw and changed a record, and
`ncc audit verify` catches every kind of tampering with the event log file, naming the first
bad sequence number: an edited payload, a deleted event, a truncated tail, and a whole log
rewritten consistently (every hash recomputed) — the last one only the signed anchors catch."""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from harness import main, Server

NCC = None


def audit(*args):
    done = subprocess.run([NCC, "audit", *args], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


def fill(server):
    """Two agencies, a confidential and a restricted police incident, a few changes and reads."""
    for code in ("police", "fire"):
        status, body = server.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": "police"})
        assert status == 201, body
    ids = {}
    for name, label in (("confidential", "confidential"), ("restricted", "restricted")):
        status, body = server.request("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 2, "classification": label,
            "location": {"lat": 37.7946, "lon": -122.4094}, "summary": name})
        assert status == 201, body
        ids[name] = body["id"]
    status, body = server.request("POST", f"/api/v1/incidents/{ids['confidential']}/notes", {"text": "witness"})
    assert status in (200, 201), body
    return ids


class AuditTrail(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(NCC)
        cls.server.add_user("reader", "police", ["dispatcher"], "secret")
        cls.server.add_user("fire_audit", "fire", ["supervisor"], "secret")
        cls.server.start()
        cls.ids = fill(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def events(self, token=None):
        status, page = self.server.request("GET", "/api/v1/events?after=0&limit=1000", token=token)
        self.assertEqual(status, 200, page)
        return page["items"]

    def test_confidential_reads_are_recorded_and_seen_only_by_auditors(self):
        s = self.server
        reader = s.login("reader")
        before = [e for e in self.events() if e["type"] == "records_read"]
        status, _ = s.request("GET", f"/api/v1/incidents/{self.ids['confidential']}", token=reader)
        self.assertEqual(status, 200)
        status, _ = s.request("GET", f"/api/v1/incidents/{self.ids['restricted']}", token=reader)
        self.assertEqual(status, 200)
        reads = [e for e in self.events() if e["type"] == "records_read"]  # tester: supervisor
        new = reads[len(before):]
        self.assertTrue(any(e["actor"] == "reader" and e["data"]["records"] == [f"incident:{self.ids['confidential']}"]
                            for e in new), new)
        # The restricted read left no trace; the dispatcher cannot see the audit trail; nor can
        # another agency's supervisor see who read police records.
        self.assertFalse(any(f"incident:{self.ids['restricted']}" in e["data"]["records"] for e in reads))
        self.assertFalse([e for e in self.events(token=reader) if e["type"] == "records_read"])
        self.assertFalse([e for e in self.events(token=s.login("fire_audit")) if e["type"] == "records_read"])

    def test_lists_record_what_they_showed(self):
        s = self.server
        reader = s.login("reader")
        status, listing = s.request("GET", "/api/v1/incidents?limit=10", token=reader)
        self.assertEqual(status, 200)
        reads = [e for e in self.events() if e["type"] == "records_read" and e["actor"] == "reader"
                 and e["data"]["via"] == "GET /api/v1/incidents"]
        self.assertTrue(reads)
        self.assertEqual(reads[-1]["data"]["records"], [f"incident:{self.ids['confidential']}"])

    def test_audit_who_names_readers_and_writers(self):
        s = self.server
        s.request("GET", f"/api/v1/incidents/{self.ids['confidential']}", token=s.login("reader"))
        code, out = audit("who", "--data", s.data_dir, "--record", f"incident:{self.ids['confidential']}", "--json")
        self.assertEqual(code, 0, out)
        trail = json.loads(out)
        actions = [(e["actor"], e["action"]) for e in trail]
        self.assertEqual(actions[0], ("tester", "incident_created"))
        self.assertIn(("tester", "incident_note_added"), actions)
        self.assertIn(("reader", "records_read"), actions)
        # Sign-ins are in the trail of the account; a refused one changes nothing in the log.
        before = s.request("GET", "/healthz")[1]["last_seq"]
        status, _ = s.request("POST", "/api/v1/auth/login", {"username": "reader", "password": "wrong"}, token=False)
        self.assertEqual(status, 401)
        self.assertEqual(s.request("GET", "/healthz")[1]["last_seq"], before)
        code, out = audit("who", "--data", s.data_dir, "--record", "user:reader", "--json")
        self.assertEqual(code, 0, out)
        sign_ins = [e for e in json.loads(out) if e["action"] == "sign_in_attempted"]
        self.assertTrue(sign_ins)
        self.assertTrue(all(e["actor"] == "reader" and e["detail"].startswith("signed_in from 127.0.0.1")
                            for e in sign_ins), sign_ins)
        code, out = audit("who", "--data", s.data_dir, "--record", "incident:999")
        self.assertEqual(code, 1)
        self.assertIn("nothing in the log", out)
        code, out = audit("who", "--data", s.data_dir, "--record", "incident")
        self.assertEqual(code, 2)
        self.assertIn("kind:id", out)


class Tampering(unittest.TestCase):
    """Each case works on its own copy of a data folder whose server stopped cleanly (so its
    last event is anchored)."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(NCC)
        cls.server.start()
        fill(cls.server)
        cls.server.stop()
        code, out = audit("verify", "--data", cls.server.data_dir)
        assert code == 0 and "warning" not in out, out
        with sqlite3.connect(os.path.join(cls.server.data_dir, "events.db")) as db:
            cls.last = db.execute("SELECT max(seq) FROM events").fetchone()[0]

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def copy(self):
        d = tempfile.mkdtemp(prefix="ncc-tamper-")
        self.addCleanup(shutil.rmtree, d, True)
        for name in ("events.db", "anchors.log", "anchor.pub"):
            shutil.copy(os.path.join(self.server.data_dir, name), d)
        return d

    def sql(self, d, statement, *args):
        with sqlite3.connect(os.path.join(d, "events.db")) as db:
            db.execute(statement, args)

    def assert_fails_at(self, d, needle):
        code, out = audit("verify", "--data", d)
        self.assertEqual(code, 1, out)
        self.assertTrue(out.startswith("FAIL"), out)
        self.assertIn(needle, out)

    def test_clean_copy_verifies(self):
        code, out = audit("verify", "--data", self.copy())
        self.assertEqual(code, 0, out)
        self.assertIn(f"last at seq {self.last}", out)

    def test_edited_payload(self):
        d = self.copy()
        self.sql(d, "UPDATE events SET payload = payload || x'00' WHERE seq = 3")
        self.assert_fails_at(d, "event 3:")

    def test_deleted_event(self):
        d = self.copy()
        self.sql(d, "DELETE FROM events WHERE seq = 2")
        self.assert_fails_at(d, "event 2:")

    def test_truncated_tail(self):
        d = self.copy()
        self.sql(d, "DELETE FROM events WHERE seq >= ?", self.last - 1)
        self.assert_fails_at(d, f"seq {self.last}")

    def test_whole_log_rewritten_consistently(self):
        # A forger replays other content through ncc itself: a perfectly chained log of the same
        # length, put in place of the real one. Only the signed anchor can tell.
        forger = Server(NCC)
        try:
            forger.start()
            fill(forger)
            forger.request("POST", "/api/v1/incidents/1/notes", {"text": "nothing happened"})
            forger.stop()
            d = self.copy()
            shutil.copy(os.path.join(forger.data_dir, "events.db"), os.path.join(d, "events.db"))
            code, out = audit("verify", "--data", forger.data_dir)
            self.assertEqual(code, 0, out)  # on its own, the forged chain is whole
            self.assert_fails_at(d, "differs from anchor at seq")
        finally:
            forger.cleanup()

    def test_replaced_key_is_caught_with_a_public_key_kept_elsewhere(self):
        d = self.copy()
        with open(os.path.join(self.server.data_dir, "anchor.pub")) as f:
            trusted = f.read().strip()
        with open(os.path.join(d, "anchor.pub"), "w") as f:
            f.write("00" * 32 + "\n")
        code, out = audit("verify", "--data", d)
        self.assertEqual(code, 1, out)
        code, out = audit("verify", "--data", d, "--public-key", trusted)
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    main()
