"""Webhook delivery that never gives up on an event silently, over a real `ncc serve`:
- a receiver that fails 3 times then answers 200 gets each event exactly once, in order, and the
  hook's delivery history shows every attempt (failed, failed, failed, delivered);
- a receiver down for good: after --webhook-attempts the event is a dead letter (the events
  after it are not held up), kept across a restart in webhooks.db; once the receiver is up,
  POST /webhooks/{id}/redeliver sends it, once;
- https: delivered to a receiver whose certificate a CA this test generates vouches for
  (--webhook-ca), refused for a self-signed certificate and for one naming another host;
- the new routes refuse bad input naming the field, and another agency's hook is 404."""
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import main, Server, free_port

NCC = None


class Receiver:
    """A webhook subscriber on loopback: answers `fail_first` POSTs with 500, then 200; records
    every POST as (status answered, headers, body). `tls`: an ssl.SSLContext to serve https."""

    def __init__(self, port=0, fail_first=0, tls=None):
        self.posts = []
        self.lock = threading.Lock()
        self.fail_first = fail_first
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    status = 500 if outer.fail_first > 0 else 200
                    outer.fail_first -= 1
                    outer.posts.append((status, dict(self.headers), json.loads(body)))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Quiet(http.server.ThreadingHTTPServer):
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass  # refused handshakes are what some tests want

        self.httpd = Quiet(("127.0.0.1", port), Handler)
        if tls:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def delivered(self):
        """The events answered 200, in arrival order."""
        with self.lock:
            return [body for status, _, body in self.posts if status == 200]

    def wait_for(self, predicate, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self.delivered()):
                break
            time.sleep(0.05)
        return self.delivered()


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_pki(folder):
    """A test CA; a certificate it issues for localhost/127.0.0.1; one it issues for another
    host; a self-signed one for localhost."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=ncc test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    for name, san in (("good", "DNS:localhost,IP:127.0.0.1"), ("otherhost", "DNS:other.example")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", "/CN=" + san.split(",")[0][4:], cwd=folder)
        with open(os.path.join(folder, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=folder)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "self.key", "-out", "self.pem",
            "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            cwd=folder)


def server_context(folder, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(folder, f"{name}.pem"), os.path.join(folder, f"{name}.key"))
    return ctx


class Webhooks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="ncc-webhook-pki-")
        make_pki(cls.pki)
        cls.server = Server(NCC, extra=["--webhook-attempts", "4", "--webhook-backoff-ms", "50",
                                        "--webhook-ca", os.path.join(cls.pki, "ca.pem")])
        cls.server.add_user("fire_sup", "fire", ["supervisor"], "secret")
        cls.server.start()
        for code in ("police", "fire"):
            status, body = cls.server.request("POST", "/api/v1/agencies", {"code": code, "name": code.title(),
                                                                           "kind": code})
            assert status == 201, body
        cls.receivers = []

    @classmethod
    def tearDownClass(cls):
        for r in cls.receivers:
            r.stop()
        cls.server.cleanup()
        shutil.rmtree(cls.pki, ignore_errors=True)

    def receiver(self, **kw):
        r = Receiver(**kw)
        self.receivers.append(r)
        return r

    def subscribe(self, url, token=None):
        status, body = self.server.request("POST", "/api/v1/webhooks", {"url": url, "events": ["incident_created"]},
                                           token=token)
        self.assertEqual(status, 201, body)
        return body["id"]

    def create(self, summary):
        status, body = self.server.request("POST", "/api/v1/incidents", {
            "type": "police.robbery", "priority": 2, "location": {"lat": 25.3, "lon": 51.5}, "summary": summary})
        self.assertEqual(status, 201, body)
        return body["id"]

    def deliveries(self, hook):
        status, body = self.server.request("GET", f"/api/v1/webhooks/{hook}/deliveries?limit=1000")
        self.assertEqual(status, 200, body)
        return body

    def wait_deliveries(self, hook, predicate, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            body = self.deliveries(hook)
            if predicate(body):
                return body
            time.sleep(0.05)
        return self.deliveries(hook)

    def test_receiver_failing_three_times_gets_each_event_once_in_order(self):
        r = self.receiver(fail_first=3)
        hook = self.subscribe(f"http://127.0.0.1:{r.port}/in")
        ids = [self.create(f"flaky-{k}") for k in range(3)]
        got = r.wait_for(lambda d: len(d) >= 3)
        time.sleep(0.3)  # nothing more may come
        self.assertEqual([e["data"]["id"] for e in r.delivered()], ids)
        self.assertEqual(len(r.posts), 3 + 3, "three failed attempts, then each event once")
        first = got[0]["seq"]
        history = [(a["seq"], a["attempt"], a["outcome"]) for a in self.deliveries(hook)["items"]]
        self.assertEqual(history[:4], [(first, 1, "failed"), (first, 2, "failed"), (first, 3, "failed"),
                                       (first, 4, "delivered")])
        self.assertEqual([h[2] for h in history[4:]], ["delivered", "delivered"])
        self.assertEqual(self.deliveries(hook)["items"][0]["http_status"], 500)

    def test_receiver_down_for_good_gives_a_dead_letter_that_redeliver_sends(self):
        port = free_port()  # nothing listens there yet
        hook = self.subscribe(f"http://127.0.0.1:{port}/in")
        first = self.create("down-1")
        body = self.wait_deliveries(hook, lambda b: len(b["dead_letters"]) >= 1)
        self.assertEqual(len(body["dead_letters"]), 1, body)
        letter = body["dead_letters"][0]
        self.assertEqual((letter["event"], letter["attempts"], letter["queued"]), ("incident_created", 4, False))
        self.assertIn("connect", letter["error"])
        self.assertEqual([a["outcome"] for a in body["items"]], ["failed"] * 3 + ["dead_letter"])
        # The events after it are not held up behind it: the next is tried (and given up) too.
        second = self.create("down-2")
        body = self.wait_deliveries(hook, lambda b: len(b["dead_letters"]) >= 2)
        self.assertEqual(len(body["dead_letters"]), 2, body)
        # Kept across a restart (webhooks.db).
        self.server.stop()
        self.server.start()
        self.assertEqual([d["seq"] for d in self.deliveries(hook)["dead_letters"]],
                         [d["seq"] for d in body["dead_letters"]])
        # Up again: redeliver sends each once.
        r = self.receiver(port=port)
        status, queued = self.server.request("POST", f"/api/v1/webhooks/{hook}/redeliver", {})
        self.assertEqual((status, queued), (202, {"queued": 2}))
        got = r.wait_for(lambda d: len(d) >= 2)
        time.sleep(0.3)
        self.assertEqual(sorted(e["data"]["id"] for e in r.delivered()), [first, second])
        self.assertEqual(len(r.posts), 2)
        body = self.deliveries(hook)
        self.assertEqual(body["dead_letters"], [])
        self.assertEqual([a["outcome"] for a in body["items"]][-2:], ["redelivered", "redelivered"])
        # A new event goes the usual way.
        third = self.create("down-3")
        r.wait_for(lambda d: len(d) >= 3)
        self.assertEqual(r.delivered()[-1]["data"]["id"], third)
        del got

    def test_https_with_certificate_checks(self):
        good = self.receiver(tls=server_context(self.pki, "good"))
        self_signed = self.receiver(tls=server_context(self.pki, "self"))
        other_host = self.receiver(tls=server_context(self.pki, "otherhost"))
        hooks = {name: self.subscribe(f"https://localhost:{r.port}/in")
                 for name, r in (("good", good), ("self", self_signed), ("other", other_host))}
        iid = self.create("tls-1")
        got = good.wait_for(lambda d: len(d) >= 1)
        self.assertEqual([e["data"]["id"] for e in got], [iid])
        for name in ("self", "other"):
            body = self.wait_deliveries(hooks[name], lambda b: len(b["dead_letters"]) >= 1)
            self.assertEqual(len(body["dead_letters"]), 1, (name, body))
            self.assertIn("certificate", body["dead_letters"][0]["error"], name)
        self.assertEqual(self_signed.posts, [])
        self.assertEqual(other_host.posts, [])

    def test_new_routes_refuse_bad_input_and_other_agencies(self):
        r = self.receiver()
        hook = self.subscribe(f"http://127.0.0.1:{r.port}/in")
        status, err = self.server.request("GET", f"/api/v1/webhooks/{hook}/deliveries?limit=5000")
        self.assertEqual((status, err["error"]["field"]), (400, "limit"), err)
        status, err = self.server.request("POST", f"/api/v1/webhooks/{hook}/redeliver", {"seq": -1})
        self.assertEqual((status, err["error"]["field"]), (400, "seq"), err)
        status, err = self.server.request("POST", f"/api/v1/webhooks/{hook}/redeliver", {"sequence": 1})
        self.assertEqual(status, 400, err)
        status, err = self.server.request("POST", f"/api/v1/webhooks/{hook}/redeliver", {"seq": 999999})
        self.assertEqual((status, err["error"]["field"]), (404, "seq"), err)
        fire = self.server.login("fire_sup")
        for method, path in (("GET", f"/api/v1/webhooks/{hook}/deliveries"),
                             ("POST", f"/api/v1/webhooks/{hook}/redeliver")):
            status, err = self.server.request(method, path, {} if method == "POST" else None, token=fire)
            self.assertEqual((status, err["error"]["field"]), (404, "id"), (method, path, err))
        status, err = self.server.request("POST", "/api/v1/webhooks", {"url": "https://10.1.2.3/in"})
        self.assertEqual((status, err["error"]["field"]), (400, "url"), err)


if __name__ == "__main__":
    main()
