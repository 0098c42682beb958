#!/usr/bin/env python3
"""rolecall's cross-account fan-out over a WAN-like endpoint, against the best boto3 script.

For each size (ACCOUNTS), one tests/emulator/wan.py serves ACCOUNTS accounts x --regions regions x
--instances instances, every answer --latency seconds late and the first on each connection
--handshake seconds more, AssumeRole limited to --assume-rate a second. Each run, the clients
take turns: `rolecall --config FILE instances --all --json` (its default concurrency) and
scripts/bench_boto3_wan.py at each of --threads. For each: wall time, the child's CPU (user + sys)
and peak RSS (os.wait4), and the endpoint's count of connections opened, requests and throttled
AssumeRoles (/_stats, reset before each). A run that lists fewer instances than the world holds is
marked LOST.

With --tls, wan.py serves real TLS with a throwaway private CA's certificate, and both clients
trust it through AWS_CA_BUNDLE (rolecall and boto3 both read it, as the AWS CLI does): the
handshakes and the encryption cost what they cost, on top of --handshake's round trips.

The floor is what no client can beat: one handshake, the round trips one after the other
(identity, AssumeRole, with --all-regions DescribeRegions, DescribeInstances), and the larger of
the AssumeRole quota and the calls a client may have in flight (rolecall's MAX_CALLS, 1 024: at
1 000 accounts x 17 regions that bound, not the quota, is the one that binds):
    floor = handshake + trips x latency + max(accounts / assume_rate, calls x latency / in_flight)

With --all-regions both clients are given regions = "all": each account is asked its enabled
regions (ec2:DescribeRegions; wan.py answers with the --regions it serves) before its listings,
and one account (wan.py --opt-in) also runs an instance in ap-east-1, an opt-in region it
enabled: a run that does not find it is LOST. rolecall keeps each account's regions for an hour;
the benchmark drops them before each run, so every run is a first sweep.

Usage: scripts/bench_wan.py [--sizes 40,200,1000] [--runs 3] [--threads 4,8,16,64] [--before BIN] [--tls] [--regions N] [--all-regions]
Prints markdown tables (medians of --runs) on stdout, progress on stderr.
"""
import argparse
import json
import os
import platform
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone

import bench  # scripts/bench.py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_ROLECALL = os.path.join(os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
                                "release", "rolecall")
DEFAULT_PYTHON = os.path.join(ROOT, ".venv/bin/python")


def start_wan(python, world, args, tls_dir=None):
    cmd = [python, os.path.join(ROOT, "tests/emulator/wan.py"), "--world", world,
           "--latency", str(args.latency), "--jitter", str(args.jitter), "--handshake", str(args.handshake),
           "--assume-rate", str(args.assume_rate)]
    if args.throttle_every:
        cmd += ["--throttle-every", str(args.throttle_every)]
    if tls_dir:
        cmd += ["--tls", "--tls-dir", tls_dir]
    if args.all_regions:
        cmd += ["--opt-in"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line:
        sys.exit("wan.py did not start")
    return proc, json.loads(line)


def base_env(home, endpoint, world):
    """scripts/bench.py's, with the XDG directories inside the temporary HOME and no colour; with
    TLS, the private CA in AWS_CA_BUNDLE."""
    env = bench.base_env(home, endpoint, world, os.path.join(home, "config.toml"))
    if world.get("ca"):
        env["AWS_CA_BUNDLE"] = world["ca"]
    env.update({
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "aws-credentials"),
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_DATA_HOME": os.path.join(home, ".local/share"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "NO_COLOR": "1",
        "TERM": "dumb",
    })
    del env["ROLECALL_CONFIG"]
    return env


def stats(endpoint, reset=False, ca=None):
    req = urllib.request.Request(endpoint + ("/_stats/reset" if reset else "/_stats"),
                                 data=b"" if reset else None, method="POST" if reset else "GET")
    context = ssl.create_default_context(cafile=ca) if ca else None
    with urllib.request.urlopen(req, timeout=30, context=context) as r:
        return json.loads(r.read())


def measured(cmd, env, workdir, timeout):
    """Runs `cmd` to its end; returns (wall s, CPU s, peak RSS bytes, exit status, stdout, stderr).
    CPU and peak RSS are the child's own, from os.wait4 (RUSAGE_CHILDREN's ru_maxrss is the max
    over every child ever)."""
    out_path, err_path = os.path.join(workdir, "out"), os.path.join(workdir, "err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        killer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)  # keeps Popen from waiting again
    with open(out_path) as f:
        stdout = f.read()
    with open(err_path) as f:
        stderr = f.read()
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024, proc.returncode, stdout, stderr


def count_rolecall(stdout):
    try:
        return len(json.loads(stdout))
    except ValueError:
        return None


def count_boto3(stdout):
    try:
        return int(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def summary_line(stderr, prefix):
    lines = [l for l in stderr.splitlines() if l.startswith(prefix)]
    return lines[-1] if lines else (stderr.strip().splitlines() or [""])[-1]


def process_cpu(pid):
    """CPU seconds (user + sys) a running process has used so far, from /proc (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def med(xs):
    return statistics.median(xs)


def bench_size(accounts, args):
    world_arg = f"{accounts}:{args.regions}:{args.instances}"
    print(f"# {world_arg}: starting wan.py", file=sys.stderr)
    home = tempfile.mkdtemp(prefix="rolecall-bench-wan-")
    emu, world = start_wan(args.python, world_arg, args, os.path.join(home, "tls") if args.tls else None)
    try:
        for name in ("aws-config", "aws-credentials"):
            open(os.path.join(home, name), "w").close()
        for d in (".config", ".local/share", ".cache"):
            os.makedirs(os.path.join(home, d), exist_ok=True)
        config = os.path.join(home, "config.toml")
        with open(config, "w") as f:
            regions = '"all"' if args.all_regions else json.dumps(world["regions"])
            f.write(f"[defaults]\nregions = {regions}\n")
            if args.concurrency:
                f.write(f"concurrency = {args.concurrency}\n")
            for arn in world["roles"]:
                f.write(f'\n[[role]]\narn = "{arn}"\n')
        env = base_env(home, world["endpoint"], world)
        expected = len(world["roles"]) * len(world["regions"]) * world["instances_per_region"]
        # With regions = "all", one account's instance in the opt-in region it enabled: found
        # only by asking each account its regions.
        miner = (world.get("opt_in") or {}).get("instance")
        if miner:
            expected += 1

        clients = [("rolecall", [args.rolecall, "--config", config, "instances", "--all", "--json"],
                    count_rolecall, "rolecall:")]
        if args.before:
            # An earlier build, side by side: what a change bought.
            clients.append(("rolecall, before", [args.before, "--config", config, "instances", "--all", "--json"],
                            count_rolecall, "rolecall:"))
        for n in args.workers:
            # The same build on n threads (ROLECALL_WORKERS): does a sweep gain from more cores?
            clients.append((f"rolecall, {n} workers",
                            ["env", f"ROLECALL_WORKERS={n}", args.rolecall, "--config", config, "instances",
                             "--all", "--json"], count_rolecall, "rolecall:"))
        for t in args.threads:
            spec = json.dumps({"endpoint": world["endpoint"], "key": world["primary"]["access_key_id"],
                               "secret": world["primary"]["secret_access_key"], "roles": world["roles"],
                               "regions": "all" if args.all_regions else world["regions"], "threads": t,
                               "retry_mode": args.retry_mode})
            clients.append((f"boto3, {t} threads", [args.python, os.path.join(HERE, "bench_boto3_wan.py"), spec],
                            count_boto3, "boto3:"))

        results = {name: [] for name, *_ in clients}
        summaries = {name: [] for name, *_ in clients}
        for run in range(args.runs):
            # The tools take turns; every other run in the reverse order, so neither always goes first.
            order = clients if run % 2 == 0 else clients[::-1]
            for name, cmd, counter, prefix in order:
                if name.startswith("boto3") and run >= args.baseline_runs:
                    continue
                stats(world["endpoint"], reset=True, ca=world.get("ca"))
                # Each run as a first sweep: rolecall keeps each account's regions for an hour
                # (~/.cache/rolecall/regions); the floor counts DescribeRegions.
                shutil.rmtree(os.path.join(home, ".cache", "rolecall", "regions"), ignore_errors=True)
                served_before = process_cpu(emu.pid)
                wall, cpu, rss, rc, out, err = measured(cmd, env, home, args.timeout)
                served = process_cpu(emu.pid) - served_before
                st = stats(world["endpoint"], ca=world.get("ca"))
                n = counter(out) if rc == 0 else None
                lost = n != expected or (miner is not None and counter is count_rolecall and miner not in out)
                line = summary_line(err, prefix)
                warnings = sum(1 for l in err.splitlines() if l.startswith("warning:"))
                results[name].append({"wall": wall, "cpu": cpu, "rss": rss, "connections": st["connections"],
                                      "open_max": st["open_max"], "requests": st["requests"],
                                      "in_flight_max": st["in_flight_max"], "throttled": st["throttled"],
                                      "n": n, "lost": lost, "rc": rc, "warnings": warnings, "served": served})
                summaries[name].append(line)
                print(f"  run {run + 1} {name}: {wall:.2f} s wall, {cpu:.2f} s cpu (endpoint {served:.2f} s), "
                      f"{rss / 2 ** 20:.0f} MiB, "
                      f"{st['connections']} conn, {st['requests']} req, {st['throttled']} throttled, "
                      f"{n if n is not None else '?'}/{expected}{' LOST' if lost else ''}"
                      f"{f' (exit {rc})' if rc else ''}{f', {warnings} warnings' if warnings else ''} | {line}",
                      file=sys.stderr)
                if lost and rc != 0:
                    print("    " + "\n    ".join(err.strip().splitlines()[-5:]), file=sys.stderr)
    finally:
        emu.kill()
        emu.wait()

    trips = 4 if args.all_regions else 3
    # AssumeRole, DescribeRegions (with "all"), a DescribeInstances per region: one identity call.
    calls = accounts * (1 + (1 if args.all_regions else 0) + args.regions) + 1
    quota = accounts / args.assume_rate
    width = calls * args.latency / args.in_flight
    floor = args.handshake + trips * args.latency + max(quota, width)
    mode = ' (regions = "all")' if args.all_regions else ''
    print()
    print(f"## {accounts} accounts x {args.regions} regions{mode} "
          f"x {args.instances} instances = {expected} instances "
          f"(medians of {args.runs} run{'s' if args.runs != 1 else ''}"
          f"{f', boto3 of {args.baseline_runs}' if args.baseline_runs != args.runs else ''})")
    print()
    print(f"floor = handshake + {trips} x latency + max(accounts / assume_rate, calls x latency / in_flight) = "
          f"{args.handshake:g} + {trips} x {args.latency:g} + max({accounts} / {args.assume_rate}, "
          f"{calls} x {args.latency:g} / {args.in_flight}) = {floor:.3f} s")
    print()
    cores = os.cpu_count() or 1
    print(f"The machine's own bound: the client's CPU and the endpoint's (wan.py, Python, on the same "
          f"{cores} cores) cannot take less than (client CPU + endpoint CPU) / {cores} of wall time; "
          f"\"machine\" below is that, or the floor where it is larger.")
    print()
    print("| client | wall | wall/floor | connections | open at once | requests | throttled | client CPU "
          "| CPU per call | endpoint CPU | machine | wall/machine | peak RSS | complete |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    meds = {}
    for name, *_ in clients:
        rs = results[name]
        if not rs:
            continue
        m = {k: med([r[k] for r in rs]) for k in ("wall", "cpu", "rss", "connections", "open_max", "requests",
                                                  "throttled", "served")}
        m["machine"] = max(floor, med([(r["cpu"] + r["served"]) / cores for r in rs]))
        m["per_call"] = med([r["cpu"] / r["requests"] * 1000 if r["requests"] else float("nan") for r in rs])
        m["lost"] = sum(r["lost"] for r in rs)
        meds[name] = m
        complete = "yes" if not m["lost"] else f"LOST in {m['lost']} of {len(rs)}"
        print(f"| {name} | {m['wall']:.2f} s | {m['wall'] / floor:.2f}x | {m['connections']:.0f} | "
              f"{m['open_max']:.0f} | {m['requests']:.0f} | {m['throttled']:.0f} | {m['cpu']:.2f} s | "
              f"{m['per_call']:.2f} ms | {m['served']:.2f} s | {m['machine']:.2f} s | "
              f"{m['wall'] / m['machine']:.2f}x | {m['rss'] / 2 ** 20:.0f} MiB | {complete} |")
    b3 = [n for n, *_ in clients if not n.startswith("rolecall") and n in meds]
    complete_b3 = [n for n in b3 if not meds[n]["lost"]] or b3
    if complete_b3:
        best = min(complete_b3, key=lambda n: meds[n]["wall"])
        r, b = meds["rolecall"], meds[best]
        print()
        print(f"rolecall / fastest boto3 ({best}): wall {r['wall'] / b['wall']:.2f}x, "
              f"client CPU {r['cpu'] / b['cpu']:.2f}x, CPU per call {r['per_call'] / b['per_call']:.2f}x, "
              f"peak RSS {r['rss'] / b['rss']:.2f}x")
    print()
    print(f"rolecall's summary (stderr): {summaries['rolecall'][-1]}")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rolecall", default=DEFAULT_ROLECALL)
    ap.add_argument("--before", help="an earlier rolecall build, measured beside --rolecall")
    ap.add_argument("--python", default=DEFAULT_PYTHON, help="a Python with boto3, for wan.py and the boto3 script")
    ap.add_argument("--sizes", default="40,200,1000", help="accounts, comma-separated (default 40,200,1000)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", default="",
                    help="also run rolecall on these thread counts (ROLECALL_WORKERS), comma-separated")
    ap.add_argument("--baseline-runs", type=int, default=None,
                    help="runs of the boto3 script (default --runs): at 1 000 x 17 one run of it is minutes")
    ap.add_argument("--threads", default="4,8,16,64", help="boto3 thread counts (default 4,8,16,64)")
    ap.add_argument("--regions", type=int, default=3)
    ap.add_argument("--instances", type=int, default=3)
    ap.add_argument("--latency", type=float, default=0.15)
    ap.add_argument("--jitter", type=float, default=0.01)
    ap.add_argument("--handshake", type=float, default=0.2)
    ap.add_argument("--assume-rate", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=0,
                    help="rolecall's defaults.concurrency (default: rolecall's own default)")
    ap.add_argument("--throttle-every", type=int, default=0)
    ap.add_argument("--retry-mode", default="standard", choices=["standard", "adaptive"],
                    help="botocore retry mode for the boto3 script (max_attempts 10)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds before a client is killed")
    ap.add_argument("--all-regions", action="store_true",
                    help='regions = "all": each account asked its enabled regions (DescribeRegions) first')
    ap.add_argument("--in-flight", type=int, default=1024,
                    help="calls a client may have in flight, for the floor (rolecall's MAX_CALLS)")
    ap.add_argument("--tls", action="store_true",
                    help="real TLS (wan.py --tls, a private CA that both clients trust through AWS_CA_BUNDLE)")
    args = ap.parse_args()
    args.threads = [int(x) for x in args.threads.split(",") if x.strip()]
    args.workers = [int(x) for x in args.workers.split(",") if x.strip()]
    if args.baseline_runs is None or args.baseline_runs > args.runs:
        args.baseline_runs = args.runs
    sizes = [int(x) for x in args.sizes.split(",")]

    version = subprocess.run([args.rolecall, "--version"], capture_output=True, text=True).stdout.strip()
    b3 = subprocess.run([args.python, "-c", "import boto3, botocore; print(boto3.__version__, botocore.__version__)"],
                        capture_output=True, text=True).stdout.split()
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# WAN fan-out: {now}; {platform.node()} {platform.machine()}, nproc {os.cpu_count()}, "
          f"load {os.getloadavg()[0]:.2f}; wan.py --latency {args.latency:g} --jitter {args.jitter:g} "
          f"--handshake {args.handshake:g} --assume-rate {args.assume_rate}"
          f"{f' --throttle-every {args.throttle_every}' if args.throttle_every else ''}"
          f"{' --tls (AWS_CA_BUNDLE)' if args.tls else ' (plain HTTP)'}; {version}"
          f" (default concurrency); boto3 {b3[0] if b3 else '?'} / botocore {b3[1] if len(b3) > 1 else '?'}, "
          f"retries {args.retry_mode} x10")
    for accounts in sizes:
        bench_size(accounts, args)


if __name__ == "__main__":
    main()
