"""Address search over HTTP on the real SF extract: `ncc serve --places`, as call intake uses it."""
import math
import os
import unittest
import urllib.parse

from harness import main, Server

NCC = None


def meters(a, b):
    dlat = math.radians(b[0] - a[0])
    dlon = math.radians(b[1] - a[1]) * math.cos(math.radians(a[0]))
    return 6371000 * math.hypot(dlat, dlon)


class GeocodeApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        data = os.environ.get("NCC_DATA_DIR", "")
        cls.osm = os.path.join(data, "osm", "sf-north-2020.osm")
        if not os.path.exists(cls.osm):
            raise unittest.SkipTest("no data folder with osm/sf-north-2020.osm")
        cls.server = Server(NCC, extra=["--places", cls.osm]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def search(self, q, **more):
        query = urllib.parse.urlencode({"q": q, **more})
        return self.server.request("GET", "/api/v1/geocode?" + query)

    def test_crossing_as_sf_dispatch_writes_it(self):
        # DataSF's calls for service of April 2020 place this crossing at 37.797507, -122.432204
        # (call 200980934).
        status, body = self.search("UNION ST/BUCHANAN ST")
        self.assertEqual(status, 200, body)
        best = body["matches"][0]
        self.assertEqual(best["kind"], "intersection", best)
        self.assertLess(meters((best["lat"], best["lon"]), (37.797507, -122.432204)), 25, best)

    def test_the_same_crossing_as_a_caller_says_it(self):
        for q in ("Union and Buchanan", "union & buchanan", "Buchanan at Union"):
            status, body = self.search(q)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["matches"][0]["kind"], "intersection", (q, body))

    def test_prefix_while_typing_and_limit(self):
        status, body = self.search("fillm", limit=3, near="37.79,-122.43")
        self.assertEqual(status, 200, body)
        self.assertLessEqual(len(body["matches"]), 3)
        self.assertTrue(any("Fillmore" in m["label"] for m in body["matches"]), body)

    def test_nothing_found_is_an_empty_list(self):
        status, body = self.search("Zzyzx Qwrt")
        self.assertEqual((status, body["matches"]), (200, []))

    def test_bad_parameters_name_the_field(self):
        status, body = self.server.request("GET", "/api/v1/geocode")
        self.assertEqual((status, body["error"]["field"]), (400, "q"))
        status, body = self.search("x" * 201)
        self.assertEqual((status, body["error"]["field"]), (400, "q"))
        status, body = self.search("Union", limit=0)
        self.assertEqual((status, body["error"]["field"]), (400, "limit"))
        status, body = self.search("Union", limit="5x")
        self.assertEqual((status, body["error"]["field"]), (400, "limit"))
        status, body = self.search("Union", near="91,0")
        self.assertEqual((status, body["error"]["field"]), (400, "near.lat"))
        status, body = self.search("Union", near="here")
        self.assertEqual((status, body["error"]["field"]), (400, "near"))

    def test_needs_sign_in(self):
        status, _ = self.server.request("GET", "/api/v1/geocode?q=Union", token=False)
        self.assertEqual(status, 401)


if __name__ == "__main__":
    main()
