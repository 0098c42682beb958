#!/usr/bin/env python3
"""A leaked key's CloudTrail events in every account and region, against the floor LookupEvents'
quota allows.

tests/emulator/wan_events.py serves ACCOUNTS accounts x --regions regions, each with --events
events of the key per region, every answer --latency late (+ --handshake on a new connection),
LookupEvents limited to 2 calls a second per account and region (ThrottlingException past it),
AssumeRole to --assume-rate a second. `rolecall events --all --access-key KEY --json` runs --runs
times: wall time, client CPU, events listed (a run that lists fewer than the world holds is LOST),
calls and throttled calls.

The floor is what no client can beat: the account-regions are independent, so it is one
account-region's time: a handshake, AssumeRole, then its pages at 2 a second (the first at once,
each next one half a second later) and the last one's round trip, plus the AssumeRoles at their
quota:
    floor = handshake + latency + (pages - 1) / 2 + latency + accounts / assume_rate

Usage: scripts/bench_events.py [--accounts 100] [--regions 3] [--events 120] [--runs 3]
Prints a markdown table (medians) on stdout, progress on stderr.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

import bench_wan  # scripts/bench_wan.py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--accounts", type=int, default=100)
    p.add_argument("--regions", type=int, default=3)
    p.add_argument("--events", type=int, default=120)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--latency", type=float, default=0.150)
    p.add_argument("--jitter", type=float, default=0.010)
    p.add_argument("--handshake", type=float, default=0.200)
    p.add_argument("--assume-rate", type=int, default=600)
    p.add_argument("--rolecall", default=os.path.join(TARGET, "release", "rolecall"))
    p.add_argument("--python", default=os.path.join(ROOT, ".venv/bin/python"))
    p.add_argument("--timeout", type=float, default=300)
    args = p.parse_args()
    cmd = [args.python, os.path.join(ROOT, "tests/emulator/wan_events.py"),
           "--world", f"{args.accounts}:{args.regions}:0", "--events", str(args.events),
           "--latency", str(args.latency), "--jitter", str(args.jitter), "--handshake", str(args.handshake),
           "--assume-rate", str(args.assume_rate)]
    emu = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    world = json.loads(emu.stdout.readline())
    expected = args.accounts * args.regions * args.events
    runs = []
    try:
        home = tempfile.mkdtemp(prefix="rolecall-bench-events-")
        for name in ("aws-config", "aws-credentials"):
            open(os.path.join(home, name), "w").close()
        for d in (".config", ".local/share", ".cache"):
            os.makedirs(os.path.join(home, d), exist_ok=True)
        config = os.path.join(home, "config.toml")
        with open(config, "w") as f:
            f.write(f"[defaults]\nregions = {json.dumps(world['regions'])}\n")
            for arn in world["roles"]:
                f.write(f'\n[[role]]\narn = "{arn}"\n')
        env = bench_wan.base_env(home, world["endpoint"], world)
        rc_cmd = [args.rolecall, "--config", config, "events", "--all", "--access-key",
                  "AKIALEAKEDKEY0000001", "--json"]
        for run in range(args.runs):
            bench_wan.stats(world["endpoint"], reset=True)
            wall, cpu, rss, rc, out, err = bench_wan.measured(rc_cmd, env, home, args.timeout)
            st = bench_wan.stats(world["endpoint"])
            n = bench_wan.count_rolecall(out) if rc == 0 else None
            lookups = st["actions"].get("LookupEvents", 0)
            runs.append({"wall": wall, "cpu": cpu, "rss": rss, "n": n, "lookups": lookups,
                         "throttled": st["throttled"], "requests": st["requests"]})
            print(f"  run {run + 1}: {wall:.2f} s wall, {cpu:.2f} s cpu, {n}/{expected} events"
                  f"{' LOST' if n != expected else ''}, {lookups} LookupEvents, {st['throttled']} throttled "
                  f"| {bench_wan.summary_line(err, 'rolecall:')}", file=sys.stderr)
    finally:
        emu.kill()
        emu.wait()
    pages = math.ceil(args.events / 50)
    floor = (args.handshake + args.latency + (pages - 1) / 2 + args.latency
             + args.accounts / args.assume_rate)
    med = lambda k: statistics.median(r[k] for r in runs)
    lost = sum(r["n"] != expected for r in runs)
    print(f"## A key's events: {args.accounts} accounts x {args.regions} regions x {args.events} events = "
          f"{expected} ({pages} pages per account and region; medians of {args.runs})")
    print()
    print(f"floor = handshake + latency + (pages - 1) / 2 + latency + accounts / assume_rate = "
          f"{args.handshake:g} + {args.latency:g} + {(pages - 1) / 2:g} + {args.latency:g} + "
          f"{args.accounts}/{args.assume_rate} = {floor:.3f} s")
    print()
    print("| client | wall | floor | wall/floor | LookupEvents calls | throttled | client CPU | peak RSS | complete |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| `rolecall events --all --access-key K --json` | {med('wall'):.2f} s | {floor:.2f} s | "
          f"{med('wall') / floor:.2f}x | {med('lookups'):.0f} | {med('throttled'):.0f} | {med('cpu'):.2f} s | "
          f"{med('rss') / 2 ** 20:.0f} MiB | {'yes' if not lost else f'LOST in {lost} runs'} |")


if __name__ == "__main__":
    main()
