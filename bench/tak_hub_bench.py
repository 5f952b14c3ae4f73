#!/usr/bin/env python3
"""The TAK hub end to end (docs/tak-hub.md): CoT messages/s through the TCP listener into the
live index, and GeoChat fan-out to N connected TAK clients, against the framer alone in the
same run.

Starts `ncc serve --cot` (loopback, free ports, a temporary folder), registers --units police
units U0.. and a `cot` key, then runs ncc-bench-tak (bench/tak_hub_bench.cc) against it and
waits until the AVL lane has taken every report (ncc_avl_fixes_accepted_total{source="cot"}):

  in (listener)   reports framed, parsed, mapped and handed to the lane, per second
  in (index)      reports accepted into the live index, per second, from the first byte sent
  fan-out         GeoChat from one client to --clients others: p50 / p99 / max latency
  baseline        the framer + parser alone over the same bytes, in the bench process

Usage: bench/tak_hub_bench.py [--build build/release] [--data ../shared/data] [--messages 200000]
                              [--units 1000] [--senders 4] [--clients 500] [--chats 200] [--rate 50]
Python standard library only.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from lanes_bench import PASSWORD, ROOT, free_port, request, wait_port


def metric(port, token, name, labels):
    status, text = request(port, "GET", "/metrics", token=token)
    key = name + ("{" + labels + "}" if labels else "") + " "
    for line in text.splitlines():
        if line.startswith(key):
            return float(line.split()[-1])
    return 0.0


def server_cpu_s(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def build_type(build):
    try:
        for line in open(os.path.join(build, "CMakeCache.txt")):
            if line.startswith("CMAKE_BUILD_TYPE:"):
                return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "?"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    p.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    p.add_argument("--messages", type=int, default=200_000)
    p.add_argument("--units", type=int, default=1000)
    p.add_argument("--senders", type=int, default=4)
    p.add_argument("--clients", type=int, default=500)
    p.add_argument("--chats", type=int, default=200)
    p.add_argument("--rate", type=float, default=50)
    a = p.parse_args()
    ncc = os.path.join(a.build, "src", "app", "ncc")
    tmp = tempfile.mkdtemp(prefix="ncc-tak-bench-")
    server = None
    try:
        data = os.path.join(tmp, "data")
        subprocess.run([ncc, "user", "add", "--data", data, "--agency", "police", "--role", "supervisor",
                        "--role", "admin", "--clearance", "secret", "bench"], input=PASSWORD + "\n", text=True, check=True,
                       capture_output=True)
        key = subprocess.run([ncc, "apikey", "add", "--data", data, "--agency", "police", "--lane", "cot",
                              "--clearance", "restricted", "bench-tak"],
                             text=True, check=True, capture_output=True).stdout.split()[-1]
        http, cot = free_port(), free_port()
        log = open(os.path.join(tmp, "ncc.log"), "wb")
        server = subprocess.Popen([ncc, "serve", "--data", data, "--listen", f"127.0.0.1:{http}",
                                   "--cot", f"127.0.0.1:{cot}", "--cot-max-connections", str(a.clients + 64),
                                   "--cot-threads", "2",
                                   # One position checkpoint per unit in the run (the fixes span
                                   # 200 s of fix time): the feed to the bench's own clients
                                   # (one reader thread) stays below what the listener cuts.
                                   "--checkpoint-every", "3600",
                                   "--rate", "1000000000", "--burst", "1000000000", "--stale-after", "600"],
                                  stdout=log, stderr=log)
        wait_port(http, server)
        wait_port(cot, server)
        token = request(http, "POST", "/api/v1/auth/login", {"username": "bench", "password": PASSWORD})[1]["access_token"]
        request(http, "POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"}, token)

        def register(offset):
            for k in range(offset, a.units, 4):
                status, body = request(http, "POST", "/api/v1/units",
                                       {"callsign": f"U{k}", "agency": "police", "kind": "patrol"}, token)
                assert status == 201, body

        threads = [threading.Thread(target=register, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        before = metric(http, token, "ncc_avl_fixes_accepted_total", 'source="cot"')
        groups_before = metric(http, token, "ncc_avl_groups_total", "")
        bench = subprocess.Popen([os.path.join(a.build, "bench", "ncc-bench-tak"), "--port", str(cot), "--key", key,
                                  "--data", a.data, "--messages", str(a.messages), "--units", str(a.units),
                                  "--senders", str(a.senders), "--clients", str(a.clients), "--chats", str(a.chats),
                                  "--rate", str(a.rate), "--hold"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Into the live index: polled while the reports go in, until the lane has taken every one
        # (or takes no more for 5 s); only then does the bench go on to the fan-out (--hold).
        # Polled concurrently: the figure must not include the fan-out phase.
        accepted, last, last_change, index_end = 0.0, 0.0, time.time() + 600, time.time() * 1000
        while time.time() - last_change < 5 and bench.poll() is None:  # 5 s: from the first fix on
            accepted = metric(http, token, "ncc_avl_fixes_accepted_total", 'source="cot"') - before
            if accepted != last:
                last, last_change = accepted, time.time()
                index_end = time.time() * 1000
            if accepted >= a.messages:
                break
            time.sleep(0.01)
        bench.stdin.write("go\n")
        bench.stdin.flush()
        # The server's CPU time over the chats alone (utime + stime): what the relay costs per
        # delivered message, far less sensitive to the machine's load than the latencies are.
        err = ""
        while True:
            line = bench.stderr.readline()
            err += line
            if not line or line.startswith("fan-out: ready"):
                break
        cpu_before = server_cpu_s(server.pid)
        out, rest = bench.communicate(input="go\n", timeout=900)
        chat_cpu_s = server_cpu_s(server.pid) - cpu_before
        err += rest
        if not out.strip():
            log.flush()
            tail = open(os.path.join(tmp, "ncc.log"), errors="replace").read()[-1500:]
            raise RuntimeError(f"ncc-bench-tak failed ({bench.returncode}): {err}\nncc: {tail}")
        r = json.loads(out.strip().splitlines()[-1])
        index_s = (index_end - r["in_start_wall_ms"]) / 1000
        cut = metric(http, token, "ncc_cot_clients_cut_slow_total", "")
        # Group commits of the lane (one fdatasync each) during the run; the chats move no unit.
        groups = metric(http, token, "ncc_avl_groups_total", "") - groups_before
        paused = metric(http, token, "ncc_cot_reads_paused_total", "")
        refused = metric(http, token, "ncc_cot_fixes_refused_total", "")
        load = open("/proc/loadavg").read().strip()
        out = [f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/tak_hub_bench.py "
               f"--messages {a.messages} --units {a.units} --senders {a.senders} --clients {a.clients} "
               f"--chats {a.chats} --rate {a.rate:g} --build {os.path.relpath(a.build, ROOT)}` (CMake build type "
               f"{build_type(a.build)}; load average at the end: {load}).", "",
               "| path | figure |", "|---|---|",
               f"| framer + parser alone, in process (baseline) | {r['baseline_msgs_per_s'] / 1e3:,.0f}k msgs/s |",
               f"| in: TCP listener, {a.senders} connections, framed + parsed + mapped + handed to the lane | "
               f"{r['in_msgs_per_s'] / 1e3:,.0f}k msgs/s ({a.messages:,} in {r['in_s']:.2f} s) |",
               f"| in: accepted into the live index (from the first byte sent) | "
               f"{accepted / index_s / 1e3:,.0f}k msgs/s ({accepted:,.0f} of {a.messages:,}) |",
               f"| lane group commits (fdatasyncs) for them | {groups:,.0f} ({accepted / max(groups, 1):,.0f} "
               f"fixes per sync); reads paused for back-pressure {paused:,.0f}; fixes refused {refused:,.0f} |",
               f"| fan-out: GeoChat to {a.clients + a.senders + 1} other clients, {a.rate:g}/s | "
               f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms "
               f"({r['delivered']:,} of {r['expected']:,} delivered) |",
               f"| fan-out: ncc's CPU time over the chats | {chat_cpu_s:.2f} s, "
               f"{chat_cpu_s * 1e6 / max(r['delivered'], 1):.1f} µs per delivered message |",
               f"| before the chats, after the last sign-in: snapshots and checkpoints still read | "
               f"{r['quiet_bytes'] / 1e6:,.0f} MB |",
               f"| clients cut for not keeping up | {cut:.0f} |"]
        text = "\n".join(out) + "\n"
        print(text)
        return 0 if r["in_done"] and r["fan_done"] else 1
    finally:
        if server:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
