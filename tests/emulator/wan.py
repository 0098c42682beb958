#!/usr/bin/env python3
"""An endpoint that answers a fan-out's STS and EC2 calls the way AWS does over a WAN, for the
benchmarks and the connection tests: many requests in flight, each slow.

- every answer waits --latency seconds (plus up to --jitter), the first on a connection
  --handshake seconds more (the TCP and TLS handshakes a new connection costs against AWS);
- HTTP/1.1 keep-alive, so a client that reuses connections pays the handshake once;
- one asyncio event loop: requests waiting out their latency cost it nothing, so the client, not
  this endpoint, is what a benchmark on it measures (moto, one Python process answering in turn,
  is the opposite);
- AssumeRole is limited to --assume-rate calls per second per caller account (AWS's STS quota),
  answered `Throttling` past it; --throttle-every N also throttles every Nth AssumeRole;
- GetCallerIdentity, AssumeRole, DescribeInstances, DescribeVolumes and DescribeRegions are
  answered with generated data: ACCOUNTS secondary accounts, each with one role
  (arn:aws:iam::<account>:role/Responder) and INSTANCES instances in each of REGIONS regions;
- with --opt-in, one account (two thirds down the list) has also opted in to ap-east-1, an opt-in
  region, and runs one instance there (a miner nobody watches): its DescribeRegions names the
  region "opted-in"; any other account asking ap-east-1 gets AuthFailure, as AWS answers;
- with --tls, real TLS (a certificate from a throwaway private CA, tests/emulator/private_ca.py,
  written to --tls-dir or a temporary directory): handshakes and encryption cost what they cost,
  on both sides, and the client must trust the CA (AWS_CA_BUNDLE); --handshake still stands for
  the round trips a handshake takes over a WAN, which loopback does not have;
- `GET /_stats` returns {"connections" (opened in all), "open_max" (open at once), "requests",
  "in_flight_max", "throttled", "actions"}
  and `POST /_stats/reset` zeroes them.

It prints one JSON line ({"endpoint", "roles", "regions", "instances_per_region", "primary", and
with --tls "ca": the CA certificate's PEM file; with --opt-in "opt_in": {"account", "region",
"instance"})
and serves until its parent goes away. Signatures are not checked: this measures the client.

Usage: wan.py --world ACCOUNTS:REGIONS:INSTANCES [--latency 0.15] [--handshake 0.2] [--tls] ...
"""
import argparse
import asyncio
import collections
import json
import os
import random
import shutil
import ssl
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from urllib.parse import parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PRIMARY = "111111111111"
# The 17 regions an account has without opting in to any; the first six in the order the earlier
# benchmarks used.
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1", "ap-northeast-1",
           "us-east-2", "us-west-1", "ap-south-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
           "ca-central-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1"]
OPT_IN_REGION = "ap-east-1"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


class Stats:
    """Counters, kept by the one event loop (no lock needed)."""

    def __init__(self):
        self.open = 0
        self.reset()

    def reset(self):
        # Connections still open stay counted as open (not as opened since the reset).
        self.connections = 0
        self.open_max = self.open
        self.requests = 0
        self.in_flight = 0
        self.in_flight_max = 0
        self.throttled = 0
        self.actions = {}
        self.assume_times = {}
        self.assume_count = 0

    def snapshot(self):
        return {"connections": self.connections, "open_max": self.open_max, "requests": self.requests,
                "in_flight_max": self.in_flight_max, "throttled": self.throttled,
                "actions": dict(self.actions)}


def account_of_key(key):
    """The account a generated access key belongs to: ASIA<account>XXXX, else the primary."""
    if key.startswith("ASIA") and len(key) >= 16 and key[4:16].isdigit():
        return key[4:16]
    return PRIMARY


def sts_error(code, message):
    return 400, (f"<ErrorResponse xmlns=\"{STS_NS}\"><Error><Type>Sender</Type><Code>{code}</Code>"
                 f"<Message>{message}</Message></Error><RequestId>wan</RequestId></ErrorResponse>")


def ec2_error(status, code, message):
    return status, (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
                    f"</Errors><RequestID>wan</RequestID></Response>")


class World:
    """What the endpoint answers: the generated accounts, and AssumeRole's rate limit."""

    def __init__(self, args, stats, world):
        self.args, self.stats = args, stats
        self.accounts = set(world["accounts"])
        self.regions = world["regions"]
        self.opt_in = world.get("opt_in")

    def regions_of(self, account):
        """The regions an account has enabled: the world's, and the opt-in one for its account."""
        if self.opt_in and account == self.opt_in["account"]:
            return self.regions + [self.opt_in["region"]]
        return self.regions

    def answer(self, action, form, key, region):
        caller = account_of_key(key)
        if action == "GetCallerIdentity":
            arn = (f"arn:aws:iam::{PRIMARY}:user/responder" if caller == PRIMARY
                   else f"arn:aws:sts::{caller}:assumed-role/Responder/rolecall")
            return 200, (f"<GetCallerIdentityResponse xmlns=\"{STS_NS}\"><GetCallerIdentityResult>"
                         f"<Arn>{arn}</Arn><UserId>AIDAWAN</UserId><Account>{caller}</Account>"
                         f"</GetCallerIdentityResult><ResponseMetadata><RequestId>wan</RequestId>"
                         f"</ResponseMetadata></GetCallerIdentityResponse>")
        if action == "AssumeRole":
            return self.assume(form, caller)
        if caller not in self.accounts:
            return ec2_error(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
        if region not in self.regions_of(caller):
            return ec2_error(401, "AuthFailure", f"not enabled in {region}")
        if action == "DescribeInstances":
            if region not in self.regions:
                return 200, describe_instances(caller, region, 1)
            return 200, describe_instances(caller, region, self.args.instances)
        if action == "DescribeVolumes":
            return 200, (f"<DescribeVolumesResponse xmlns=\"{EC2_NS}\"><requestId>wan</requestId>"
                         f"<volumeSet/></DescribeVolumesResponse>")
        if action == "DescribeRegions":
            items = "".join(f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com"
                            f"</regionEndpoint><optInStatus>"
                            f"{'opt-in-not-required' if r in self.regions else 'opted-in'}</optInStatus></item>"
                            for r in self.regions_of(caller))
            return 200, (f"<DescribeRegionsResponse xmlns=\"{EC2_NS}\"><requestId>wan</requestId>"
                         f"<regionInfo>{items}</regionInfo></DescribeRegionsResponse>")
        return ec2_error(400, "InvalidAction", f"the WAN endpoint does not answer {action}")

    def assume(self, form, caller):
        args, stats = self.args, self.stats
        arn = form.get("RoleArn", "")
        parts = arn.split(":")
        account = parts[4] if len(parts) > 5 else ""
        now = time.monotonic()
        stats.assume_count += 1
        times = stats.assume_times.setdefault(caller, collections.deque())
        while times and now - times[0] > 1.0:
            times.popleft()
        over = len(times) >= args.assume_rate
        forced = args.throttle_every and stats.assume_count % args.throttle_every == 0
        if over or forced:
            stats.throttled += 1
            return sts_error("Throttling", "Rate exceeded")
        times.append(now)
        if account not in self.accounts:
            return sts_error("AccessDenied", f"not authorized to perform: sts:AssumeRole on {arn}")
        name = form.get("RoleSessionName", "rolecall")
        expires = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        key = f"ASIA{account}{random.randrange(16 ** 4):04X}"
        return 200, (f"<AssumeRoleResponse xmlns=\"{STS_NS}\"><AssumeRoleResult><Credentials>"
                     f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>wan-secret-{account}</SecretAccessKey>"
                     f"<SessionToken>wan-token-{account}</SessionToken><Expiration>{expires}</Expiration>"
                     f"</Credentials><AssumedRoleUser><AssumedRoleId>AROAWAN:{name}</AssumedRoleId>"
                     f"<Arn>arn:aws:sts::{account}:assumed-role/Responder/{name}</Arn></AssumedRoleUser>"
                     f"</AssumeRoleResult><ResponseMetadata><RequestId>wan</RequestId></ResponseMetadata>"
                     f"</AssumeRoleResponse>")


def response(status, text, kind="text/xml"):
    data = text.encode()
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: {kind}\r\n"
            f"Content-Length: {len(data)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode() + data


def serve(world, stats):
    """One HTTP/1.1 connection: requests one after the other, kept alive until the client closes.
    asyncio, so that a thousand requests waiting out their latency cost the server nothing: one
    event loop, no thread per connection, no lock."""
    args = world.args

    async def connection(reader, writer):
        stats.connections += 1
        stats.open += 1
        stats.open_max = max(stats.open_max, stats.open)
        fresh = True
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                method, path = head[0].split(" ")[:2]
                headers = {}
                for line in head[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length") or 0)
                body = (await reader.readexactly(length)).decode() if length else ""
                if path.startswith("/_stats/reset"):
                    stats.reset()
                    writer.write(response(200, "{}", "application/json"))
                elif path.startswith("/_stats"):
                    writer.write(response(200, json.dumps(stats.snapshot()), "application/json"))
                elif method != "POST":
                    writer.write(response(404, "not found"))
                else:
                    form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                    action = form.get("Action", "") or headers.get("x-amz-target", "").rsplit(".", 1)[-1]
                    auth = headers.get("authorization", "")
                    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/") if "Credential=" in auth else []
                    key = scope[0] if scope else ""
                    region = scope[2] if len(scope) > 2 else "us-east-1"
                    stats.requests += 1
                    stats.in_flight += 1
                    stats.in_flight_max = max(stats.in_flight_max, stats.in_flight)
                    stats.actions[action] = stats.actions.get(action, 0) + 1
                    try:
                        wait = args.latency + random.uniform(0, args.jitter)
                        if fresh:
                            wait += args.handshake
                        await asyncio.sleep(wait)
                        target = headers.get("x-amz-target", "")
                        if target and hasattr(world, "answer_json"):
                            # A JSON-protocol service (CloudTrail: wan_events.py).
                            status, text = world.answer_json(target.rsplit(".", 1)[-1], body, key, region)
                        else:
                            status, text = world.answer(action, form, key, region)
                    finally:
                        stats.in_flight -= 1
                    writer.write(response(status, text, "application/x-amz-json-1.1" if target else "text/xml"))
                fresh = False
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        finally:
            stats.open -= 1
            writer.close()

    return connection


def instance_id(account, region, i):
    index = REGIONS.index(region) if region in REGIONS else len(REGIONS)
    return f"i-{int(account) % 10 ** 9:09x}{index:02x}{i:06x}"[:19]


def describe_instances(account, region, n):
    items = []
    for i in range(n):
        iid = instance_id(account, region, i)
        items.append(
            f"<item><instanceId>{iid}</instanceId><imageId>ami-12345678</imageId>"
            f"<instanceState><code>16</code><name>running</name></instanceState>"
            f"<privateDnsName>ip-10-0-{i // 250}-{i % 250}.ec2.internal</privateDnsName>"
            f"<instanceType>t3.micro</instanceType><launchTime>2026-11-01T00:00:00.000Z</launchTime>"
            f"<placement><availabilityZone>{region}a</availabilityZone></placement>"
            f"<privateIpAddress>10.0.{i // 250}.{i % 250}</privateIpAddress>"
            f"<tagSet><item><key>Name</key><value>node-{i}</value></item></tagSet></item>")
    return (f"<DescribeInstancesResponse xmlns=\"{EC2_NS}\"><requestId>wan</requestId><reservationSet>"
            f"<item><reservationId>r-{account}</reservationId><ownerId>{account}</ownerId>"
            f"<instancesSet>{''.join(items)}</instancesSet></item></reservationSet></DescribeInstancesResponse>")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", default="40:3:3", help="ACCOUNTS:REGIONS:INSTANCES")
    p.add_argument("--latency", type=float, default=0.150)
    p.add_argument("--jitter", type=float, default=0.010)
    p.add_argument("--handshake", type=float, default=0.200)
    p.add_argument("--assume-rate", type=int, default=600)
    p.add_argument("--throttle-every", type=int, default=0)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--opt-in", action="store_true",
                   help="one account also runs an instance in an opt-in region it enabled")
    p.add_argument("--tls", action="store_true", help="serve HTTPS, with a private CA's certificate")
    p.add_argument("--tls-dir", help="where --tls writes the CA and certificate (else a temporary directory)")
    args = p.parse_args()
    n_accounts, n_regions, args.instances = (int(x) for x in args.world.split(":"))
    accounts = [f"{900000000000 + i:012d}" for i in range(n_accounts)]
    world = {"accounts": accounts, "regions": REGIONS[:n_regions]}
    if args.opt_in and accounts:
        account = accounts[len(accounts) * 2 // 3]
        world["opt_in"] = {"account": account, "region": OPT_IN_REGION,
                           "instance": instance_id(account, OPT_IN_REGION, 0)}
    stats = Stats()
    asyncio.run(run(args, stats, World(args, stats, world), accounts))


async def run(args, stats, world, accounts):
    tls, ca, tmp = None, None, None
    if getattr(args, "tls", False):
        import private_ca  # tests/emulator/private_ca.py (needs `cryptography`)
        directory = args.tls_dir or tempfile.mkdtemp(prefix="rolecall-wan-tls-")
        tmp = None if args.tls_dir else directory
        ca = private_ca.make(directory)
        tls = ca.server_context()
    try:
        # A thousand accounts' connections may arrive at once.
        server = await asyncio.start_server(serve(world, stats), "127.0.0.1", args.port, backlog=4096,
                                            ssl=tls, ssl_handshake_timeout=60 if tls else None)
        port = server.sockets[0].getsockname()[1]
        info = {
            "endpoint": f"{'https' if tls else 'http'}://127.0.0.1:{port}",
            "roles": [f"arn:aws:iam::{a}:role/Responder" for a in accounts],
            "regions": world.regions,
            "instances_per_region": args.instances,
            "primary": {"access_key_id": "AKIAWANPRIMARY000001", "secret_access_key": "wan-primary-secret"},
        }
        if ca:
            info["ca"] = ca.ca_pem
        if world.opt_in:
            info["opt_in"] = world.opt_in
        print(json.dumps(info), flush=True)
        parent = os.getppid()
        while os.getppid() == parent:
            await asyncio.sleep(0.5)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
