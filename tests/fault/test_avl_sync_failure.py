"""`ncc serve` with the track store's disk failing under it (issue 17, finding 6), through the
LD_PRELOAD shim (failshim.c): the AVL lane stops at the first failed fdatasync (or write) like
the event log, never acknowledges a fix after it, keeps no refused fix in the live index or the
file, says so on /healthz and /metrics, and after a restart stores the refused fixes when they
are sent again."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import main, Server, now_ms, seed  # noqa: E402

NCC = None
SHIM = None


class AvlSyncFailure(unittest.TestCase):
    def start_failing(self, server, ops, err, after):
        """Starts `server` with the shim failing `ops` on tracks.ncctrk after `after` calls."""
        env = {"LD_PRELOAD": SHIM, "NCC_FAIL_PATH_SUBSTR": "tracks.ncctrk", "NCC_FAIL_OPS": ops,
               "NCC_FAIL_ERRNO": err, "NCC_FAIL_AFTER": str(after),
               # Sanitizer builds: the shim is loaded before their runtime, which is fine here.
               "ASAN_OPTIONS": "verify_asan_link_order=0:" + os.environ.get("ASAN_OPTIONS", "")}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            server.start()
        finally:  # only the server gets the shim, and only this start
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def units(self, server):
        units = [seed(server)]
        for callsign in ("police-2", "police-3"):
            status, body = server.request("POST", "/api/v1/units",
                                          {"callsign": callsign, "agency": "police", "kind": "patrol"})
            self.assertEqual(status, 201, body)
            units.append(body["id"])
        return units

    def batch(self, units, t0, b):
        return [{"unit": u, "time": t0 + b * 1000, "lat": 25.28 + b * 1e-5 + u * 1e-3, "lon": 51.5}
                for u in units]

    def track_times(self, server, u):
        status, track = server.request("GET", f"/api/v1/units/{u}/track")
        self.assertEqual(status, 200, track)
        return [f["time"] for f in track["fixes"]]

    def check(self, ops, err, message):
        server = Server(NCC)
        try:
            # Sync 1 creates the file; the fault comes after a few acknowledged groups.
            self.start_failing(server, ops, err, after=12)
            units = self.units(server)
            t0 = now_ms() - 600_000
            acked = {u: [] for u in units}
            last_lat = {}
            refused, refused_at = None, None
            for b in range(100):
                fixes = self.batch(units, t0, b)
                status, body = server.request("POST", "/api/v1/positions", fixes)
                if status == 202:
                    self.assertIsNone(refused, "a fix was acknowledged after the lane stopped")
                    self.assertEqual(body["accepted"], len(units), body)
                    for f in fixes:
                        acked[f["unit"]].append(f["time"])
                        last_lat[f["unit"]] = f["lat"]
                    continue
                self.assertEqual(status, 503, body)
                self.assertEqual(body["error"]["code"], "unavailable", body)
                self.assertIn(message, body["error"]["message"])
                self.assertIn("tracks.ncctrk", body["error"]["message"])
                if refused is None:
                    refused, refused_at = fixes, b
                if b >= refused_at + 3:  # a few more, all refused
                    break
            self.assertIsNotNone(refused, "the shim never failed a call")
            self.assertGreaterEqual(len(acked[units[0]]), 5)
            self.assertIn("failshim: ", server.read_log())  # the fault was ours, not the disk's

            # The live index holds only acknowledged fixes; so does the track.
            for u in units:
                status, unit = server.request("GET", f"/api/v1/units/{u}")
                self.assertEqual(status, 200, unit)
                self.assertAlmostEqual(unit["position"]["lat"], last_lat[u], places=6)
                self.assertEqual(self.track_times(server, u), acked[u])
            status, listed = server.request("GET", "/api/v1/units")
            for unit in listed["items"]:
                self.assertAlmostEqual(unit["position"]["lat"], last_lat[unit["id"]], places=6)

            # The server says the lane stopped, and why (the cause only to audit readers).
            status, health = server.request("GET", "/healthz", token=False)
            self.assertEqual(status, 503, health)
            self.assertNotIn("tracks.ncctrk", health["error"]["message"])
            status, health = server.request("GET", "/healthz")
            self.assertEqual(status, 503, health)
            self.assertIn(message, health["error"]["message"])
            status, metrics = server.request("GET", "/metrics")
            self.assertIn("ncc_avl_lane_up 0", metrics)
            self.assertIn("ncc_avl_sync_failures_total 1", metrics)
            # Everything else keeps working.
            status, _ = server.request("GET", "/api/v1/incidents")
            self.assertEqual(status, 200)

            server.stop()
            server.start()  # no shim: the disk is back
            status, health = server.request("GET", "/healthz")
            self.assertEqual(status, 200, health)
            for u in units:  # every acknowledged fix, no refused one
                self.assertEqual(self.track_times(server, u), acked[u])
            status, body = server.request("POST", "/api/v1/positions", refused)
            self.assertEqual(status, 202, body)
            self.assertEqual(body["accepted"], len(units), body)
            self.assertEqual(body["rejected"], [])  # not "same time as the current fix"
            for u in units:
                self.assertEqual(self.track_times(server, u), acked[u] + [refused[0]["time"]])
        finally:
            server.cleanup()

    def test_eio_on_fdatasync(self):
        self.check("fdatasync", "EIO", "Input/output error")

    def test_enospc_on_write(self):
        self.check("pwrite", "ENOSPC", "No space left on device")


if __name__ == "__main__":
    main(extra_options=["--shim"])
