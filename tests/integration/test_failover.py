"""Hot standbys and fenced failover on PostgreSQL (docs/operations.md, "Failover drill"): two
`ncc serve --standby` nodes on one shard of a real PostgreSQL 15 (scripts/postgres, started and
deleted here), with a 2 s lease.

- The first to start takes the lease and writes; the other follows: it serves the incidents, the
  events and a live WebSocket stream of what the writer commits, and answers a write 503 naming
  the writer (body and X-Ncc-Writer), where the client retries with its Idempotency-Key.
- Concurrent clients post incidents with command ids; the writer is `kill -9`ed under them; the
  standby takes the lease with the next epoch and writes. Every acknowledged command is in the
  log exactly once, the chain verifies (links in SQL; a whole start-up walk on the restarted
  node), the epochs' seq ranges never overlap (no two writers), and the time from the kill to the
  first acknowledged write on the new writer is printed.
- A writer paused past its lease (SIGSTOP) is deposed when it wakes: it steps down to standby
  instead of dying and sends its clients to the new writer.
- `ncc cluster status` names the writer, its epoch and each node's role."""
import http.client
import json
import os
import signal
import subprocess
import threading
import time
import unittest
from collections import Counter

from harness import main, Server, WebSocket, seed
from test_postgres import Postgres, metric

NCC = None
SHARD = "failover"
TTL = "2"


def incident_body(key):
    return {"type": "police.robbery", "priority": 2, "agency": "police",
            "location": {"lat": 25.28, "lon": 51.52}, "summary": key}


class Cluster:
    """The nodes by name and by port; a client finds the writer through X-Ncc-Writer."""

    def __init__(self, pg):
        self.pg = pg
        self.nodes = {}

    def add(self, name):
        node = Server(NCC, extra=["--store", "postgres:" + self.pg.url, "--node", name, "--shard", SHARD,
                                  "--lease-ttl", TTL, "--standby"])
        self.nodes[name] = node
        return node

    def by_port(self, port):
        for node in self.nodes.values():
            if node.port == port and node.proc and node.proc.poll() is None:
                return node
        return None

    def post(self, node, key, timeout=5):
        """(status, body, headers) of one POST /incidents with command id `key`."""
        conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=timeout)
        try:
            conn.request("POST", "/api/v1/incidents", json.dumps(incident_body(key)),
                         {"Content-Type": "application/json", "Authorization": "Bearer " + node.token,
                          "Idempotency-Key": key})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, json.loads(data), dict(resp.getheaders())
        finally:
            conn.close()

    def post_until_acked(self, key, deadline, first="a"):
        """Retries one command (same id) until a node acknowledges it: returns (node name, id,
        time acknowledged)."""
        target = self.nodes[first]
        while time.time() < deadline:
            try:
                status, body, headers = self.post(target, key)
            except (OSError, http.client.HTTPException):
                target = self.other(target)
                time.sleep(0.05)
                continue
            if status == 201:
                name = [n for n, s in self.nodes.items() if s is target][0]
                return name, body["id"], time.time()
            assert status == 503, (status, body)
            writer = headers.get("X-Ncc-Writer")
            if writer:  # "NODE URL": go there
                port = int(writer.split()[1].rsplit(":", 1)[1])
                target = self.by_port(port) or self.other(target)
            time.sleep(0.05)
        raise AssertionError(f"command {key} never acknowledged")

    def other(self, node):
        live = [s for s in self.nodes.values() if s is not node and s.proc and s.proc.poll() is None]
        return live[0] if live else node


def wait_for(what, predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def summaries(node):
    """(id, summary) of every incident the node lists, page by page."""
    out, after = [], 0
    while True:
        status, body = node.request("GET", f"/api/v1/incidents?limit=1000&after={after}")
        assert status == 200, body
        out += [(i["id"], i["summary"]) for i in body["items"]]
        if not body.get("next_after"):
            return out
        after = body["next_after"]


class Failover(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres()
        cls.pg.start()

    @classmethod
    def tearDownClass(cls):
        cls.pg.destroy()

    def cluster_status(self):
        done = subprocess.run([NCC, "cluster", "status", "--store", "postgres:" + self.pg.url, "--shard", SHARD,
                               "--json"], capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json.loads(done.stdout)

    def test_the_standby_takes_over_when_the_writer_is_killed(self):
        cluster = Cluster(self.pg)
        a, b = cluster.add("a"), cluster.add("b")
        try:
            a.start()
            wait_for("a to take the lease", lambda: metric(a, "ncc_engine_writing") == 1)
            b.start()
            seed(a)
            self.assertEqual(metric(b, "ncc_engine_writing"), 0)

            # The standby serves reads of what the writer commits, and refuses writes naming it.
            status, body, headers = cluster.post(b, "refused-1")
            self.assertEqual(status, 503, body)
            self.assertEqual(body["error"]["writer"], {"node": "a", "url": f"http://127.0.0.1:{a.port}"})
            self.assertEqual(headers["X-Ncc-Writer"], f"a http://127.0.0.1:{a.port}")
            self.assertEqual(cluster.post(a, "first-1")[0], 201)
            wait_for("b to follow", lambda: [s for _, s in summaries(b)] == ["first-1"])
            status, events = b.request("GET", "/api/v1/events?after=0&limit=1000")
            self.assertEqual(status, 200, events)
            self.assertIn("incident_created", [e["type"] for e in events["items"]])
            stream = WebSocket(b.port, f"/api/v1/stream?after={events['last_seq']}", token=b.token)
            self.assertEqual(stream.status, 101)

            st = self.cluster_status()
            self.assertEqual(st["writer"], "a")
            self.assertEqual({n["node"]: n["role"] for n in st["nodes"]}, {"a": "writer", "b": "standby"})

            # Concurrent clients, each command with its id, retried until acknowledged.
            acked, lock = {}, threading.Lock()
            killed = {}
            deadline = time.time() + 60

            def client(c):
                for k in range(25):
                    key = f"c{c}-{k}"
                    node, incident, at = cluster.post_until_acked(key, deadline)
                    with lock:
                        acked[key] = (incident, node, at)
                        if len(acked) == 30 and not killed:
                            killed["at"] = time.time()
                            a.kill9()

            threads = [threading.Thread(target=client, args=(c,)) for c in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(len(acked), 100)
            self.assertTrue(killed, "the writer was never killed")
            after_kill = [at for (_, node, at) in acked.values() if node == "b" and at > killed["at"]]
            self.assertTrue(after_kill, "b never acknowledged a write")
            failover_s = min(after_kill) - killed["at"]
            print(f"\nfailover: kill -9 of writer a to the first acknowledged write on b: {failover_s:.2f} s "
                  f"(lease ttl {TTL} s)", flush=True)
            self.assertLess(failover_s, 10)

            # Every acknowledged command exactly once, with the id it was acknowledged with.
            listed = summaries(b)
            counts = Counter(s for _, s in listed)
            for key, (incident, _, _) in acked.items():
                self.assertEqual(counts[key], 1, key)
                self.assertIn((incident, key), listed)
            self.assertNotIn("refused-1", counts)

            # The stream opened on the standby carried on across the failover, in seq order, with
            # every acknowledged incident.
            seqs, created = [], set()
            want = {incident for (incident, _, _) in acked.values()}
            while not want <= created:
                msg = stream.recv_json()
                if "seq" in msg:
                    seqs.append(msg["seq"])
                    if msg["type"] == "incident_created":
                        created.add(msg["data"]["id"])
            self.assertEqual(seqs, sorted(set(seqs)))
            stream.close()

            # The chain links in the database, and one writer per seq range (epochs).
            table = "ncc_events_" + SHARD
            self.assertEqual(self.pg.sql(f"SELECT count(*) FROM {table} x JOIN {table} y ON y.seq = x.seq + 1 "
                                         f"WHERE y.prev_hash <> x.hash"), "0")
            self.assertEqual(self.pg.sql(f"SELECT count(*) = max(seq) FROM {table}"), "t")
            ranges = self.pg.sql(f"SELECT epoch, min(seq), max(seq) FROM {table} GROUP BY epoch ORDER BY epoch")
            rows = [tuple(int(v) for v in line.split("|")) for line in ranges.splitlines()]
            self.assertEqual([r[0] for r in rows], [1, 2], ranges)
            for (_, _, hi), (_, lo, _) in zip(rows, rows[1:]):
                self.assertLess(hi, lo, "two writers appended in the same range: " + ranges)

            # The killed node comes back as a standby: its start walks the whole chain.
            a.start()
            self.assertEqual(metric(a, "ncc_engine_writing"), 0)
            wait_for("a to catch up", lambda: sorted(summaries(a)) == sorted(listed))
            st = self.cluster_status()
            self.assertEqual((st["writer"], st["lease"]["epoch"]), ("b", 2))

            # A writer paused past its lease is deposed, and steps down instead of dying.
            b.proc.send_signal(signal.SIGSTOP)
            wait_for("a to take over", lambda: metric(a, "ncc_engine_writing") == 1)
            b.proc.send_signal(signal.SIGCONT)
            wait_for("b to step down", lambda: metric(b, "ncc_engine_writing") == 0)
            self.assertEqual(metric(b, "ncc_engine_step_downs_total"), 1)
            wait_for("b to name a as the writer", lambda: cluster.post(b, "after-pause")[2].get("X-Ncc-Writer")
                     == f"a http://127.0.0.1:{a.port}")
            self.assertEqual(cluster.post(a, "after-pause")[0], 201)
            wait_for("b to follow a", lambda: "after-pause" in [s for _, s in summaries(b)])
            self.assertEqual(self.pg.sql(f"SELECT max(epoch) FROM {table}"), "3")
        finally:
            for node in cluster.nodes.values():
                if node.proc and node.proc.poll() is None:
                    node.proc.send_signal(signal.SIGCONT)
                node.cleanup()


if __name__ == "__main__":
    main()
