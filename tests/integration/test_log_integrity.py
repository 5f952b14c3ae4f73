"""Start-up never serves a shortened or altered history (issue 17, findings 1 to 3): when
acknowledged events are gone from the log (rows deleted by hand, WAL frames dropped after a
flipped byte), the newest signed anchor proves that more existed and `ncc serve` refuses to start,
naming the file, the log's last seq and the anchor; `ncc audit verify` says the same. An event
altered below the newest snapshot is refused at start-up too. An intact log starts."""
import hashlib
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
    """An event changed on disk below the newest snapshot: start-up walks the whole chain (not
    only the tail after the snapshot, as it did) and refuses, naming events.db and the seq, as
    `ncc log verify` does (damage case 1). Changed while the server runs, after it checked the
    chain, every event read back from the log is hash-checked as it is served (finding 3):
    /events and the stream refuse it, naming the seq."""

    def alter_event_3(self, data_dir):
        db = sqlite3.connect(os.path.join(data_dir, "events.db"), timeout=10)
        db.execute("UPDATE events SET actor = 'mallory' WHERE seq = 3")
        db.commit()
        db.close()

    def test_an_altered_old_event_is_never_served_and_refused_at_start(self):
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
            s.start()  # restarted: the old events are read from the log, not from memory
            self.alter_event_3(s.data_dir)  # behind the running server's back
            status, body = s.request("GET", "/api/v1/events?after=0&limit=10")
            self.assertEqual(status, 500, body)
            self.assertEqual(body["error"]["code"], "data_loss")
            self.assertIn("event 3", body["error"]["message"])
            self.assertNotIn("mallory", json.dumps(body))
            self.assertNotIn(s.data_dir, json.dumps(body))  # names no server path
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
            s.stop()

            # The snapshot covers seq 3, yet start-up checks it: refused, as verify refuses it.
            done = subprocess.run([NCC, "serve", "--data", s.data_dir, "--listen", "127.0.0.1:0"],
                                  capture_output=True, text=True, timeout=30)
            out = done.stdout + done.stderr
            self.assertNotEqual(done.returncode, 0, out)
            self.assertIn("refusing to start", out)
            self.assertIn("events.db", out)
            self.assertIn("event 3: content does not match its hash", out)
            verify = subprocess.run([NCC, "log", "verify", "--data", s.data_dir], capture_output=True, text=True)
            self.assertEqual(verify.returncode, 1, verify.stdout + verify.stderr)
            self.assertIn("event 3: content does not match its hash", verify.stdout)
        finally:
            s.cleanup()


class VerifyChangesNothing(unittest.TestCase):
    """The verify and audit commands only look (finding 9): with the WAL a `kill -9`ed server
    left behind, every file of the data folder is byte for byte the same afterwards (before,
    `ncc log verify` folded the WAL into events.db and deleted it), and they still see every
    acknowledged event, the ones only in the WAL included."""

    def fingerprint(self, folder):
        out = {}
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    out[name] = hashlib.sha256(f.read()).hexdigest()
        return out

    def test_verify_after_kill9_leaves_every_file_as_it_was(self):
        s = Server(NCC).start()
        try:
            s.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
            last = None
            for k in range(40):
                status, body = s.request("POST", "/api/v1/incidents", {
                    "type": "police.patrol", "priority": 4, "location": {"lat": 25.2, "lon": 51.5},
                    "summary": f"acknowledged {k}"})
                self.assertEqual(status, 201, body)
                last = body["seq"]
            status, metrics = s.request("GET", "/metrics")
            self.assertEqual(status, 200)
            for name in ("ncc_log_wal_bytes", "ncc_log_wal_frames", "ncc_log_wal_checkpoints_total",
                         "ncc_log_wal_checkpoints_held_up_total"):
                self.assertIn(f"\n{name} ", metrics)
            s.kill9()
            self.assertTrue(os.path.getsize(os.path.join(s.data_dir, "events.db-wal")) > 0)
            before = self.fingerprint(s.data_dir)
            for command in (["log", "verify"], ["audit", "verify"],
                            ["audit", "who", "--record", "incident:1"]):
                done = subprocess.run([NCC] + command + ["--data", s.data_dir], capture_output=True,
                                      text=True, timeout=60)
                self.assertEqual(done.returncode, 0, (command, done.stdout + done.stderr))
                self.assertEqual(self.fingerprint(s.data_dir), before, command)
                if command[1] == "verify":
                    self.assertTrue(done.stdout.startswith(f"ok {last} events"), (command, done.stdout))
            s.start()  # and the server still starts from what was left, every event there
            status, body = s.request("GET", f"/api/v1/events?after={last - 1}&limit=10")
            self.assertEqual(status, 200, body)
            self.assertEqual([e["seq"] for e in body["items"]], [last])
        finally:
            s.cleanup()

    def test_a_wal_without_its_index_is_refused_not_rebuilt(self):
        s = Server(NCC).start()
        try:
            s.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
            s.kill9()
            os.remove(os.path.join(s.data_dir, "events.db-shm"))
            before = self.fingerprint(s.data_dir)
            done = subprocess.run([NCC, "log", "verify", "--data", s.data_dir], capture_output=True, text=True)
            self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
            self.assertIn("events.db-shm", done.stderr)
            self.assertEqual(self.fingerprint(s.data_dir), before)
        finally:
            s.cleanup()


if __name__ == "__main__":
    main()
