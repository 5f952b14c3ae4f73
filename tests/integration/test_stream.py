"""WebSocket /api/v1/stream: catch-up from any seq, then live; a slow consumer is cut with a
reason and the writer keeps going."""
import threading
import time
import unittest

from harness import main, Server, WebSocket, seed

NCC = None


class Stream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The lag cut is tested here: a write timeout longer than the test's production.
        cls.server = Server(NCC, extra=["--stream-max-lag", "300", "--stream-write-timeout", "120"]).start()
        cls.unit = seed(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def create(self, n):
        conn = self.server.connection()
        for k in range(n):
            status, body = self.server.request("POST", "/api/v1/incidents", {
                "type": "police.patrol", "priority": 4, "agency": "police",
                "location": {"lat": 25.2, "lon": 51.5}, "summary": f"s{k}"}, conn=conn)
            self.assertEqual(status, 201, body)
        conn.close()
        return body["seq"]

    def test_catch_up_then_live(self):
        last = self.create(20)
        ws = WebSocket(self.server.port, "/api/v1/stream?after=0", token=self.server.token)
        self.assertEqual(ws.status, 101)
        hello = ws.recv_json()
        self.assertEqual(hello["type"], "stream_hello")
        seqs = [ws.recv_json()["seq"] for _ in range(last)]
        self.assertEqual(seqs, list(range(1, last + 1)))  # every event, in order, from the start
        status, body = self.server.request("POST", "/api/v1/incidents", {
            "type": "police.patrol", "priority": 4, "agency": "police", "location": {"lat": 25.2, "lon": 51.5}})
        live = ws.recv_json()
        self.assertEqual(live["seq"], body["seq"])
        self.assertEqual(live["type"], "incident_created")
        ws.close()

    def test_stream_needs_a_token(self):
        ws = WebSocket(self.server.port, "/api/v1/stream")
        self.assertEqual(ws.status, 401)
        ws.close()

    def test_bad_after_is_refused(self):
        ws = WebSocket(self.server.port, "/api/v1/stream?after=banana", token=self.server.token)
        kind, (code, reason) = ws.recv()
        self.assertEqual((kind, code), ("close", 1008))
        self.assertIn("after", reason)

    def test_slow_consumer_is_cut_and_writer_keeps_going(self):
        ws = WebSocket(self.server.port, "/api/v1/stream", rcvbuf=4096, token=self.server.token)
        ws.recv_json()  # hello: now live
        # Produce far more than the lag bound while the client reads nothing; large notes fill
        # socket buffers quickly. (Position batches no longer do: the AVL lane keeps fixes in
        # its track store and logs only state changes.)
        conn = self.server.connection()
        status, incident = self.server.request("POST", "/api/v1/incidents", {
            "type": "police.patrol", "priority": 4, "agency": "police",
            "location": {"lat": 25.2, "lon": 51.5}}, conn=conn)
        self.assertEqual(status, 201, incident)
        note = {"text": "x" * 3900}
        for _ in range(1500):
            status, _ = self.server.request("POST", f"/api/v1/incidents/{incident['id']}/notes", note, conn=conn)
            self.assertEqual(status, 201)
        conn.close()
        reason = None
        try:
            while True:
                kind, data = ws.recv()
                if kind == "close":
                    reason = data
                    break
        except ConnectionError:
            pass
        self.assertIsNotNone(reason, "the slow stream was never told why it was cut")
        self.assertEqual(reason[0], 1008)
        self.assertIn("fell behind", reason[1])
        self.assertIn("reconnect with after=", reason[1])
        status, metrics = self.server.request("GET", "/metrics")
        self.assertIn("ncc_streams_cut_for_lag_total 1", metrics)


class StalledStream(unittest.TestCase):
    """A client that stops reading altogether is cut by the write deadline: it holds no buffers
    and no connection slot until it happens to read again."""

    def test_a_client_that_never_reads_is_cut(self):
        server = Server(NCC, extra=["--stream-write-timeout", "1"]).start()
        try:
            seed(server)
            ws = WebSocket(server.port, "/api/v1/stream", rcvbuf=4096, token=server.token)
            ws.recv_json()  # hello: now live, and then never read again until the end
            conn = server.connection()
            status, incident = server.request("POST", "/api/v1/incidents", {
                "type": "police.patrol", "priority": 4, "agency": "police",
                "location": {"lat": 25.2, "lon": 51.5}}, conn=conn)
            self.assertEqual(status, 201, incident)
            # About 2 MB of events: more than the client's and the server's socket buffers.
            note = {"text": "x" * 3900}
            for _ in range(500):
                status, _ = server.request("POST", f"/api/v1/incidents/{incident['id']}/notes", note, conn=conn)
                self.assertEqual(status, 201)
            conn.close()
            deadline = time.time() + 15
            cut = False
            while time.time() < deadline and not cut:
                status, metrics = server.request("GET", "/metrics")
                cut = "ncc_streams_cut_for_stall_total 1" in metrics
                time.sleep(0.2)
            self.assertTrue(cut, "the stalled stream was not cut")
            # What the kernel still held arrives, then the connection ends (no endless trickle).
            ws.sock.settimeout(5)
            ended = False
            try:
                while ws.sock.recv(65536):
                    pass
                ended = True
            except ConnectionResetError:
                ended = True
            except TimeoutError:
                pass
            self.assertTrue(ended, "the socket stayed open after the cut")
        finally:
            server.cleanup()


if __name__ == "__main__":
    main()
