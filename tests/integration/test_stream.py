"""WebSocket /api/v1/stream: catch-up from any seq, then live; a slow consumer is cut with a
reason and the writer keeps going."""
import threading
import unittest

from harness import main, Server, WebSocket, seed

NCC = None


class Stream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(NCC, extra=["--stream-max-lag", "300"]).start()
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


if __name__ == "__main__":
    main()
