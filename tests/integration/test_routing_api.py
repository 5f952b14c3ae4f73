"""Road travel times over HTTP on a real extract: `ncc import-osm` then `ncc serve --graph`."""
import os
import subprocess
import tempfile
import unittest

from harness import main, Server

NCC = None


class RoutingApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        data = os.environ.get("NCC_DATA_DIR", "")
        osm = os.path.join(data, "osm", "sf-north-2020.osm")
        if not os.path.exists(osm):
            raise unittest.SkipTest("no data folder with osm/sf-north-2020.osm")
        cls.tmp = tempfile.mkdtemp(prefix="ncc-graph-")
        cls.graph = os.path.join(cls.tmp, "sf.graph")
        done = subprocess.run([NCC, "import-osm", osm, "--out", cls.graph], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        cls.server = Server(NCC, extra=["--graph", cls.graph]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_route_between_two_real_places(self):
        # Marina Green to the Ferry Building, both in the extract.
        status, body = self.server.request("GET", "/api/v1/route?from=37.8065,-122.4420&to=37.7955,-122.3937")
        self.assertEqual(status, 200, body)
        self.assertGreater(body["seconds"], 120)
        self.assertGreater(body["meters"], 4000)
        self.assertEqual(body["geometry"]["type"], "LineString")

    def test_eta_one_origin_many_targets(self):
        targets = [{"lat": 37.7955, "lon": -122.3937}, {"lat": 37.80, "lon": -122.45}, {"lat": 37.83, "lon": -122.47}]
        status, body = self.server.request("POST", "/api/v1/eta", {"origin": {"lat": 37.8065, "lon": -122.4420},
                                                                   "targets": targets})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["results"]), 3)
        self.assertIn("seconds", body["results"][0])
        self.assertIn("error", body["results"][2])  # in the Golden Gate strait: too far from a road

    def test_bad_points(self):
        status, body = self.server.request("GET", "/api/v1/route?from=37.8065&to=37.7955,-122.3937")
        self.assertEqual((status, body["error"]["field"]), (400, "from"))
        status, body = self.server.request("GET", "/api/v1/route?from=97.8,-122.4&to=37.7955,-122.3937")
        self.assertEqual((status, body["error"]["field"]), (400, "from.lat"))
        status, body = self.server.request("GET", "/api/v1/route?from=37.83,-122.47&to=37.7955,-122.3937")
        self.assertEqual(status, 422, body)  # in the sea
        self.assertIn("road", body["error"]["message"])
        status, body = self.server.request("POST", "/api/v1/eta", {"origin": {"lat": 37.8, "lon": -122.4},
                                                                   "targets": [{"lat": "x", "lon": 1}]})
        self.assertEqual((status, body["error"]["field"]), (400, "targets[0].lat"))

    def test_needs_sign_in(self):
        status, _ = self.server.request("GET", "/api/v1/route?from=37.8065,-122.4420&to=37.7955,-122.3937", token=False)
        self.assertEqual(status, 401)


if __name__ == "__main__":
    main()
