#!/usr/bin/env python3
"""Start moto's server on loopback, seed a small multi-account world into it, print it as JSON.

Used by the Rust test harness (tests/common/mod.rs) and by scripts/demo. The server lives until its
parent process goes away (or, with --info-file, until killed), so a crashed test run leaves nothing
behind.

Accounts (ids are fixed so that assets/demo/config.toml can name them):
  111111111111  primary: IAM user `responder`, whose identity policy lists the role ARNs in full
  222222222222  prod: ResponderRole and BreakGlass (MFA); instances in us-east-1 and eu-west-1, volumes
  333333333333  staging: role with a path (audit/Auditor) and an external id; 12 instances (pagination)
  444444444444  empty: a role and nothing else
  555555555555  sandbox: a role the primary's policy does not allow (AccessDenied under enforcement)
  123123123123  an organization's management account: OrgReader (organizations:List*) and an
                organization of 31 accounts (random ids) with the role Responder in each; one
                closed (SUSPENDED), one instance in "Payments Prod"
IAM Identity Center (tests/emulator/sso.py, a stand-in): one instance whose user is assigned
  permission sets in prod, staging, 444444444444 (none: an account with no role) and 20 of the
  organization's accounts, each set a seeded AWSReservedSSO_* role; world["sso"]. Also there:
  GET/DELETE /_rolecall/requests, a record of the requests the emulator saw (a stand-in).
"""
import argparse
import json
import os
import sys
import threading
import time

PRIMARY = "111111111111"
PROD = "222222222222"
STAGING = "333333333333"
EMPTY = "444444444444"
SANDBOX = "555555555555"

ROLES = {
    "prod-responder": f"arn:aws:iam::{PROD}:role/ResponderRole",
    "prod-breakglass": f"arn:aws:iam::{PROD}:role/BreakGlass",
    "staging-auditor": f"arn:aws:iam::{STAGING}:role/audit/Auditor",
    "empty": f"arn:aws:iam::{EMPTY}:role/ResponderRole",
    "sandbox": f"arn:aws:iam::{SANDBOX}:role/ResponderRole",
}
# The primary's identity policy allows every role but the sandbox one.
ALLOWED = [arn for name, arn in ROLES.items() if name != "sandbox"]
EXTERNAL_ID = "rolecall-demo-4242"
# A role in the primary account, as on an EC2 instance: its policies are what discovery reads.
PRIMARY_ROLE = f"arn:aws:iam::{PRIMARY}:role/incident/ResponderInstanceRole"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--enforce-iam", action="store_true",
                   help="after seeding, make moto check signatures and IAM policies on every call")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    p.add_argument("--info-file", help="also write the JSON here (for scripts that run the server in the background)")
    p.add_argument("--no-seed", action="store_true", help="start empty")
    p.add_argument("--bench-world", metavar="ACCOUNTS:REGIONS:INSTANCES",
                   help="seed the benchmark world instead: that many secondary accounts, each with a role "
                        "the primary user may assume and INSTANCES instances in each of REGIONS regions")
    return p.parse_args()


def main():
    args = parse_args()
    # moto reads its settings at import time; keep auth off while seeding.
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
    for var in ("MOTO_ACCOUNT_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(var, None)
    import logging

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    from moto.server import ThreadedMotoServer
    from moto import settings

    snapshot_states()
    from identities import install_policy_simulator, steady_role_last_used
    install_policy_simulator()
    steady_role_last_used()
    import regions  # opt-in regions per account (a stand-in)
    regions.install()
    import cloudtrail_events  # LookupEvents, which moto lacks (a stand-in: seeded events)
    cloudtrail_events.install()
    import findings  # Security Hub and GuardDuty stand-ins (tests/emulator/findings.py)
    findings.install()
    import sso  # Identity Center portal and OIDC, and the request recorder (tests/emulator/sso.py)
    sso.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"

    world = {"endpoint": endpoint}
    if args.bench_world:
        accounts, regions, per = (int(x) for x in args.bench_world.split(":"))
        world.update(seed_bench(endpoint, accounts, regions, per))
    elif not args.no_seed:
        world.update(seed(endpoint))
    if args.enforce_iam:
        keep_raw_form_bodies()
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        world["enforce_iam"] = True

    text = json.dumps(world)
    if args.info_file:
        tmp = args.info_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.info_file)
    print(text, flush=True)

    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    server.stop()


def snapshot_states():
    """A stand-in: moto's snapshots are `completed` the moment they are made. So that the tests
    can see how rolecall treats the other states, a snapshot whose description names a case with
    `STATE-RECOVERABLE` in its id is `recoverable`, and a copy (`re-encrypted` in its
    description) in a case with `COPY-ERROR` ends in `error`."""
    from moto.ec2.models.elastic_block_store import Snapshot

    original = Snapshot.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        description = self.description or ""
        if "STATE-RECOVERABLE" in description:
            self.status = "recoverable"
        elif "COPY-ERROR" in description and "re-encrypted" in description:
            self.status = "error"

    Snapshot.__init__ = init


def keep_raw_form_bodies():
    """moto checks a query-protocol signature against the form re-encoded by werkzeug (a space
    becomes `+`), so a signed body with `%20` in it (as the Rust SDK and the AWS CLI v2 write it)
    fails with AuthFailure. Real AWS hashes the bytes sent: give moto those bytes."""
    from moto.core.responses import BaseResponse

    original = BaseResponse.setup_class

    def setup_class(self, request, full_url, headers, use_raw_body=False):
        raw = None
        if not hasattr(request, "body") and hasattr(request, "get_data"):
            # Cached, so werkzeug still parses the form from it.
            raw = request.get_data(cache=True)
        original(self, request, full_url, headers, use_raw_body)
        if raw and not self.raw_body:
            self.raw_body = raw

    BaseResponse.setup_class = setup_class


def client(endpoint, service, region="us-east-1", creds=None):
    import boto3

    creds = creds or {"aws_access_key_id": "bootstrap", "aws_secret_access_key": "bootstrap"}
    return boto3.client(service, region_name=region, endpoint_url=endpoint, **creds)


def account_creds(endpoint, account):
    """Credentials that moto maps to `account`: moto lets AssumeRole reach any account id."""
    sts = client(endpoint, "sts")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/bootstrap", RoleSessionName="seed")["Credentials"]
    return {
        "aws_access_key_id": c["AccessKeyId"],
        "aws_secret_access_key": c["SecretAccessKey"],
        "aws_session_token": c["SessionToken"],
    }


def trust_policy(principal):
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}],
    })


READ_EC2 = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*"}],
})


def create_role(endpoint, creds, arn):
    name = arn.split("/")[-1]
    path = "/" + "/".join(arn.split(":role/")[1].split("/")[:-1]) + "/"
    path = "/" if path == "//" else path
    iam = client(endpoint, "iam", creds=creds)
    iam.create_role(RoleName=name, Path=path,
                    AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{PRIMARY}:user/responder"))
    iam.put_role_policy(RoleName=name, PolicyName="read-ec2", PolicyDocument=READ_EC2)


def tags(name, **extra):
    t = [{"Key": "Name", "Value": name}] + [{"Key": k, "Value": v} for k, v in extra.items()]
    return [{"ResourceType": "instance", "Tags": t}]


_IMAGES = {}


def run(ec2, name, instance_type="t3.micro", groups=None, **extra):
    region = ec2.meta.region_name
    if region not in _IMAGES:
        _IMAGES[region] = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    image = _IMAGES[region]
    more = {"SecurityGroupIds": groups} if groups else {}
    r = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType=instance_type,
                          TagSpecifications=tags(name, **extra), **more)
    return r["Instances"][0]


def seed_security_groups(ec2):
    """Prod's groups: one open to the internet on 443 with SSH from the admins' group, the
    admins' (SSH from an office range and a prefix list), and one nothing uses."""
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    web = ec2.create_security_group(GroupName="web-public", Description="public web servers",
                                    VpcId=vpc)["GroupId"]
    admin = ec2.create_security_group(GroupName="admin-ssh", Description="bastion access",
                                      VpcId=vpc)["GroupId"]
    unused = ec2.create_security_group(GroupName="legacy-db", Description="old database tier",
                                       VpcId=vpc)["GroupId"]
    plist = ec2.create_managed_prefix_list(PrefixListName="office", MaxEntries=5, AddressFamily="IPv4",
                                           Entries=[{"Cidr": "198.51.100.0/24"}])["PrefixList"]["PrefixListId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": admin}]},
    ])
    ec2.authorize_security_group_ingress(GroupId=admin, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "203.0.113.0/24", "Description": "office"}],
         "PrefixListIds": [{"PrefixListId": plist}]},
    ])
    ec2.authorize_security_group_ingress(GroupId=unused, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
    ])
    return {"web-public": web, "admin-ssh": admin, "legacy-db": unused, "office": plist}


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_discovery(iam):
    """Identity policies in every shape discovery must read: inline and managed (default
    version only), strings and lists, sts:* and *, a wildcard pattern, an unrelated action, a Deny;
    for the user, a group with its own inline and attached policies."""
    iam.create_group(GroupName="responders")
    iam.add_user_to_group(GroupName="responders", UserName="responder")
    iam.put_group_policy(GroupName="responders", PolicyName="read-only-anywhere", PolicyDocument=policy(
        {"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": "arn:aws:iam::*:role/ReadOnly*"}))
    tools = iam.create_policy(PolicyName="incident-tools", PolicyDocument=policy(
        {"Effect": "Allow", "Action": ["ec2:Describe*", "sts:AssumeRole"],
         "Resource": "arn:aws:iam::666666666666:role/Forensics"}))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="responders", PolicyArn=tools)

    name = PRIMARY_ROLE.split("/")[-1]
    iam.create_role(RoleName=name, Path="/incident/",
                    AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{PRIMARY}:user/responder"))
    iam.put_role_policy(RoleName=name, PolicyName="assume-secondary", PolicyDocument=policy(
        {"Sid": "Listed", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": [ROLES["prod-responder"], ROLES["staging-auditor"]]},
        {"Sid": "AllSts", "Effect": "Allow", "Action": ["sts:*"], "Resource": ROLES["sandbox"]},
        {"Sid": "NotSts", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:iam::777777777777:role/NotThis"},
        {"Sid": "NoSandbox", "Effect": "Deny", "Action": "sts:AssumeRole",
         "Resource": f"arn:aws:iam::{SANDBOX}:role/*"}))
    more = iam.create_policy(PolicyName="assume-more", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": "arn:aws:iam::888888888888:role/Retired"}))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=more, SetAsDefault=True, PolicyDocument=policy(
        {"Effect": "Allow", "Action": "*", "Resource": [ROLES["empty"], "arn:aws:iam::*:role/ReadOnly*"]}))
    iam.attach_role_policy(RoleName=name, PolicyArn=more)


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identities import IDENTITY_ACTIONS  # noqa: E402
from findings import FINDING_ACTIONS  # noqa: E402

LAB = "777777777777"
FORENSICS = "999999999999"
LAB_ROLES = {
    "lab-ir": f"arn:aws:iam::{LAB}:role/IncidentResponder",
    "lab-audit": f"arn:aws:iam::{LAB}:role/Auditor",
    "forensic-copier": f"arn:aws:iam::{FORENSICS}:role/ForensicCopier",
    # Every action but RevokeSecurityGroupEgress: isolation must be refused at plan time.
    "lab-norevoke": f"arn:aws:iam::{LAB}:role/NoRevoke",
}
# What the responder actions call (rolecall policy --actions lists the same, per action).
IR_ACTIONS = [
    "ec2:Describe*", "ec2:CreateSnapshot", "ec2:CreateSnapshots", "ec2:CreateTags", "ec2:CopySnapshot",
    "ec2:ModifySnapshotAttribute", "ec2:CreateSecurityGroup", "ec2:RevokeSecurityGroupEgress",
    "ec2:ModifyNetworkInterfaceAttribute", "ec2:ModifyInstanceAttribute", "ec2:GetConsoleOutput",
    "ec2:GetConsoleScreenshot", "kms:CreateKey", "kms:TagResource", "kms:CreateAlias", "kms:DescribeKey",
    "kms:GetKeyPolicy", "kms:CreateGrant", "kms:Decrypt", "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
] + IDENTITY_ACTIONS + FINDING_ACTIONS


def seed_lab(endpoint, world):
    """The lab: a second primary user and the accounts the responder actions work in."""
    primary = account_creds(endpoint, PRIMARY)
    iam = client(endpoint, "iam", creds=primary)
    iam.create_user(UserName="lab-responder")
    iam.put_user_policy(UserName="lab-responder", PolicyName="assume-lab-roles", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": list(LAB_ROLES.values())}))
    key = iam.create_access_key(UserName="lab-responder")["AccessKey"]
    lab = account_creds(endpoint, LAB)
    liam = client(endpoint, "iam", creds=lab)
    no_revoke = [a for a in IR_ACTIONS if a != "ec2:RevokeSecurityGroupEgress"]
    for name, actions in (("IncidentResponder", IR_ACTIONS), ("Auditor", ["ec2:Describe*"]),
                          ("NoRevoke", no_revoke)):
        liam.create_role(RoleName=name,
                         AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{PRIMARY}:user/lab-responder"))
        liam.put_role_policy(RoleName=name, PolicyName="actions", PolicyDocument=policy(
            {"Effect": "Allow", "Action": actions, "Resource": "*"}))
    fiam = client(endpoint, "iam", creds=account_creds(endpoint, FORENSICS))
    fiam.create_role(RoleName="ForensicCopier",
                     AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{PRIMARY}:user/lab-responder"))
    fiam.put_role_policy(RoleName="ForensicCopier", PolicyName="copy", PolicyDocument=policy(
        {"Effect": "Allow", "Action": ["ec2:Describe*", "ec2:CopySnapshot", "ec2:CreateTags",
                                       "kms:Decrypt", "kms:DescribeKey", "kms:ReEncrypt*",
                                       "kms:GenerateDataKey*", "kms:CreateGrant"], "Resource": "*"}))

    ec2 = client(endpoint, "ec2", "us-east-1", lab)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]
    web_sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    admin_sg = ec2.create_security_group(GroupName="admin", Description="admin", VpcId=vpc)["GroupId"]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    # Two network interfaces, each with its own groups: isolation must replace and restore each.
    suspect = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
        NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": subnet["SubnetId"], "Groups": [web_sg, admin_sg]},
            {"DeviceIndex": 1, "SubnetId": subnet["SubnetId"], "Groups": [admin_sg]},
        ],
        TagSpecifications=tags("suspect-1", team="web"))["Instances"][0]
    data = ec2.create_volume(AvailabilityZone=subnet["AvailabilityZone"], Size=20, VolumeType="gp3",
                             Encrypted=True, TagSpecifications=[{"ResourceType": "volume",
                                                                 "Tags": [{"Key": "Name", "Value": "suspect-1-data"}]}])
    ec2.attach_volume(VolumeId=data["VolumeId"], InstanceId=suspect["InstanceId"], Device="/dev/sdf")
    other = run(ec2, "suspect-2")
    loose = ec2.create_volume(AvailabilityZone=subnet["AvailabilityZone"], Size=8, VolumeType="gp2",
                              TagSpecifications=[{"ResourceType": "volume",
                                                  "Tags": [{"Key": "Name", "Value": "loose"}]}])
    enis = {e["NetworkInterfaceId"]: sorted(g["GroupId"] for g in e["Groups"])
            for e in suspect["NetworkInterfaces"]}
    world["lab"] = {
        "account": LAB,
        "forensics": FORENSICS,
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
        "roles": LAB_ROLES,
        "suspect": suspect["InstanceId"],
        "suspect_enis": enis,
        "suspect_data_volume": data["VolumeId"],
        "other": other["InstanceId"],
        "loose_volume": loose["VolumeId"],
        "vpc": vpc,
    }


def seed(endpoint):
    # Primary account: the responder's IAM user and its identity policy.
    primary = account_creds(endpoint, PRIMARY)
    iam = client(endpoint, "iam", creds=primary)
    iam.create_user(UserName="responder")
    iam.put_user_policy(UserName="responder", PolicyName="assume-secondary-roles", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ALLOWED}],
    }))
    key = iam.create_access_key(UserName="responder")["AccessKey"]
    seed_discovery(iam)

    world = {
        "primary": {
            "account": PRIMARY,
            "arn": f"arn:aws:iam::{PRIMARY}:user/responder",
            "access_key_id": key["AccessKeyId"],
            "secret_access_key": key["SecretAccessKey"],
        },
        "roles": ROLES,
        "primary_role": PRIMARY_ROLE,
        "external_id": EXTERNAL_ID,
        "instances": {},
        "volumes": {},
    }

    for account in (PROD, STAGING, EMPTY, SANDBOX):
        creds = account_creds(endpoint, account)
        for arn in ROLES.values():
            if f"::{account}:" in arn:
                create_role(endpoint, creds, arn)
        world["instances"][account] = []
        world["volumes"][account] = []

        def add(inst, region):
            world["instances"][account].append({"id": inst["InstanceId"], "region": region})

        if account == PROD:
            ec2 = client(endpoint, "ec2", "us-east-1", creds)
            groups = seed_security_groups(ec2)
            world["security_groups"] = groups
            web_groups = [groups["web-public"], groups["admin-ssh"]]
            add(run(ec2, "web-1", groups=web_groups, team="frontend"), "us-east-1")
            add(run(ec2, "web-2", groups=[groups["web-public"]], team="frontend"), "us-east-1")
            db = run(ec2, "db-1", "m5.large", team="data")
            add(db, "us-east-1")
            ec2.stop_instances(InstanceIds=[db["InstanceId"]])
            az = db["Placement"]["AvailabilityZone"]
            data = ec2.create_volume(AvailabilityZone=az, Size=100, VolumeType="gp3", Encrypted=True,
                                     TagSpecifications=[{"ResourceType": "volume",
                                                         "Tags": [{"Key": "Name", "Value": "db-1-data"}]}])
            ec2.attach_volume(VolumeId=data["VolumeId"], InstanceId=db["InstanceId"], Device="/dev/sdf")
            loose = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, VolumeType="gp2",
                                      TagSpecifications=[{"ResourceType": "volume",
                                                          "Tags": [{"Key": "Name", "Value": "evidence-copy"}]}])
            world["volumes"][account] += [
                {"id": data["VolumeId"], "attached_to": db["InstanceId"]},
                {"id": loose["VolumeId"], "attached_to": None},
            ]
            ec2 = client(endpoint, "ec2", "eu-west-1", creds)
            add(run(ec2, "eu-web-1", team="frontend"), "eu-west-1")
            add(run(ec2, "eu-batch-1", "c5.xlarge", team="data"), "eu-west-1")
        elif account == STAGING:
            ec2 = client(endpoint, "ec2", "us-east-1", creds)
            for i in range(1, 13):
                add(run(ec2, f"stg-node-{i:02}", team="platform"), "us-east-1")
            # An opt-in region staging enabled, and what runs there: found only by
            # regions = "all" (each account's enabled regions).
            import regions
            regions.OPTED_IN[STAGING] = {"me-central-1"}
            miner = run(client(endpoint, "ec2", "me-central-1", creds), "miner-1", "c5.4xlarge")
            world["opt_in"] = {"account": STAGING, "region": "me-central-1",
                               "instance": miner["InstanceId"]}
        elif account == SANDBOX:
            ec2 = client(endpoint, "ec2", "us-east-1", creds)
            add(run(ec2, "sandbox-secret"), "us-east-1")
    seed_lab(endpoint, world)
    seed_organization(endpoint, world)
    from identities import seed_identities
    seed_identities(endpoint, world, client, account_creds, PROD, STAGING, SANDBOX)
    import cloudtrail_events
    cloudtrail_events.seed(world, endpoint, client, account_creds)
    import findings
    findings.seed(client, account_creds, endpoint, world, PROD, STAGING, ORG_MANAGEMENT, SANDBOX)
    seed_sso(endpoint, world)
    return world


READ_ONLY_ACTIONS = ["ec2:Describe*", "iam:Get*", "iam:List*", "sts:GetCallerIdentity"]


def seed_sso(endpoint, world):
    """Identity Center: the user's accounts, in the portal's order (23: three pages of 10)."""
    import sso

    org = world["organization"]["accounts"]
    accounts = [
        (PROD, "prod", ["IncidentResponder", "ReadOnly"]),
        (STAGING, "staging", ["IncidentResponder"]),
        (EMPTY, "empty", []),
        (org["Payments Prod"], "Payments Prod", ["IncidentResponder", "ReadOnly"]),
    ] + [(org[f"workload-{i:02d}"], f"workload-{i:02d}", ["ReadOnly"]) for i in range(1, 20)]
    sso.seed(world, endpoint, client, accounts, {
        "IncidentResponder": IR_ACTIONS + ["sts:GetCallerIdentity"],
        "ReadOnly": READ_ONLY_ACTIONS,
    })


ORG_MANAGEMENT = "123123123123"
ORG_READER = f"arn:aws:iam::{ORG_MANAGEMENT}:role/OrgReader"


def seed_organization(endpoint, world):
    """An organization run from ORG_MANAGEMENT, read through OrgReader (which the primary user
    may assume with plain moto; under enforcement its policy does not allow it)."""
    creds = account_creds(endpoint, ORG_MANAGEMENT)
    iam = client(endpoint, "iam", creds=creds)
    iam.create_role(RoleName="OrgReader",
                    AssumeRolePolicyDocument=trust_policy(f"arn:aws:iam::{PRIMARY}:user/responder"))
    iam.put_role_policy(RoleName="OrgReader", PolicyName="read-org", PolicyDocument=policy(
        {"Effect": "Allow", "Action": ["organizations:List*", "organizations:Describe*"], "Resource": "*"}))
    org = client(endpoint, "organizations", creds=creds)
    org.create_organization(FeatureSet="ALL")
    names = [f"workload-{i:02d}" for i in range(1, 28)] + [
        "Payments Prod", "Old Sandbox", "Excluded Lab", "Shared Services"]
    accounts = {}
    for name in names:
        status = org.create_account(AccountName=name, Email=f"{name.replace(' ', '.')}@example.com",
                                    RoleName="Responder")["CreateAccountStatus"]
        accounts[name] = status["AccountId"]
    org.close_account(AccountId=accounts["Old Sandbox"])
    ec2 = client(endpoint, "ec2", "us-east-1", account_creds(endpoint, accounts["Payments Prod"]))
    payments = run(ec2, "payments-api")
    world["organization"] = {
        "management": ORG_MANAGEMENT,
        "reader": ORG_READER,
        "role_name": "Responder",
        "accounts": accounts,
        "payments_instance": payments["InstanceId"],
    }


BENCH_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1"]


def seed_bench(endpoint, accounts, regions, per):
    """A primary user who may assume `Inventory` in each of `accounts` accounts, each with `per`
    instances in each of its first `regions` regions."""
    roles = [f"arn:aws:iam::{100000000000 + i:012d}:role/Inventory" for i in range(1, accounts + 1)]
    primary = account_creds(endpoint, PRIMARY)
    iam = client(endpoint, "iam", creds=primary)
    iam.create_user(UserName="responder")
    iam.put_user_policy(UserName="responder", PolicyName="inventory", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles}))
    key = iam.create_access_key(UserName="responder")["AccessKey"]
    for arn in roles:
        creds = account_creds(endpoint, arn.split(":")[4])
        create_role(endpoint, creds, arn)
        for region in BENCH_REGIONS[:regions]:
            ec2 = client(endpoint, "ec2", region, creds)
            image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
            ec2.run_instances(ImageId=image, MinCount=per, MaxCount=per, InstanceType="t3.micro",
                              TagSpecifications=tags("bench"))
    return {
        "primary": {"account": PRIMARY, "arn": f"arn:aws:iam::{PRIMARY}:user/responder",
                    "access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]},
        "roles": roles,
        "regions": BENCH_REGIONS[:regions],
        "instances_per_region": per,
    }


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
