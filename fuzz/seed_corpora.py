#!/usr/bin/env python3
"""Builds a seed corpus for every fuzz target from the real samples in the data folder.

    fuzz/seed_corpora.py --data ../shared/data --out build/fuzz/corpus [--seed-maker BIN]

The data folder (default ../shared/data, see its MANIFEST.md) is read, never copied into the
repository: seeds go to OUT/<target>/seed-*, next to whatever the fuzzer grew there before (a
later run starts from the grown corpus too). The small hand-made seeds in fuzz/corpus/ and the
regression inputs in fuzz/regressions/<target>/ are added as well. Binary formats (event
payloads, snapshots, graph files, track files) are written by the C++ seed maker
(fuzz/seed_maker.cc, `ncc_fuzz_seeds`) from the same real samples when --seed-maker is given.

Every seed is small (a few KiB; CAP and OSM a few tens): libFuzzer mutates small inputs much
faster, and each target's -max_len (fuzz/run_fuzzers.py) truncates anything longer anyway.
"""
import argparse
import csv
import glob
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Hand-made seeds kept in the repository: fuzz/corpus/<dir> -> target.
HAND = {
    "alarm_payload_fuzz": ["alarms"],
    "avl_wire_fuzz": ["avl_wire"],
    "cot_fuzz": ["cot"],
    "config_file_fuzz": ["config_file_fuzz"],
    "dispatch_plans_fuzz": ["dispatch_plans_fuzz", "geojson"],
    "geojson_zones_fuzz": ["geojson"],
    "mqtt_payload_fuzz": ["mqtt_payload"],
    "plan_document_fuzz": ["plan_document_fuzz"],
    "track_reader_fuzz": ["track"],
}

TARGETS = [
    "auth_token_fuzz", "event_decode_fuzz", "json_body_fuzz", "sf_calls_fuzz",
    "geojson_zones_fuzz", "track_reader_fuzz", "graph_loader_fuzz", "alarm_payload_fuzz",
    "avl_wire_fuzz", "mqtt_payload_fuzz", "dispatch_plans_fuzz", "cot_fuzz", "cap_fuzz",
    "webhook_url_fuzz", "osm_reader_fuzz", "positions_body_fuzz", "http_route_fuzz",
    "call_file_fuzz", "geocode_fuzz", "cap_feed_fuzz", "cap_import_config_fuzz",
    "xmldsig_fuzz", "config_file_fuzz", "plan_document_fuzz", "tak_proto_fuzz",
    "eido_import_fuzz", "cap_warning_fuzz",
]


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, wire, payload):
    key = _varint(number << 3 | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


def tak_frame(xml):
    """A real CoT XML message as TAK protocol v1 (takmessage.proto): 0xbf <varint> TakMessage,
    the whole <detail> as xmlDetail. Encoded here, field by field, so the seeds need no protobuf
    library; None for a document without the attributes a CotEvent needs."""
    import re
    import struct
    import calendar
    import time
    text = xml.decode("utf-8", "replace")
    attrs = dict(re.findall(r"\b(uid|type|how|time|start|stale)='([^']*)'", text.split("<point")[0]))
    point = dict(re.findall(r"\b(lat|lon|hae|ce|le)='([^']*)'", text))
    if not {"uid", "type", "time", "start", "stale"} <= attrs.keys() or not {"lat", "lon"} <= point.keys():
        return None

    def ms(t):
        return calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) * 1000

    detail = re.search(r"<detail>(.*)</detail>", text, re.S)
    ev = (_field(1, 2, attrs["type"].encode()) + _field(5, 2, attrs["uid"].encode()) +
          _field(6, 0, _varint(ms(attrs["time"]))) + _field(7, 0, _varint(ms(attrs["start"]))) +
          _field(8, 0, _varint(ms(attrs["stale"]))) + _field(9, 2, attrs.get("how", "").encode()))
    for number, name in ((10, "lat"), (11, "lon"), (12, "hae"), (13, "ce"), (14, "le")):
        ev += _field(number, 1, struct.pack("<d", float(point.get(name, "9999999.0"))))
    if detail:
        ev += _field(15, 2, _field(1, 2, detail.group(1).encode()))
    message = _field(2, 2, ev)
    return b"\xbf" + _varint(len(message)) + message


class Seeds:
    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        d = os.path.join(self.out, target)
        os.makedirs(d, exist_ok=True)
        name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        self.counts[target] = self.counts.get(target, 0) + 1


def read(path, limit=None):
    with open(path, "rb") as f:
        return f.read(limit) if limit else f.read()


def sf_rows(data, every=25, limit=400):
    """Every `every`th row of the SF calls for service (dicts), up to `limit`."""
    path = os.path.join(data, "calls", "sf_fire_calls_for_service_2020-04.csv")
    if not os.path.exists(path):
        return [], [], ""
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        header = f.readline()
        lines = []
        for i, line in enumerate(f):
            if i % every == 0:
                lines.append(line)
            if len(lines) >= limit:
                break
    rows = list(csv.DictReader(io.StringIO(header + "".join(lines))))
    return rows, lines, header


def sf_latlon(row):
    loc = row.get("Location", "")  # "POINT (-122.42 37.77)" or "(37.77, -122.42)"
    nums = [t for t in loc.replace("(", " ").replace(")", " ").replace(",", " ").split()
            if t.lstrip("-").replace(".", "", 1).isdigit()]
    if len(nums) < 2:
        return None
    a, b = float(nums[0]), float(nums[1])
    return (b, a) if abs(a) > 90 else (a, b)


def berlin_traces(data, limit=400):
    path = os.path.join(data, "osm", "berlin_gps_traces.csv.gz")
    if not os.path.exists(path):
        return []
    out = []
    with gzip.open(path, "rt") as f:
        next(f)
        for line in f:
            p = line.strip().split(",")
            if len(p) >= 3:
                out.append((int(p[0]), float(p[1]), float(p[2])))
            if len(out) >= limit:
                break
    return out


def fixes(trace, unit=12, t0=1795993758000):
    return [{"unit": unit + tid % 5, "lat": lat, "lon": lon, "time": t0 + i * 1000,
             "speed": 8.5, "heading": (i * 37) % 360} for i, (tid, lat, lon) in enumerate(trace)]


def xml_files(root):
    return sorted(p for p in glob.glob(os.path.join(root, "**", "*.xml"), recursive=True))


def osm_cut(xml, nodes):
    """The first `nodes` nodes of an OSM XML file and the ways that use only them: a small but
    well-formed extract of the real map."""
    head, _, rest = xml.partition("<node")
    node_parts, way_parts, kept = [], [], set()
    at = 0
    while len(node_parts) < nodes:
        i = rest.find("<node", at) if at else 0
        if i < 0:
            break
        j = rest.find("<node", i + 5)
        part = rest[i:j if j > 0 else len(rest)]
        if "<way" in part:
            part = part[:part.find("<way")]
        node_parts.append(part if i else "<node" + part)
        nid = part.split('id="', 1)[1].split('"', 1)[0] if 'id="' in part else ""
        kept.add(nid)
        if j < 0:
            break
        at = j
    for w in xml.split("<way")[1:200]:
        w = "<way" + w.split("</way>")[0] + "</way>\n"
        refs = [r.split('"', 1)[0] for r in w.split('ref="')[1:]]
        if refs and all(r in kept for r in refs):
            way_parts.append(w)
    return head + "".join(node_parts) + "".join(way_parts) + "</osm>\n"


def build(data, out, seed_maker):
    s = Seeds(out)
    rows, lines, header = sf_rows(data)
    trace = berlin_traces(data)

    # Hand-made seeds, then every regression input (they are the most interesting inputs).
    hand = {t: [t] + HAND.get(t, []) for t in TARGETS}
    for target, dirs in hand.items():
        for d in dirs:
            for p in sorted(glob.glob(os.path.join(HERE, "corpus", d, "**", "*"), recursive=True)):
                if os.path.isfile(p):
                    s.add(target, read(p))
    for target in TARGETS:
        for p in sorted(glob.glob(os.path.join(HERE, "regressions", target, "*"))):
            if os.path.isfile(p):
                s.add(target, read(p))

    # auth_token: header values as clients send them (no real data holds credentials).
    for v in ["Bearer " + "A" * 43, "bearer abc.def-ghi_jkl~", "ApiKey " + "x" * 64,
              "Basic dXNlcjpwdw==", "Bearer  two  spaces", "Bearer\ttab", "Bearer " + "=" * 300]:
        s.add("auth_token_fuzz", v)

    # config_file: the packaged /etc/ncc/ncc.conf as shipped (packaging/ncc.conf).
    s.add("config_file_fuzz", read(os.path.join(HERE, "..", "packaging", "ncc.conf")))

    # webhook_url: partner endpoints, loopback and the SSRF classics.
    for u in ["https://partner.example/hook", "http://127.0.0.1:8081/cap", "http://[::1]/x",
              "https://partner.example:8443/a/b?c=d#e", "http://0x7f.1/", "http://user@evil/x",
              "http://partner.example.evil.com/", "http://2130706433/", "https://[::ffff:7f00:1]/"]:
        s.add("webhook_url_fuzz", u)

    # Calls for service: single CSV lines (sf_calls), whole small files (call_file: the header
    # mapping), and the same calls as alarms, incident bodies and HTTP requests.
    for line in lines[:200]:
        s.add("sf_calls_fuzz", line.rstrip("\r\n"))
    if header:
        s.add("sf_calls_fuzz", header.rstrip("\r\n"))
        for n in (1, 5, 40):
            s.add("call_file_fuzz", header + "".join(lines[:n]))
    for p in sorted(glob.glob(os.path.join(data, "calls", "virginia_psap_cad_2025", "*.csv")))[:6]:
        with open(p, "rb") as f:
            head = b"".join(f.readline() for _ in range(12))
        s.add("call_file_fuzz", head)
        s.add("sf_calls_fuzz", head.split(b"\n")[1] if b"\n" in head else head)
    alarms = []
    for r in rows[:120]:
        ll = sf_latlon(r)
        if not ll:
            continue
        a = {"id": "sf/" + r["Call Number"] + "/" + r["Unit ID"], "kind": "call",
             "location": {"lat": ll[0], "lon": ll[1]}, "time": "2020-04-07T23:53:08Z",
             "details": r["Call Type"] + " " + r.get("Address", "")}
        alarms.append(a)
        body = {"type": r["Call Type"].lower().replace(" ", "_"), "priority": 2,
                "location": {"lat": ll[0], "lon": ll[1]}, "summary": r.get("Address", ""),
                "time": "2020-04-07T23:53:08Z", "capabilities": [r.get("Unit Type", "ENGINE")]}
        if len(alarms) <= 30:
            s.add("alarm_payload_fuzz", json.dumps(a))
            s.add("json_body_fuzz", json.dumps(body))
        if len(alarms) <= 10:
            b = json.dumps(body)
            s.add("http_route_fuzz", "POST /api/v1/incidents\nauthorization: Bearer t\n"
                  "content-type: application/json\nidempotency-key: sf-" + r["Call Number"] +
                  "\n\n" + b)
            s.add("http_route_fuzz", "POST /api/v1/alarms\nx-api-key: k\ncontent-type: "
                  "application/json\n\n" + json.dumps(a))
    if alarms:
        s.add("alarm_payload_fuzz", json.dumps(alarms[:20]))
        s.add("json_body_fuzz", json.dumps({"alarms": alarms[:5]}))
    for p in [os.path.join(HERE, "..", "src", "correlate", "rules", "default.json")] + \
            sorted(glob.glob(os.path.join(HERE, "..", "src", "correlate", "scenarios", "*.json"))):
        if os.path.exists(p):
            s.add("alarm_payload_fuzz", read(p))
    for p in sorted(glob.glob(os.path.join(HERE, "..", "config", "plans", "*"))):
        s.add("dispatch_plans_fuzz", read(p))

    # Zones: one polygon per SF station area, the hull-ish box of its calls.
    areas = {}
    for r in rows:
        ll = sf_latlon(r)
        if ll and r.get("Station Area"):
            areas.setdefault(r["Station Area"], []).append(ll)
    feats = []
    for name, pts in sorted(areas.items())[:12]:
        la = [p[0] for p in pts]
        lo = [p[1] for p in pts]
        ring = [[min(lo), min(la)], [max(lo), min(la)], [max(lo), max(la)], [min(lo), max(la)],
                [min(lo), min(la)]]
        feats.append({"type": "Feature", "properties": {"id": "st" + name, "name": "Station " +
                      name, "kind": "sector"}, "geometry": {"type": "Polygon",
                                                            "coordinates": [ring]}})
    if feats:
        fc = json.dumps({"type": "FeatureCollection", "features": feats})
        for t in ("geojson_zones_fuzz", "dispatch_plans_fuzz", "json_body_fuzz"):
            s.add(t, fc)
        s.add("geojson_zones_fuzz", json.dumps({"type": "FeatureCollection", "features": feats[:1]}))

    # EIDO: NENA's samples for the EIDO import (POST /api/v1/eido), and as real nested JSON for
    # the HTTP body reader.
    for p in glob.glob(os.path.join(data, "eido", "**", "*.json"), recursive=True):
        s.add("json_body_fuzz", read(p))
        s.add("eido_import_fuzz", read(p))

    # Positions: Berlin vehicle traces as HTTP batches (JSON, NDJSON), MQTT messages.
    if trace:
        fx = fixes(trace)
        for n in (1, 10, 100):
            s.add("positions_body_fuzz", b"\x00" + json.dumps(fx[:n]).encode())
            s.add("positions_body_fuzz", b"\x00" + json.dumps({"fixes": fx[:n]}).encode())
            s.add("positions_body_fuzz", b"\x01" + "\n".join(json.dumps(f) for f in fx[:n])
                  .encode())
            s.add("json_body_fuzz", json.dumps(fx[:n]))
        s.add("positions_body_fuzz", b"\x01" + "\r\n".join(json.dumps(f) for f in fx[:5])
              .encode() + b"\r\n{bad\n\n")
        for i in range(0, 60, 6):
            one = dict(fx[i])
            del one["unit"]
            s.add("mqtt_payload_fuzz", "ncc/avl/police/%d\n%s" % (12 + i, json.dumps(one)))
        arr = [dict(f) for f in fx[:8]]
        for f in arr:
            del f["unit"]
        s.add("mqtt_payload_fuzz", "ncc/avl/police/12\n" + json.dumps(arr))
        s.add("http_route_fuzz", "POST /api/v1/positions\nauthorization: Bearer t\n"
              "content-type: application/x-ndjson\n\n" + "\n".join(json.dumps(f) for f in fx[:3]))

    # HTTP routes: every path documented in docs/api.yaml, with ids filled in.
    api = os.path.join(HERE, "..", "docs", "api.yaml")
    if os.path.exists(api):
        methods = ("get:", "post:", "delete:")
        path = None
        for line in open(api, encoding="utf-8"):
            if line.startswith("  /") and line.rstrip().endswith(":"):
                path = line.strip()[:-1]
            elif path and line.strip() in methods and line.startswith("    ") and \
                    not line.startswith("     "):
                p = path.replace("{id}", "7").replace("{unit}", "12").replace("{name+}", "a/b%2Fc")
                p = "/".join("x" if seg.startswith("{") else seg for seg in p.split("/"))
                m = line.strip()[:-1].upper()
                s.add("http_route_fuzz", "%s %s?limit=10&after=3\nauthorization: Bearer t\n%s\n" %
                      (m, p, "content-type: application/json\n\n{}" if m == "POST" else ""))

    # CoT: every real ATAK message (first byte: the read size, see cot_fuzz.cc), and a stream.
    cots = [read(p) for p in xml_files(os.path.join(data, "cot", "atak"))]
    for i, c in enumerate(cots):
        s.add("cot_fuzz", bytes([i % 64]) + c)
    if cots:
        s.add("cot_fuzz", b"\x07" + b"\n".join(cots[:12]))

    # TAK protocol v1: every real ATAK message as a 0xbf-framed TakMessage, and a stream.
    frames = [tak_frame(c) for c in cots]
    frames = [f for f in frames if f]
    for i, f in enumerate(frames):
        s.add("tak_proto_fuzz", bytes([i % 64]) + f)
    if frames:
        s.add("tak_proto_fuzz", b"\x05" + b"".join(frames[:12]))

    # CAP: every real alert (the XSDs are not alerts). Large IPAWS alerts are kept whole in one
    # seed each; cap_fuzz's 64 KiB limit refuses them, and their heads are seeds too.
    for p in xml_files(os.path.join(data, "cap")):
        b = read(p)
        s.add("cap_fuzz", b)
        s.add("cap_feed_fuzz", b[:60000])  # alerts are documents the feed reader takes too
        s.add("xmldsig_fuzz", b[:60000])
        if len(b) > 60000:
            s.add("cap_fuzz", b[:60000])

    # OSM: cuts of the SF XML (first byte 0: XML) and the real PBF extracts' heads (1: PBF).
    sf = os.path.join(data, "osm", "sf-north-2020.osm")
    if os.path.exists(sf):
        xml = read(sf, 4_000_000).decode("utf-8", "replace")
        for n in (5, 40, 200):
            cut = osm_cut(xml, n).encode()
            s.add("osm_reader_fuzz", b"\x00" + cut)
            s.add("geocode_fuzz", b"\x01" + cut)  # the place reader, then searches
    for p in sorted(glob.glob(os.path.join(data, "osm", "*.osm.pbf"))):
        b = read(p)
        s.add("osm_reader_fuzz", b"\x01" + b[:60000])

    if seed_maker:
        # The seed maker reads the same real samples: small OSM cuts (to build graph files)
        # and the Berlin traces (as CSV, for a track file), written to a scratch folder.
        work = os.path.join(out, "..", "seed-work")
        os.makedirs(work, exist_ok=True)
        cmd = [seed_maker, "--data", data, "--out", out]
        if os.path.exists(sf):
            for n in (40, 200, 1000):
                p = os.path.join(work, "sf-cut-%d.osm" % n)
                with open(p, "w") as f:
                    f.write(osm_cut(xml, n))
                cmd += ["--osm", p]
        if trace:
            p = os.path.join(work, "berlin.csv")
            with open(p, "w") as f:
                f.write("TrackID,Latitude,Longitude,Time\n")
                f.writelines("%d,%r,%r,\n" % t for t in trace)
            cmd += ["--traces", p]
        r = subprocess.run(cmd, capture_output=True, text=True)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            sys.exit("seed maker failed: %s" % seed_maker)
        for line in r.stdout.splitlines():  # "target count"
            t, n = line.split()
            s.counts[t] = s.counts.get(t, 0) + int(n)
    return s.counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "build", "fuzz", "corpus"))
    ap.add_argument("--seed-maker", help="ncc_fuzz_seeds binary (binary formats)")
    a = ap.parse_args()
    if not os.path.isdir(a.data):
        sys.exit("no data folder at %s (see ../shared/data/MANIFEST.md)" % a.data)
    counts = build(os.path.abspath(a.data), a.out, a.seed_maker)
    for t in TARGETS:
        print("%-22s %5d seeds" % (t, counts.get(t, 0)))


if __name__ == "__main__":
    main()
