"""A stop under load answers every request it read, and a client that retries after any failure
gets the first outcome (issue 17, finding 8).

Command ids: a command sent with an `Idempotency-Key` is stored with its events (a
command_recorded event); a retry by the same user within 24 h is answered with the first
outcome ("Idempotent-Replayed: true"), across restarts, never a second incident.

Drain: SIGTERM while 16 clients create incidents on keep-alive connections. Each client retries
every failure (a reset, a 503, the server gone) with the same key, on the restarted server too.
In the end every key has exactly one incident, the replies agree with what is stored, and the
stop left nothing unanswered."""
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import main, Server  # noqa: E402

NCC = None
INCIDENT = {"type": "police.patrol", "priority": 4, "location": {"lat": 25.2, "lon": 51.5}}


def post(port, token, path, body, key=None, conn=None, timeout=20):
    """Returns (status, json, headers); raises OSError/HTTPException on a transport failure."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
        if key is not None:
            headers["Idempotency-Key"] = key
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None, dict(resp.getheaders())
    finally:
        if own:
            conn.close()


class CommandIds(unittest.TestCase):
    def setUp(self):
        self.s = Server(NCC).start()
        self.s.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})

    def tearDown(self):
        self.s.cleanup()

    def incidents(self):
        status, body = self.s.request("GET", "/api/v1/incidents?limit=100")
        self.assertEqual(status, 200, body)
        return body["items"]

    def test_a_retry_gets_the_first_outcome_even_after_a_restart(self):
        s = self.s
        status, first, headers = post(s.port, s.token, "/api/v1/incidents", INCIDENT, key="call-0001")
        self.assertEqual(status, 201, first)
        self.assertNotIn("Idempotent-Replayed", headers)
        status, again, headers = post(s.port, s.token, "/api/v1/incidents", INCIDENT, key="call-0001")
        self.assertEqual((status, again), (201, first))
        self.assertEqual(headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(len(self.incidents()), 1)

        # The same key for another request is refused, naming the header.
        status, body, _ = post(s.port, s.token, "/api/v1/incidents", dict(INCIDENT, priority=1),
                               key="call-0001")
        self.assertEqual(status, 422, body)
        self.assertEqual(body["error"]["field"], "Idempotency-Key")

        # A status change retried: the first answer again, not a 409 for a repeated transition.
        path = f"/api/v1/incidents/{first['id']}/status"
        status, changed, _ = post(s.port, s.token, path, {"status": "triaged"}, key="ack-1")
        self.assertEqual(status, 200, changed)
        status, again, headers = post(s.port, s.token, path, {"status": "triaged"}, key="ack-1")
        self.assertEqual((status, again, headers.get("Idempotent-Replayed")), (200, changed, "true"))

        # Ids are per user: another user's same key is their own command.
        s.add_user("bob", "police", ["dispatcher"])
        bob = s.login("bob")
        status, bobs, _ = post(s.port, bob, "/api/v1/incidents", INCIDENT, key="call-0001")
        self.assertEqual(status, 201, bobs)
        self.assertNotEqual(bobs["id"], first["id"])

        # Kept in the log: a restart (replay, or a snapshot) remembers them.
        s.stop()
        s.start()
        status, again, headers = post(s.port, s.token, "/api/v1/incidents", INCIDENT, key="call-0001")
        self.assertEqual((status, again, headers.get("Idempotent-Replayed")), (201, first, "true"))
        self.assertEqual(len(self.incidents()), 2)
        status, events = s.request("GET", "/api/v1/events?after=0&limit=100")
        self.assertEqual(status, 200, events)
        recorded = [e for e in events["items"] if e["type"] == "command_recorded"]
        self.assertEqual(sorted(e["data"]["command_id"] for e in recorded),
                         ["ack-1", "call-0001", "call-0001"])

    def test_bad_keys_and_routes_that_do_not_take_one_are_refused(self):
        s = self.s
        for key in ("x" * 129, "has space", ""):
            status, body, _ = post(s.port, s.token, "/api/v1/incidents", INCIDENT, key=key)
            self.assertEqual(status, 400, (key, body))
            self.assertEqual(body["error"]["field"], "Idempotency-Key", body)
        # Positions are idempotent by unit and time; a key there would be a promise not kept.
        status, body, _ = post(s.port, s.token, "/api/v1/positions", {"fixes": []}, key="k1")
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "Idempotency-Key")
        self.assertIn("does not take", body["error"]["message"])
        self.assertEqual(len(self.incidents()), 0)


class DrainOnStop(unittest.TestCase):
    CLIENTS = 16

    def test_sigterm_under_load_answers_everything_and_retries_create_nothing_twice(self):
        s = Server(NCC).start()
        try:
            s.request("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"})
            where = {"port": s.port, "token": s.token}
            stop = threading.Event()
            outcomes = {}  # key -> incident id from the first 201
            lock = threading.Lock()
            transport_failures = [0]
            unavailable = [0]

            def client(n):
                rng = random.Random(n)
                conn = None
                k = 0
                while not stop.is_set() or k % 5:  # finish the key in hand, then stop
                    key = f"c{n}-{k}"
                    body = dict(INCIDENT, summary=key)
                    while True:
                        try:
                            if conn is None:
                                conn = http.client.HTTPConnection("127.0.0.1", where["port"], timeout=20)
                            status, reply, _ = post(where["port"], where["token"], "/api/v1/incidents",
                                                    body, key=key, conn=conn)
                        except (OSError, http.client.HTTPException):
                            with lock:
                                transport_failures[0] += 1
                            if conn:
                                conn.close()
                            conn = None
                            time.sleep(0.05 + rng.random() * 0.05)
                            continue
                        if status == 503:
                            with lock:
                                unavailable[0] += 1
                            conn.close()
                            conn = None
                            time.sleep(0.05)
                            continue
                        if status != 201:
                            raise AssertionError((key, status, reply))
                        with lock:
                            if key in outcomes:
                                assert outcomes[key] == reply["id"], (key, outcomes[key], reply)
                            outcomes[key] = reply["id"]
                        break
                    k += 1
                if conn:
                    conn.close()

            threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(self.CLIENTS)]
            for t in threads:
                t.start()
            time.sleep(1.5)
            s.proc.send_signal(signal.SIGTERM)
            s.proc.wait(timeout=30)
            s.log.close()
            self.assertEqual(s.proc.returncode, 0, s.read_log()[-3000:])
            self.assertNotIn("unanswered", s.read_log())
            s.start()  # the same data, a new port: the clients follow
            where["port"] = s.port
            time.sleep(1.0)
            stop.set()
            for t in threads:
                t.join(timeout=60)
                self.assertFalse(t.is_alive())

            stored = []
            after = 0
            while True:
                status, page = s.request("GET", f"/api/v1/incidents?limit=1000&after={after}")
                self.assertEqual(status, 200, page)
                stored += page["items"]
                if page.get("next_after") is None:
                    break
                after = page["next_after"]
            by_summary = {}
            for i in stored:
                by_summary.setdefault(i["summary"], []).append(i["id"])
            twice = {k: v for k, v in by_summary.items() if len(v) > 1}
            self.assertEqual(twice, {}, "a retried command was applied twice")
            self.assertEqual({k: v[0] for k, v in by_summary.items()}, outcomes)
            self.assertGreater(len(outcomes), 50)
            print(f"\n{len(outcomes)} incidents, {transport_failures[0]} transport failures and "
                  f"{unavailable[0]} 503s retried", file=sys.stderr)
        finally:
            stop.set()
            s.cleanup()


if __name__ == "__main__":
    main()
