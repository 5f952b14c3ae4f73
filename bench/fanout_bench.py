#!/usr/bin/env python3
"""Stream fan-out (issue 12, `make bench-fanout`): command-to-screen on 1,000 consoles.

Starts one `ncc serve` on a fresh data folder with two agencies and a dispatcher each, then runs
`ncc-bench-fanout` (bench/fanout_main.cc) against it twice in the same run: the baseline with
one console, then `--consoles` consoles (spread over the two agencies) on /api/v1/stream while
new incidents are created at `--rate` per second. Reports command-to-screen (send → the event on
a console of its agency) p50/p99 over every (event, console) pair, whether every event reached
every console that may see it, and the commands' own send → acknowledgement time (the fsync, which
command-to-screen includes). Exit status 1 when an event is missing or repeated; the p99 target
(≤ 10 ms) is reported, not judged: it depends on the machine's load.

  python3 bench/fanout_bench.py --ncc build/dev/src/app/ncc --fanout build/dev/bench/ncc-bench-fanout \\
      --consoles 1000 --seconds 20 --out docs/bench-fanout.md
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import Server  # noqa: E402

AGENCIES = [("police", "police"), ("fire", "fire")]
TARGET_P99_MS = 10


def run(args, cfg_path, consoles):
    cmd = [args.fanout, "--config", cfg_path, "--consoles", str(consoles), "--rate", str(args.rate),
           "--seconds", str(args.seconds), "--threads", str(args.threads)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(label, r):
    return (f"| {label} | {r['consoles']} | {r['commands']} | {r.get('command_p50_ms', 0):.2f} / "
            f"{r.get('command_p99_ms', 0):.2f} | {r.get('to_screen_p50_ms', 0):.2f} / "
            f"**{r.get('to_screen_p99_ms', 0):.2f}** / {r.get('to_screen_max_ms', 0):.1f} | "
            f"{r['delivered']} of {r['expected']} | {r['repeats']} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ncc", required=True)
    p.add_argument("--fanout", required=True, help="the ncc-bench-fanout binary")
    p.add_argument("--consoles", type=int, default=1000)
    p.add_argument("--rate", type=float, default=20, help="new incidents per second")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--threads", type=int, default=1, help="the client's reader threads")
    p.add_argument("--out", help="write the result as Markdown here too")
    args = p.parse_args()

    server = Server(args.ncc, extra=["--max-connections-per-address", str(args.consoles + 100),
                                     "--stale-after", "0"])
    try:
        for code, _ in AGENCIES:
            server.add_user(f"disp-{code}", code, ["dispatcher"])
        server.start()
        agencies = []
        for code, kind in AGENCIES:
            status, body = server.request("POST", "/api/v1/agencies", {"code": code, "name": code, "kind": kind})
            assert status in (200, 201), body
            agencies.append({"code": code, "token": server.login(f"disp-{code}")})
        cfg_path = os.path.join(server.data_dir, "fanout-config.json")
        with open(cfg_path, "w") as f:
            json.dump({"target": f"127.0.0.1:{server.port}", "agencies": agencies}, f)
        load = os.getloadavg()[0]
        started = time.time()
        base = run(args, cfg_path, 1)
        many = run(args, cfg_path, args.consoles)
        load_after = os.getloadavg()[0]
    finally:
        server.cleanup()

    problems = [f"{r['missing']} (event, console) pairs missing with {r['consoles']} consoles" for r in (base, many)
                if r["missing"]]
    problems += [f"{r['repeats']} events repeated with {r['consoles']} consoles" for r in (base, many) if r["repeats"]]
    problems += [f"{r['consoles_closed']} consoles cut" for r in (base, many) if r["consoles_closed"]]
    p99 = many.get("to_screen_p99_ms", float("inf"))
    text = (f"# Stream fan-out ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))})\n\n"
            f"`{' '.join(sys.argv)}` — `{args.ncc}`; load average {load:.1f} before, {load_after:.1f} after "
            f"({os.cpu_count()} cores).\n\n"
            f"New incidents at {args.rate:g}/s for {args.seconds:g} s, alternately of each of "
            f"{len(AGENCIES)} agencies; each console is a dispatcher of one of them and must get every "
            "event of its agency's incidents (and none of the other's, which the stream's filter leaves out).\n\n"
            "| run | consoles | commands | command (send → ack) p50 / p99 ms | command-to-screen p50 / p99 / max ms "
            "| delivered (event, console) | repeats |\n|---|---|---|---|---|---|---|\n"
            + row("baseline", base) + "\n" + row("fan-out", many) + "\n\n"
            f"p99 command-to-screen with {many['consoles']} consoles: {p99:.2f} ms "
            f"({p99 / max(1e-9, base.get('to_screen_p99_ms', 0)):.1f}× the 1-console baseline; "
            f"target ≤ {TARGET_P99_MS} ms: {'met' if p99 <= TARGET_P99_MS else 'missed'}).\n"
            + ("Nothing lost or repeated.\n" if not problems else "Problems: " + "; ".join(problems) + ".\n"))
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
