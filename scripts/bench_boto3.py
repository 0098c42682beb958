#!/usr/bin/env python3
"""The baseline for rolecall's fan-out benchmark: what a responder's threaded boto3 script does.

Assumes each role (a thread pool), then lists the instances of every (account, region) pair (a
second pool), every page. Prints the number of instances found.
"""
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3


def main():
    spec = json.loads(sys.argv[1])
    endpoint, regions, workers = spec["endpoint"], spec["regions"], spec["workers"]
    session = boto3.session.Session(aws_access_key_id=spec["key"], aws_secret_access_key=spec["secret"])
    sts = session.client("sts", region_name="us-east-1", endpoint_url=endpoint)

    def assume(arn):
        return sts.assume_role(RoleArn=arn, RoleSessionName="bench")["Credentials"]

    def count(job):
        c, region = job
        # A session per thread: boto3 sessions are not thread-safe, clients are.
        s = boto3.session.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                                  aws_session_token=c["SessionToken"])
        ec2 = s.client("ec2", region_name=region, endpoint_url=endpoint)
        n = 0
        for page in ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 1000}):
            for r in page["Reservations"]:
                n += len(r["Instances"])
        return n

    with ThreadPoolExecutor(workers) as pool:
        creds = list(pool.map(assume, spec["roles"]))
    with ThreadPoolExecutor(workers) as pool:
        total = sum(pool.map(count, [(c, r) for c in creds for r in regions]))
    print(total)


if __name__ == "__main__":
    main()
