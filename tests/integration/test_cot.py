"""Cursor-on-Target (TAK) listener: real ATAK position reports move a unit, hostile streams are
counted and cut without losing what came before, the outbound feed carries only what the key may
see, and over TLS a client certificate naming a `cot` key signs in while a certificate from
another CA and a plain-TCP client get nothing.

The ATAK messages are the real recordings in $NCC_DATA_DIR/cot/atak (2020): their times are
re-stamped to now, because the AVL lane refuses fixes older than 7 days."""
import glob
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

from harness import main, Server, free_port
from test_tls import make_ca, make_cert

NCC = None
DATA = os.environ.get("NCC_DATA_DIR", os.path.join(os.path.dirname(__file__), "../../../shared/data"))
ATAK = os.path.join(DATA, "cot", "atak", "cot")
CALLSIGN = "C0rv0"  # the ATAK device in the recordings that moves
SUMMARY = "smoke <roof> & \"garage\" 'rear'"


def atak_reports(callsign=CALLSIGN):
    """The real a-f-G-U-C reports of `callsign`, oldest first."""
    out = []
    for path in sorted(glob.glob(os.path.join(ATAK, "a-f-G-U-C", "*.xml"))):
        with open(path, encoding="utf-8") as f:
            doc = f.read()
        if f"callsign='{callsign}'" in doc:
            out.append(doc)
    return out


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".%03dZ" % (ms % 1000)


def restamp(doc, ms):
    for attr, offset in (("time", 0), ("start", 0), ("stale", 60_000)):
        doc = re.sub(f"{attr}='[^']*'", f"{attr}='{iso(ms + offset)}'", doc, count=1)
    return doc


def point_of(doc):
    m = re.search(r"lat='([^']*)' lon='([^']*)'", doc)
    return float(m.group(1)), float(m.group(2))


def time_of(doc):
    return re.search(r"time='([^']*)'", doc).group(1)


def real_file(kind):
    return open(sorted(glob.glob(os.path.join(ATAK, kind, "*.xml")))[0], encoding="utf-8").read()


class TakClient:
    """A TAK client on a raw socket: writes bytes, reads CoT events and ncc-error lines."""

    def __init__(self, port, key=None, tls=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.buf = b""
        self.closed = False
        if key:
            self.send(f"ncc-key {key}\n".encode())

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            chunk = b""
        if not chunk:
            self.closed = True
        self.buf += chunk

    def next(self):
        """The next ('event', Element) or ('error', line); ('closed', None) at the end."""
        while True:
            text = self.buf.lstrip()
            if text.startswith(b"ncc-error") and b"\n" in text:
                line, _, self.buf = text.partition(b"\n")
                return "error", line.decode()
            end = text.find(b"</event>")
            if text.startswith(b"<event") and end >= 0:
                doc, self.buf = text[:end + 8], text[end + 8:]
                return "event", ET.fromstring(doc)
            if self.closed:
                return "closed", None
            self._fill()

    def events_until(self, uid):
        """Every event up to and including the one with `uid`."""
        seen = []
        while True:
            kind, item = self.next()
            self.assert_event(kind, item)
            seen.append(item)
            if item.get("uid") == uid:
                return seen

    @staticmethod
    def assert_event(kind, item):
        if kind != "event":
            raise AssertionError(f"expected a CoT event, got {kind}: {item}")

    def error_then_close(self):
        """The ncc-error line (after any feed events), then the end of the connection."""
        kind, line = self.next()
        while kind == "event":
            kind, line = self.next()
        if kind != "error":
            raise AssertionError(f"expected ncc-error, got {kind}: {item_text(line)}")
        kind, _ = self.next()
        if kind != "closed":
            raise AssertionError(f"expected the connection closed, got {kind}")
        return line

    def close(self):
        self.sock.close()


def item_text(item):
    return ET.tostring(item).decode() if isinstance(item, ET.Element) else item


def api_key(server, agency, lane, name, clearance="restricted"):
    done = subprocess.run([NCC, "apikey", "add", "--data", server.data_dir, "--agency", agency,
                           "--lane", lane, "--clearance", clearance, name],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip().split()[-1]


def setup_world(server):
    """Agencies police and fire, unit C0rv0 (police), F1 (fire), and three incidents: police
    restricted (summary with markup), police secret, fire restricted."""
    s = server
    for code in ("police", "fire"):
        s.request("POST", "/api/v1/agencies", {"code": code, "name": code.title(), "kind": code})
    status, unit = s.request("POST", "/api/v1/units", {"callsign": CALLSIGN, "agency": "police", "kind": "patrol"})
    assert status == 201, unit
    fire = s.login("firesup")
    status, f1 = s.request("POST", "/api/v1/units", {"callsign": "F1", "agency": "fire", "kind": "engine"},
                           token=fire)
    assert status == 201, f1

    def incident(token=None, **kw):
        body = {"type": "fire.structure", "priority": 2, "location": {"lat": 25.29, "lon": 51.53}}
        body.update(kw)
        status, made = s.request("POST", "/api/v1/incidents", body, token=token)
        assert status == 201, made
        return made["id"]

    ids = {"police": incident(summary=SUMMARY),
           "secret": incident(classification="secret"),
           "fire": incident(token=fire, agency="fire")}
    return unit["id"], ids, incident


def metric(server, name, labels):
    status, text = server.request("GET", "/metrics")
    key = name + ("{" + labels + "}" if labels else "") + " "
    for line in text.splitlines():
        if line.startswith(key):
            return float(line.split()[-1])
    raise AssertionError(f"no metric {key.strip()}")


def wait_position(test, server, unit, doc, timeout=10):
    """Waits until `unit` is where the report `doc` put it, with that report's time (the
    recordings repeat positions, so the time tells which report it was)."""
    lat, lon = point_of(doc)
    deadline = time.time() + timeout
    while True:
        status, u = server.request("GET", f"/api/v1/units/{unit}")
        test.assertEqual(status, 200, u)
        pos = u.get("position")
        if (pos and abs(pos["lat"] - lat) < 1e-9 and abs(pos["lon"] - lon) < 1e-9
                and u.get("position_time", "")[:19] == time_of(doc)[:19]):
            return u
        if time.time() > deadline:
            test.fail(f"unit {unit} is at {pos} ({u.get('position_time')}), expected {lat},{lon} "
                      f"at {time_of(doc)}")
        time.sleep(0.05)


class CotPlain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cot_port = free_port()
        cls.server = Server(NCC, extra=["--cot", f"127.0.0.1:{cls.cot_port}", "--checkpoint-every", "0"])
        s = cls.server
        s.add_user("firesup", "fire", ["supervisor"], "secret")
        s.add_user("disp", "police", ["dispatcher"], "secret")
        cls.key = api_key(s, "police", "cot", "tak-police", "confidential")
        cls.positions_key = api_key(s, "police", "positions", "trackers")
        s.start()
        cls.unit, cls.incidents, new_incident = setup_world(s)
        cls.new_incident = staticmethod(new_incident)
        cls.reports = atak_reports()
        cls.t0 = int(time.time() * 1000) - 600_000  # ten minutes ago, one second per report
        cls.next_report = 0

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def reports_now(self, n):
        """The next `n` real reports, each re-stamped a second after the one before."""
        out = []
        for _ in range(n):
            i = type(self).next_report
            type(self).next_report += 1
            out.append(restamp(self.reports[i % len(self.reports)], self.t0 + i * 1000))
        return out

    def test_real_atak_reports_move_the_unit(self):
        self.assertGreater(len(self.reports), 10)
        before = metric(self.server, "ncc_avl_fixes_accepted_total", 'source="cot"')
        chats = metric(self.server, "ncc_cot_events_total", 'outcome="chat"')
        markers = metric(self.server, "ncc_cot_events_total", 'outcome="marker"')
        docs = self.reports_now(8)
        # Chat, a hostile marker and a spot-map marker from the same recordings ride along.
        others = [real_file("b-t-f"), real_file("a-h-G"), real_file("b-m-p-s-m")]
        stream = ("\n".join(docs[:4] + others + docs[4:])).encode()
        client = TakClient(self.cot_port, key=self.key)
        for i in range(0, len(stream), 777):  # TCP does not keep message boundaries
            client.send(stream[i:i + 777])
        wait_position(self, self.server, self.unit, docs[-1])
        client.close()
        self.assertGreaterEqual(metric(self.server, "ncc_avl_fixes_accepted_total", 'source="cot"') - before, 1)
        # The hub's (test_tak_hub.py): relayed to the agency's other TAK clients, none connected.
        self.assertEqual(metric(self.server, "ncc_cot_events_total", 'outcome="chat"') - chats, 1)
        self.assertEqual(metric(self.server, "ncc_cot_events_total", 'outcome="marker"') - markers, 2)

    def test_bad_xml_closes_the_connection_and_keeps_earlier_fixes(self):
        good = self.reports_now(1)[0]
        malformed = metric(self.server, "ncc_cot_events_total", 'outcome="malformed"')
        client = TakClient(self.cot_port, key=self.key)
        client.send(good + "<event uid='x' type='a-f-G'><point lat='1' lon='2'></event>")
        line = client.error_then_close()
        self.assertTrue(line.startswith("ncc-error xml: not well-formed XML"), line)
        wait_position(self, self.server, self.unit, good)
        self.assertEqual(metric(self.server, "ncc_cot_events_total", 'outcome="malformed"') - malformed, 1)

    def test_oversized_event_closes_the_connection_and_keeps_earlier_fixes(self):
        good = self.reports_now(1)[0]
        oversized = metric(self.server, "ncc_cot_events_total", 'outcome="oversized"')
        client = TakClient(self.cot_port, key=self.key)
        try:
            client.send(good + "<event uid='big' type='a-f-G'><detail><remarks>" + "x" * 70_000)
        except OSError:
            pass  # the server may already have cut us
        line = client.error_then_close()
        self.assertIn("larger than 65536 bytes", line)
        wait_position(self, self.server, self.unit, good)
        self.assertEqual(metric(self.server, "ncc_cot_events_total", 'outcome="oversized"') - oversized, 1)

    def test_garbage_between_events_closes_the_connection(self):
        good = self.reports_now(1)[0]
        client = TakClient(self.cot_port, key=self.key)
        client.send(good + "GET / HTTP/1.1\r\n\r\n")
        self.assertTrue(client.error_then_close().startswith("ncc-error stream: expected <event>"))
        wait_position(self, self.server, self.unit, good)

    def test_an_invalid_value_loses_only_that_event(self):
        first, second = self.reports_now(2)
        bad = re.sub(r"lat='[^']*'", "lat='123.0'", first, count=1)
        invalid = metric(self.server, "ncc_cot_events_total", 'outcome="invalid"')
        client = TakClient(self.cot_port, key=self.key)
        client.send(bad + second)
        wait_position(self, self.server, self.unit, second)
        self.assertEqual(metric(self.server, "ncc_cot_events_total", 'outcome="invalid"') - invalid, 1)
        client.close()

    def test_sign_in_is_required_and_needs_the_cot_lane(self):
        refused = metric(self.server, "ncc_cot_sign_ins_refused_total", "")
        client = TakClient(self.cot_port)
        client.send(self.reports_now(1)[0])
        self.assertIn("ncc-key", client.error_then_close())
        client = TakClient(self.cot_port, key="ncc_ak_" + "A" * 43)
        self.assertTrue(client.error_then_close().startswith("ncc-error auth: "))
        client = TakClient(self.cot_port, key=self.positions_key)
        self.assertIn("cot.ingest", client.error_then_close())
        self.assertEqual(metric(self.server, "ncc_cot_sign_ins_refused_total", "") - refused, 3)

    def test_feed_carries_only_what_the_key_may_see(self):
        client = TakClient(self.cot_port, key=self.key)
        # Sign-in snapshot: the police restricted incident; not the fire one (another agency)
        # nor the police secret one (above the key's clearance: confidential).
        marker = self.new_incident(summary="marker 1")
        seen = client.events_until(f"ncc-incident-{marker}")
        uids = {e.get("uid") for e in seen}
        self.assertIn(f"ncc-incident-{self.incidents['police']}", uids)
        self.assertNotIn(f"ncc-incident-{self.incidents['secret']}", uids)
        self.assertNotIn(f"ncc-incident-{self.incidents['fire']}", uids)
        police = next(e for e in seen if e.get("uid") == f"ncc-incident-{self.incidents['police']}")
        self.assertEqual(police.get("type"), "b-m-p-s-p-i")
        self.assertIn(SUMMARY, police.find("detail/remarks").text)  # escaped on the wire, intact here
        # Live: records created now, in order; the marker comes after the ones that must not.
        fire = self.server.login("firesup")
        hidden_fire = self.new_incident(token=fire, agency="fire")
        hidden_secret = self.new_incident(classification="secret")
        shown = self.new_incident(summary="shown", classification="confidential")
        marker = self.new_incident(summary="marker 2")
        uids = {e.get("uid") for e in client.events_until(f"ncc-incident-{marker}")}
        self.assertIn(f"ncc-incident-{shown}", uids)
        self.assertNotIn(f"ncc-incident-{hidden_fire}", uids)
        self.assertNotIn(f"ncc-incident-{hidden_secret}", uids)
        # The confidential incident it was sent is an audited read by the key (via "cot").
        deadline = time.time() + 10
        while not any(e["type"] == "records_read" and e["actor"] == "gateway:tak-police"
                      and e["data"]["via"] == "cot" and f"incident:{shown}" in e["data"]["records"]
                      for e in self.server.request("GET", "/api/v1/events?after=0&limit=1000")[1]["items"]):
            self.assertLess(time.time(), deadline, "the feed's read of a confidential incident was not audited")
            time.sleep(0.05)
        # A unit of ours that moves is sent with its callsign to the other TAK clients — never
        # back to the device that reported it (issue 16 finding 10: no echo); the fire unit never.
        other = TakClient(self.cot_port, key=self.key)
        other.events_until(f"ncc-incident-{self.new_incident(summary='other is in')}")
        doc = self.reports_now(1)[0]
        client.send(doc)
        while True:
            kind, e = other.next()
            TakClient.assert_event(kind, e)
            self.assertNotEqual(e.find("detail/contact").get("callsign"), "F1")
            if e.get("uid") == f"ncc-unit-{self.unit}" and e.get("start")[:19] == time_of(doc)[:19]:
                break
        self.assertEqual(e.find("detail/contact").get("callsign"), CALLSIGN)
        self.assertEqual(e.get("type"), "a-f-G-E-V")  # a patrol car
        self.assertEqual(e.find("detail/__group").get("name"), "Blue", "TAK's team of a police unit")
        self.assertEqual(e.find("detail/__group").get("role"), "Team Member")
        marker = self.new_incident(summary="marker 3")
        echoed = [x for x in client.events_until(f"ncc-incident-{marker}") if x.get("uid") == f"ncc-unit-{self.unit}"]
        self.assertEqual(echoed, [], "the reporting device got its own position back")
        other.close()
        client.close()

    def test_slow_client_is_cut_and_the_server_keeps_going(self):
        cut = metric(self.server, "ncc_cot_clients_cut_slow_total", "")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(30)
        sock.connect(("127.0.0.1", self.cot_port))
        sock.sendall(f"ncc-key {self.key}\n".encode())
        # The client reads nothing while incidents with large summaries (2000 '&', 10 KB of
        # CoT each once escaped) pile up far beyond the 1 MiB queue and the socket buffers.
        conn = self.server.connection()
        summary = "&" * 2000
        for _ in range(1500):
            status, body = self.server.request(
                "POST", "/api/v1/incidents",
                {"type": "police.patrol", "priority": 4, "summary": summary,
                 "location": {"lat": 25.2, "lon": 51.5}}, conn=conn)
            self.assertEqual(status, 201, body)
        conn.close()
        received = 0
        try:
            while True:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                received += len(chunk)
        except ConnectionResetError:
            pass
        sock.close()
        self.assertLess(received, 1500 * 10_000, "the slow client got everything: it was never cut")
        self.assertEqual(metric(self.server, "ncc_cot_clients_cut_slow_total", "") - cut, 1)

    def test_cot_export_routes(self):
        pid = self.incidents["police"]
        status, body = self.server.request("GET", f"/api/v1/incidents/{pid}/cot")
        self.assertEqual(status, 200, body)
        event = ET.fromstring(body.split("?>", 1)[1])
        self.assertEqual(event.get("uid"), f"ncc-incident-{pid}")
        self.assertIn(SUMMARY, event.find("detail/remarks").text)
        # A dispatcher sees the incident but has no export right: 403.
        disp = self.server.login("disp")
        status, body = self.server.request("GET", f"/api/v1/incidents/{pid}/cot", token=disp)
        self.assertEqual(status, 403, body)
        self.assertIn("export.read", body["error"]["message"])
        # Another agency's supervisor may export but may not see it: 404, as for GET /incidents/{id}.
        fire = self.server.login("firesup")
        status, body = self.server.request("GET", f"/api/v1/incidents/{pid}/cot", token=fire)
        self.assertEqual(status, 404, body)
        # Exporting a confidential incident is an audited read, recorded before the reply.
        conf = self.new_incident(classification="confidential")
        status, body = self.server.request("GET", f"/api/v1/incidents/{conf}/cot")
        self.assertEqual(status, 200, body)
        items = self.server.request("GET", "/api/v1/events?after=0&limit=1000")[1]["items"]
        self.assertTrue(any(e["type"] == "records_read" and e["actor"] == "tester"
                            and e["data"]["via"] == "GET /api/v1/incidents/{id}/cot"
                            and e["data"]["records"] == [f"incident:{conf}"] for e in items))
        status, body = self.server.request("GET", "/api/v1/incidents/999999/cot")
        self.assertEqual(status, 404, body)
        # A unit: 200 once it has a position.
        doc = self.reports_now(1)[0]
        client = TakClient(self.cot_port, key=self.key)
        client.send(doc)
        wait_position(self, self.server, self.unit, doc)
        client.close()
        status, body = self.server.request("GET", f"/api/v1/units/{self.unit}/cot")
        self.assertEqual(status, 200, body)
        event = ET.fromstring(body.split("?>", 1)[1])
        self.assertEqual(event.find("detail/contact").get("callsign"), CALLSIGN)
        self.assertAlmostEqual(float(event.find("point").get("lat")), point_of(doc)[0], places=9)
        status, body = self.server.request("GET", f"/api/v1/units/{self.unit}/cot", token=fire)
        self.assertEqual(status, 404, body)


class CotRefusals(unittest.TestCase):
    def run_serve(self, *args):
        data = tempfile.mkdtemp(prefix="ncc-cot-cli-")
        self.addCleanup(shutil.rmtree, data, True)
        try:
            done = subprocess.run([NCC, "serve", "--data", data, "--listen", f"127.0.0.1:{free_port()}", *args],
                                  capture_output=True, text=True, timeout=15)
            return done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            return None, "still running"

    def test_plain_cot_off_loopback_needs_tls_or_insecure(self):
        code, out = self.run_serve("--cot", f"0.0.0.0:{free_port()}")
        self.assertEqual(code, 1, out)
        self.assertIn("refusing plain CoT", out)
        code, out = self.run_serve("--cot", "127.0.0.1")
        self.assertEqual(code, 1, out)
        self.assertIn("--cot must be HOST:PORT", out)


class CotTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ncc-cot-tls-")
        d = cls.dir
        make_ca(d, "ca")
        make_ca(d, "rogue-ca")
        make_cert(d, "server", "ca", "ncc.test", server=True)
        make_cert(d, "tak", "ca", "tak-police")
        make_cert(d, "impostor", "rogue-ca", "tak-police")
        cls.cot_port = free_port()
        server_ctx = ssl.create_default_context(cafile=f"{d}/ca.pem")
        cls.server = Server(NCC, tls=server_ctx,
                            extra=["--tls-cert", f"{d}/server.pem", "--tls-key", f"{d}/server.key",
                                   "--tls-client-ca", f"{d}/ca.pem", "--checkpoint-every", "0",
                                   "--cot", f"127.0.0.1:{cls.cot_port}"])
        s = cls.server
        s.add_user("firesup", "fire", ["supervisor"], "secret")
        cls.key = api_key(s, "police", "cot", "tak-police", "confidential")
        s.start()
        cls.unit, cls.incidents, new_incident = setup_world(s)
        cls.new_incident = staticmethod(new_incident)
        cls.reports = atak_reports()
        cls.t0 = int(time.time() * 1000) - 300_000

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def client_ctx(self, cert=None):
        ctx = ssl.create_default_context(cafile=f"{self.dir}/ca.pem")
        if cert:
            ctx.load_cert_chain(f"{self.dir}/{cert}.pem", f"{self.dir}/{cert}.key")
        return ctx

    def test_client_certificate_signs_in_and_reports(self):
        client = TakClient(self.cot_port, tls=self.client_ctx("tak"))  # no ncc-key line
        doc = restamp(self.reports[0], self.t0)
        client.send(doc)
        wait_position(self, self.server, self.unit, doc)
        marker = self.new_incident(summary="tls marker")
        uids = {e.get("uid") for e in client.events_until(f"ncc-incident-{marker}")}
        self.assertIn(f"ncc-incident-{self.incidents['police']}", uids)
        self.assertNotIn(f"ncc-incident-{self.incidents['secret']}", uids)
        self.assertNotIn(f"ncc-incident-{self.incidents['fire']}", uids)
        client.close()

    def test_key_line_works_over_tls_without_a_certificate(self):
        client = TakClient(self.cot_port, key=self.key, tls=self.client_ctx())
        doc = restamp(self.reports[1], self.t0 + 1000)
        client.send(doc)
        wait_position(self, self.server, self.unit, doc)
        client.close()

    def test_certificate_from_another_ca_is_refused_in_the_handshake(self):
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            client = TakClient(self.cot_port, tls=self.client_ctx("impostor"))
            client.send(restamp(self.reports[2], self.t0 + 2000))
            # TLS 1.3: the refusal may arrive with the first read.
            kind, item = client.next()
            if kind == "closed":
                raise ConnectionError("closed")
            self.fail(f"impostor got {kind}: {item_text(item)}")

    def test_plain_tcp_on_the_tls_port_gets_nothing(self):
        sock = socket.create_connection(("127.0.0.1", self.cot_port), timeout=10)
        sock.sendall(f"ncc-key {self.key}\n".encode() + restamp(self.reports[3], self.t0 + 3000).encode())
        data = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        sock.close()
        self.assertNotIn(b"<event", data)
        self.assertNotIn(b"ncc-error", data)


if __name__ == "__main__":
    main()
