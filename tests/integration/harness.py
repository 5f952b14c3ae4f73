"""Starts a real `ncc serve` on a loopback port and talks to it over HTTP and WebSocket.

Standard library only, so the tests run on a fresh Debian machine with nothing but python3.
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PASSWORD = "correct horse battery staple"


class Server:
    """`ncc serve` on a free loopback port. Unless told otherwise it has one account, `tester`
    (police: supervisor, admin and field unit; cleared for secret), signed in for every request."""

    def __init__(self, ncc, data_dir=None, extra=(), rate="100000", tls=None, listen_host="127.0.0.1",
                 preexec=None):
        """`tls`: an ssl.SSLContext for talking to a server started with --tls-cert (HTTPS).
        `preexec`: run in the child before ncc starts (e.g. to lower a resource limit)."""
        self.preexec = preexec
        self.ncc = ncc
        self.tls = tls
        self.listen_host = listen_host
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="ncc-it-")
        self.extra = ["--rate", rate, "--burst", rate] + list(extra)
        self.proc = None
        self.port = None
        self.token = None
        self.add_user("tester", "police", ["supervisor", "admin", "field_unit"], "secret")

    def add_user(self, name, agency, roles, clearance="restricted", password=PASSWORD):
        args = [self.ncc, "user", "add", "--data", self.data_dir, "--agency", agency, "--clearance", clearance]
        for r in roles:
            args += ["--role", r]
        done = subprocess.run(args + [name], input=password + "\n", capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"user add {name}: {done.stdout}{done.stderr}")

    def login(self, name, password=PASSWORD):
        status, body = self.request("POST", "/api/v1/auth/login", {"username": name, "password": password},
                                    token=False)
        if status != 200:
            raise RuntimeError(f"login {name}: {status} {body}")
        return body["access_token"]

    def start(self):
        self.port = free_port()
        self.log = open(os.path.join(self.data_dir, "server.log"), "ab")
        self.proc = subprocess.Popen(
            [self.ncc, "serve", "--data", self.data_dir, "--listen", f"{self.listen_host}:{self.port}"] + self.extra,
            stdout=self.log, stderr=self.log, preexec_fn=self.preexec)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ncc exited with {self.proc.returncode}: {self.read_log()[-2000:]}")
            try:
                status, _ = self.request("GET", "/healthz", token=False)
                if status == 200:
                    if self.token is None:
                        self.token = self.login("tester")
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("ncc did not become healthy: " + self.read_log()[-2000:])

    def read_log(self):
        with open(os.path.join(self.data_dir, "server.log"), "rb") as f:
            return f.read().decode(errors="replace")

    # What the sanitizers print when they find something (asan and tsan presets). A server
    # under test is a child process: its report would otherwise sit unread in server.log.
    SANITIZER_REPORTS = ("WARNING: ThreadSanitizer:", "ERROR: AddressSanitizer:",
                         "ERROR: LeakSanitizer:", ": runtime error:")

    def check_sanitizers(self):
        try:
            text = self.read_log()
        except FileNotFoundError:
            return
        for marker in self.SANITIZER_REPORTS:
            at = text.find(marker)
            if at >= 0:
                start = text.rfind("\n==", 0, at) + 1
                raise AssertionError(f"sanitizer report in {self.data_dir}/server.log:\n"
                                     + text[start:start + 6000])

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()
        self.check_sanitizers()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
            self.check_sanitizers()

    def cleanup(self):
        try:
            self.stop()
        finally:
            if self.own_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)

    def connection(self, timeout=10, tls=None):
        context = tls or self.tls
        if context:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None, raw=None, token=None):
        """Returns (status, parsed JSON or text). `raw` sends bytes as they are. `token`: None
        uses the tester's, False sends none, a string sends that one."""
        own = conn is None
        conn = conn or self.connection()
        try:
            hdrs = {"Content-Type": "application/json"}
            bearer = self.token if token is None else token
            if bearer:
                hdrs["Authorization"] = "Bearer " + bearer
            hdrs.update(headers or {})
            payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
            conn.request(method, path, body=payload, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            try:
                return resp.status, json.loads(data)
            except ValueError:
                return resp.status, data.decode(errors="replace")
        finally:
            if own:
                conn.close()


class WebSocket:
    """A minimal RFC 6455 client: text frames in, close frames both ways."""

    def __init__(self, port, path, rcvbuf=None, timeout=10, token=None, tls=None, heartbeats=False):
        # The server's {"type":"heartbeat"} messages (every 2 s on a quiet stream) are skipped
        # unless asked for: tests read events, and counted how many arrived before them.
        self.heartbeats = heartbeats
        self.heartbeats_seen = 0
        if token:
            path += ("&" if "?" in path else "?") + "access_token=" + token
        self.sock = socket.socket()
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        if tls:
            self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during handshake")
            head += chunk
        self.status = int(head.split(b" ")[1])
        self.buf = b""

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """Returns ('text', str) or ('close', (code, reason))."""
        b0, b1 = self._read(2)
        opcode, length = b0 & 0x0F, b1 & 0x7F
        if length == 126:
            length = struct.unpack(">H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self._read(8))[0]
        payload = self._read(length)
        if opcode == 0x8:
            code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
            return "close", (code, payload[2:].decode(errors="replace"))
        if opcode == 0x9:  # ping: answer and keep reading
            self._send(0xA, payload)
            return self.recv()
        text = payload.decode()
        if not self.heartbeats and text.startswith("{") and '"type":"heartbeat"' in text:
            self.heartbeats_seen += 1
            return self.recv()
        return "text", text

    def recv_json(self):
        kind, data = self.recv()
        assert kind == "text", (kind, data)
        return json.loads(data)

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self._send(0x1, text.encode())

    def close(self):
        try:
            self._send(0x8, struct.pack(">H", 1000))
        except OSError:
            pass
        self.sock.close()


def now_ms():
    return int(time.time() * 1000)


def seed(server, agency="police"):
    server.request("POST", "/api/v1/agencies", {"code": agency, "name": agency.title(), "kind": "police"})
    status, unit = server.request("POST", "/api/v1/units",
                                  {"callsign": f"{agency}-1", "agency": agency, "kind": "patrol"})
    assert status == 201, unit
    return unit["id"]



def seed_fleet_week(server, post_as):
    """The agencies and units the Fleet Week example plan names (config/operations/): four
    agencies registered by the server's admin, and real SFFD and ambulance callsigns from the
    shared SF data at their quarters, each registered by `post_as(who, path, body)` as "lead"
    (an sffd supervisor) or "ems-sup" (an ems_private supervisor)."""
    for code, name, kind in [("sffd", "San Francisco Fire Department", "fire"),
                             ("ems_private", "Private ambulance providers", "ambulance"),
                             ("sfpd", "San Francisco Police Department", "police"),
                             ("coast_guard", "Coast Guard", "coast_guard")]:
        status, body = server.request("POST", "/api/v1/agencies", {"code": code, "name": name, "kind": kind})
        assert status in (200, 201), body
    for callsign, agency, kind, who in [("E16", "sffd", "engine", "lead"), ("T16", "sffd", "truck", "lead"),
                                        ("E02", "sffd", "engine", "lead"),
                                        ("KM09", "ems_private", "ambulance", "ems-sup")]:
        status, body = post_as(who, "/api/v1/units", {
            "callsign": callsign, "agency": agency, "kind": kind, "location": {"lat": 37.798, "lon": -122.436}})
        assert status == 201, body


def create_incidents(server, n, tag):
    """n police incidents with summaries tag-0..; returns {id: summary} of those acknowledged."""
    ids = {}
    for k in range(n):
        status, body = server.request("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 2, "agency": "police",
            "location": {"lat": 25.28 + k * 1e-4, "lon": 51.52}, "summary": f"{tag}-{k}"})
        assert status == 201, body
        ids[body["id"]] = f"{tag}-{k}"
    return ids


def incident_summaries(server):
    """{id: summary} of the incidents the server lists (up to 1000)."""
    status, body = server.request("GET", "/api/v1/incidents?limit=1000")
    assert status == 200, body
    return {i["id"]: i["summary"] for i in body["items"]}

def main(extra_options=()):
    """Runs the calling test module: `--ncc PATH` (and any `extra_options`, e.g. "--screenshot")
    become upper-case globals of the module (NCC, SCREENSHOT)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ncc", required=True)
    for option in extra_options:
        parser.add_argument(option)
    args, rest = parser.parse_known_args()
    module = sys.modules["__main__"]
    for name, value in vars(args).items():
        setattr(module, name.upper(), value)
    unittest.main(module=module, argv=[sys.argv[0]] + rest, verbosity=2)
