#!/usr/bin/env python3
"""wan.py's WAN-like endpoint, answering CloudTrail too: LookupEvents with AWS's quota of 2 calls a
second per account and region (`ThrottlingException` past it), and DescribeTrails/GetTrailStatus
(one multi-region trail per account, logging). For the events benchmark (scripts/bench_events.py).

Every account has --events events of the access key --key in each region (newest first, pages of
at most 50, NextToken); everything else is wan.py's (latency, handshakes, keep-alive, AssumeRole's
quota). `GET /_stats` counts LookupEvents calls and the throttled ones under "actions" and
"throttled".

Usage: wan_events.py --world ACCOUNTS:REGIONS:0 --events 120 [wan.py's options]
"""
import argparse
import asyncio
import collections
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wan  # noqa: E402

KEY = "AKIALEAKEDKEY0000001"


class EventsWorld(wan.World):
    def __init__(self, args, stats, world):
        super().__init__(args, stats, world)
        self.events = args.events
        self.calls = collections.defaultdict(collections.deque)

    def answer_json(self, op, body, key, region):
        caller = wan.account_of_key(key)
        if caller not in self.accounts:
            return 400, json.dumps({"__type": "UnrecognizedClientException", "message": "bad key"})
        if op == "LookupEvents":
            return self.lookup(json.loads(body or "{}"), caller, region)
        if op == "DescribeTrails":
            arn = f"arn:aws:cloudtrail:us-east-1:{caller}:trail/org"
            return 200, json.dumps({"trailList": [{"Name": "org", "TrailARN": arn, "HomeRegion": "us-east-1",
                                                   "IsMultiRegionTrail": True}]})
        if op == "GetTrailStatus":
            return 200, json.dumps({"IsLogging": True})
        return 400, json.dumps({"__type": "InvalidAction", "message": f"not answered here: {op}"})

    def lookup(self, req, account, region):
        now = time.monotonic()
        calls = self.calls[(account, region)]
        while calls and now - calls[0] >= 1.0:
            calls.popleft()
        if len(calls) >= 2:
            self.stats.throttled += 1
            return 400, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
        calls.append(now)
        attrs = req.get("LookupAttributes") or []
        if len(attrs) > 1:
            return 400, json.dumps({"__type": "InvalidLookupAttributesException", "message": "one"})
        wanted = not attrs or (attrs[0].get("AttributeKey") == "AccessKeyId"
                               and attrs[0].get("AttributeValue") == KEY)
        total = self.events if wanted else 0
        size = req.get("MaxResults", 50)
        offset = int(req.get("NextToken", "0") or 0)
        base = time.time() - 3600
        events = []
        for i in range(offset, min(offset + size, total)):
            eid = f"{int(account) % 10 ** 8:08x}-{wan.REGIONS.index(region):04x}-4000-8000-{i:012x}"
            doc = {"eventID": eid, "eventName": "DescribeInstances", "awsRegion": region,
                   "recipientAccountId": account, "sourceIPAddress": "198.51.100.23",
                   "userAgent": "python-requests/2.31.0",
                   "userIdentity": {"arn": f"arn:aws:iam::{account}:user/ci-deploy", "accessKeyId": KEY}}
            events.append({"EventId": eid, "EventName": "DescribeInstances", "EventTime": base - i,
                           "EventSource": "ec2.amazonaws.com", "Username": "ci-deploy", "AccessKeyId": KEY,
                           "Resources": [], "CloudTrailEvent": json.dumps(doc)})
        out = {"Events": events}
        if offset + size < total:
            out["NextToken"] = str(offset + size)
        return 200, json.dumps(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--world", default="100:3:0", help="ACCOUNTS:REGIONS:INSTANCES")
    p.add_argument("--events", type=int, default=120, help="events of the key per account and region")
    p.add_argument("--latency", type=float, default=0.150)
    p.add_argument("--jitter", type=float, default=0.010)
    p.add_argument("--handshake", type=float, default=0.200)
    p.add_argument("--assume-rate", type=int, default=600)
    p.add_argument("--throttle-every", type=int, default=0)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    n_accounts, n_regions, args.instances = (int(x) for x in args.world.split(":"))
    accounts = [f"{900000000000 + i:012d}" for i in range(n_accounts)]
    world = {"accounts": accounts, "regions": wan.REGIONS[:n_regions]}
    stats = wan.Stats()
    asyncio.run(wan.run(args, stats, EventsWorld(args, stats, world), accounts))


if __name__ == "__main__":
    main()
