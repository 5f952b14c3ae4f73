#!/usr/bin/env python3
"""ncc's HTTP API under load, against its own /healthz in the same run.

Builds nothing: takes a release `ncc` binary, starts `ncc serve` on a free loopback port with a
temporary data folder (the integration tests' harness: one account, a rate limit high enough never
to refuse the bench), signs in, creates an agency and a few incidents, then drives each route with Debian's `wrk`
(`wrk -t1 -c64 -d5s` by default) and reports requests/s and the ratio to `GET /healthz`:

  GET /healthz                       no sign-in, no route: the cost of the HTTP layer itself
  GET /api/v1/whoami                 Bearer token: sign-in check + a small JSON reply
  GET /api/v1/incidents?limit=10     sign-in + a list read under the World's shared lock: first
                                     with no incident, then returning 10 of --incidents
  POST /api/v1/incidents             sign-in + body parse + a durable command (fsync'd group
                                     commit before the 201)

Every reply must be 2xx (wrk's "Non-2xx" count is checked): a 401 or a 429 would make a fast
figure meaningless. Usage:

  bench/http_bench.py [--ncc build/release/src/app/ncc] [--duration 5] [--connections 64]
                      [--threads 1] [--out docs/bench-http.md]

Python standard library only; needs `wrk` (Debian package, installed by scripts/setup).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from harness import Server  # noqa: E402  (the tests' own way to start and sign in to ncc serve)

INCIDENT = {"type": "police.robbery", "priority": 2, "location": {"lat": 25.2854, "lon": 51.531},
            "summary": "bench"}


def lua_escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def run_wrk(a, url, tmp, name, token=None, body=None):
    """Requests/s of one wrk run; raises if any reply was not 2xx or a socket error occurred."""
    script = os.path.join(tmp, name + ".lua")
    lines = []
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if body is not None:
        lines += ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"',
                  f'wrk.body = "{lua_escape(json.dumps(body))}"']
    with open(script, "w") as f:
        f.write("\n".join(lines) + "\n")
    done = subprocess.run(["wrk", f"-t{a.threads}", f"-c{a.connections}", f"-d{a.duration}s", "-s", script, url],
                          capture_output=True, text=True)
    out = done.stdout
    if done.returncode != 0 or "Requests/sec:" not in out:
        raise RuntimeError(f"wrk {name}: {out}{done.stderr}")
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"wrk {name}: replies that were not 2xx:\n{out}")
    errors = re.search(r"Socket errors: (.*)", out)
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    latency = re.search(r"Latency\s+(\S+)", out).group(1)
    return {"rate": rate, "requests": total, "latency_avg": latency,
            "errors": errors.group(1).strip() if errors else ""}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ncc", default=os.path.join(ROOT, "build", "release", "src", "app", "ncc"),
                   help="the ncc binary to measure (a release build)")
    p.add_argument("--duration", type=int, default=5, help="seconds per route")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument("--incidents", type=int, default=100, help="incidents created before the second list")
    p.add_argument("--out", default=None, help="also write the Markdown table here")
    a = p.parse_args()
    if not shutil.which("wrk"):
        sys.exit("http_bench: wrk not found (Debian package wrk; scripts/setup installs it)")
    if not os.access(a.ncc, os.X_OK):
        sys.exit(f"http_bench: no ncc binary at {a.ncc} (cmake --build --preset release)")
    tmp = tempfile.mkdtemp(prefix="ncc-http-bench-")
    # --rate/--burst: the per-user and per-address limit must never refuse the bench.
    server = Server(a.ncc, rate="1000000000")
    try:
        server.start()
        token = server.token

        def call(method, path, body, want):
            status, reply = server.request(method, path, body)
            if status != want:
                raise RuntimeError(f"{method} {path}: {status} {reply}")

        call("POST", "/api/v1/agencies", {"code": "police", "name": "Police", "kind": "police"}, 201)
        base = f"http://127.0.0.1:{server.port}"
        list_url = f"{base}/api/v1/incidents?limit=10"
        results = []

        def measure(label, name, url, tok=None, body=None):
            r = run_wrk(a, url, tmp, name, tok, body)
            results.append((label, r))
            print(f"{label}: {r['rate']:,.0f} req/s", file=sys.stderr)

        measure("GET /healthz", "healthz", f"{base}/healthz")
        measure("GET /api/v1/whoami (Bearer)", "whoami", f"{base}/api/v1/whoami", token)
        # The list is measured twice: empty (sign-in and routing only, like whoami) and once
        # it returns 10 incidents (then the JSON view of the records dominates).
        measure("GET /api/v1/incidents?limit=10, none yet", "incidents-empty", list_url, token)
        for _ in range(a.incidents):
            call("POST", "/api/v1/incidents", INCIDENT, 201)
        measure(f"GET /api/v1/incidents?limit=10, 10 of {a.incidents}", "incidents", list_url, token)
        measure("POST /api/v1/incidents (durable)", "create", f"{base}/api/v1/incidents", token, INCIDENT)
        call("GET", "/api/v1/whoami", None, 200)  # still signed in: no figure was a refusal

        baseline = results[0][1]["rate"]
        load = open("/proc/loadavg").read().strip()
        out = [f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `bench/http_bench.py` "
               f"(`wrk -t{a.threads} -c{a.connections} -d{a.duration}s` per route, one `ncc serve` with "
               f"its default I/O threads on loopback; "
               f"{os.cpu_count()} cores shared by server and client; load average at the end: {load}).", "",
               "| route | requests | req/s | avg latency | vs /healthz |", "|---|---:|---:|---:|---:|"]
        for label, r in results:
            out.append(f"| {label} | {r['requests']:,} | {r['rate']:,.0f} | {r['latency_avg']} | "
                       f"{r['rate'] / baseline:.2f}x |")
        errors = [f"{label}: {r['errors']}" for label, r in results if r["errors"]]
        if errors:
            out += ["", "Socket errors: " + "; ".join(errors)]
        out += ["", "Every reply was 2xx (checked). The POST is acknowledged only after its group "
                "commit is fsync'd; the engine alone: `docs/bench-core.md`."]
        text = "\n".join(out) + "\n"
        print(text)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
    finally:
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
