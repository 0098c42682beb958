#!/usr/bin/env python3
"""rolecall's benchmarks, measured side by side in one run and printed as a table.

1. Fan-out: `rolecall instances --all --json` against the emulator seeded with ACCOUNTS accounts x
   REGIONS regions x INSTANCES instances (rolecall at its default concurrency), beside the best
   boto3 script we could write (scripts/bench_boto3_wan.py: one Session, one STS client, clients
   made once per account and region, --workers threads) and a sequential `aws` CLI loop on a
   subset. Wall time and client CPU time (user + sys of the child
   process), medians of --runs runs, the tools taking turns.
2. Start: time to the first frame of the TUI (with an endpoint that never answers, so no network
   call can have returned) and to the tree showing the primary identity (the emulator).

Usage: scripts/bench.py --rolecall target/release/rolecall --python .venv/bin/python [--aws .venv-bench/bin/aws]
"""
import argparse
import fcntl
import json
import os
import pty
import resource
import select
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def start_emulator(python, world):
    proc = subprocess.Popen([python, os.path.join(ROOT, "tests/emulator/moto_server.py"), "--bench-world", world],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line:
        sys.exit("the emulator did not start")
    return proc, json.loads(line)


def base_env(home, endpoint, world, config):
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": home,
        "AWS_CONFIG_FILE": os.path.join(home, "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "aws-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": world["primary"]["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": world["primary"]["secret_access_key"],
        "ROLECALL_CONFIG": config,
        "TERM": "xterm-256color",
    }


def timed(cmd, env):
    """Runs `cmd`; returns (wall s, child CPU s, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def rolecall_count(stdout):
    return len(json.loads(stdout))


def aws_cli_subset(aws, env, roles, regions):
    """A sequential loop, as people write it: assume-role, export, describe-instances per region."""
    wall = cpu = 0.0
    total = 0
    for arn in roles:
        w, c, out = timed([aws, "sts", "assume-role", "--role-arn", arn, "--role-session-name", "bench",
                           "--output", "json"], env)
        wall, cpu = wall + w, cpu + c
        creds = json.loads(out)["Credentials"]
        env2 = dict(env, AWS_ACCESS_KEY_ID=creds["AccessKeyId"], AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                    AWS_SESSION_TOKEN=creds["SessionToken"])
        for region in regions:
            w, c, out = timed([aws, "ec2", "describe-instances", "--region", region, "--output", "json"], env2)
            wall, cpu = wall + w, cpu + c
            total += sum(len(r["Instances"]) for r in json.loads(out)["Reservations"])
    return wall, cpu, total


def hung_endpoint():
    """A server that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held = []

    def serve():
        while True:
            conn, _ = srv.accept()
            held.append(conn)

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{srv.getsockname()[1]}"


def tui_times(binary, env, marks):
    """Starts the TUI on a pty (120x30) and returns the seconds until each of `marks` (bytes) has
    been written, then quits it."""
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(binary, [binary], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    buf = b""
    found = {}
    deadline = t0 + 20
    while len(found) < len(marks) and time.perf_counter() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                buf += os.read(fd, 65536)
            except OSError:
                break
            now = time.perf_counter() - t0
            for m in marks:
                if m not in found and m in buf:
                    found[m] = now
    os.write(fd, b"q")
    time.sleep(0.2)
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    os.close(fd)
    return [found.get(m) for m in marks]


def med(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rolecall", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--aws", help="the aws CLI (v1), for the sequential loop")
    ap.add_argument("--world", default="40:3:25", help="ACCOUNTS:REGIONS:INSTANCES (default 40:3:25)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=16, help="boto3 threads (scripts/bench_boto3_wan.py)")
    ap.add_argument("--cli-accounts", type=int, default=4, help="accounts in the aws CLI subset")
    ap.add_argument("--start-only", nargs="*", metavar="BINARY",
                    help="only the start figures, for --rolecall and each BINARY side by side "
                         "(e.g. two build profiles), the binaries taking turns")
    args = ap.parse_args()
    if args.start_only is not None:
        return start_only([args.rolecall] + args.start_only, args)

    print(f"seeding the emulator with {args.world} (accounts:regions:instances)...", file=sys.stderr)
    emu, world = start_emulator(args.python, args.world)
    try:
        home = tempfile.mkdtemp(prefix="rolecall-bench-")
        open(os.path.join(home, "aws-config"), "w").close()
        config = os.path.join(home, "config.toml")
        with open(config, "w") as f:
            # rolecall at its default concurrency, as a user runs it.
            f.write(f"[defaults]\nregions = {json.dumps(world['regions'])}\n")
            for arn in world["roles"]:
                f.write(f'\n[[role]]\narn = "{arn}"\n')
        env = base_env(home, world["endpoint"], world, config)
        expected = len(world["roles"]) * len(world["regions"]) * world["instances_per_region"]
        spec = json.dumps({"endpoint": world["endpoint"], "key": world["primary"]["access_key_id"],
                           "secret": world["primary"]["secret_access_key"], "roles": world["roles"],
                           "regions": world["regions"], "threads": args.workers})

        rc, b3 = [], []
        for i in range(args.runs):
            w, c, out = timed([args.rolecall, "instances", "--all", "--json"], env)
            assert rolecall_count(out) == expected, f"rolecall found {rolecall_count(out)}, expected {expected}"
            rc.append((w, c))
            w, c, out = timed([args.python, os.path.join(HERE, "bench_boto3_wan.py"), spec], env)
            assert int(out) == expected, f"boto3 found {out}, expected {expected}"
            b3.append((w, c))
            print(f"run {i + 1}: rolecall {rc[-1][0]:.2f} s wall {rc[-1][1]:.2f} s cpu; "
                  f"boto3 {b3[-1][0]:.2f} s wall {b3[-1][1]:.2f} s cpu", file=sys.stderr)
        cli = None
        if args.aws:
            subset = world["roles"][:args.cli_accounts]
            w, c, n = aws_cli_subset(args.aws, env, subset, world["regions"])
            cli = (w, c, n, len(subset))

        rw, rcpu = med([x[0] for x in rc]), med([x[1] for x in rc])
        bw, bcpu = med([x[0] for x in b3]), med([x[1] for x in b3])
        accounts = len(world["roles"])
        print()
        print(f"## Fan-out: {accounts} accounts x {len(world['regions'])} regions x "
              f"{world['instances_per_region']} instances = {expected} instances (medians of {args.runs} runs)")
        print()
        print("| client | wall | client CPU | wall vs boto3 | CPU vs boto3 |")
        print("|---|---|---|---|---|")
        print(f"| rolecall instances --all --json | {rw:.2f} s | {rcpu:.2f} s | {rw / bw:.2f}x | {rcpu / bcpu:.2f}x |")
        print(f"| boto3, {args.workers} threads | {bw:.2f} s | {bcpu:.2f} s | 1x | 1x |")
        if cli:
            w, c, n, k = cli
            print(f"| aws CLI, sequential, {k} accounts ({n} instances) | {w:.2f} s | {c:.2f} s | "
                  f"{w / bw:.2f}x ({w / k * accounts:.0f} s for {accounts} accounts) | "
                  f"{c / bcpu:.2f}x ({c / k * accounts:.0f} s for {accounts}) |")

        hung = dict(env, AWS_ENDPOINT_URL=hung_endpoint())
        first = [tui_times(args.rolecall, hung, [b"roles ("])[0] for _ in range(args.runs)]
        ident = [tui_times(args.rolecall, env, [b"roles (", b"user/responder"]) for _ in range(args.runs)]
        print()
        print(f"## Start (medians of {args.runs} runs, 120x30 pty)")
        print()
        print("| | time |")
        print("|---|---|")
        ok_first = [x for x in first if x is not None]
        print(f"| first frame, endpoint never answers | {med(ok_first) * 1000:.0f} ms |" if ok_first else
              "| first frame | not seen |")
        ok_ident = [x[1] for x in ident if x[1] is not None]
        print(f"| tree with the primary identity (emulator) | {med(ok_ident) * 1000:.0f} ms |" if ok_ident else
              "| identity | not seen |")
    finally:
        emu.kill()


def start_only(binaries, args):
    """First frame (endpoint never answers) and the identity (emulator) for each binary, taking
    turns, medians of --runs; with each binary's size."""
    emu, world = start_emulator(args.python, "1:1:1")
    try:
        home = tempfile.mkdtemp(prefix="rolecall-bench-")
        open(os.path.join(home, "aws-config"), "w").close()
        config = os.path.join(home, "config.toml")
        with open(config, "w") as f:
            for arn in world["roles"]:
                f.write(f'[[role]]\narn = "{arn}"\n')
        env = base_env(home, world["endpoint"], world, config)
        hung = dict(env, AWS_ENDPOINT_URL=hung_endpoint())
        first = {b: [] for b in binaries}
        ident = {b: [] for b in binaries}
        for _ in range(args.runs):
            for b in binaries:
                first[b].append(tui_times(b, hung, [b"roles ("])[0])
                ident[b].append(tui_times(b, env, [b"roles (", b"user/responder"])[1])
        print(f"| binary | size | first frame | tree with the identity |  (medians of {args.runs}, 120x30 pty)")
        print("|---|---|---|---|")
        for b in binaries:
            f = [x for x in first[b] if x is not None]
            i = [x for x in ident[b] if x is not None]
            size = os.path.getsize(b) / (1 << 20)
            print(f"| {b} | {size:.1f} MiB | {med(f) * 1000:.0f} ms | {med(i) * 1000:.0f} ms |")
    finally:
        emu.kill()


if __name__ == "__main__":
    main()
