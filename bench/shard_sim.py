#!/usr/bin/env python3
"""Sharding by region, simulated (docs/sharding.md): the real SF calls on the real north-SF roads
under the `ncc` policy, once as one centre (the baseline, same run) and split into 2 and 4
regional shards under both mutual-aid rules (`ncc sim --shards K --shard-aid A`). Writes the
table to --out (markdown) and the runs' run.json lines beside it.

  bench/shard_sim.py --ncc build/release/src/app/ncc --graph build/sf-north-2020.graph \
      --data ../shared/data --out docs/bench-sharding.md

Each run takes about a minute on one core (2,428 calls, two weeks of virtual time)."""
import argparse
import datetime
import json
import pathlib
import subprocess
import sys

RUNS = [(0, "when-short"), (2, "when-short"), (4, "when-short"), (2, "closest"), (4, "closest")]


def run(args, shards, aid, work):
    out = work / f"k{shards}-{aid}"
    cmd = [args.ncc, "sim", "--graph", args.graph, "--data", args.data, "--policy", "ncc",
           "--seed", str(args.seed), "--shards", str(shards), "--shard-aid", aid,
           "--out", str(out), "--overwrite"]
    if args.limit_calls:
        cmd += ["--limit-calls", str(args.limit_calls)]
    print(f"shard-sim: {shards or 1} shard(s), aid {aid} ...", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"shard-sim: {' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def fmt(v):
    return "–" if v is None else f"{v:g}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ncc", default="build/release/src/app/ncc")
    p.add_argument("--graph", default="build/sf-north-2020.graph")
    p.add_argument("--data", default="../shared/data")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit-calls", type=int, default=0)
    p.add_argument("--work", default="build/shard-sim")
    p.add_argument("--out", default="docs/bench-sharding.md")
    args = p.parse_args()
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = [(k, aid, run(args, k, aid, work)) for k, aid in RUNS]
    base = results[0][2]
    lines = [
        "# Sharding by region, simulated (last run)",
        "",
        f"Made by `bench/shard_sim.py` on {datetime.date.today()}: "
        f"{base['calls']} real calls, {base['units']} units, {base['slots']} unit slots, "
        f"policy `ncc`, seed {args.seed}. See [sharding.md](sharding.md) for what it means.",
        "",
        "| shards | mutual aid | first unit p50 s | p90 s | within 240 s | Δ p50 / p90 vs one centre | slots lent across a border | dispatches with aid | slots unfilled |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for k, aid, r in results:
        s = r.get("sharding", {})
        d50 = r["first_unit_travel_p50_s"] - base["first_unit_travel_p50_s"]
        d90 = r["first_unit_travel_p90_s"] - base["first_unit_travel_p90_s"]
        lent = (f"{s['slots_mutual_aid']} ({fmt(s['mutual_aid_pct'])} %)" if s else "0")
        lines.append(
            f"| {k or 1} | {aid if k else '(one centre)'} | {fmt(r['first_unit_travel_p50_s'])} | "
            f"{fmt(r['first_unit_travel_p90_s'])} | {fmt(r['within_240s_pct'])} % | "
            f"{d50:+.1f} / {d90:+.1f} | {lent} | {s.get('dispatches_with_aid', 0)} | "
            f"{r['slots_unfilled']} |")
    lines += ["", "Per shard (first unit travel p50 / p90 s; slots home + lent in + unfilled):", ""]
    for k, aid, r in results:
        s = r.get("sharding")
        if not s:
            continue
        cells = [f"shard {x['shard']}: {x['units']} units, {fmt(x['first_unit_travel_p50_s'])} / "
                 f"{fmt(x['first_unit_travel_p90_s'])} s, {x['slots_home']} + "
                 f"{x['slots_mutual_aid']} + {x['slots_unfilled']}" for x in s["per_shard"]]
        borders = ", ".join(f"{b:.4f}" for b in s["borders_lon"])
        lines.append(f"- **{k} shards, {aid}** (borders at longitude {borders}): " +
                     "; ".join(cells))
    per_call = base["commands"] / base["calls"]
    lines += ["", f"Load of one centre in the same run: {base['events']} events and "
              f"{base['commands']} commands for {base['calls']} calls ({per_call:.1f} commands "
              f"and {base['events'] / base['calls']:.1f} events per call), {base['fixes']} position "
              "fixes into the AVL lane.", ""]
    pathlib.Path(args.out).write_text("\n".join(lines))
    (work / "runs.json").write_text(json.dumps([r for _, _, r in results], indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
