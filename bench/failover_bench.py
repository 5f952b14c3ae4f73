#!/usr/bin/env python3
"""Failover time on PostgreSQL (issue 14): two `ncc serve --standby` nodes on one shard of a real
PostgreSQL 15 (scripts/postgres on loopback, deleted at the end), a short lease, and a client
posting incidents with command ids to whichever node is the writer (following X-Ncc-Writer).
Each round `kill -9`s the writer and measures the time from the kill to the first acknowledged
write on the other node; the killed node is restarted as a standby before the next round.
Prints one line per kill and p50/p99/max; checks that every acknowledged command is in the log
exactly once and that the epochs' seq ranges never overlap.

    python3 bench/failover_bench.py --ncc build/dev/src/app/ncc --kills 20 --lease-ttl 1
"""
import argparse
import os
import sys
import threading
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))

import test_failover  # noqa: E402  (the cluster client of the failover test)
from harness import seed  # noqa: E402
from test_postgres import Postgres, metric  # noqa: E402


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wait_for(predicate, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise RuntimeError("timed out")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ncc", required=True)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--lease-ttl", default="1")
    args = parser.parse_args()
    test_failover.NCC = args.ncc
    test_failover.TTL = args.lease_ttl

    pg = Postgres()
    pg.start()
    cluster = test_failover.Cluster(pg)
    nodes = [cluster.add("a"), cluster.add("b")]
    acked, lock, stop = {}, threading.Lock(), threading.Event()
    try:
        nodes[0].start()
        wait_for(lambda: metric(nodes[0], "ncc_engine_writing") == 1)
        nodes[1].start()
        seed(nodes[0])

        def client():
            k = 0
            while not stop.is_set():
                key = f"bench-{k}"
                node, incident, at = cluster.post_until_acked(key, time.time() + 60)
                with lock:
                    acked[key] = (incident, node, at)
                k += 1

        worker = threading.Thread(target=client)
        worker.start()
        times = []
        for round_ in range(args.kills):
            writer = next(n for n in nodes if metric(n, "ncc_engine_writing") == 1)
            standby = next(n for n in nodes if n is not writer)
            name = next(k for k, v in cluster.nodes.items() if v is standby)
            time.sleep(0.5)  # writes flowing on the writer
            killed_at = time.time()
            writer.kill9()
            while True:
                with lock:
                    after = [at for (_, node, at) in acked.values() if node == name and at > killed_at]
                if after:
                    break
                time.sleep(0.01)
            times.append(min(after) - killed_at)
            print(f"kill {round_ + 1}: {times[-1]:.2f} s to the first acknowledged write on {name}", flush=True)
            writer.start()  # back as a standby: a whole chain walk at start
            wait_for(lambda: metric(writer, "ncc_engine_writing") == 0)
        stop.set()
        worker.join()

        listed = test_failover.summaries(nodes[0] if nodes[0].proc.poll() is None else nodes[1])
        counts = Counter(s for _, s in listed)
        twice = [k for k in acked if counts[k] != 1]
        table = "ncc_events_" + test_failover.SHARD
        ranges = pg.sql(f"SELECT epoch, min(seq), max(seq) FROM {table} GROUP BY epoch ORDER BY epoch")
        rows = [tuple(int(v) for v in line.split("|")) for line in ranges.splitlines()]
        overlap = any(hi >= lo for (_, _, hi), (_, lo, _) in zip(rows, rows[1:]))
        print(f"failover over {len(times)} kills (lease ttl {args.lease_ttl} s): "
              f"p50 {percentile(times, 50):.2f} s, p99 {percentile(times, 99):.2f} s, max {max(times):.2f} s; "
              f"{len(acked)} commands acknowledged, {len(twice)} not exactly once; "
              f"{len(rows)} epochs, overlapping ranges: {'yes' if overlap else 'none'}")
        return 1 if twice or overlap else 0
    finally:
        stop.set()
        for node in nodes:
            node.cleanup()
        pg.destroy()


if __name__ == "__main__":
    sys.exit(main())
