"""ncc as a system service (docs/operations.md): `ncc serve --config FILE` (a file starts the
server, a flag overrides it, an unknown key or bad value stops the start naming FILE:LINE, the
packaged packaging/ncc.conf is read whole by this binary), journald log lines under
$JOURNAL_STREAM, and sd_notify READY=1 / STOPPING=1 on $NOTIFY_SOCKET."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import free_port, main, seed, Server, PASSWORD

NCC = None
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def get(port, path, token=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def wait_healthy(proc, port, log_path, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            with open(log_path, errors="replace") as f:
                raise AssertionError(f"ncc exited with {proc.returncode}: {f.read()[-2000:]}")
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("ncc did not become healthy")


def login(port, name):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/api/v1/auth/login", json.dumps({"username": name, "password": PASSWORD}),
                 {"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200, resp.status
    return json.loads(resp.read())["access_token"]


def restored_incidents(port, token):
    ids, after = set(), 0
    while after is not None:
        status, body = get(port, f"/api/v1/incidents?limit=1000&after={after}", token)
        assert status == 200, body
        page = json.loads(body)
        ids |= {i["id"] for i in page["items"]}
        after = page["next_after"]
    return ids


class ConfigFile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ncc-service-")
        self.data = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=15)
        if self.proc:
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_config(self, text):
        path = os.path.join(self.dir, "ncc.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def serve(self, *args):
        if self.proc:
            self.log.close()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([NCC, "serve", *args], stdout=self.log, stderr=self.log)
        return self.proc

    def refused(self, *args):
        done = subprocess.run([NCC, "serve", *args], capture_output=True, text=True, timeout=30)
        return done.returncode, done.stdout + done.stderr

    def test_a_file_alone_starts_the_server(self):
        port = free_port()
        config = self.write_config(
            "# the service's settings\n"
            f'data = "{self.data}"\n'
            f'listen = "127.0.0.1:{port}"   # loopback\n'
            "rate = 1000\nburst = 1000\n"
            "drain-timeout = 2\n"
            'allowed-host = ["ncc.example.org", "ops.example.org"]\n')
        done = subprocess.run([NCC, "user", "add", "--data", self.data, "--agency", "police", "--role",
                               "admin", "chief"], input=PASSWORD + "\n", capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        wait_healthy(self.serve("--config", config), port, self.log_path)
        with open(self.log_path) as f:
            self.assertIn(f"(data {self.data}", f.read())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("POST", "/api/v1/auth/login", json.dumps({"username": "chief", "password": PASSWORD}),
                     {"Content-Type": "application/json"})
        self.assertEqual(conn.getresponse().status, 200)
        # allowed-host came from the file: a listed name passes, another gets 421.
        for host, status in [("ncc.example.org", 200), ("ops.example.org", 200), ("evil.example", 421)]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz", headers={"Host": host})
            self.assertEqual(conn.getresponse().status, status, host)

    def test_a_flag_overrides_the_file(self):
        in_file, on_line = free_port(), free_port()
        config = self.write_config(f"data = {self.data}\nlisten = 127.0.0.1:{in_file}\n")
        wait_healthy(self.serve("--config", config, "--listen", f"127.0.0.1:{on_line}"), on_line, self.log_path)
        with self.assertRaises(OSError):
            get(in_file, "/healthz")
        # The flag may come before --config too.
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=15), 0)
        other = free_port()
        wait_healthy(self.serve("--listen", f"127.0.0.1:{other}", "--config", config), other, self.log_path)

    def test_an_unknown_key_stops_the_start_naming_file_and_line(self):
        config = self.write_config(f"data = {self.data}\n\n# where it listens\nlisen = 127.0.0.1:1\n")
        code, out = self.refused("--config", config)
        self.assertEqual(code, 2, out)
        self.assertIn(f"{config}:4: unknown key 'lisen'", out)
        self.assertIn("did you mean 'listen'?", out)
        self.assertFalse(os.path.exists(self.data), "nothing may start on a refused configuration")

    def test_a_section_a_repeated_key_and_a_bad_value_are_refused(self):
        for text, expected in [
                (f"data = {self.data}\n[serve]\nlisten = 127.0.0.1:1\n", ":3: 'serve.listen': sections"),
                (f"listen = 127.0.0.1:1\ndata = {self.data}\nlisten = 127.0.0.1:2\n",
                 ":3: 'listen' is set again (first on line 1)"),
                (f"data = {self.data}\nthreads = 0\n", ":2: 'threads'"),
                (f"data = {self.data}\ncap-signatures = sometimes\n", ":2: 'cap-signatures'"),
                ("config = /etc/other.conf\n", ":1: 'config' cannot be set in a configuration file")]:
            config = self.write_config(text)
            code, out = self.refused("--config", config)
            self.assertEqual(code, 2, (text, out))
            self.assertIn(config + expected, out)
        code, out = self.refused("--config", os.path.join(self.dir, "missing.conf"))
        self.assertEqual(code, 2)
        self.assertIn("cannot read configuration file " + os.path.join(self.dir, "missing.conf"), out)

    def test_the_packaged_config_is_read_whole(self):
        """Every key of packaging/ncc.conf is an option of this binary; its paths are the
        installed ones, given here by flags (which win)."""
        port = free_port()
        web = os.path.join(self.dir, "web")
        os.mkdir(web)
        with open(os.path.join(web, "index.html"), "w") as f:
            f.write("<p>console</p>")
        wait_healthy(self.serve("--config", os.path.join(REPO, "packaging", "ncc.conf"), "--data", self.data,
                                "--listen", f"127.0.0.1:{port}", "--web", web,
                                "--plans", os.path.join(REPO, "config", "plans")), port, self.log_path)
        with open(self.log_path) as f:
            log = f.read()
        self.assertIn(f"ncc listening on http://127.0.0.1:{port} (data {self.data})", log)


class Journald(unittest.TestCase):
    def start(self, journal_stream_of_log):
        server = Server(NCC)
        path = os.path.join(server.data_dir, "server.log")
        open(path, "ab").close()
        st = os.stat(path)
        saved = os.environ.get("JOURNAL_STREAM")
        os.environ["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino + (0 if journal_stream_of_log else 1)}"
        try:
            server.start()
        finally:
            if saved is None:
                del os.environ["JOURNAL_STREAM"]
            else:
                os.environ["JOURNAL_STREAM"] = saved
        server.stop()
        lines = [l for l in server.read_log().splitlines() if l]
        server.cleanup()
        return server.port, lines

    def test_under_the_journal_lines_carry_a_priority_and_no_time(self):
        port, lines = self.start(True)
        self.assertIn(f"<6>ncc listening on http://127.0.0.1:{port} (data ", "\n".join(lines))
        self.assertIn("<6>signal 15: stopping", lines)
        for line in lines:
            self.assertRegex(line, r"^<[0-7]>", line)
            self.assertNotRegex(line, r"\[20\d\d-\d\d-\d\d ", line)

    def test_another_stream_keeps_ordinary_lines(self):
        port, lines = self.start(False)
        listening = [l for l in lines if f"ncc listening on http://127.0.0.1:{port}" in l]
        self.assertEqual(len(listening), 1, lines)
        self.assertRegex(listening[0], r"^\[20\d\d-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[.*info.*\] ncc listening")


class Notify(unittest.TestCase):
    def test_ready_once_serving_and_stopping_on_sigterm(self):
        name = f"ncc-notify-it-{os.getpid()}"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind("\0" + name)
        sock.settimeout(20)
        os.environ["NOTIFY_SOCKET"] = "@" + name
        server = Server(NCC)
        try:
            server.start()
            self.assertEqual(sock.recv(256), b"READY=1\nSTATUS=serving")
            # Sent once the listener is open: by then /healthz answers.
            self.assertEqual(server.request("GET", "/healthz", token=False)[0], 200)
            server.proc.send_signal(signal.SIGTERM)
            self.assertEqual(sock.recv(256), b"STOPPING=1")
            self.assertEqual(server.proc.wait(timeout=15), 0)
        finally:
            del os.environ["NOTIFY_SOCKET"]
            sock.close()
            server.cleanup()


class Backup(unittest.TestCase):
    """packaging/ncc-backup on a folder a server is writing to: the copy verifies, holds every
    command acknowledged before the copy began, and a server starts on it."""

    def test_a_copy_taken_under_load_verifies_and_serves(self):
        server = Server(NCC)
        dest = tempfile.mkdtemp(prefix="ncc-backup-") + "/copy"
        acked, lock, stop = [], threading.Lock(), threading.Event()

        def write():
            conn = server.connection(timeout=10)
            k = 0
            while not stop.is_set():
                k += 1
                status, body = server.request("POST", "/api/v1/incidents", {
                    "type": "police.robbery", "priority": 2, "agency": "police",
                    "location": {"lat": 25.28 + k * 1e-5, "lon": 51.52}, "summary": f"b{k}"}, conn=conn)
                if status == 201:
                    with lock:
                        acked.append(body["id"])

        try:
            server.start()
            seed(server)
            writer = threading.Thread(target=write)
            writer.start()
            deadline = time.time() + 30
            while len(acked) < 50 and time.time() < deadline and writer.is_alive():
                time.sleep(0.01)
            self.assertGreaterEqual(len(acked), 50)
            with lock:
                before = len(acked)
            done = subprocess.run([os.path.join(REPO, "packaging", "ncc-backup"), server.data_dir, dest],
                                  capture_output=True, text=True, timeout=120, env=dict(os.environ, NCC=NCC))
            stop.set()
            writer.join()
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertRegex(done.stdout, r"^ok \d+ events, chain head [0-9a-f]{64}")
            self.assertFalse(os.path.exists(os.path.join(dest, "events.db-wal")))
            server.stop()
            port = free_port()
            log_path = os.path.join(os.path.dirname(dest), "restored.log")
            with open(log_path, "ab") as log:
                proc = subprocess.Popen([NCC, "serve", "--data", dest, "--listen", f"127.0.0.1:{port}"],
                                        stdout=log, stderr=log)
            try:
                wait_healthy(proc, port, log_path)
                restored = restored_incidents(port, login(port, "tester"))
                self.assertLessEqual(set(acked[:before]), restored)
                self.assertLessEqual(restored, set(acked))
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=15)
        finally:
            stop.set()
            server.cleanup()
            shutil.rmtree(os.path.dirname(dest), ignore_errors=True)


if __name__ == "__main__":
    main()
