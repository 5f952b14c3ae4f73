"""Start-up never serves a shortened history (issue 17, findings 1 and 2): when acknowledged
events are gone from the log (rows deleted by hand, WAL frames dropped after a flipped byte),
the newest signed anchor proves that more existed and `ncc serve` refuses to start, naming the
file, the log's last seq and the anchor; `ncc audit verify` says the same. An intact log starts."""
import json
import os
import sqlite3
import subprocess
import unittest

from harness import main, Server, WebSocket

NCC = None


class ShortenedLog(unittest.TestCase):
    def write_history(self, count):
        s = Server(NCC).start()
        s.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
        last = None
        for k in range(count):
            status, body = s.request("POST", "/api/v1/incidents", {
                "type": "police.patrol", "priority": 4, "location": {"lat": 25.2, "lon": 51.5},
                "summary": f"acknowledged {k}"})
            self.assertEqual(status, 201, body)
            last = body["seq"]
        s.stop()  # a clean stop anchors the last seq
        return s, last

    def start_fails(self, s):
        done = subprocess.run([NCC, "serve", "--data", s.data_dir, "--listen", "127.0.0.1:0"],
                              capture_output=True, text=True, timeout=30)
        return done.returncode, done.stdout + done.stderr

    def test_deleted_tail_is_refused_at_start_and_by_verify(self):
        s, last = self.write_history(30)
        try:
            db = sqlite3.connect(os.path.join(s.data_dir, "events.db"))
            db.execute("DELETE FROM events WHERE seq > ?", (last - 10,))
            db.commit()
            db.close()
            code, out = self.start_fails(s)
            self.assertNotEqual(code, 0, out)
            self.assertIn("refusing to start", out)
            self.assertIn("events.db", out)
            self.assertIn(f"ends at seq {last - 10}", out)
            self.assertIn(f"anchor at seq {last}", out)
            for command in (["audit", "verify"], ["log", "verify"]):
                verify = subprocess.run([NCC] + command + ["--data", s.data_dir], capture_output=True, text=True)
                self.assertEqual(verify.returncode, 1, (command, verify.stdout + verify.stderr))
                self.assertIn(f"anchor at seq {last}", verify.stdout + verify.stderr, command)
        finally:
            s.cleanup()

    def test_an_intact_log_starts_and_keeps_its_seqs(self):
        s, last = self.write_history(5)
        try:
            s.start()
            status, body = s.request("POST", "/api/v1/incidents", {
                "type": "police.patrol", "priority": 4, "location": {"lat": 25.2, "lon": 51.5}})
            self.assertEqual(status, 201, body)
            self.assertGreater(body["seq"], last)
        finally:
            s.cleanup()


class AlteredHistory(unittest.TestCase):
    """An event changed on disk below the newest snapshot passes start-up (the snapshot is
    trusted, the tail is replayed), so every event read back from the log is hash-checked as it
    is served (finding 3): /events and the stream refuse it, naming the seq."""

    def test_an_altered_old_event_is_never_served(self):
        s = Server(NCC, extra=["--snapshot-every", "5"]).start()
        try:
            s.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
            for k in range(20):
                status, body = s.request("POST", "/api/v1/incidents", {
                    "type": "police.patrol", "priority": 4, "location": {"lat": 25.2, "lon": 51.5},
                    "summary": f"event {k}"})
                self.assertEqual(status, 201, body)
            status, before = s.request("GET", "/api/v1/events?after=0&limit=10")
            self.assertEqual(status, 200, before)
            s.stop()
            db = sqlite3.connect(os.path.join(s.data_dir, "events.db"))
            db.execute("UPDATE events SET actor = 'mallory' WHERE seq = 3")
            db.commit()
            db.close()
            s.start()  # the snapshot covers seq 3: start-up does not read it
            status, body = s.request("GET", "/api/v1/events?after=0&limit=10")
            self.assertEqual(status, 500, body)
            self.assertEqual(body["error"]["code"], "data_loss")
            self.assertIn("event 3", body["error"]["message"])
            self.assertNotIn("mallory", json.dumps(body))
            # A page that starts right after the altered event checks its link to it.
            status, body = s.request("GET", "/api/v1/events?after=3&limit=10")
            self.assertEqual(status, 500, body)
            status, body = s.request("GET", "/api/v1/events?after=5&limit=10")
            self.assertEqual(status, 200, body)
            ws = WebSocket(s.port, "/api/v1/stream?after=0", token=s.token)
            kind, data = ws.recv()
            while kind == "text":
                self.assertNotIn("mallory", data)
                kind, data = ws.recv()
            self.assertEqual(kind, "close")
            self.assertIn("event 3", data[1])
        finally:
            s.cleanup()


if __name__ == "__main__":
    main()
