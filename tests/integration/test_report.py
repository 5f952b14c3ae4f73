"""`ncc report` and `ncc compare` on a data folder a real `ncc serve` wrote: a small hand-made
scenario through the HTTP API (agencies, units, incidents, assignments, status steps), the
server stopped, then the report commands run on the folder as a user would. Checks: the HTML
opens offline (no http(s) reference, no script), --from/--to select incidents, a run.json is
read and a bad one named, a bad --data folder is refused clearly, compare prints its table,
and Debian's chromium prints the report to a non-trivial PDF (skipped without chromium)."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from datetime import datetime, timezone

from harness import main, Server

NCC = None
CHROMIUM = os.environ.get("NCC_CHROMIUM", "/usr/bin/chromium")


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def ncc(*args):
    done = subprocess.run([NCC, *args], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def fill(server, incidents=6):
    """Six incidents, one unit each, every step; returns the time between the 3rd and 4th."""
    req = server.request
    assert req("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})[0] == 201
    units = []
    for k in range(3):
        status, unit = req("POST", "/api/v1/units", {"callsign": f"P{k + 1}", "agency": "police", "kind": "patrol"})
        assert status == 201, unit
        units.append(unit["id"])
    middle = None
    for k in range(incidents):
        if k == incidents // 2:
            time.sleep(0.05)
            middle = int(time.time() * 1000)
            time.sleep(0.05)
        status, inc = req("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 1 + k % 2, "location": {"lat": 37.79 + k / 1000, "lon": -122.42}})
        assert status == 201, inc
        unit = units[k % 3]
        status, body = req("POST", f"/api/v1/incidents/{inc['id']}/assignments", {"unit": unit})
        assert status in (200, 201), body
        for step in ("en_route", "on_scene", "available"):
            time.sleep(0.01)
            status, body = req("POST", f"/api/v1/units/{unit}/status", {"status": step})
            assert status == 200, body
        status, body = req("POST", f"/api/v1/incidents/{inc['id']}/status", {"status": "resolved"})
        assert status == 200, body
    return middle


class Report(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(NCC)
        cls.server.start()
        cls.middle = fill(cls.server)
        cls.server.stop()
        cls.out = tempfile.mkdtemp(prefix="ncc-report-")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.out, ignore_errors=True)

    def report(self, *extra, data=None):
        path = os.path.join(self.out, f"r{len(os.listdir(self.out))}.html")
        rc, out, err = ncc("report", "--data", data or self.server.data_dir, "--out", path, "--bootstrap", "200", *extra)
        return rc, err, path

    def test_report_is_one_offline_file_naming_its_log(self):
        rc, err, path = self.report()
        self.assertEqual(rc, 0, err)
        self.assertIn("read", err)  # progress and what was read go to stderr
        html = read(path)
        for banned in ("http://", "https://", "<script", "src=", "href=", "url(", "@import"):
            self.assertNotIn(banned, html)
        self.assertIn("): 6 of 6", html)
        self.assertIn("From log seq", html)
        self.assertIn("NFPA 1710: 240 s", html)
        self.assertIn("en_route_before_dispatch", html)
        self.assertIn("<svg", html)
        # The folder is unchanged by reading it (read-only, as `ncc log verify`).
        rc, out, _ = ncc("log", "verify", "--data", self.server.data_dir)
        self.assertEqual(rc, 0, out)

    def test_from_and_to_select_incidents_by_creation_time(self):
        rc, err, path = self.report("--from", iso(self.middle))
        self.assertEqual(rc, 0, err)
        self.assertIn("): 3 of 6", read(path))
        rc, err, path = self.report("--to", iso(self.middle))
        self.assertEqual(rc, 0, err)
        self.assertIn("): 3 of 6", read(path))
        rc, err, _ = self.report("--from", "yesterday")
        self.assertEqual(rc, 2)
        self.assertIn("--from", err)
        rc, err, _ = self.report("--from", iso(self.middle), "--to", iso(self.middle - 1000))
        self.assertEqual(rc, 2)
        self.assertIn("--to must be later than --from", err)

    def test_a_bad_data_folder_is_refused_clearly(self):
        rc, err, path = self.report(data="/nonexistent/ncc-run")
        self.assertEqual(rc, 2)
        self.assertIn("no data folder /nonexistent/ncc-run", err)
        self.assertFalse(os.path.exists(path))
        empty = tempfile.mkdtemp(prefix="ncc-report-empty-")
        try:
            rc, err, _ = self.report(data=empty)
            self.assertEqual(rc, 2)
            self.assertIn("not an ncc data folder", err)
        finally:
            shutil.rmtree(empty)

    def test_run_json_is_shown_and_a_bad_one_named(self):
        run = os.path.join(self.out, "run")
        shutil.copytree(self.server.data_dir, run)
        info = {"policy": "ncc+moveup", "seed": 7, "calls": 6, "events": 1, "seconds": 0.5,
                "first_unit_travel_p50_s": 1.0, "first_unit_travel_p90_s": 2.0, "within_240s_pct": 100,
                "log_digest": "x"}
        with open(os.path.join(run, "run.json"), "w") as f:
            f.write(json.dumps(info) + "\n")
        rc, err, path = self.report(data=run)
        self.assertEqual(rc, 0, err)
        self.assertIn("policy <b>ncc+moveup</b>, seed 7", read(path))
        info["seed"] = "seven"
        with open(os.path.join(run, "run.json"), "w") as f:
            f.write(json.dumps(info) + "\n")
        rc, err, _ = self.report(data=run)
        self.assertEqual(rc, 2)
        self.assertIn("run.json: seed: must be an integer", err)

    def test_compare_prints_a_table_and_writes_html(self):
        path = os.path.join(self.out, "compare.html")
        rc, out, err = ncc("compare", self.server.data_dir, self.server.data_dir, "--out", path, "--bootstrap", "100")
        self.assertEqual(rc, 0, err)
        self.assertIn("first_unit_travel P90", out)
        self.assertRegex(out, r"first_unit_travel P90 .* 0\.0 s")  # a run against itself
        html = read(path)
        self.assertNotIn("http://", html)
        self.assertNotIn("https://", html)
        rc, out, err = ncc("compare", self.server.data_dir, "/nonexistent/b", "--out", path)
        self.assertEqual(rc, 2)
        self.assertIn("no data folder /nonexistent/b", err)

    def test_chromium_prints_the_report_to_pdf(self):
        if not os.path.exists(CHROMIUM):
            self.skipTest(f"{CHROMIUM} not installed (scripts/setup installs it)")
        rc, err, path = self.report()
        self.assertEqual(rc, 0, err)
        pdf = os.path.join(self.out, "report.pdf")
        profile = tempfile.mkdtemp(prefix="ncc-report-chromium-")
        try:
            done = subprocess.run(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                 "file://" + os.path.abspath(path)],
                capture_output=True, text=True, timeout=120)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        self.assertTrue(os.path.exists(pdf), done.stderr[-2000:])
        with open(pdf, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"%PDF-"), data[:16])
        self.assertGreater(len(data), 20000)  # tables and vector figures, not a blank page
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
        self.assertGreaterEqual(pages, 3, "the report should span several A4 pages")


if __name__ == "__main__":
    main()
