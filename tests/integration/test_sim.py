"""`ncc sim` and `ncc demo` as a user runs them, on the real SF calls and the north-SF graph:
the run's one line of JSON and its folder (a normal data folder: `ncc log verify` passes with the
run's digest), the same digest twice, mapping files refused naming the column, and the demo with
units driving through the AVL lane and real recommendations from the SF plans."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import main, free_port

NCC = None
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Sim(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = os.environ.get("NCC_DATA_DIR", "")
        osm = os.path.join(cls.data, "osm", "sf-north-2020.osm")
        cls.calls = os.path.join(cls.data, "calls", "sf_fire_calls_for_service_2020-04.csv")
        if not os.path.exists(osm) or not os.path.exists(cls.calls):
            raise unittest.SkipTest("no data folder with the SF extract and calls")
        cls.tmp = tempfile.mkdtemp(prefix="ncc-sim-")
        cls.graph = os.path.join(cls.tmp, "sf.graph")
        done = subprocess.run([NCC, "import-osm", osm, "--out", cls.graph], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def sim(self, out, *extra):
        return subprocess.run([NCC, "sim", "--graph", self.graph, "--calls", self.calls, "--seed", "3",
                               "--out", os.path.join(self.tmp, out), "--limit-calls", "30", *extra],
                              capture_output=True, text=True, timeout=240)

    def test_run_prints_its_figures_and_leaves_a_verifiable_folder(self):
        done = self.sim("a", "--policy", "ncc+moveup")
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.strip().splitlines()
        self.assertEqual(len(lines), 1, done.stdout)  # stdout: the JSON only
        figures = json.loads(lines[0])
        for key in ("policy", "seed", "calls", "events", "seconds", "events_per_s", "first_unit_travel_p50_s",
                    "first_unit_travel_p90_s", "within_240s_pct", "log_digest"):
            self.assertIn(key, figures)
        self.assertEqual((figures["policy"], figures["seed"], figures["calls"]), ("ncc+moveup", 3, 30))
        self.assertEqual((figures["refused"], figures["fixes_refused"]), (0, 0))
        self.assertIn("sim: 100%", done.stderr)  # progress lines when stderr is not a terminal
        with open(os.path.join(self.tmp, "a", "run.json")) as f:
            self.assertEqual(json.load(f), figures)
        verify = subprocess.run([NCC, "log", "verify", "--data", os.path.join(self.tmp, "a")],
                                capture_output=True, text=True)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        self.assertIn("chain head " + figures["log_digest"], verify.stdout)
        again = self.sim("b", "--policy", "ncc+moveup")
        self.assertEqual(json.loads(again.stdout)["log_digest"], figures["log_digest"])
        # A run folder is not overwritten by accident.
        refused = self.sim("a", "--policy", "ncc")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("--overwrite", refused.stderr)

    def test_a_mapping_with_a_wrong_column_is_refused_naming_it(self):
        with open(os.path.join(SOURCE, "config", "mappings", "sf-fire.json")) as f:
            mapping = json.load(f)
        mapping["columns"]["on_scene"] = "OnScene DtTm"
        path = os.path.join(self.tmp, "typo.json")
        with open(path, "w") as f:
            json.dump(mapping, f)
        done = self.sim("typo", "--mapping", path)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("'OnScene DtTm'", done.stderr)
        self.assertIn("columns.on_scene", done.stderr)

    def test_an_export_without_locations_is_analytics_only(self):
        done = subprocess.run([NCC, "sim", "--graph", self.graph, "--out", os.path.join(self.tmp, "va"),
                               "--calls", os.path.join(self.data, "calls", "virginia_psap_cad_2025", "week35.csv"),
                               "--mapping", os.path.join(SOURCE, "config", "mappings", "virginia-psap.json")],
                              capture_output=True, text=True)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("analytics only", done.stderr)
        self.assertIn("columns.location", done.stderr)

    def test_demo_drives_units_and_recommends_from_the_sf_plans(self):
        port = free_port()
        data_dir = os.path.join(self.tmp, "demo")
        proc = subprocess.Popen([NCC, "demo", "--data", data_dir, "--listen", f"127.0.0.1:{port}",
                                 "--shared-data", self.data, "--reset", "--graph", self.graph, "--speed", "300"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(proc.stdout.close)
        try:
            password = None
            deadline = time.time() + 60
            while time.time() < deadline and password is None:
                line = proc.stdout.readline()
                m = re.search(r"password '([^']+)'", line)
                if m:
                    password = m.group(1)
            self.assertIsNotNone(password, "the demo printed no password")
            base = f"http://127.0.0.1:{port}"

            def call(method, path, body=None, token=None):
                req = urllib.request.Request(base + path, method=method,
                                             data=json.dumps(body).encode() if body is not None else None,
                                             headers={"Content-Type": "application/json",
                                                      **({"Authorization": "Bearer " + token} if token else {})})
                with urllib.request.urlopen(req, timeout=10) as r:
                    text = r.read().decode()
                    return json.loads(text) if text.startswith(("{", "[")) else text

            token = call("POST", "/api/v1/auth/login", {"username": "demo", "password": password})["access_token"]

            def fixes():
                metrics = call("GET", "/metrics", token=token)
                m = re.search(r'ncc_avl_fixes_accepted_total\{source="http"\} (\d+)', metrics)
                return int(m.group(1)) if m else 0

            deadline = time.time() + 60
            while time.time() < deadline and fixes() == 0:
                time.sleep(0.5)
            first = fixes()
            self.assertGreater(first, 0, "no unit drove")
            time.sleep(3)
            self.assertGreater(fixes(), first, "units stopped driving")
            listed = call("GET", "/api/v1/incidents?limit=50", token=token)
            incidents = listed["items"]
            medical = [i for i in incidents if i["type"].startswith("medical")]
            self.assertTrue(medical, [i["type"] for i in incidents])
            rec = call("POST", f"/api/v1/incidents/{medical[0]['id']}/recommendation", {}, token=token)
            self.assertEqual(rec["plan"], "medical", rec)
            self.assertTrue(rec["units"], rec)  # the SF plans ask for units SF has
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
