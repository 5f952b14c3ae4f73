"""kill -9 under load: every acknowledged command must survive, and the chain must verify.

Concurrent clients create incidents (each with a unique summary) and post position fixes (each
with a unique time, so none is a duplicate). The server is SIGKILLed mid-load, restarted on the
same data, and every acknowledged write is looked up: incidents in the event log, fixes in the
AVL track store (GET /units/{id}/track), which is where the AVL lane keeps them (an acknowledged
fix is fdatasynced there before the 202). Repeated several times on the same data folder.
"""
import random
import subprocess
import threading
import time
import unittest

from harness import main, Server, now_ms, seed

NCC = None
ROUNDS = 5
CLIENTS = 12


class CrashRecovery(unittest.TestCase):
    def test_acknowledged_commands_survive_kill9(self):
        server = Server(NCC).start()
        try:
            unit = seed(server)
            acked_incidents = {}  # id -> summary
            acked_fixes = []  # times (ms) of acknowledged fixes
            next_time = [now_ms() - 3_600_000]  # unique, increasing fix times across clients
            lock = threading.Lock()
            for round_no in range(ROUNDS):
                stop = threading.Event()

                def client(n):
                    conn = server.connection(timeout=5)
                    k = 0
                    while not stop.is_set():
                        k += 1
                        try:
                            if k % 3:
                                summary = f"r{round_no}-c{n}-k{k}"
                                status, body = server.request("POST", "/api/v1/incidents", {
                                    "type": "police.robbery", "priority": 2, "agency": "police",
                                    "location": {"lat": 25.28 + k * 1e-5, "lon": 51.52}, "summary": summary},
                                    conn=conn)
                                if status == 201:
                                    with lock:
                                        acked_incidents[body["id"]] = summary
                            else:
                                with lock:
                                    next_time[0] += 1
                                    t = next_time[0]
                                status, body = server.request("POST", "/api/v1/positions", [
                                    {"unit": unit, "lat": 25.3, "lon": 51.5, "time": t}], conn=conn)
                                if status == 202 and body["accepted"] == 1:
                                    with lock:
                                        acked_fixes.append(t)
                        except OSError:
                            return  # the server died under us: whatever was not acked may be lost

                threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
                for t in threads:
                    t.start()
                time.sleep(random.uniform(0.6, 1.5))
                server.kill9()
                stop.set()
                for t in threads:
                    t.join()
                server.start()

                # Every acknowledged incident is there, with what the client sent.
                missing = []
                for incident_id, summary in acked_incidents.items():
                    status, body = server.request("GET", f"/api/v1/incidents/{incident_id}")
                    if status != 200 or body["summary"] != summary:
                        missing.append((incident_id, status))
                self.assertEqual(missing, [], f"round {round_no}: acknowledged incidents lost")
                status, health = server.request("GET", "/healthz")
                last = health["last_seq"]
                status, track = server.request("GET", f"/api/v1/units/{unit}/track")
                self.assertEqual(status, 200, track)
                stored = {f["time"] for f in track["fixes"]}
                lost = sorted(set(acked_fixes) - stored)
                self.assertEqual(lost, [], f"round {round_no}: acknowledged fixes lost")
                print(f"round {round_no}: {len(acked_incidents)} incidents and {len(acked_fixes)} "
                      f"fixes acknowledged so far, all present (log at seq {last}, "
                      f"{len(stored)} fixes in the track)", flush=True)
                self.assertGreater(len(acked_fixes), 0)
                self.assertGreater(len(acked_incidents), 0)

            server.stop()
            verify = subprocess.run([NCC, "log", "verify", "--data", server.data_dir], capture_output=True, text=True)
            self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
            self.assertTrue(verify.stdout.startswith("ok "), verify.stdout)
        finally:
            server.cleanup()


if __name__ == "__main__":
    main()
