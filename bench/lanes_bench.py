#!/usr/bin/env python3
"""ncc's AVL ingest lanes end to end, against Redis, in one run on this machine.

Starts (all on 127.0.0.1, free ports, temporary folders): `ncc serve` with the TCP/UDP tracker
protocol and the MQTT bridge, a Mosquitto broker (scripts/mosquitto), and Debian's redis-server.
Registers --units units, then drives the same workload (each unit a random walk, fixes one
second apart) through each lane with `ncc-load` and reports acknowledged fixes/s:

  HTTP batch (JSON), TCP and UDP (binary tracker protocol), MQTT through mosquitto (QoS 1, one
  fix per message), and Redis GEOADD pipelined 64 deep; then nearest-k at random points over
  HTTP (GET /units/nearby) against Redis GEOSEARCH, one round trip each; then runs
  ncc-bench-monitor for the in-process figures (live index, nearest-k p99, its own Redis run).

Usage: bench/lanes_bench.py [--build build/release] [--units 50000] [--fixes 1000000]
                            [--mqtt-fixes 200000] [--out docs/bench-lanes.md]
Python standard library only.
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "correct horse battery staple"  # passes the password policy (not the user name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def request(port, method, path, body=None, token=None, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r.status, json.loads(data) if data[:1] in (b"{", b"[") else data.decode()


def run_load(build, args):
    done = subprocess.run([os.path.join(build, "src", "monitor", "ncc-load")] + [str(a) for a in args],
                          capture_output=True, text=True)
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise RuntimeError(f"ncc-load {args[:2]}: {done.stdout}{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    p.add_argument("--units", type=int, default=50_000)
    p.add_argument("--fixes", type=int, default=1_000_000)
    p.add_argument("--mqtt-fixes", type=int, default=200_000)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--queries", type=int, default=20_000)
    p.add_argument("--out", default=None, help="also write the Markdown table here")
    p.add_argument("--skip-in-process", action="store_true")
    a = p.parse_args()
    ncc = os.path.join(a.build, "src", "app", "ncc")
    tmp = tempfile.mkdtemp(prefix="ncc-lanes-bench-")
    procs = []
    mosq_dir = os.path.join(tmp, "mosquitto")
    try:
        data = os.path.join(tmp, "data")
        subprocess.run([ncc, "user", "add", "--data", data, "--agency", "police", "--role", "supervisor",
                        "--role", "admin", "--role", "field_unit", "--clearance", "secret", "bench"], input=PASSWORD + "\n",
                       text=True, check=True, capture_output=True)
        key = subprocess.run([ncc, "apikey", "add", "--data", data, "--agency", "police", "--lane", "positions",
                              "bench-gw"], text=True, check=True, capture_output=True).stdout.split()[-1]
        ports = {name: free_port() for name in ("http", "tcp", "udp", "mqtt", "redis")}
        subprocess.run([os.path.join(ROOT, "scripts", "mosquitto"), "start", mosq_dir, str(ports["mqtt"])],
                       check=True, capture_output=True)
        redis = subprocess.Popen(["redis-server", "--port", str(ports["redis"]), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", tmp],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(redis)
        log = open(os.path.join(tmp, "ncc.log"), "wb")
        # Stale detection at 10 min: the bench's fix times are a few minutes old by design.
        server = subprocess.Popen([ncc, "serve", "--data", data, "--listen", f"127.0.0.1:{ports['http']}",
                                   "--avl-tcp", f"127.0.0.1:{ports['tcp']}", "--avl-udp", f"127.0.0.1:{ports['udp']}",
                                   "--mqtt", f"127.0.0.1:{ports['mqtt']}", "--rate", "1000000000",
                                   "--burst", "1000000000", "--stale-after", "600"], stdout=log, stderr=log)
        procs.append(server)
        wait_port(ports["http"], server)
        wait_port(ports["redis"], redis)
        status, login = request(ports["http"], "POST", "/api/v1/auth/login",
                                {"username": "bench", "password": PASSWORD})
        token = login["access_token"]
        request(ports["http"], "POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"},
                token)

        started = time.time()
        lock = threading.Lock()
        ids = []

        def register(offset):
            conn = http.client.HTTPConnection("127.0.0.1", ports["http"], timeout=60)
            for k in range(offset, a.units, 4):
                status, body = request(ports["http"], "POST", "/api/v1/units",
                                       {"callsign": f"U{k}", "agency": "police", "kind": "patrol"}, token, conn)
                assert status == 201, body
                with lock:
                    ids.append(body["id"])
            conn.close()

        threads = [threading.Thread(target=register, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        first = min(ids)
        assert max(ids) - first + 1 == a.units
        print(f"registered {a.units} units in {time.time() - started:.1f} s", flush=True)

        steps = max(1, a.fixes // a.units)
        t0 = int(time.time() * 1000) - 150_000  # every lane's fixes newer than the previous lane's
        common = ["--units", a.units, "--first-unit", first, "--connections", a.connections]
        results = {}
        results["http"] = run_load(a.build, ["--lane", "http", "--target", f"127.0.0.1:{ports['http']}", "--token",
                                             token, "--fixes", a.fixes, "--batch", 5000, "--t0", t0] + common)
        t0 += steps * 1000 + 1000
        results["tcp"] = run_load(a.build, ["--lane", "tcp", "--target", f"127.0.0.1:{ports['tcp']}", "--key", key,
                                            "--fixes", a.fixes, "--batch", 5000, "--t0", t0] + common)
        t0 += steps * 1000 + 1000
        results["udp"] = run_load(a.build, ["--lane", "udp", "--target", f"127.0.0.1:{ports['udp']}", "--key", key,
                                            "--fixes", a.fixes, "--t0", t0] + common)
        t0 += steps * 1000 + 1000
        results["mqtt"] = run_load(a.build, ["--lane", "mqtt", "--target", f"127.0.0.1:{ports['mqtt']}", "--http",
                                             f"127.0.0.1:{ports['http']}", "--token", token, "--fixes", a.mqtt_fixes,
                                             "--t0", t0] + common)
        results["redis"] = run_load(a.build, ["--lane", "redis", "--target", f"127.0.0.1:{ports['redis']}",
                                              "--fixes", a.fixes, "--queries", a.queries, "--t0", t0] + common)
        # Redis's own C client, the peer's best case: same pipeline depth and connections.
        rb = subprocess.run(["redis-benchmark", "-p", str(ports["redis"]), "--csv", "-P", "64", "-c",
                             str(a.connections), "-n", str(a.fixes), "-r", str(a.units),
                             "geoadd", "fleet-rb", "51.5", "25.3", "unit:__rand_int__"],
                            capture_output=True, text=True)
        rb_rate = float(rb.stdout.strip().splitlines()[-1].split(",")[1].strip('"')) if rb.returncode == 0 else 0.0
        results["nearby"] = run_load(a.build, ["--lane", "nearby", "--target", f"127.0.0.1:{ports['http']}",
                                               "--token", token, "--queries", a.queries])
        status, metrics = request(ports["http"], "GET", "/metrics", token=token)
        groups = [l for l in metrics.splitlines() if l.startswith(("ncc_avl_groups_total", "ncc_avl_checkpoints_total"))]

        redis_rate = results["redis"]["fixes_per_s"]
        rows = [("HTTP batch, JSON, 5,000 fixes per POST", results["http"]),
                ("TCP, tracker protocol, 5,000 fixes per batch, pipelined", results["tcp"]),
                ("UDP, tracker protocol, 48 fixes per datagram, acked", results["udp"]),
                ("MQTT through mosquitto, QoS 1, one fix per message", results["mqtt"])]
        load = open("/proc/loadavg").read().strip()
        out = [f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/lanes_bench.py "
               f"--units {a.units} --fixes {a.fixes} --mqtt-fixes {a.mqtt_fixes}` ({a.connections} client "
               f"connections per lane; load average at the end: {load}).", "",
               "| lane (acknowledged = durable, end to end) | fixes | fixes/s | vs Redis GEOADD pipelined |",
               "|---|---|---|---|"]
        for name, r in rows:
            out.append(f"| {name} | {r['accepted']:,} of {r['fixes']:,} | {r['fixes_per_s'] / 1e3:,.0f}k | "
                       f"{r['fixes_per_s'] / redis_rate:.2f}x |")
        out.append(f"| Redis 7 GEOADD, pipelined 64 deep (not durable: --save \"\" --appendonly no) | "
                   f"{results['redis']['accepted']:,} | {redis_rate / 1e3:,.0f}k | 1.00x |")
        if rb_rate:
            out.append(f"| Redis 7 GEOADD through `redis-benchmark` (its own C client), pipelined 64, "
                       f"{a.connections} connections | {a.fixes:,} | {rb_rate / 1e3:,.0f}k | "
                       f"{rb_rate / redis_rate:.2f}x |")
            best = max(redis_rate, rb_rate)
            out += ["", f"TCP lane against the faster Redis figure: **{results['tcp']['fixes_per_s'] / best:.2f}x** "
                        f"(durable: every acknowledged fix fdatasync'd; Redis with persistence off)."]
        out += ["", "| nearest-10 at random points, one request at a time | p50 | p99 |", "|---|---|---|",
                f"| ncc GET /api/v1/units/nearby over HTTP ({a.units:,} units) | {results['nearby']['p50_us']:.0f} us | "
                f"{results['nearby']['p99_us']:.0f} us |",
                f"| Redis GEOSEARCH BYRADIUS 2 km ASC COUNT 10 over RESP | {results['redis']['p50_us']:.0f} us | "
                f"{results['redis']['p99_us']:.0f} us |", "",
                "Lane counters at the end: " + ", ".join(f"`{g}`" for g in groups)]
        if not a.skip_in_process:
            # The servers are stopped first: the in-process figures are for one quiet core.
            stop(procs, mosq_dir)
            bench = subprocess.run([os.path.join(a.build, "bench", "ncc-bench-monitor"), "--dir", tmp],
                                   capture_output=True, text=True)
            out += ["", "In-process (`ncc-bench-monitor`, same run):", "", bench.stdout.strip()]
        text = "\n".join(out) + "\n"
        print(text)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
    finally:
        stop(procs, mosq_dir)
        shutil.rmtree(tmp, ignore_errors=True)


def stop(procs, mosq_dir):
    """Stops every server this run started (again is harmless)."""
    for proc in reversed(procs):
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    procs.clear()
    subprocess.run([os.path.join(ROOT, "scripts", "mosquitto"), "stop", mosq_dir], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
