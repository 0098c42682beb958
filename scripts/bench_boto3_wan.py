#!/usr/bin/env python3
"""The boto3 side of the WAN benchmark (scripts/bench_wan.py): the fan-out a careful responder
writes with boto3, to hold rolecall against the best a script does, not the easiest one.

- ONE boto3 Session, for the primary identity, and ONE STS client made from it, once;
- ONE thread pool of `threads` workers; a job assumes an account's role, then queues one job per
  region in the same pool, which makes that (account, region)'s EC2 client (once; used by that
  job only, and dropped when it is done: each client holds ~1.5 MB, so keeping 3000 of them alive
  would take gigabytes) and lists the region, every page of DescribeInstances;
- the EC2 clients are made from the primary's Session with the account's credentials passed in
  (`session.client(..., aws_access_key_id=...)`), under a lock, since a Session is not thread-safe
  (its clients are). A Session per account would be as correct but costs ~120 ms of CPU per
  client (each new Session parses the EC2 model again) against ~10-15 ms from the one Session
  whose loader has it cached: ~10x the client-making CPU. `"session_per_account": true` in the
  spec does it that way, to compare;
- botocore `Config(max_pool_connections=threads, retries={"mode": ..., "max_attempts": 10})`, so
  a throttled AssumeRole is retried rather than an account lost ("standard" by default,
  `"retry_mode": "adaptive"` in the spec for the client-side rate limiter).

Input: a JSON spec on argv[1]: {"endpoint", "key", "secret", "roles", "regions", "threads"}
(and optionally "retry_mode", "session_per_account"). "regions": "all" asks each account its
enabled regions first (ec2:DescribeRegions in us-east-1, as rolecall's regions = "all" does). Over TLS (bench_wan.py --tls) botocore
trusts the private CA through AWS_CA_BUNDLE, as rolecall does. Prints the number of instances found on
stdout; on stderr, every account or region that failed and a summary line.
"""
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def main():
    spec = json.loads(sys.argv[1])
    endpoint, regions = spec["endpoint"], spec["regions"]
    threads = int(spec.get("threads") or spec.get("workers") or 16)
    per_account = bool(spec.get("session_per_account"))
    config = Config(max_pool_connections=threads,
                    retries={"mode": spec.get("retry_mode", "standard"), "max_attempts": 10})

    session = boto3.session.Session(aws_access_key_id=spec["key"], aws_secret_access_key=spec["secret"])
    sts = session.client("sts", region_name="us-east-1", endpoint_url=endpoint, config=config)
    make_lock = threading.Lock()
    failures = []

    def ec2_client(c, region, session_=None):
        kw = dict(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                  aws_session_token=c["SessionToken"])
        if session_ is not None:
            return session_.client("ec2", region_name=region, endpoint_url=endpoint, config=config)
        with make_lock:
            return session.client("ec2", region_name=region, endpoint_url=endpoint, config=config, **kw)

    def listing(arn, region, c, ec2):
        # The client is made here (once, for this one (account, region)) and dropped when done, so
        # no more clients are alive than jobs in flight (each holds ~1.5 MB).
        if ec2 is None:
            ec2 = ec2_client(c, region)
        n = 0
        for page in ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 1000}):
            for r in page["Reservations"]:
                n += len(r["Instances"])
        return n

    def account(arn):
        """Assumes the role, then queues the account's regions in the same pool."""
        c = sts.assume_role(RoleArn=arn, RoleSessionName="bench")["Credentials"]
        mine = regions
        if regions == "all":
            found = ec2_client(c, "us-east-1").describe_regions()["Regions"]
            mine = [r["RegionName"] for r in found]
        if per_account:
            # A Session of the account's own, used by this thread only, to make its clients.
            s = boto3.session.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                                      aws_session_token=c["SessionToken"])
            jobs = [(r, ec2_client(c, r, s)) for r in mine]
        else:
            jobs = [(r, None) for r in mine]
        return [(region, pool.submit(listing, arn, region, c, ec2)) for region, ec2 in jobs]

    total = 0
    accounts_ok = 0
    with ThreadPoolExecutor(threads) as pool:
        assumed = [(arn, pool.submit(account, arn)) for arn in spec["roles"]]
        listings = []
        for arn, f in assumed:
            try:
                listings += [(arn, region, lf) for region, lf in f.result()]
                accounts_ok += 1
            except Exception as e:  # noqa: BLE001 - reported, and counted as lost
                failures.append(f"{arn}: {e}")
        for arn, region, f in listings:
            try:
                total += f.result()
            except Exception as e:  # noqa: BLE001
                failures.append(f"{arn} {region}: {e}")
    for line in failures:
        print(f"warning: {line}", file=sys.stderr)
    print(f"boto3: {total} instances in {accounts_ok} of {len(spec['roles'])} accounts, "
          f"{len(failures)} failures", file=sys.stderr)
    print(total)


if __name__ == "__main__":
    main()
