"""TLS on HTTP and the WebSocket stream, with client certificates for gateways.

Certificates are made for each run with the `openssl` command (Debian's openssl package): one CA
that signs the server's certificate and the good gateway certificate, and a second, unknown CA
that signs an impostor certificate with the same name."""
import http.client
import os
import shutil
import ssl
import subprocess
import tempfile
import unittest

from harness import main, seed, Server, WebSocket, free_port

NCC = None


def openssl(*args, cwd):
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("openssl " + " ".join(args) + ": " + done.stderr)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}", cwd=d)


def make_cert(d, name, ca, cn, server=False):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    ext = os.path.join(d, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" if server
                else "extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", ext, cwd=d)


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ncc-tls-")
        d = cls.dir
        make_ca(d, "ca")
        make_ca(d, "rogue-ca")
        make_cert(d, "server", "ca", "ncc.test", server=True)
        make_cert(d, "gateway", "ca", "gw-north")
        make_cert(d, "impostor", "rogue-ca", "gw-north")
        cls.tls_args = ["--tls-cert", f"{d}/server.pem", "--tls-key", f"{d}/server.key",
                        "--tls-client-ca", f"{d}/ca.pem"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def client(self, cert=None):
        ctx = ssl.create_default_context(cafile=f"{self.dir}/ca.pem")
        if cert:
            ctx.load_cert_chain(f"{self.dir}/{cert}.pem", f"{self.dir}/{cert}.key")
        return ctx

    def start(self, extra=(), **kw):
        server = Server(NCC, extra=list(self.tls_args) + list(extra), tls=self.client(), **kw)
        self.addCleanup(server.cleanup)
        return server

    def add_gateway_key(self, server, name):
        done = subprocess.run([NCC, "apikey", "add", "--data", server.data_dir, "--agency", "police",
                               "--lane", "positions", name], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_https_login_api_and_secure_websocket(self):
        server = self.start().start()
        status, me = server.request("GET", "/api/v1/whoami")
        self.assertEqual(status, 200)
        self.assertEqual(me["user"], "tester")
        conn = server.connection()
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        resp.read()
        self.assertIn("max-age", resp.getheader("Strict-Transport-Security", ""))
        conn.close()
        seed(server)
        status, made = server.request("POST", "/api/v1/incidents",
                                      {"type": "fire.structure", "priority": 2,
                                       "location": {"lat": 37.7946, "lon": -122.4094}})
        self.assertEqual(status, 201, made)
        ws = WebSocket(server.port, "/api/v1/stream?after=0", token=server.token, tls=self.client())
        self.assertEqual(ws.status, 101)
        self.assertEqual(ws.recv_json()["type"], "stream_hello")
        seen = []
        while "incident_created" not in seen and len(seen) < 10:
            seen.append(ws.recv_json()["type"])
        self.assertIn("incident_created", seen)
        ws.close()

    def test_tls12_offers_only_forward_secret_aead_suites(self):
        """Review F21: no static-RSA key exchange, no CBC; ECDHE with GCM or ChaCha20 works."""
        server = self.start().start()
        for suite, works in [("ECDHE-ECDSA-AES128-GCM-SHA256", True),
                             ("ECDHE-ECDSA-CHACHA20-POLY1305", True),
                             ("ECDHE-ECDSA-AES128-SHA", False), ("ECDHE-ECDSA-AES256-SHA384", False),
                             ("AES128-GCM-SHA256", False), ("AES256-SHA", False)]:
            ctx = self.client()
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(suite)
            conn = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=5, context=ctx)
            try:
                conn.request("GET", "/healthz")
                ok = conn.getresponse().status == 200
            except (ssl.SSLError, OSError):
                ok = False
            finally:
                conn.close()
            self.assertEqual(ok, works, suite)

    def test_plain_http_to_a_tls_port_gets_no_answer(self):
        server = self.start().start()
        plain = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        with self.assertRaises((ConnectionError, OSError, http.client.HTTPException)):
            plain.request("GET", "/healthz")
            plain.getresponse().read()

    def test_gateway_signs_in_with_its_client_certificate(self):
        server = self.start()
        self.add_gateway_key(server, "gw-north")
        server.start()
        conn = server.connection(tls=self.client("gateway"))
        status, me = server.request("GET", "/api/v1/whoami", conn=conn, token=False)
        self.assertEqual(status, 200, me)
        self.assertEqual(me["user"], "gateway:gw-north")
        self.assertEqual(me["agency"], "police")

    def test_certificate_without_a_key_of_that_name_is_not_a_sign_in(self):
        server = self.start().start()  # no API key named gw-north
        conn = server.connection(tls=self.client("gateway"))
        status, body = server.request("GET", "/api/v1/whoami", conn=conn, token=False)
        self.assertEqual(status, 401)
        self.assertIn("gw-north", body["error"]["message"])

    def test_wrong_client_certificate_is_refused_in_the_handshake(self):
        server = self.start()
        self.add_gateway_key(server, "gw-north")
        server.start()
        # A synchronous command first: once it is acknowledged, the audit event of the sign-in
        # queued before it is durable too, so `before` is stable.
        server.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
        before = server.request("GET", "/healthz")[1]["last_seq"]
        conn = server.connection(tls=self.client("impostor"))
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            conn.request("GET", "/api/v1/whoami")
            conn.getresponse().read()
        self.assertEqual(server.request("GET", "/healthz")[1]["last_seq"], before)

    def test_required_client_certificate(self):
        server = self.start(extra=["--tls-require-client-cert"])
        self.add_gateway_key(server, "gw-north")
        # The harness's own client needs a certificate now; the server accepts the gateway's.
        server.tls = self.client("gateway")
        server.token = "unused"
        server.start()
        status, me = server.request("GET", "/api/v1/whoami", token=False)
        self.assertEqual((status, me["user"]), (200, "gateway:gw-north"))
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            server.request("GET", "/healthz", conn=server.connection(tls=self.client()), token=False)

    def run_serve(self, *args):
        data = tempfile.mkdtemp(prefix="ncc-tls-cli-")
        self.addCleanup(shutil.rmtree, data, True)
        try:
            done = subprocess.run([NCC, "serve", "--data", data, *args], capture_output=True, text=True,
                                  timeout=10)
            return done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            return None, "still running"

    def test_refusals_name_the_flag(self):
        code, out = self.run_serve("--listen", f"0.0.0.0:{free_port()}")
        self.assertEqual(code, 1)
        self.assertIn("--tls-cert", out)
        code, out = self.run_serve("--listen", f"127.0.0.1:{free_port()}", "--tls-cert", f"{self.dir}/server.pem")
        self.assertEqual(code, 1)
        self.assertIn("tls-key", out)
        code, out = self.run_serve("--listen", f"127.0.0.1:{free_port()}", "--tls-cert", f"{self.dir}/nope.pem",
                                   "--tls-key", f"{self.dir}/server.key")
        self.assertEqual(code, 1)
        self.assertIn("nope.pem", out)
        code, out = self.run_serve("--listen", f"127.0.0.1:{free_port()}", "--tls-cert", f"{self.dir}/server.pem",
                                   "--tls-key", f"{self.dir}/gateway.key")
        self.assertEqual(code, 1)
        self.assertIn("gateway.key", out)
        self.assertIn("tls-key", out)

    def test_tls_allows_a_non_loopback_address(self):
        server = self.start(listen_host="0.0.0.0").start()
        self.assertEqual(server.request("GET", "/api/v1/whoami")[0], 200)


if __name__ == "__main__":
    main()
