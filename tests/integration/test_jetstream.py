"""`ncc serve --store jetstream:URL` against a real nats-server with JetStream on a loopback port
(scripts/nats, started and stopped by this test): the event log lives in a JetStream stream, a
restarted ncc (after SIGTERM and after kill -9) sees every acknowledged incident again, and a
second node on the same shard is refused while the first holds the shard's lease."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import main, Server, seed, create_incidents, incident_summaries

NCC = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "nats")


class Nats:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ncc-nats-")

    def start(self):
        done = subprocess.run([SCRIPT, "start", self.dir, "auto", "--fresh"], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        with open(os.path.join(self.dir, "url")) as f:
            self.url = f.read().strip()

    def stop(self):
        subprocess.run([SCRIPT, "stop", self.dir], timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)




class JetStreamStore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nats = Nats()
        cls.nats.start()

    @classmethod
    def tearDownClass(cls):
        cls.nats.stop()

    def serve(self, node, shard):
        return Server(NCC, extra=["--store", "jetstream:" + self.nats.url, "--node", node, "--shard", shard,
                                  "--lease-ttl", "5"])

    def test_incidents_survive_restarts_of_ncc(self):
        server = self.serve("a", "restarts")
        try:
            server.start()
            seed(server)
            acked = create_incidents(server, 20, "first")
            self.assertFalse(os.path.exists(os.path.join(server.data_dir, "events.db")),
                             "the log must be in JetStream, not in the data folder")
            server.stop()
            server.start()
            self.assertEqual({i: s for i, s in incident_summaries(server).items() if i in acked}, acked)
            acked.update(create_incidents(server, 10, "second"))
            server.kill9()  # its lease is still live: the same node takes it back
            server.start()
            self.assertEqual({i: s for i, s in incident_summaries(server).items() if i in acked}, acked)
            self.assertEqual(len(incident_summaries(server)), len(acked), "no incident twice")
        finally:
            server.cleanup()

    def test_a_second_node_is_refused_while_the_first_holds_the_lease(self):
        first = self.serve("a", "fenced")
        second = self.serve("b", "fenced")
        try:
            first.start()
            seed(first)
            acked = create_incidents(first, 5, "a")
            with self.assertRaises(RuntimeError):
                second.start()
            second.log.close()  # start() opens it again
            self.assertIn("refusing to start", second.read_log())
            acked.update(create_incidents(first, 5, "a-more"))  # the first still writes
            first.stop()  # a clean stop releases the lease: b takes the shard
            second.start()
            self.assertEqual({i: s for i, s in incident_summaries(second).items() if i in acked}, acked)
            create_incidents(second, 3, "b")
        finally:
            first.cleanup()
            second.cleanup()


if __name__ == "__main__":
    main()
