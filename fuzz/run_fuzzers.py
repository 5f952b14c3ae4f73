#!/usr/bin/env python3
"""Runs every fuzz target for a set time, one after the other, and records what it did.

    fuzz/run_fuzzers.py --bin build/fuzz/fuzz --corpus build/fuzz/corpus --seconds 60 \
        [--targets cap_fuzz,cot_fuzz] [--doc docs/fuzzing.md] [--extra cap_fuzz=240,...]

Each target runs with -max_total_time (the budget), -rss_limit_mb, -timeout and its -max_len,
over build/fuzz/corpus/<target> (seeds from fuzz/seed_corpora.py plus what earlier runs grew;
new inputs are written back there). A crash, leak, timeout or out-of-memory stops libFuzzer: its
input is kept in build/fuzz/artifacts/<target>/, minimised (-minimize_crash=1), and the target
is started again for the rest of its budget, so one bug does not hide the next. Figures (CPU
seconds of the fuzzer process, executions, exec/s, corpus size, coverage from libFuzzer's last
status line, findings) go to docs/fuzzing.md: the run's own table, and the cumulative CPU seconds
and executions per target, added to the totals already in the doc. Exit status 1 when anything
was found.
"""
import argparse
import datetime
import glob
import os
import re
import resource
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from seed_corpora import TARGETS  # noqa: E402

# Per-target input size limits: each target's own parser limit or a size that reaches it.
MAX_LEN = {
    "cap_fuzz": 65536, "cap_feed_fuzz": 65536, "cap_import_config_fuzz": 16384,
    "xmldsig_fuzz": 65536,
    "osm_reader_fuzz": 65536, "graph_loader_fuzz": 65536,
    "track_reader_fuzz": 65536, "event_decode_fuzz": 65536, "cot_fuzz": 16384,
    "json_body_fuzz": 16384, "positions_body_fuzz": 16384, "alarm_payload_fuzz": 16384,
    "geojson_zones_fuzz": 16384, "dispatch_plans_fuzz": 16384, "call_file_fuzz": 16384,
    "http_route_fuzz": 8192, "mqtt_payload_fuzz": 8192, "avl_wire_fuzz": 8192,
    "sf_calls_fuzz": 4096, "auth_token_fuzz": 1024, "webhook_url_fuzz": 1024,
    "config_file_fuzz": 8192,
}
RSS_LIMIT_MB = 2048
TIMEOUT_S = 10

BEGIN_TOTALS = "<!-- fuzz-totals: begin (machine-readable; fuzz/run_fuzzers.py adds to it) -->"
END_TOTALS = "<!-- fuzz-totals: end -->"
BEGIN_RUN = "<!-- fuzz-last-run: begin -->"
END_RUN = "<!-- fuzz-last-run: end -->"
BEGIN_LOG = "<!-- fuzz-runs: begin -->"
END_LOG = "<!-- fuzz-runs: end -->"


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def finding_kind(log):
    for pat, kind in [("ERROR: libFuzzer: timeout", "timeout"),
                      ("ERROR: libFuzzer: out-of-memory", "oom"),
                      ("ERROR: LeakSanitizer", "leak"),
                      ("ERROR: AddressSanitizer", "asan"),
                      ("runtime error:", "ubsan"),
                      ("ERROR: libFuzzer: deadly signal", "crash"),
                      ("ERROR: libFuzzer:", "crash")]:
        if pat in log:
            return kind
    return "crash"


def signature(log):
    """What identifies a bug: the sanitizer's summary and the first frame in ncc's own code."""
    summary = re.search(r"SUMMARY: (.*)", log)
    frame = re.search(r"#\d+ 0x[0-9a-f]+ in (\S+) \S*/(?:src|fuzz)/(\S+?):\d+", log)
    return "%s @ %s" % (summary.group(1).split(" /")[0] if summary else finding_kind(log),
                        "%s %s" % frame.groups() if frame else "?")


def run_target(binary, target, corpus, seconds, artifacts, logdir):
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(artifacts, exist_ok=True)
    stats = {"target": target, "seconds": 0.0, "cpu": 0.0, "execs": 0, "cov": 0, "ft": 0,
             "findings": []}
    deadline = time.monotonic() + seconds
    attempt = 0
    while True:
        left = int(deadline - time.monotonic())
        if left < 5 or attempt >= 8:
            break
        attempt += 1
        cmd = [binary, corpus, "-max_total_time=%d" % left, "-rss_limit_mb=%d" % RSS_LIMIT_MB,
               "-timeout=%d" % TIMEOUT_S, "-max_len=%d" % MAX_LEN.get(target, 4096),
               "-print_final_stats=1", "-artifact_prefix=" + artifacts + "/",
               "-close_fd_mask=1"]
        log_path = os.path.join(logdir, "%s.%d.log" % (target, attempt))
        cpu0, t0 = child_cpu(), time.monotonic()
        with open(log_path, "w") as log:
            rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
        stats["seconds"] += time.monotonic() - t0
        stats["cpu"] += child_cpu() - cpu0
        text = open(log_path, errors="replace").read()
        m = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
        if m:
            stats["execs"] += int(m.group(1))
        covs = re.findall(r"cov: (\d+) ft: (\d+)", text)
        if covs:
            stats["cov"] = max(stats["cov"], int(covs[-1][0]))
            stats["ft"] = max(stats["ft"], int(covs[-1][1]))
        if rc == 0:
            break
        m = re.search(r"Test unit written to (\S+)", text)
        artifact = m.group(1) if m else None
        kind = finding_kind(text)
        sig = signature(text)
        seen = [x for x in stats["findings"] if x["signature"] == sig]
        if seen:  # the same bug again: keep fuzzing for another one, give up after the third
            seen[0]["times"] += 1
            if seen[0]["times"] >= 3:
                break
            continue
        small = None
        if artifact and os.path.exists(artifact) and kind not in ("timeout", "oom"):
            small = artifact + ".min"
            cpu0, m0 = child_cpu(), time.monotonic()
            subprocess.call([binary, artifact, "-minimize_crash=1", "-max_total_time=30",
                             "-exact_artifact_path=" + small, "-timeout=%d" % TIMEOUT_S],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stats["cpu"] += child_cpu() - cpu0
            deadline += time.monotonic() - m0  # minimising does not eat the fuzzing budget
            if not os.path.exists(small):
                small = None
        stats["findings"].append({"kind": kind, "artifact": artifact, "minimised": small,
                                  "log": log_path, "signature": sig, "times": 1})
        print("  %s: %s [%s] -> %s" % (target, kind, sig, small or artifact), flush=True)
    stats["corpus"] = len(os.listdir(corpus))
    stats["corpus_bytes"] = sum(os.path.getsize(p) for p in glob.glob(os.path.join(corpus, "*")))
    return stats


def read_totals(doc):
    totals = {}
    if not os.path.exists(doc):
        return totals
    text = open(doc).read()
    if BEGIN_TOTALS not in text:
        return totals
    block = text.split(BEGIN_TOTALS, 1)[1].split(END_TOTALS, 1)[0]
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0].endswith("_fuzz"):
            totals[cells[0]] = {"cpu": float(cells[1]), "execs": int(cells[3]),
                                "runs": int(cells[4]), "findings": int(cells[5])}
    return totals


def replace_block(text, begin, end, body):
    if begin in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        return head + begin + "\n" + body + end + tail
    return text.rstrip("\n") + "\n\n" + begin + "\n" + body + end + "\n"


def write_doc(doc, results, command, seconds):
    totals = read_totals(doc)
    for r in results:
        t = totals.setdefault(r["target"], {"cpu": 0.0, "execs": 0, "runs": 0, "findings": 0})
        t["cpu"] += r["cpu"]
        t["execs"] += r["execs"]
        t["runs"] += 1
        t["findings"] += len(r["findings"])
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    run = ["Run of %s, `%s` (%d s per target, one target at a time; CPU = user + system seconds "
           "of the fuzzer processes, minimising included):" % (now, command, seconds), "",
           "| target | wall s | CPU s | execs | exec/s | corpus (files) | corpus KiB | cov | ft "
           "| findings |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        f = ", ".join("%s in `%s` (`%s`)" % (x["kind"], x["signature"].split(" @ ")[-1],
                                              os.path.basename(x["minimised"] or x["artifact"]
                                                               or "?"))
                      for x in r["findings"]) or "none"
        run.append("| %s | %.0f | %.1f | %d | %d | %d | %d | %d | %d | %s |" % (
            r["target"], r["seconds"], r["cpu"], r["execs"],
            r["execs"] / r["seconds"] if r["seconds"] else 0, r["corpus"],
            r["corpus_bytes"] // 1024, r["cov"], r["ft"], f))
    tot = ["| target | CPU s | CPU h | execs | runs | findings |",
           "|---|---:|---:|---:|---:|---:|"]
    for name in sorted(totals):
        t = totals[name]
        tot.append("| %s | %.1f | %.3f | %d | %d | %d |" % (name, t["cpu"], t["cpu"] / 3600,
                                                            t["execs"], t["runs"], t["findings"]))
    all_cpu = sum(t["cpu"] for t in totals.values())
    tot.append("")
    tot.append("All targets: %.1f CPU s (%.2f CPU h)." % (all_cpu, all_cpu / 3600))
    text = open(doc).read() if os.path.exists(doc) else "# Fuzzing\n"
    text = replace_block(text, BEGIN_TOTALS, END_TOTALS, "\n".join(tot) + "\n")
    text = replace_block(text, BEGIN_RUN, END_RUN, "\n".join(run) + "\n")
    line = "- %s: `%s`, %d targets, %.1f CPU s, %d findings\n" % (
        now, command, len(results), sum(r["cpu"] for r in results),
        sum(len(r["findings"]) for r in results))
    if BEGIN_LOG in text:
        head, rest = text.split(BEGIN_LOG, 1)
        body, tail = rest.split(END_LOG, 1)
        text = head + BEGIN_LOG + body.rstrip("\n") + "\n" + line + END_LOG + tail
    else:
        text = replace_block(text, BEGIN_LOG, END_LOG, line)
    with open(doc, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="build/fuzz/fuzz")
    ap.add_argument("--corpus", default="build/fuzz/corpus")
    ap.add_argument("--artifacts", default="build/fuzz/artifacts")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--extra", default="", help="target=seconds,... (overrides --seconds)")
    ap.add_argument("--targets", default="", help="comma-separated; default: all")
    ap.add_argument("--doc", default="docs/fuzzing.md")
    ap.add_argument("--command", default=None, help="the command to record in the doc")
    a = ap.parse_args()
    targets = [t for t in a.targets.split(",") if t] or TARGETS
    extra = dict((k, int(v)) for k, v in (x.split("=") for x in a.extra.split(",") if x))
    missing = [t for t in targets if not os.path.exists(os.path.join(a.bin, t))]
    if missing:
        sys.exit("not built: %s (cmake --build --preset fuzz --target fuzzers)" % ", ".join(missing))
    logdir = os.path.join(os.path.dirname(a.artifacts.rstrip("/")), "logs")
    os.makedirs(logdir, exist_ok=True)
    results = []
    for t in targets:
        secs = extra.get(t, a.seconds)
        print("%s: %d s" % (t, secs), flush=True)
        r = run_target(os.path.join(a.bin, t), t, os.path.join(a.corpus, t), secs,
                       os.path.join(a.artifacts, t), logdir)
        print("  %d execs, %.1f CPU s, cov %d, corpus %d, %d findings" % (
            r["execs"], r["cpu"], r["cov"], r["corpus"], len(r["findings"])), flush=True)
        results.append(r)
    command = a.command or " ".join(shlex.quote(x) for x in sys.argv)
    write_doc(a.doc, results, command, a.seconds)
    found = [(r["target"], x) for r in results for x in r["findings"]]
    for t, x in found:
        print("FOUND %s in %s: %s, %s (log %s)" % (x["kind"], t, x["signature"],
                                                   x["minimised"] or x["artifact"], x["log"]))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
