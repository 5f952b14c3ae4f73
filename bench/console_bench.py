#!/usr/bin/env python3
"""The console in a real browser under a national picture (issue 12, `make bench-console`).

Starts one `ncc serve` (the console from web/dist) on a fresh data folder with --units units
(5,000) over five agencies and --incidents open incidents (500), then, while `ncc-soak` moves
every unit at 1 fix/s (POST /api/v1/positions; bench/soak_main.cc with no consoles and no
commands), runs bench/console_bench.mjs: Debian's chromium (headless, playwright-core, no
browser download) signs in as a supervisor of every agency and measures, for --seconds each,
in the same run against the same server and load:
  - console: the console as it is (live positions over the stream, the map's sources updated
    by diffs at most twice a second);
  - naive:   the same page and map re-reading the whole picture every second (GET /units and
    /incidents) and re-sending the whole GeoJSON to the map.
Figures: first picture after sign-in (sign-in pressed → every unit and incident on the map),
frame time p50/p95/p99 (requestAnimationFrame intervals), long tasks, JS heap growth (after a
forced GC, from the start of the measured window to its end). Targets (issue 12): frame p95 ≤
16 ms, heap growth ≤ 10 %, first picture ≤ 1.5 s; reported, not judged (software GL here).

  python3 bench/console_bench.py --ncc build/dev/src/app/ncc --soak build/dev/bench/ncc-soak \\
      --seconds 60 --out docs/bench-console.md          # --full: 10 minutes each
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from harness import PASSWORD, Server  # noqa: E402

AGENCIES = [("police", "police"), ("fire", "fire"), ("ems", "ems"), ("coast", "coast_guard"), ("civil", "civil_defense")]
CENTRE = (25.2854, 51.5310)  # where ncc-soak moves its units (±0.2°)
TARGETS = {"frame_p95_ms": 16, "heap_growth_pct": 10, "first_picture_ms": 1500}


def setup(server, units, incidents):
    config = []
    for code, _ in AGENCIES:
        done = subprocess.run([server.ncc, "apikey", "add", "--data", server.data_dir, "--agency", code,
                               "--lane", "positions", f"gw-{code}"], capture_output=True, text=True, check=True)
        config.append({"code": code, "key": done.stdout.strip().split()[-1], "units": []})
    server.add_user("sup", AGENCIES[0][0], [f"{c}:supervisor" for c, _ in AGENCIES], "secret")
    server.start()
    for (code, kind), a in zip(AGENCIES, config):
        status, body = server.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": kind})
        assert status in (200, 201), body
    token = server.login("sup")
    for a in config:
        a["token"] = token
    rng = random.Random(12)
    conn = server.connection()
    started = time.time()
    for i in range(units):
        a = config[i % len(config)]
        lat, lon = CENTRE[0] + rng.uniform(-0.2, 0.2), CENTRE[1] + rng.uniform(-0.2, 0.2)
        status, body = server.request("POST", "/api/v1/units", {"callsign": f"{a['code']}-{i}", "agency": a["code"],
                                                                "kind": ["patrol", "engine", "ambulance"][i % 3],
                                                                "location": {"lat": lat, "lon": lon}},
                                      conn=conn, token=token)
        assert status == 201, body
        a["units"].append(body["id"])
    for k in range(incidents):
        a = config[k % len(config)]
        lat, lon = CENTRE[0] + rng.uniform(-0.2, 0.2), CENTRE[1] + rng.uniform(-0.2, 0.2)
        status, body = server.request("POST", "/api/v1/incidents", {
            "type": "call", "priority": 1 + k % 4, "agency": a["code"], "location": {"lat": lat, "lon": lon},
            "summary": f"bench {k}"}, conn=conn, token=token)
        assert status == 201, body
    conn.close()
    print(f"bench-console: {units} units, {incidents} incidents in {time.time() - started:.0f} s", flush=True)
    return config


def fmt(v, digits=1):
    return "–" if v is None else f"{v:.{digits}f}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ncc", required=True)
    p.add_argument("--soak", required=True, help="the ncc-soak binary (moves the units)")
    p.add_argument("--units", type=int, default=5000)
    p.add_argument("--incidents", type=int, default=500)
    p.add_argument("--seconds", type=float, default=60, help="measured window of each run")
    p.add_argument("--full", action="store_true", help="the issue's 10 minutes per run")
    p.add_argument("--chromium", default=os.environ.get("NCC_CHROMIUM", "/usr/bin/chromium"))
    p.add_argument("--out", help="write the result as Markdown here too")
    args = p.parse_args()
    if args.full:
        args.seconds = 600
    if not os.path.exists(args.chromium):
        print(f"bench-console: {args.chromium} not installed (scripts/setup installs it)", file=sys.stderr)
        return 2
    if not os.path.exists(os.path.join(REPO, "web", "dist", "index.html")):
        print("bench-console: the console is not built: run `make console`", file=sys.stderr)
        return 2
    hours = max(2.0, 4 * args.seconds / 3600 + 1)
    server = Server(args.ncc, extra=["--web", os.path.join(REPO, "web", "dist"), "--stale-after", "0",
                                     "--access-token-ttl", str(int(hours * 3600)), "--session-max-hours", str(hours)])
    feeder = None
    try:
        config = setup(server, args.units, args.incidents)
        cfg = os.path.join(server.data_dir, "soak-config.json")
        with open(cfg, "w") as f:
            json.dump({"target": f"127.0.0.1:{server.port}", "agencies": config}, f)
        # The load for both runs: every unit one fix a second, for as long as the browser measures.
        feeder = subprocess.Popen([args.soak, "--config", cfg, "--seconds", str(4 * args.seconds + 120),
                                   "--report", "10", "--commands", "0", "--consoles", "0", "--probes", "0"],
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(3)
        load = os.getloadavg()[0]
        env = dict(os.environ, NCC_URL=f"http://127.0.0.1:{server.port}", NCC_USER="sup", NCC_PASSWORD=PASSWORD,
                   NCC_CHROMIUM=args.chromium, NCC_SECONDS=str(args.seconds), NCC_UNITS=str(args.units),
                   NCC_INCIDENTS=str(args.incidents), NCC_CENTRE=json.dumps(CENTRE))
        started = time.time()
        done = subprocess.run(["node", os.path.join(HERE, "console_bench.mjs")], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=4 * args.seconds + 600)
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            print(done.stdout)
            print(f"bench-console: the browser run failed ({done.returncode})", file=sys.stderr)
            return 2
        result = json.loads(done.stdout.strip().splitlines()[-1])
        load_after = os.getloadavg()[0]
    finally:
        if feeder:
            feeder.terminate()
            feeder.wait()
        server.cleanup()

    c, n = result["console"], result["naive"]
    rows = [("first picture after sign-in", "first_picture_ms", "ms", 0, "≤ 1500 ms"),
            ("frame time p50", "frame_p50_ms", "ms", 1, ""),
            ("frame time p95", "frame_p95_ms", "ms", 1, "≤ 16 ms"),
            ("frame time p99", "frame_p99_ms", "ms", 1, ""),
            ("frames in the window", "frames", "", 0, ""),
            ("long tasks (> 50 ms) in the window", "long_tasks", "", 0, ""),
            ("JS heap at the start (after GC)", "heap_start_mb", "MiB", 1, ""),
            ("JS heap growth over the window (after GC)", "heap_growth_pct", "%", 1, "≤ 10 %"),
            ("bytes from the server per second", "bytes_per_s", "", 0, "")]
    text = (f"# The console under a national picture ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))})\n\n"
            f"`{' '.join(sys.argv)}` — `{args.ncc}`; load average {load:.1f} before, {load_after:.1f} after "
            f"({os.cpu_count()} cores); chromium headless with software GL (SwiftShader), 1440×900.\n\n"
            f"{args.units} units moving at 1 fix/s each, {args.incidents} open incidents; each run measures "
            f"{args.seconds:g} s after a 5 s warm-up, the map at zoom {result['zoom']} over the units "
            f"(clusters below zoom 12).\n\n"
            "| figure | console (stream + diffs) | naive (whole GeoJSON each second) | target |\n|---|---|---|---|\n"
            + "".join(f"| {label} | {fmt(c.get(k), d)} {unit} | {fmt(n.get(k), d)} {unit} | {t} |\n"
                      for label, k, unit, d, t in rows)
            + "\n" + "; ".join(f"{k} {'met' if c.get(k) is not None and c[k] <= v else 'missed'}"
                               for k, v in TARGETS.items()) + " (console run).\n")
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
