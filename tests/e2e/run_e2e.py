#!/usr/bin/env python3
"""End-to-end tests of the web console in a real browser.

Starts a real `ncc serve` on a loopback port with real data (the SF road graph built from
$NCC_DATA_DIR/osm/sf-north-2020.osm, its streets and places for address search, the repository's
response plans), registers agencies, units with live positions and users, then runs
tests/e2e/console.e2e.mjs — Debian's chromium driven by playwright-core (web/node_modules, no
browser download). Screenshots of each step go to --out.

Exit 77 (ctest: skipped) only when chromium is absent.
Usage: run_e2e.py --ncc build/dev/src/app/ncc [--glyphs PATH] --suite console|visibility|offline|session|behind --out DIR
"""
import argparse
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from harness import PASSWORD, Server  # noqa: E402

CHROMIUM = os.environ.get("NCC_CHROMIUM", "/usr/bin/chromium")

# Units of three agencies around the Marina / Cow Hollow (San Francisco), placed on streets.
UNITS = [
    ("civil_defence", "E1", "engine", 37.80045, -122.43705),
    ("civil_defence", "E2", "engine", 37.79360, -122.42770),
    ("civil_defence", "E3", "engine", 37.79890, -122.42350),
    ("civil_defence", "L1", "ladder", 37.79770, -122.43480),
    ("ambulance", "M1", "ambulance", 37.79430, -122.43660),
    ("ambulance", "M12", "ambulance", 37.79120, -122.42910),
    ("police", "P1", "patrol", 37.79850, -122.42960),
    ("police", "P2", "patrol", 37.80220, -122.43160),
]


def build_graph(ncc, data, out_dir):
    """The road graph, built once into the build folder (the tests may run at once: a lock)."""
    graph = os.path.join(out_dir, "sf-north-2020.graph")
    os.makedirs(out_dir, exist_ok=True)
    with open(graph + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(graph):
            tmp = graph + ".tmp"
            subprocess.run([ncc, "import-osm", os.path.join(data, "osm", "sf-north-2020.osm"), "--out", tmp],
                           check=True, capture_output=True)
            os.replace(tmp, graph)
    return graph


# The console suite's zones: one file for both the geofences (DATA/zones.geojson, GET
# /api/v1/zones) and coverage (--zones, GET /api/v1/coverage). The Marina around the units is
# covered; the Presidio's west, far from every engine, is not, so dispatch suggests move-ups.
ZONES = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"id": "marina", "name": "Marina", "kind": "sector", "capability": "engine", "minutes": 4,
                                       "target": 0.5, "spacing_m": 200},
     "geometry": {"type": "Polygon", "coordinates": [[[-122.445, 37.795], [-122.425, 37.795], [-122.425, 37.805],
                                                      [-122.445, 37.805], [-122.445, 37.795]]]}},
    {"type": "Feature", "properties": {"id": "presidio-west", "name": "Presidio West", "kind": "sector", "capability": "engine",
                                       "minutes": 2, "target": 0.9, "spacing_m": 200},
     "geometry": {"type": "Polygon", "coordinates": [[[-122.478, 37.785], [-122.466, 37.785], [-122.466, 37.795],
                                                      [-122.478, 37.795], [-122.478, 37.785]]]}}]}


def build_basemap(ncc, glyphs, data, out_dir):
    """The real base map of the extract (tilemaker) with its glyphs, built once into the build
    folder like the graph; None when tilemaker or ncc-glyphs is missing (the label check skips)."""
    glyphs = glyphs or os.path.join(os.path.dirname(os.path.abspath(ncc)), "..", "basemap", "ncc-glyphs")
    if not shutil.which("tilemaker") or not shutil.which("osmium") or not os.access(glyphs, os.X_OK):
        print("note: no tilemaker/osmium or ncc-glyphs: the console suite runs without the base map")
        return None
    mbtiles = os.path.join(out_dir, "basemap", "sf-north-2020.mbtiles")
    os.makedirs(os.path.dirname(mbtiles), exist_ok=True)
    with open(mbtiles + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([os.path.join(REPO, "scripts", "basemap"), "--data", data, "--region", "sf-north-2020",
                        "--out", mbtiles, "--glyphs", glyphs], check=True, capture_output=True)
    return mbtiles


def fresh_cap(data):
    """A real CAP 1.2 alert (the OASIS spec's earthquake example) as if sent now near the units:
    the intake takes alerts of the last 24 h, and the map should show its incident."""
    with open(os.path.join(data, "cap", "oasiscap", "v1dot2_appendix_adot3.xml"), encoding="utf-8") as f:
        xml = f.read()
    now = time.strftime("%Y-%m-%dT%H:%M:%S-00:00", time.gmtime())
    xml = re.sub(r"<sent>[^<]*</sent>", f"<sent>{now}</sent>", xml, count=1)
    return xml.replace("32.9525,-115.5527 0", "37.7990,-122.4300 0")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ncc", required=True)
    ap.add_argument("--suite", default="console")
    ap.add_argument("--out", required=True, help="folder for screenshots and the road graph")
    ap.add_argument("--glyphs", help="ncc-glyphs (default: beside ncc's folder, ../basemap/ncc-glyphs)")
    ap.add_argument("--docs-screenshot", help="also save the workspace screenshot here")
    args = ap.parse_args()
    if not os.path.exists(CHROMIUM):
        print(f"SKIP: {CHROMIUM} not installed (scripts/setup installs it)")
        return 77
    data = os.environ.get("NCC_DATA_DIR", os.path.join(REPO, "..", "shared", "data"))
    osm = os.path.join(data, "osm", "sf-north-2020.osm")
    if not os.path.exists(osm):
        print(f"FAIL: no {osm} (set NCC_DATA_DIR)")
        return 1
    node_modules = os.path.join(REPO, "web", "node_modules", "playwright-core")
    if not os.path.isdir(node_modules) or not os.path.exists(os.path.join(REPO, "web", "dist", "index.html")):
        print("FAIL: the console is not built: run `make console`")
        return 1
    shots = os.path.join(args.out, "e2e-" + args.suite)
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    graph = build_graph(args.ncc, data, args.out)

    # The session suite: access tokens of 6 s, so that several renewals happen within the test.
    ttl = ["--access-token-ttl", "6"] if args.suite == "session" else []
    # The behind suite makes a stream fall behind: one accepted recommendation is a burst of
    # events in one commit, more than a lag bound of 5.
    if args.suite == "behind":
        ttl = ["--stream-max-lag", "5"]
    console_extra, cap_key = [], ""
    if args.suite == "console":
        basemap = build_basemap(args.ncc, args.glyphs, data, args.out)
        if basemap:
            console_extra += ["--basemap", basemap]
    s = Server(args.ncc, extra=ttl + console_extra + ["--graph", graph, "--places", osm, "--plans", os.path.join(REPO, "config", "plans"),
                                "--web", os.path.join(REPO, "web", "dist")])
    every = ["civil_defence", "ambulance", "police"]
    s.add_user("boss", "civil_defence",
               [f"{a}:{r}" for a in every for r in ("supervisor", "field_unit")] + ["admin"], "secret")
    s.add_user("chief", "civil_defence", [f"{a}:supervisor" for a in every], "secret")
    s.add_user("cd", "civil_defence", ["dispatcher"], "restricted")
    s.add_user("pol", "police", ["call_taker"], "restricted")
    # The partners' supervisors approve the operation plan of the console suite for their agency.
    s.add_user("ambsup", "ambulance", ["supervisor"], "secret")
    s.add_user("polsup", "police", ["supervisor"], "secret")
    if args.suite == "console":
        with open(os.path.join(s.data_dir, "zones.geojson"), "w") as f:
            json.dump(ZONES, f)
        s.extra += ["--zones", os.path.join(s.data_dir, "zones.geojson")]
        done = subprocess.run([args.ncc, "apikey", "add", "--data", s.data_dir, "--agency", "civil_defence",
                               "--lane", "alarms", "partner-cap"], capture_output=True, text=True, check=True)
        cap_key = done.stdout.strip().split()[-1]
        with open(os.path.join(s.data_dir, "cap-alert.xml"), "w", encoding="utf-8") as f:
            f.write(fresh_cap(data))
    try:
        s.start()
        boss = s.login("boss")
        for code, name, kind in [("civil_defence", "Civil Defence", "fire"), ("ambulance", "Ambulance", "ems"),
                                 ("police", "Police", "police")]:
            status, body = s.request("POST", "/api/v1/agencies", {"code": code, "name": name, "kind": kind}, token=boss)
            assert status in (201, 409), (status, body)
        units = {}
        now = int(time.time() * 1000)
        fixes = []
        for agency, callsign, kind, lat, lon in UNITS:
            status, body = s.request("POST", "/api/v1/units", {"callsign": callsign, "agency": agency, "kind": kind,
                                                               "location": {"lat": lat, "lon": lon}}, token=boss)
            assert status == 201, (status, body)
            units[callsign] = body["id"]
            fixes.append({"unit": body["id"], "lat": lat, "lon": lon, "time": now, "speed": 0, "heading": 0})
        status, body = s.request("POST", "/api/v1/positions", fixes, token=boss)
        assert status == 202, (status, body)
        env = dict(os.environ, NCC_URL=f"http://127.0.0.1:{s.port}", NCC_PASSWORD=PASSWORD, NCC_BOSS_TOKEN=boss,
                   NCC_UNITS=json.dumps(units), NCC_SHOTS=shots, NCC_SUITE=args.suite, NCC_CHROMIUM=CHROMIUM,
                   NCC_DOCS_SCREENSHOT=args.docs_screenshot or "", NCC_BIN=args.ncc, NCC_DATA=s.data_dir,
                   NCC_CAP_KEY=cap_key, NCC_BASEMAP="1" if "--basemap" in console_extra else "")
        started = time.time()
        done = subprocess.run(["node", os.path.join(HERE, "console.e2e.mjs")], env=env, cwd=REPO,
                              timeout=300 if args.suite == "console" else 170)
        print(f"{args.suite}: node finished in {time.time() - started:.1f} s with {done.returncode}; screenshots in {shots}")
        return done.returncode
    finally:
        s.cleanup()


if __name__ == "__main__":
    sys.exit(main())
