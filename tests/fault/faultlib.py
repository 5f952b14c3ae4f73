"""Shared pieces of the fault harness (issue 17): a mixed history that remembers what the server
acknowledged, the damage a case applies to a file, and the checks that every acknowledged record
is served back. Standard library only."""
import glob
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import now_ms, seed, Server  # noqa: E402,F401  (re-exported for the tests)

INCIDENT = {"type": "police.patrol", "priority": 4, "location": {"lat": 25.2, "lon": 51.5}}


class Acked:
    """What the server acknowledged: incidents (id -> summary, status, notes), fixes (times) and
    the highest seq of an acknowledged command."""

    def __init__(self, unit):
        self.unit = unit
        self.incidents = {}
        self.fixes = set()
        self.last_seq = 0
        self.unit_status = "available"

    def count(self):
        return len(self.incidents) + len(self.fixes)


def post(s, path, body, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return s.request("POST", path, body, headers=headers)


def create_incident(s, acked, summary):
    status, body = post(s, "/api/v1/incidents", dict(INCIDENT, summary=summary), key=summary)
    assert status == 201, (status, body)
    acked.incidents[body["id"]] = {"summary": summary, "status": "new", "notes": []}
    acked.last_seq = max(acked.last_seq, body["seq"])
    return body["id"]


def add_note(s, acked, incident, text):
    status, body = post(s, f"/api/v1/incidents/{incident}/notes", {"text": text})
    assert status in (200, 201), (status, body)
    acked.incidents[incident]["notes"].append(text)
    acked.last_seq = max(acked.last_seq, body.get("seq", 0) if isinstance(body, dict) else 0)


def change_status(s, acked, incident, to):
    status, body = post(s, f"/api/v1/incidents/{incident}/status", {"status": to})
    assert status == 200, (status, body)
    acked.incidents[incident]["status"] = to


def toggle_unit(s, acked):
    to = "out_of_service" if acked.unit_status == "available" else "available"
    status, body = post(s, f"/api/v1/units/{acked.unit}/status", {"status": to})
    assert status == 200, (status, body)
    acked.unit_status = to


def post_fixes(s, acked, times):
    fixes = [{"unit": acked.unit, "time": t, "lat": 25.2 + (t % 1000) * 1e-5, "lon": 51.5} for t in times]
    status, body = s.request("POST", "/api/v1/positions", fixes)
    assert status == 202 and body["accepted"] == len(times), (status, body)
    acked.fixes.update(times)


def build_history(ncc, data_dir, kill9, rounds=40, snapshot_every=25, burst=30):
    """Writes a mixed history (incidents, notes, status changes, unit status, fixes; snapshots
    every `snapshot_every` events), then stops: SIGTERM, or kill -9 right after a burst of
    creates so that the WAL holds frames no checkpoint has copied yet. Returns Acked."""
    s = Server(ncc, data_dir=data_dir, extra=["--snapshot-every", str(snapshot_every)]).start()
    acked = Acked(seed(s))
    t0 = now_ms() - 3_600_000
    for k in range(rounds):
        incident = create_incident(s, acked, f"h{k}")
        if k % 3 == 0:
            add_note(s, acked, incident, f"note for h{k}")
        if k % 4 == 1:
            change_status(s, acked, incident, "triaged")
        if k % 10 == 5:
            toggle_unit(s, acked)
        post_fixes(s, acked, [t0 + k * 10_000 + j * 1000 for j in range(5)])
    if kill9:
        for k in range(burst):
            create_incident(s, acked, f"b{k}")
        s.kill9()
    else:
        s.stop()
    return acked


# --- damage -----------------------------------------------------------------------------------

def newest_snapshot(data_dir):
    snaps = glob.glob(os.path.join(data_dir, "snapshots", "snapshot-*.bin"))
    return max(snaps, key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0])) if snaps else None


def resolve(data_dir, name):
    if name == "snapshots/<newest>":
        return newest_snapshot(data_dir)
    return os.path.join(data_dir, name)


def damage(path, how, arg):
    """Applies one damage to `path`; returns a short description of what was done."""
    size = os.path.getsize(path)
    if how == "flip":
        at = min(size - 1, int(size * arg / 100))
        with open(path, "r+b") as f:
            f.seek(at)
            b = f.read(1)[0]
            f.seek(at)
            f.write(bytes([b ^ 0xFF]))
        return f"byte {at} of {size} flipped"
    if how == "truncate_pct":
        os.truncate(path, int(size * arg / 100))
        return f"cut from {size} to {int(size * arg / 100)} bytes"
    if how == "truncate_tail":
        os.truncate(path, max(0, size - arg))
        return f"last {arg} of {size} bytes cut"
    if how == "delete":
        os.remove(path)
        return f"deleted ({size} bytes)"
    if how == "append_garbage":
        with open(path, "ab") as f:
            f.write(bytes((i * 131 + 7) % 256 for i in range(arg)))
        return f"{arg} bytes of garbage appended to {size}"
    raise ValueError(how)


# --- checks -----------------------------------------------------------------------------------

class Reopened(Server):
    """A Server on a data folder that already has the tester account."""

    def __init__(self, ncc, data_dir, extra=()):
        self._reopening = True
        super().__init__(ncc, data_dir=data_dir, extra=extra)
        self._reopening = False

    def add_user(self, *args, **kwargs):
        if not self._reopening:
            super().add_user(*args, **kwargs)


def try_start(ncc, data_dir, extra=()):
    """Starts `ncc serve` on the folder: (Server, None) when it came up and the tester signed
    in; (None, what it said) when it refused, died, or came up without the account."""
    s = Reopened(ncc, data_dir, extra)
    try:
        s.start()
        return s, None
    except RuntimeError as e:
        up = s.proc is not None and s.proc.poll() is None
        s.stop()
        return None, ("came up, but: " if up else "") + str(e) + "\n" + s.read_log()[-4000:]


def log_verify(ncc, data_dir):
    done = subprocess.run([ncc, "log", "verify", "--data", data_dir], capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def all_events(s, limit=1000):
    """Every event from /api/v1/events; (events, error body or None)."""
    events, after = [], 0
    while True:
        status, page = s.request("GET", f"/api/v1/events?after={after}&limit={limit}")
        if status != 200:
            return events, page
        events += page["items"]
        if not page["items"] or page["last_seq"] >= page["head"]:
            return events, None
        after = page["last_seq"]


def missing_incidents(s, acked):
    """Acknowledged incidents not served as acknowledged (absent, other summary or status, a
    note gone)."""
    missing = []
    for incident, want in acked.incidents.items():
        status, body = s.request("GET", f"/api/v1/incidents/{incident}")
        if status != 200 or body.get("summary") != want["summary"] or body.get("status") != want["status"]:
            missing.append(incident)
            continue
        served = json.dumps(body.get("timeline", []))
        if any(note not in served for note in want["notes"]):
            missing.append(incident)
    return missing


def served_fixes(s, unit):
    status, track = s.request("GET", f"/api/v1/units/{unit}/track")
    assert status == 200, (status, track)
    return {f["time"] for f in track["fixes"]}


def metric(s, name):
    status, text = s.request("GET", "/metrics")
    m = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text if isinstance(text, str) else "", re.M)
    return float(m.group(1)) if m else None


def wait_for(predicate, timeout=10, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
