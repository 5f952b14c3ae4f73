"""kill -9 at a random point under mixed load, N rounds on one data folder (issue 17): every
acknowledged incident is there exactly once, every acknowledged fix is in the unit's track, and
a stream reader that reconnects with ?after=<its last seq> gets every later event, no gap, no
repeat. Clients create incidents with an Idempotency-Key and retry each key (on the restarted
server too) until it is answered, so a command whose answer the kill swallowed is never applied
twice.

  test_kill9.py --ncc PATH [--rounds N] [--seconds S] [--json OUT]   (env NCC_KILL9_ROUNDS)"""
import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402
from harness import WebSocket  # noqa: E402

ARGS = None
CREATORS = 4


class Load:
    """The clients' shared state: the live server's port, what was acknowledged, counters."""

    def __init__(self, server, unit):
        self.server = server
        self.unit = unit
        self.lock = threading.Lock()
        self.up = threading.Event()
        self.stop = threading.Event()
        self.incidents = {}  # key -> id of the first 201
        self.fixes = set()
        self.next_fix = fl.now_ms() - 3_600_000
        self.retries = 0
        self.replayed = 0

    def request(self, method, path, body=None, headers=None):
        """One request to whichever server is up; raises OSError while none is."""
        if not self.up.is_set():
            raise ConnectionError("server down")
        return self.server.request(method, path, body, headers=headers)


def creator(load, n):
    """Creates incidents, one key at a time; a key is retried until it is answered."""
    k = 0
    while not load.stop.is_set():
        key = f"c{n}-{k}"
        while not load.stop.is_set():
            try:
                status, body = load.request("POST", "/api/v1/incidents", dict(fl.INCIDENT, summary=key),
                                            {"Idempotency-Key": key})
            except (OSError, ValueError):
                status, body = None, None
            if status == 201:
                with load.lock:
                    assert load.incidents.setdefault(key, body["id"]) == body["id"], (key, body)
                break
            with load.lock:
                load.retries += 1
            time.sleep(0.02)
        k += 1


def fix_poster(load):
    """Posts batches of fixes with fresh times; a batch is acknowledged only by its 202."""
    while not load.stop.is_set():
        with load.lock:
            times = [load.next_fix + j for j in range(1, 6)]
            load.next_fix += 5
        fixes = [{"unit": load.unit, "time": t, "lat": 25.3, "lon": 51.5} for t in times]
        try:
            status, body = load.request("POST", "/api/v1/positions", fixes)
        except (OSError, ValueError):
            time.sleep(0.02)
            continue
        if status == 202 and body["accepted"] == len(times):
            with load.lock:
                load.fixes.update(times)


class StreamReader:
    """Follows /api/v1/stream; after every reconnect it asks for ?after=<last seq seen>."""

    def __init__(self, load):
        self.load = load
        self.last = 0
        self.gaps = []
        self.repeats = 0
        self.reconnects = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.load.stop.is_set():
            if not self.load.up.wait(0.1):
                continue
            try:
                self.follow(WebSocket(self.load.server.port, f"/api/v1/stream?after={self.last}",
                                      token=self.load.server.token, timeout=1))
            except (OSError, ConnectionError, ValueError, AssertionError):
                pass
            self.reconnects += 1

    def follow(self, ws):
        try:
            while not self.load.stop.is_set():
                try:
                    kind, data = ws.recv()
                except TimeoutError:
                    continue
                if kind != "text":
                    return
                seq = json.loads(data).get("seq")
                if seq is None:
                    continue
                if seq <= self.last:
                    self.repeats += 1
                elif seq != self.last + 1:
                    self.gaps.append((self.last, seq))
                self.last = max(self.last, seq)
        finally:
            ws.sock.close()


def all_incidents(s):
    stored, after = [], 0
    while True:
        status, page = s.request("GET", f"/api/v1/incidents?limit=1000&after={after}")
        assert status == 200, page
        stored += page["items"]
        if page.get("next_after") is None:
            return stored
        after = page["next_after"]


def tally(load, s):
    """(acknowledged, lost, duplicated) over incidents and fixes, on the running server."""
    by_key = {}
    for i in all_incidents(s):
        by_key.setdefault(i["summary"], []).append(i["id"])
    lost = [k for k, i in load.incidents.items() if i not in by_key.get(k, [])]
    duplicated = sum(len(v) - 1 for v in by_key.values())
    lost_fixes = load.fixes - fl.served_fixes(s, load.unit)
    return len(load.incidents) + len(load.fixes), len(lost) + len(lost_fixes), duplicated


class Kill9Rounds(unittest.TestCase):
    def test_acknowledged_records_survive_kill9_exactly_once(self):
        s = fl.Server(ARGS.ncc, extra=["--snapshot-every", "500"]).start()
        load = Load(s, fl.seed(s))
        load.up.set()
        reader = StreamReader(load)
        threads = [threading.Thread(target=creator, args=(load, n), daemon=True) for n in range(CREATORS)]
        threads += [threading.Thread(target=fix_poster, args=(load,), daemon=True), reader.thread]
        rng = random.Random(ARGS.seed)
        rows = []
        try:
            for t in threads:
                t.start()
            for r in range(ARGS.rounds):
                time.sleep(rng.uniform(0.3, 1.0) * ARGS.seconds)
                load.up.clear()
                s.kill9()
                s.start()
                load.up.set()
                time.sleep(0.3)  # let the retries of the swallowed answers land
                with load.lock:
                    rows.append(tally(load, s))
                print(f"round {r}: acknowledged {rows[-1][0]}, lost {rows[-1][1]}, duplicated {rows[-1][2]}, "
                      f"stream at seq {reader.last}, {load.retries} retries", file=sys.stderr)
            load.stop.set()
            for t in threads:
                t.join(timeout=30)
            acked, lost, duplicated = tally(load, s)
            status, health = s.request("GET", "/healthz")
            self.finish(reader, health, acked, lost, duplicated)
            s.stop()
            verify = subprocess.run([ARGS.ncc, "log", "verify", "--data", s.data_dir],
                                    capture_output=True, text=True)
            self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
            self.assertEqual((lost, duplicated, reader.gaps, reader.repeats), (0, 0, [], 0))
            self.assertGreater(len(load.incidents), 0)
            self.assertGreater(len(load.fixes), 0)
        finally:
            load.stop.set()
            s.cleanup()

    def finish(self, reader, health, acked, lost, duplicated):
        print(f"{ARGS.rounds} rounds: acknowledged {acked}, lost {lost}, duplicated {duplicated}, "
              f"stream gaps {len(reader.gaps)} repeats {reader.repeats} over {reader.reconnects} "
              f"reconnects (last seq {reader.last}, log at {health.get('last_seq')})", file=sys.stderr)
        if ARGS.json:
            with open(ARGS.json, "w") as f:
                json.dump({"rounds": ARGS.rounds, "seconds": ARGS.seconds, "acknowledged": acked,
                           "lost": lost, "duplicated": duplicated, "stream_gaps": len(reader.gaps),
                           "stream_repeats": reader.repeats}, f)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ncc", required=True)
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("NCC_KILL9_ROUNDS", "3")))
    parser.add_argument("--seconds", type=float, default=3.0, help="longest time between kills")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--json", help="write the totals here (for report.py)")
    ARGS, rest = parser.parse_known_args()
    print(f"seed {ARGS.seed}", file=sys.stderr)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
