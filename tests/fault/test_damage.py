"""The damage matrix (issue 17): every file of the data folder flipped, cut, deleted or padded, and
the server either refuses to start with a message naming the file (and the seq), or starts and
serves every acknowledged record; `ncc log verify` agrees with start-up. The cases and their
expected outcomes are data (damage_cases.json). A case marked `known_gap` is today's server
doing the wrong thing: it is run and reported loudly, but does not fail the test.

  test_damage.py --ncc PATH [--only SUBSTR] [--json OUT]"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib as fl  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = None
HISTORIES = {"sigterm": dict(kill9=False), "kill9": dict(kill9=True),
             "kill9_nosnap": dict(kill9=True, snapshot_every=0)}


def name_of(case):
    return f"{case['file']} {case['damage']}" + (f" {case['arg']}" if case["damage"] != "delete" else "")


def check_refused(case, s, acked, said, verify):
    """Problems with a refuse_start case (an empty list: as expected); a start that lost
    acknowledged records says how many."""
    if s:
        missing = fl.missing_incidents(s, acked)
        lost = len(acked.fixes - fl.served_fixes(s, acked.unit))
        return [f"started (expected a refusal), serving {len(missing)} acknowledged incidents "
                f"and {lost} acknowledged fixes less than acknowledged"], len(missing) + lost
    if said.startswith("came up"):
        return ["came up without a word about the damage (expected a refusal): " + last_line(said)[:160]], 0
    problems = [f"message lacks /{p}/" for p in case["message"] if not re.search(p, last_line(said))]
    if verify[0] == 0 and case.get("verify", "fail") == "fail":
        problems.append("`ncc log verify` says ok: " + verify[1].strip()[:200])
    return problems, 0


def last_line(said):
    """The refusal itself: the last line that says `ncc serve:` (else everything)."""
    lines = [line for line in said.splitlines() if "ncc serve:" in line or "came up" in line]
    return lines[-1] if lines else said


def check_served(case, s, acked):
    """Problems with a start_* case: what is not served back, and what the server did not say;
    and how many acknowledged fixes are gone."""
    if not s:
        return ["refused to start (expected to serve)"], 0
    problems = []
    missing = fl.missing_incidents(s, acked)
    if missing:
        problems.append(f"{len(missing)} of {len(acked.incidents)} acknowledged incidents not served")
    events, error = fl.all_events(s)
    if error:
        problems.append(f"/events refused after {len(events)} events: {json.dumps(error)[:200]}")
    lost = len(acked.fixes - fl.served_fixes(s, acked.unit))
    allowed = case.get("max_lost_fixes", 0)
    if lost > allowed:
        problems.append(f"{lost} of {len(acked.fixes)} acknowledged fixes gone (at most {allowed} allowed)")
    reported = fl.metric(s, "ncc_avl_track_lost_fixes") or 0
    if lost and reported != lost:
        problems.append(f"{lost} fixes gone but ncc_avl_track_lost_fixes says {reported:g}")
    log = s.read_log()
    problems += [f"server log lacks /{p}/" for p in case.get("log", []) if not re.search(p, log)]
    return problems, lost


def detected(case, s, said, problems):
    """What start-up said: "refused", "warned" (came up and named the damage in its log) or "no"."""
    if s is None and not said.startswith("came up"):
        return "refused"
    return "warned" if case.get("log") and not problems else "no"


def run_case(case, base):
    """Copies the base history, damages it, starts, checks; returns a result dict."""
    src, acked = base
    work = tempfile.mkdtemp(prefix="ncc-damage-")
    data = os.path.join(work, "data")
    shutil.copytree(src, data)
    try:
        what = fl.damage(fl.resolve(data, case["file"]), case["damage"], case["arg"])
        s, said = fl.try_start(ARGS.ncc, data)
        lost = 0
        try:
            if case["expect"] == "refuse_start":
                problems, lost = check_refused(case, s, acked, said, fl.log_verify(ARGS.ncc, data))
            else:
                problems, lost = check_served(case, s, acked)
        finally:
            if s:
                s.stop()
        if s and case["expect"] != "refuse_start":
            code, out = fl.log_verify(ARGS.ncc, data)
            if code != 0:
                problems.append("`ncc log verify` fails on a folder the server serves: " + out.strip()[:200])
        return {"case": name_of(case), "history": case["history"], "expect": case["expect"],
                "damage": what, "acknowledged": acked.count(), "lost": lost,
                "detected": detected(case, s, said, problems), "problems": problems,
                "known_gap": case.get("known_gap"), "said": last_line(said) if said else "started"}
    finally:
        shutil.rmtree(work, ignore_errors=True)


class DamageMatrix(unittest.TestCase):
    def test_every_damaged_file_is_refused_or_served_whole(self):
        with open(os.path.join(HERE, "damage_cases.json")) as f:
            cases = [c for c in json.load(f)["cases"] if ARGS.only in name_of(c)]
        bases = {}
        for h in sorted({c["history"] for c in cases}):
            folder = tempfile.mkdtemp(prefix=f"ncc-base-{h}-")
            bases[h] = (folder, fl.build_history(ARGS.ncc, folder, **HISTORIES[h]))
        try:
            results = [run_case(c, bases[c["history"]]) for c in cases]
        finally:
            for folder, _ in bases.values():
                shutil.rmtree(folder, ignore_errors=True)
        report(results)
        if ARGS.json:
            with open(ARGS.json, "w") as f:
                json.dump(results, f, indent=1)
        failed = [r for r in results if r["problems"] and not r["known_gap"]]
        self.assertEqual(failed, [], "damage cases not as expected (see above)")


def report(results):
    for r in results:
        state = "ok" if not r["problems"] else ("KNOWN GAP" if r["known_gap"] else "FAIL")
        print(f"{state:9} {r['case']:32} [{r['history']}] {r['damage']}: {r['said'][:160]}", file=sys.stderr)
        for p in r["problems"]:
            print(f"{'':12}- {p}", file=sys.stderr)
    gaps = [r for r in results if r["problems"] and r["known_gap"]]
    fixed = [r for r in results if not r["problems"] and r["known_gap"]]
    if gaps:
        print(f"\n*** {len(gaps)} KNOWN GAP(S): the server is wrong here, the test does not fail on it:",
              file=sys.stderr)
        for r in gaps:
            print(f"***   {r['case']} [{r['history']}]: {r['known_gap']}", file=sys.stderr)
    for r in fixed:
        print(f"*** {r['case']} [{r['history']}] is marked known_gap but behaves as expected now: "
              "remove the mark", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--ncc", required=True)
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    parser.add_argument("--json", help="write the results here (for report.py)")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
