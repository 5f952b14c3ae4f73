#!/usr/bin/env python3
"""The soak of issue 17: the national mix against one `ncc serve` for a long time (`make soak`).

Starts the server on a fresh data folder, makes one dispatcher and one positions key per agency,
registers the units, then runs `ncc-soak` (bench/soak_main.cc: fixes at 1 Hz per unit, consoles
on the stream with live positions, paced commands at real call locations) while sampling the
server's memory (VmRSS) and /metrics. Writes the samples (soak.json), one SVG per figure and a
summary (README.md) into --out, and exits non-zero when a target is missed:
command p99 <= 10 ms, fix-to-screen p99 <= 100 ms, nothing lost (events, consoles), and no
growth without bound (RSS of the last quarter <= 1.2 x the second quarter's).

  python3 bench/soak.py --ncc build/release/src/app/ncc --soak build/release/bench/ncc-soak \
      --data ../shared/data --seconds 3600 --out docs/soak
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import Server  # noqa: E402

KINDS = ["police", "fire", "ems", "coast_guard", "civil_defense"]
TARGETS = {"command_p99_ms": 10, "fix_to_screen_p99_ms": 100}


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def setup(server, agencies, units):
    """Agencies, one dispatcher and one positions key each, `units` units spread over them."""
    config = []
    for k in range(agencies):
        code = f"a{k:02d}"
        server.add_user(f"disp-{code}", code, ["supervisor", "dispatcher"])
        done = subprocess.run([server.ncc, "apikey", "add", "--data", server.data_dir, "--agency", code,
                               "--lane", "positions", f"gw-{code}"], capture_output=True, text=True, check=True)
        config.append({"code": code, "key": done.stdout.strip().split()[-1], "units": []})
    server.start()
    for k, a in enumerate(config):
        status, body = server.request("POST", "/api/v1/agencies",
                                      {"code": a["code"], "name": f"Agency {k}", "kind": KINDS[k % len(KINDS)]})
        assert status in (200, 201), body
        a["token"] = server.login(f"disp-{a['code']}")
    conns = [server.connection() for _ in config]
    started = time.time()
    for i in range(units):
        k = i % agencies
        a = config[k]
        status, body = server.request("POST", "/api/v1/units",
                                      {"callsign": f"{a['code']}-{i}", "agency": a["code"], "kind": "patrol"},
                                      conn=conns[k], token=a["token"])
        assert status == 201, body
        a["units"].append(body["id"])
        if i and i % 10000 == 0:
            print(f"soak: {i}/{units} units registered ({time.time() - started:.0f} s)", flush=True)
    for c in conns:
        c.close()
    return config


def sample_server(server, stop, out, every):
    while not stop.wait(every):
        try:
            _, text = server.request("GET", "/metrics")
            text = text if isinstance(text, str) else ""
        except Exception:  # noqa: BLE001 - a missed sample is shown as a gap, not a crash
            text = ""
        out.append({"wall": time.time(), "rss_kb": rss_kb(server.proc.pid),
                    "live_fixes": metric(text, "ncc_live_position_fixes_total"),
                    "streams": metric(text, "ncc_streams_connected")})


def svg(title, unit, series, path, target=None):
    """A line chart of [(label, [(x, y)])] as a standalone SVG (no outside assets)."""
    w, h, left, bottom = 720, 300, 70, 40
    pts = [p for _, s in series for p in s if p[1] is not None]
    if not pts:
        return
    x_max = max(p[0] for p in pts) or 1
    y_max = max([p[1] for p in pts] + ([target * 1.2] if target else [])) or 1
    sx = lambda x: left + (w - left - 20) * x / x_max  # noqa: E731
    sy = lambda y: h - bottom - (h - bottom - 30) * y / y_max  # noqa: E731
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="14">{title}</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - 20}" y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="30" x2="{left}" y2="{h - bottom}" stroke="black"/>']
    for k in range(5):
        y = y_max * k / 4
        out.append(f'<text x="{left - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.3g}</text>')
        x = x_max * k / 4
        out.append(f'<text x="{sx(x):.1f}" y="{h - bottom + 16}" text-anchor="middle">{x:.0f} s</text>')
    out.append(f'<text x="12" y="{h / 2}" transform="rotate(-90 12 {h / 2})" text-anchor="middle">{unit}</text>')
    if target:
        out.append(f'<line x1="{left}" y1="{sy(target):.1f}" x2="{w - 20}" y2="{sy(target):.1f}" '
                   f'stroke="#888" stroke-dasharray="4 3"/><text x="{w - 22}" y="{sy(target) - 4:.1f}" '
                   f'text-anchor="end" fill="#666">target {target}</text>')
    for i, (label, s) in enumerate(series):
        s = [p for p in s if p[1] is not None]
        if not s:
            continue
        c = colours[i % len(colours)]
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="' +
                   " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s) + '"/>')
        out.append(f'<text x="{left + 10 + 150 * i}" y="{h - 6}" fill="{c}">{label}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def judge(lines, samples, smoke=False):
    final = lines[-1]
    worst = lambda key: max((l.get(key, 0) for l in lines if not l.get("final")), default=0)  # noqa: E731
    verdict = {
        "command_p99_ms": worst("command_p99_ms"),
        "fix_to_screen_p99_ms": worst("fix_to_screen_p99_ms"),
        "events_missing": final.get("events_missing", 0),
        "seq_repeats": final.get("seq_repeats", 0),
        "consoles_closed": final.get("consoles_closed", 0),
        "fix_batches_failed": final.get("fix_batches_failed", 0),
        "commands_failed": final.get("commands_failed", 0),
    }
    rss = [s["rss_kb"] for s in samples if s["rss_kb"]]
    q = len(rss) // 4
    verdict["rss_growth"] = (max(rss[3 * q:]) / max(1, max(rss[q:2 * q]))) if q >= 1 else None
    # The smoke (ctest, a loaded dev build) checks that nothing is lost, not the speed targets.
    problems = [] if smoke else [f"{k} {verdict[k]:.1f} > {v}" for k, v in TARGETS.items() if verdict[k] > v]
    problems += [f"{k} = {verdict[k]}" for k in ("events_missing", "seq_repeats", "consoles_closed",
                                                  "fix_batches_failed", "commands_failed") if verdict[k]]
    if not smoke and verdict["rss_growth"] and verdict["rss_growth"] > 1.2:
        problems.append(f"memory grew {verdict['rss_growth']:.2f}x from the second to the last quarter")
    return verdict, problems


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ncc", required=True)
    p.add_argument("--soak", required=True, help="the ncc-soak binary")
    p.add_argument("--data", default="../shared/data", help="the data folder (calls/ for command locations)")
    p.add_argument("--seconds", type=float, default=3600)
    p.add_argument("--units", type=int, default=50_000)
    p.add_argument("--agencies", type=int, default=10)
    p.add_argument("--consoles", type=int, default=1000)
    p.add_argument("--probes", type=int, default=10)
    p.add_argument("--commands", type=float, default=100)
    p.add_argument("--report", type=float, default=10)
    p.add_argument("--out", default="docs/soak")
    p.add_argument("--smoke", action="store_true", help="judge only losses (ctest's short run)")
    args = p.parse_args()

    hours = max(2.0, args.seconds / 3600 + 1)
    server = Server(args.ncc, extra=["--access-token-ttl", str(int(hours * 3600)), "--session-max-hours", str(hours),
                                     "--max-connections-per-address", str(args.consoles + 100),
                                     "--stale-after", "0"])
    lines, samples = [], []
    stop = threading.Event()
    try:
        print(f"soak: {args.units} units, {args.agencies} agencies, {args.consoles} consoles, "
              f"{args.commands:g} commands/s for {args.seconds:g} s", flush=True)
        config = setup(server, args.agencies, args.units)
        cfg_path = os.path.join(server.data_dir, "soak-config.json")
        with open(cfg_path, "w") as f:
            json.dump({"target": f"127.0.0.1:{server.port}", "agencies": config}, f)
        sampler = threading.Thread(target=sample_server, args=(server, stop, samples, min(10.0, args.report)))
        sampler.start()
        calls = os.path.join(args.data, "calls", "sf_fire_calls_for_service_2020-04.csv")
        cmd = [args.soak, "--config", cfg_path, "--seconds", str(args.seconds), "--report", str(args.report),
               "--commands", str(args.commands), "--consoles", str(args.consoles), "--probes", str(args.probes),
               "--calls", calls]
        started = time.time()
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as tool:
            for line in tool.stdout:
                line = json.loads(line)
                lines.append(line)
                if not line.get("final"):
                    print(f"soak: {line['t']:6.0f} s  cmd p99 {line.get('command_p99_ms', 0):6.2f} ms  "
                          f"fix→screen p99 {line.get('fix_to_screen_p99_ms', 0):6.1f} ms  "
                          f"fixes {line['fixes_accepted']}  rss {rss_kb(server.proc.pid) // 1024} MiB", flush=True)
        if tool.returncode != 0 or not lines:
            print(f"soak: ncc-soak failed ({tool.returncode})", file=sys.stderr)
            return 2
    finally:
        stop.set()
        server.cleanup()
    verdict, problems = judge(lines, samples, args.smoke)
    # A figure with no samples is not a zero: it was not measured.
    if not any(l.get("fix_to_screen_n") for l in lines):
        problems.append("fix-to-screen not measured: no probe timed a live position")
    if not any(l.get("event_to_screen_n") for l in lines):
        problems.append("command-to-screen not measured: no command's event reached a probe")
    os.makedirs(args.out, exist_ok=True)
    t0 = started
    with open(os.path.join(args.out, "soak.json"), "w") as f:
        json.dump({"args": vars(args), "intervals": lines, "samples": samples, "verdict": verdict}, f, indent=1)
    iv = [l for l in lines if not l.get("final")]
    svg("Command latency (send → durable acknowledgement)", "ms",
        [("p50", [(l["t"], l.get("command_p50_ms")) for l in iv]), ("p99", [(l["t"], l.get("command_p99_ms")) for l in iv])],
        os.path.join(args.out, "command-latency.svg"), TARGETS["command_p99_ms"])
    svg("Fix to screen (fix sent → in a console's positions message)", "ms",
        [("p50", [(l["t"], l.get("fix_to_screen_p50_ms")) for l in iv]),
         ("p99", [(l["t"], l.get("fix_to_screen_p99_ms")) for l in iv])],
        os.path.join(args.out, "fix-to-screen.svg"), TARGETS["fix_to_screen_p99_ms"])
    svg("Command to screen (acknowledged → event on a console)", "ms",
        [("p50", [(l["t"], l.get("event_to_screen_p50_ms")) for l in iv]),
         ("p99", [(l["t"], l.get("event_to_screen_p99_ms")) for l in iv])],
        os.path.join(args.out, "command-to-screen.svg"))
    svg("Server memory (VmRSS)", "MiB", [("rss", [(s["wall"] - t0, s["rss_kb"] / 1024) for s in samples])],
        os.path.join(args.out, "memory.svg"))
    final = lines[-1]
    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write(f"# Soak run ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))})\n\n"
                f"`{' '.join(sys.argv)}`\n\n"
                f"{args.units} units at 1 Hz over {args.agencies} agencies, {args.consoles} consoles on the stream "
                f"with live positions ({args.probes} timing every message), {args.commands:g} commands/s, "
                f"{args.seconds:g} s. Fixes accepted: {final['fixes_accepted']} of {final['fixes_sent']}; "
                f"commands: {final['commands_ok']} ok, {final['commands_failed']} failed; "
                f"console messages: {final['messages']} ({final['bytes'] / 2**20:.0f} MiB).\n\n"
                "| figure | measured (worst interval) | target |\n|---|---|---|\n"
                f"| command p99 | {verdict['command_p99_ms']:.2f} ms | ≤ 10 ms |\n"
                f"| fix-to-screen p99 | {verdict['fix_to_screen_p99_ms']:.1f} ms | ≤ 100 ms |\n"
                f"| acknowledged events a console of their agency never got | {verdict['events_missing']} | 0 |\n"
                f"| events repeated on a stream | {verdict['seq_repeats']} | 0 |\n"
                f"| consoles cut | {verdict['consoles_closed']} | 0 |\n"
                f"| memory, last quarter / second quarter | "
                f"{'%.2f' % verdict['rss_growth'] if verdict['rss_growth'] else 'n/a'} | ≤ 1.2 |\n\n"
                + ("Smoke run: losses judged, speed targets not.\n" if args.smoke and not problems
                   else "Targets met.\n" if not problems else "Missed: " + "; ".join(problems) + ".\n") +
                "\n![command latency](command-latency.svg)\n![fix to screen](fix-to-screen.svg)\n"
                "![command to screen](command-to-screen.svg)\n![memory](memory.svg)\n")
    print("soak: " + json.dumps(verdict))
    if problems:
        print("soak: MISSED " + "; ".join(problems), file=sys.stderr)
        return 1
    print("soak: targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
