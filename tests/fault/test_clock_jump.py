"""Clock jumps (issue 17, finding 7): ncc started under libfaketime with its wall clock a day
behind the log, then stepped forward and back while it runs, never stamps an event earlier than
the one before it: the times in /api/v1/events never run backwards, and `ncc log verify` (which
checks time order) passes. The monotonic clock is left alone, as an NTP step would.

Needs the Debian package faketime (scripts/setup installs it); skipped, loudly, without it.

  test_clock_jump.py --ncc PATH [--json OUT]"""
import argparse
import datetime
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402

ARGS = None
LIBS = glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1") + glob.glob("/usr/lib/faketime/libfaketimeMT.so.1")
# What the clock says, in turn, relative to the real time: a restart a day back, then steps.
STEPS = ["-1d", "-1d +2h", "-1d -3h", "+0s", "-10m"]


def parse(t):
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))


class ClockJumps(unittest.TestCase):
    def setUp(self):
        if not LIBS:
            self.skipTest("libfaketime is not installed (Debian package faketime; scripts/setup)")
        self.spec = tempfile.NamedTemporaryFile("w", prefix="ncc-faketime-", delete=False)
        self.spec.close()

    def tearDown(self):
        os.unlink(self.spec.name)

    def set_clock(self, offset):
        """The faked clock: FAKETIME_NO_CACHE makes ncc read this file at every clock call."""
        with open(self.spec.name, "w") as f:
            f.write(offset_sum(offset))

    def start_faked(self, s):
        env = {"LD_PRELOAD": LIBS[0], "FAKETIME_TIMESTAMP_FILE": self.spec.name,
               "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            s.token = None
            s.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k)
                else:
                    os.environ[k] = v

    def create(self, s, acked, label, n=5):
        s.token = s.login("tester")  # a step forward may outlive the token
        for k in range(n):
            fl.create_incident(s, acked, f"{label}-{k}")

    def test_event_times_never_run_backwards(self):
        s = fl.Server(ARGS.ncc).start()
        try:
            acked = fl.Acked(fl.seed(s))
            self.create(s, acked, "real")
            s.stop()
            self.set_clock(STEPS[0])
            self.start_faked(s)
            yesterday = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1))
            self.assertIn(f"[{yesterday:%Y-%m-%d} ", s.read_log(), "the faked clock did not reach ncc")
            for step in STEPS:
                self.set_clock(step)
                time.sleep(0.05)
                self.create(s, acked, "at" + offset_sum(step))
            events, error = fl.all_events(s)
            self.assertIsNone(error)
            self.assertEqual(fl.missing_incidents(s, acked), [])
            s.stop()
            times = [parse(e["time"]) for e in events]
            backwards = [(events[i]["seq"], events[i]["time"], events[i + 1]["time"])
                         for i in range(len(times) - 1) if times[i + 1] < times[i]]
            verify = subprocess.run([ARGS.ncc, "log", "verify", "--data", s.data_dir],
                                    capture_output=True, text=True)
            self.report(len(events), backwards, verify)
            self.assertEqual(backwards, [], "event times run backwards")
            self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        finally:
            s.cleanup()

    def report(self, count, backwards, verify):
        print(f"clock steps {STEPS}: {count} events, {len(backwards)} backward steps, "
              f"log verify: {verify.stdout.strip()[:80]}", file=sys.stderr)
        if ARGS.json:
            with open(ARGS.json, "w") as f:
                json.dump({"steps": STEPS, "events": count, "backwards": len(backwards),
                           "verify_ok": verify.returncode == 0}, f)


def offset_sum(spec):
    """'-1d +2h' -> '-79200' (seconds): libfaketime takes one offset."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    total = sum(int(p[:-1]) * units[p[-1]] for p in spec.split())
    return f"{total:+d}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ncc", required=True)
    parser.add_argument("--json", help="write the totals here (for report.py)")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
