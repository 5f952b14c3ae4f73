"""`ncc serve --store postgres:URL` against a real PostgreSQL 15 on a loopback port
(scripts/postgres, started and deleted by this test): the event log lives in PostgreSQL, a
restarted ncc (after SIGTERM and after kill -9) sees every acknowledged incident again, and a
second node on the same shard is refused while the first holds the lease, naming holder and
epoch; once the first stops, the second takes the shard and serves what the first wrote."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import main, Server, free_port, seed, create_incidents, incident_summaries

NCC = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "postgres")
PSQL = "/usr/lib/postgresql/15/bin/psql"


class Postgres:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="ncc-pg-")
        os.chmod(self.tmp, 0o711)  # as root the cluster belongs to `postgres`, who must reach it
        self.dir = os.path.join(self.tmp, "cluster")
        self.port = free_port()
        self.url = f"postgresql://ncc@127.0.0.1:{self.port}/ncc"

    def start(self):
        done = subprocess.run([SCRIPT, "start", self.dir, str(self.port)], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().isdigit(), done.stdout  # the pid, once it accepts connections

    def sql(self, query):
        done = subprocess.run([PSQL, self.url, "-tAc", query], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def destroy(self):
        subprocess.run([SCRIPT, "destroy", self.dir], timeout=120)
        shutil.rmtree(self.tmp, ignore_errors=True)


def metric(server, name):
    status, text = server.request("GET", "/metrics")
    assert status == 200, text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[-1]))
    return None




class PostgresStore(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres()
        cls.pg.start()

    @classmethod
    def tearDownClass(cls):
        cls.pg.destroy()

    def serve(self, node, shard, data_dir=None):
        return Server(NCC, data_dir=data_dir, extra=["--store", "postgres:" + self.pg.url, "--node", node,
                                                     "--shard", shard, "--lease-ttl", "5"])

    def test_incidents_survive_restarts_of_ncc(self):
        server = self.serve("a", "restarts")
        try:
            server.start()
            seed(server)
            acked = create_incidents(server, 20, "first")
            self.assertEqual(metric(server, "ncc_log_lease_epoch"), 1)
            self.assertFalse(os.path.exists(os.path.join(server.data_dir, "events.db")),
                             "the log must be in PostgreSQL, not in the data folder")
            # agency, unit and 20 incidents: every seq from 1, none twice
            self.assertEqual(self.pg.sql("SELECT count(*) = max(seq) AND count(*) >= 22 FROM ncc_events_restarts"),
                             "t")

            server.stop()  # SIGTERM: the lease is released
            self.assertLess(float(self.pg.sql(
                "SELECT extract(epoch FROM expires_at - clock_timestamp()) FROM ncc_lease "
                "WHERE shard = 'restarts'")), 0)
            server.start()
            self.assertEqual(metric(server, "ncc_log_lease_epoch"), 2)
            self.assertEqual({i: s for i, s in incident_summaries(server).items() if i in acked}, acked)
            acked.update(create_incidents(server, 10, "second"))

            server.kill9()  # the lease is still live: the same node takes it back at once
            server.start()
            self.assertEqual(metric(server, "ncc_log_lease_epoch"), 3)
            self.assertEqual({i: s for i, s in incident_summaries(server).items() if i in acked}, acked)
            epochs = self.pg.sql("SELECT string_agg(DISTINCT epoch::text, ',') FROM ncc_events_restarts")
            self.assertEqual(epochs, "1,2")

            # The analysts' PostGIS tables of the same log, while the writer serves.
            done = subprocess.run([NCC, "projections", "--store", "postgres:" + self.pg.url, "--shard", "restarts",
                                   "--rebuild", "--once"], capture_output=True, text=True, timeout=120)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("projections in ncc_restarts at seq", done.stdout)
            self.assertEqual(self.pg.sql("SELECT count(*) FROM ncc_restarts.incidents"), str(len(acked)))
            self.assertEqual(self.pg.sql("SELECT count(*) FROM ncc_restarts.incidents WHERE "
                                         "ST_DWithin(geom::geography, ST_MakePoint(51.52, 25.28)::geography, 2000)"),
                             str(len(acked)))
        finally:
            server.cleanup()

    def test_a_second_node_is_refused_while_the_first_holds_the_lease(self):
        first = self.serve("a", "fenced")
        second = self.serve("b", "fenced")
        try:
            first.start()
            seed(first)
            acked = create_incidents(first, 5, "a")
            with self.assertRaises(RuntimeError) as refused:
                second.start()
            self.assertIn("exited with 1", str(refused.exception))
            second.log.close()  # start() opens it again
            self.assertIn("shard fenced", second.read_log())
            self.assertIn("is held by node a at epoch 1", second.read_log())
            # The first node still writes.
            acked.update(create_incidents(first, 5, "a-more"))

            first.stop()  # releases the lease: b takes the shard at once, with the next epoch
            second.start()
            self.assertEqual(metric(second, "ncc_log_lease_epoch"), 2)
            self.assertEqual({i: s for i, s in incident_summaries(second).items() if i in acked}, acked)
            create_incidents(second, 3, "b")
            with self.assertRaises(RuntimeError):
                first.start()  # now a is the one refused
            self.assertIn("is held by node b at epoch 2", first.read_log())
            self.assertEqual(self.pg.sql("SELECT count(*) - count(DISTINCT seq) FROM ncc_events_fenced"), "0")
        finally:
            first.cleanup()
            second.cleanup()

    def test_a_bad_store_is_refused_naming_the_field(self):
        server = Server(NCC, extra=["--store", "mysql:db"])
        try:
            with self.assertRaises(RuntimeError):
                server.start()
            self.assertIn("--store must be sqlite:DIR, postgres:URL or jetstream:URL", server.read_log())
        finally:
            server.cleanup()


if __name__ == "__main__":
    main()
