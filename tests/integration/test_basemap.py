"""The offline base map over HTTP (docs/basemap.md): `scripts/basemap` builds the real SF
extract's tiles with tilemaker and its glyphs with ncc-glyphs, then `ncc serve --basemap`
answers /tiles and /fonts without a sign-in, with precise errors for bad addresses."""
import gzip
import json
import math
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import main, Server

NCC = None
GLYPHS = None
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def tile_of(lat, lon, z):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


class Basemap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        data = os.environ.get("NCC_DATA_DIR", "")
        if not os.path.exists(os.path.join(data, "osm", "sf-north-2020.osm")):
            raise unittest.SkipTest("no data folder with osm/sf-north-2020.osm")
        if not shutil.which("tilemaker") or not shutil.which("osmium"):
            raise unittest.SkipTest("tilemaker/osmium-tool not installed (scripts/setup)")
        cls.tmp = tempfile.mkdtemp(prefix="ncc-basemap-")
        cls.mbtiles = os.path.join(cls.tmp, "sf.mbtiles")
        done = subprocess.run([os.path.join(ROOT, "scripts", "basemap"), "--data", data, "--region", "sf-north-2020",
                               "--out", cls.mbtiles, "--glyphs", GLYPHS], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        cls.server = Server(NCC, extra=["--basemap", cls.mbtiles]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def get(self, path, headers=None):
        conn = self.server.connection()
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read()
        finally:
            conn.close()

    def test_a_tile_is_gzip_for_clients_that_take_it_and_plain_for_others(self):
        x, y = tile_of(37.7880, -122.4075, 14)  # Union Square
        status, headers, body = self.get(f"/tiles/14/{x}/{y}.pbf", {"Accept-Encoding": "gzip, deflate"})
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(headers["content-type"], "application/x-protobuf")
        self.assertEqual(headers.get("content-encoding"), "gzip")
        self.assertIn("public", headers["cache-control"])
        plain = gzip.decompress(body)
        self.assertIn(b"Powell Street", plain)
        self.assertIn(b"roads", plain)
        status, headers, body = self.get(f"/tiles/14/{x}/{y}.pbf")
        self.assertEqual(status, 200)
        self.assertNotIn("content-encoding", headers)
        self.assertEqual(body, plain)

    def test_a_missing_tile_is_404_naming_it(self):
        status, _, body = self.get("/tiles/14/0/0.pbf")
        self.assertEqual(status, 404)
        err = json.loads(body)["error"]
        self.assertEqual(err["field"], "tile")
        self.assertIn("14/0/0", err["message"])

    def test_bad_coordinates_are_400_naming_the_field(self):
        for path, field in [("/tiles/abc/1/1.pbf", "z"), ("/tiles/31/0/0.pbf", "z"), ("/tiles/14/16384/1.pbf", "x"),
                            ("/tiles/14/-1/1.pbf", "x"), ("/tiles/2/0/4.pbf", "y"), ("/tiles/2/0/1e3.pbf", "y"),
                            ("/tiles/2/0/%201.pbf", "y"), ("/tiles/99999999999/0/0.pbf", "z")]:
            status, _, body = self.get(path)
            self.assertEqual(status, 400, path)
            self.assertEqual(json.loads(body)["error"]["field"], field, path)

    def test_tilejson_and_style_use_same_origin_paths_only(self):
        status, _, body = self.get("/tiles/tiles.json")
        self.assertEqual(status, 200)
        tj = json.loads(body)
        self.assertEqual(tj["tiles"], ["/tiles/{z}/{x}/{y}.pbf"])
        self.assertEqual(tj["maxzoom"], 14)
        self.assertIn("OpenStreetMap", tj["attribution"])
        status, _, body = self.get("/tiles/style.json")
        self.assertEqual(status, 200)
        style = json.loads(body)
        self.assertEqual(style["version"], 8)
        self.assertEqual(style["glyphs"], "/fonts/{fontstack}/{range}.pbf")
        self.assertEqual(style["sources"]["basemap"]["url"], "/tiles/tiles.json")
        self.assertAlmostEqual(style["center"][0], -122.44, delta=0.05)
        self.assertAlmostEqual(style["center"][1], 37.796, delta=0.05)
        self.assertNotIn("http://", json.dumps(style["layers"]) + style["glyphs"])
        self.assertIn("OpenStreetMap", style["sources"]["basemap"]["attribution"])
        for layer in style["layers"]:
            for font in layer.get("layout", {}).get("text-font", []):
                status, _, _ = self.get("/fonts/" + font.replace(" ", "%20") + "/0-255.pbf")
                self.assertEqual(status, 200, font)

    def test_style_labels_in_arabic_or_english(self):
        def fields(lang):
            status, _, body = self.get("/tiles/style.json" + (f"?lang={lang}" if lang else ""))
            self.assertEqual(status, 200, body)
            return [l["layout"]["text-field"] for l in json.loads(body)["layers"]
                    if "text-field" in l.get("layout", {}) and l["id"] != "housenumbers"]
        self.assertEqual(fields(None), fields("ar"))
        self.assertEqual(len(fields("en")), 3)
        self.assertTrue(all(f == ["coalesce", ["get", "name:ar"], ["get", "name"]] for f in fields("ar")))
        self.assertTrue(all(f == ["coalesce", ["get", "name:en"], ["get", "name"]] for f in fields("en")))
        status, _, body = self.get("/tiles/style.json?lang=fr")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"]["field"], "lang")

    def test_glyphs_latin_and_arabic_and_bad_names(self):
        status, headers, body = self.get("/fonts/Noto%20Sans%20Regular/0-255.pbf")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/x-protobuf")
        self.assertIn(b"Noto Sans Regular", body)
        status, _, arabic = self.get("/fonts/Noto%20Sans%20Bold,Noto%20Sans%20Regular/1536-1791.pbf")
        self.assertEqual(status, 200)
        self.assertGreater(len(arabic), 20000)
        status, _, body = self.get("/fonts/Comic%20Sans/0-255.pbf")
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["error"]["field"], "fontstack")
        for bad in ["0-256", "1-256", "x-y", "65536-65791"]:
            status, _, body = self.get(f"/fonts/Noto%20Sans%20Regular/{bad}.pbf")
            self.assertEqual(status, 400, bad)
            self.assertEqual(json.loads(body)["error"]["field"], "range")
        status, _, _ = self.get("/fonts/..%2F..%2Fetc/0-255.pbf")
        self.assertEqual(status, 404)

    def test_without_a_basemap_the_rows_say_what_to_start(self):
        other = Server(NCC).start()
        try:
            status, body = other.request("GET", "/tiles/14/1/1.pbf", token=False)
            self.assertEqual(status, 503)
            self.assertIn("--basemap", body["error"]["message"])
            status, body = other.request("GET", "/tiles/abc/1/1.pbf", token=False)
            self.assertEqual(status, 400)
        finally:
            other.cleanup()


if __name__ == "__main__":
    main(extra_options=("--glyphs",))
