"""`ncc cap-gateway` against a real feed server on loopback and a real `ncc serve` (issue 16
finding 5): an Atom index (the shape of NWS's, entries linking to real alerts) is polled
conditionally, each linked alert fetched once and handed to POST /api/v1/cap with the gateway
key; an unchanged feed is a 304 and posts nothing; a failing feed backs off; a watched folder's
files go to done/ or failed/ (with the server's refusal beside them); while ncc is down nothing
is lost: the files stay and the entries are tried again."""
import http.server
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

from harness import main, Server

NCC = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("NCC_DATA_DIR") or os.path.join(ROOT, "..", "shared", "data")


def read_cap(name):
    with open(os.path.join(DATA, "cap", "oasiscap", name), encoding="utf-8") as f:
        return f.read()


def fresh(xml, identifier, lat):
    now = time.strftime("%Y-%m-%dT%H:%M:%S-00:00", time.gmtime())
    xml = re.sub(r"<sent>[^<]*</sent>", f"<sent>{now}</sent>", xml, count=1)
    xml = re.sub(r"<identifier>[^<]*</identifier>", f"<identifier>{identifier}</identifier>", xml, count=1)
    return xml.replace("32.9525,-115.5527 0", f"{lat},-115.5527 0")


class FeedServer:
    """A partner's feed: /feed.xml (Atom index, ETag) and /alerts/NAME.xml."""

    def __init__(self):
        self.alerts = {}
        self.requests = []
        self.fail = False
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("If-None-Match")))
                if outer.fail:
                    self.send_response(503)
                    self.send_header("Retry-After", "120")
                    self.end_headers()
                    return
                if self.path == "/feed.xml":
                    body, etag = outer.index()
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.end_headers()
                        return
                    self.send_response(200)
                    self.send_header("ETag", etag)
                elif self.path.startswith("/alerts/") and self.path[8:] in outer.alerts:
                    body = outer.alerts[self.path[8:]].encode()
                    self.send_response(200)
                else:
                    self.send_response(404)
                    body = b""
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def index(self):
        entries = "".join(
            f"<entry><id>urn:test:{name}</id><updated>2026-12-03T10:00:00Z</updated>"
            f"<title>{name}</title><link href=\"http://127.0.0.1:{self.port}/alerts/{name}\"/></entry>"
            for name in sorted(self.alerts))
        body = ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<id>urn:test:feed</id><title>t</title><updated>2026-12-03T10:00:00Z</updated>{entries}</feed>")
        return body.encode(), '"' + str(abs(hash(body))) + '"'

    def stop(self):
        self.httpd.shutdown()


class CapGateway(unittest.TestCase):
    def setUp(self):
        self.feed = FeedServer()
        self.tmp = tempfile.mkdtemp(prefix="ncc-capgw-")
        s = self.server = Server(NCC)
        done = subprocess.run([NCC, "apikey", "add", "--data", s.data_dir, "--agency", "police",
                               "--lane", "alarms", "--clearance", "restricted", "gw-feed"],
                              capture_output=True, text=True, check=True)
        self.key_file = os.path.join(self.tmp, "key")
        with open(self.key_file, "w") as f:
            f.write(done.stdout.strip().split()[-1] + "\n")
        s.start()
        status, body = s.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
        self.assertEqual(status, 201, body)
        self.folder = os.path.join(self.tmp, "drop")
        os.makedirs(self.folder)

    def tearDown(self):
        self.feed.stop()
        self.server.cleanup()

    def gateway(self, server_port=None):
        done = subprocess.run(
            [NCC, "cap-gateway", "--once", "--server", f"http://127.0.0.1:{server_port or self.server.port}",
             "--key-file", self.key_file, "--feed", f"http://127.0.0.1:{self.feed.port}/feed.xml",
             "--folder", self.folder, "--state", os.path.join(self.tmp, "state"), "--every", "1"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def incident_sources(self):
        status, body = self.server.request("GET", "/api/v1/incidents")
        self.assertEqual(status, 200, body)
        items = body if isinstance(body, list) else next(v for v in body.values() if isinstance(v, list))
        return sorted(src["id"] for i in items for src in i.get("sources", []))

    def drop(self, name, text):
        path = os.path.join(self.folder, name)
        with open(path, "w") as f:
            f.write(text)
        old = time.time() - 10  # settled: not being written any more
        os.utime(path, (old, old))

    def test_feed_and_folder_reach_the_centre_once(self):
        base = read_cap("v1dot2_appendix_adot3.xml")
        self.feed.alerts = {"a.xml": fresh(base, "GW-A", 30.1), "b.xml": fresh(base, "GW-B", 30.2)}
        self.drop("c.xml", fresh(base, "GW-C", 30.3))
        self.drop("bad.xml", "<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'>&xxe;</alert>")
        stats = self.gateway()
        self.assertEqual((stats["feeds_fetched"], stats["alerts_posted"], stats["alerts_refused"]), (1, 3, 1), stats)
        self.assertEqual(self.incident_sources(), ["cap:trinet@caltech.edu/GW-A", "cap:trinet@caltech.edu/GW-B",
                                                   "cap:trinet@caltech.edu/GW-C"])
        self.assertTrue(os.path.exists(os.path.join(self.folder, "done", "c.xml")))
        self.assertTrue(os.path.exists(os.path.join(self.folder, "failed", "bad.xml")))
        with open(os.path.join(self.folder, "failed", "bad.xml.error.json")) as f:
            self.assertIn("not well-formed", f.read())
        # Unchanged: a conditional GET, 304, nothing posted, nothing fetched.
        before = len(self.feed.requests)
        stats = self.gateway()
        self.assertEqual((stats["feeds_not_modified"], stats["alerts_posted"]), (1, 0), stats)
        self.assertEqual(len(self.feed.requests), before + 1)
        self.assertIsNotNone(self.feed.requests[-1][1], "If-None-Match sent")
        # A new entry: only it is fetched and posted.
        self.feed.alerts["d.xml"] = fresh(base, "GW-D", 30.4)
        stats = self.gateway()
        self.assertEqual(stats["alerts_posted"], 1, stats)
        fetched = [p for p, _ in self.feed.requests[before + 1:] if p.startswith("/alerts/")]
        self.assertEqual(fetched, ["/alerts/d.xml"])

    def test_nothing_is_lost_while_the_centre_is_down_and_a_failing_feed_backs_off(self):
        base = read_cap("v1dot2_appendix_adot3.xml")
        self.feed.alerts = {"a.xml": fresh(base, "GW-DOWN-A", 30.5)}
        self.drop("c.xml", fresh(base, "GW-DOWN-C", 30.6))
        stats = self.gateway(server_port=1)  # nothing listens there
        self.assertEqual((stats["alerts_posted"], stats["alerts_failed"]), (0, 2), stats)
        self.assertTrue(os.path.exists(os.path.join(self.folder, "c.xml")), "the file stays")
        stats = self.gateway()
        self.assertEqual(stats["alerts_posted"], 2, stats)
        self.assertEqual(self.incident_sources(), ["cap:trinet@caltech.edu/GW-DOWN-A",
                                                   "cap:trinet@caltech.edu/GW-DOWN-C"])
        # The feed fails: counted; (in --once the back-off is not waited out, each run tries).
        self.feed.fail = True
        stats = self.gateway()
        self.assertEqual(stats["feeds_failed"], 1, stats)

    def test_bad_flags_are_named(self):
        done = subprocess.run([NCC, "cap-gateway", "--once", "--key-file", self.key_file, "--feed", "ftp://x/"],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 2)
        self.assertIn("--feed", done.stderr)
        done = subprocess.run([NCC, "cap-gateway", "--once", "--key-file", self.key_file],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 2)
        self.assertIn("nothing to watch", done.stderr)


if __name__ == "__main__":
    main()
