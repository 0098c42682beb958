#!/usr/bin/env python3
"""Checks the emulator's IAM Identity Center stand-ins and request recorder (tests/emulator/sso.py)
with boto3, as the AWS CLI would call them: every endpoint, paging, the portal's 20 calls a second,
the device flow (pending, slow down, approve, token, refresh), errors parsed into boto3's modeled
exception classes, role credentials that land in the right account, the recorder, and that the
rest of the world is seeded as before. Also with --enforce-iam: the role credentials pass moto's
IAM checks with the permission set's policy.

    /work/main/.venv/bin/python tests/emulator/test_sso.py [--skip-enforced]

Plain asserts; exits non-zero on the first failure.
"""
import concurrent.futures
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def start(*extra):
    info = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name
    os.unlink(info)
    t = time.monotonic()
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "moto_server.py"), "--info-file", info, *extra],
                            stdout=subprocess.DEVNULL)
    while not os.path.exists(info):
        assert proc.poll() is None, "moto_server.py exited before writing its world"
        time.sleep(0.1)
    with open(info) as f:
        world = json.load(f)
    print(f"server up in {time.monotonic() - t:.1f}s {' '.join(extra)}")
    return proc, world


def http(method, url, headers=None, body=None):
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=body)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def clients(world):
    ep = world["endpoint"]
    sso = boto3.client("sso", region_name="us-east-1", endpoint_url=ep, config=NO_RETRY)
    oidc = boto3.client("sso-oidc", region_name="us-east-1", endpoint_url=ep, config=NO_RETRY)
    return sso, oidc


def raises(exc_class, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_class as e:
        return e
    raise AssertionError(f"expected {exc_class.__name__} from {getattr(fn, '__name__', fn)}")


def mint(world, expires_in=None):
    url = world["sso"]["mint_url"] + (f"?expires_in={expires_in}" if expires_in is not None else "")
    status, _, body = http("POST", url)
    assert status == 200, status
    return json.loads(body)


def check_world(world):
    for key in ("endpoint", "primary", "roles", "instances", "volumes", "lab", "organization",
                "identities", "events", "findings", "security_groups", "opt_in"):
        assert key in world, f"world lost {key}"
    s = world["sso"]
    assert s["start_url"] == "https://rolecall-demo.awsapps.com/start"
    assert s["region"] == "us-east-1" and s["session_name"] == "rolecall-demo"
    ids = [a["id"] for a in s["accounts"]]
    assert len(ids) >= 23 and len(set(ids)) == len(ids)
    assert all(len(i) == 12 and i.isdigit() for i in ids)
    by_id = {a["id"]: a for a in s["accounts"]}
    assert by_id["222222222222"]["roles"] == ["IncidentResponder", "ReadOnly"]
    assert by_id["333333333333"]["roles"] == ["IncidentResponder"]
    assert any(not a["roles"] for a in s["accounts"])
    for a in s["accounts"]:
        for ps, arn in a["role_arns"].items():
            assert arn.startswith(f"arn:aws:iam::{a['id']}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{ps}_")
            assert len(arn.rsplit("_", 1)[1]) == 16
    import hashlib
    assert s["cache_file"] == hashlib.sha1(b"rolecall-demo").hexdigest() + ".json"
    assert set(s["cache"]) == {"startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret",
                               "registrationExpiresAt", "refreshToken"}
    for k in ("access_token", "refresh_token", "client_id", "client_secret", "expired_access_token"):
        assert s[k].startswith("emulator-sso-"), k
        assert not s[k].startswith(("AKIA", "ASIA"))


def check_portal(world):
    s = world["sso"]
    sso, _ = clients(world)
    token = mint(world)["accessToken"]

    # Paging: 10 a page by default, max_result honoured, nextToken opaque and checked.
    pages, nxt = [], None
    while True:
        kw = {"nextToken": nxt} if nxt else {}
        r = sso.list_accounts(accessToken=token, **kw)
        pages.append(r["accountList"])
        nxt = r.get("nextToken")
        if not nxt:
            break
    n = len(s["accounts"])
    assert [len(p) for p in pages] == [10] * (n // 10) + ([n % 10] if n % 10 else []), [len(p) for p in pages]
    listed = [a for p in pages for a in p]
    assert [a["accountId"] for a in listed] == [a["id"] for a in s["accounts"]]
    assert listed[0] == {"accountId": "222222222222", "accountName": "prod", "emailAddress": "aws+prod@example.com"}
    paged = [a for p in sso.get_paginator("list_accounts").paginate(accessToken=token) for a in p["accountList"]]
    assert paged == listed
    r = sso.list_accounts(accessToken=token, maxResults=7)
    assert len(r["accountList"]) == 7
    r2 = sso.list_accounts(accessToken=token, maxResults=100)
    assert len(r2["accountList"]) == n and "nextToken" not in r2
    forged = r["nextToken"][:-3] + ("aaa" if not r["nextToken"].endswith("aaa") else "bbb")
    raises(sso.exceptions.InvalidRequestException, sso.list_accounts, accessToken=token, nextToken=forged)
    raises(sso.exceptions.InvalidRequestException, sso.list_accounts, accessToken=token, nextToken="garbage")
    # A token of one listing is refused by another.
    raises(sso.exceptions.InvalidRequestException, sso.list_account_roles, accessToken=token,
           accountId="222222222222", nextToken=r["nextToken"])
    for bad in ("0", "101", "x"):
        status, headers, body = http("GET", f"{world['endpoint']}/assignment/accounts?max_result={bad}",
                                     {"x-amz-sso_bearer_token": token})
        assert status == 400 and headers.get("x-amzn-ErrorType") == "InvalidRequestException", (bad, status)

    # Each part its own token: a part's calls must stay under the 20 a second.
    token = mint(world)["accessToken"]
    # Roles, per account, paged.
    roles = sso.list_account_roles(accessToken=token, accountId="222222222222")
    assert roles["roleList"] == [{"roleName": "IncidentResponder", "accountId": "222222222222"},
                                 {"roleName": "ReadOnly", "accountId": "222222222222"}]
    assert "nextToken" not in roles
    first = sso.list_account_roles(accessToken=token, accountId="222222222222", maxResults=1)
    assert [x["roleName"] for x in first["roleList"]] == ["IncidentResponder"]
    second = sso.list_account_roles(accessToken=token, accountId="222222222222", maxResults=1,
                                    nextToken=first["nextToken"])
    assert [x["roleName"] for x in second["roleList"]] == ["ReadOnly"] and "nextToken" not in second
    empty = next(a["id"] for a in s["accounts"] if not a["roles"])
    assert sso.list_account_roles(accessToken=token, accountId=empty)["roleList"] == []
    status, headers, _ = http("GET", f"{world['endpoint']}/assignment/roles",
                              {"x-amz-sso_bearer_token": token})
    assert status == 400 and headers.get("x-amzn-ErrorType") == "InvalidRequestException"

    token = mint(world)["accessToken"]
    # Role credentials: moto's, for the account (STS and EC2 say so).
    rc = sso.get_role_credentials(accessToken=token, accountId="222222222222",
                                  roleName="IncidentResponder")["roleCredentials"]
    assert set(rc) == {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}
    assert isinstance(rc["expiration"], int) and abs(rc["expiration"] / 1000 - (time.time() + 3600)) < 120
    creds = {"aws_access_key_id": rc["accessKeyId"], "aws_secret_access_key": rc["secretAccessKey"],
             "aws_session_token": rc["sessionToken"]}
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=world["endpoint"], **creds)
    me = sts.get_caller_identity()
    assert me["Account"] == "222222222222", me
    role_name = s["accounts"][0]["role_arns"]["IncidentResponder"].rsplit("/", 1)[1]
    assert me["Arn"] == f"arn:aws:sts::222222222222:assumed-role/{role_name}/responder", me["Arn"]
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=world["endpoint"], **creds)
    seen = {i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}
    want = {i["id"] for i in world["instances"]["222222222222"] if i["region"] == "us-east-1"}
    assert want <= seen, (want, seen)
    rc = sso.get_role_credentials(accessToken=token, accountId="333333333333",
                                  roleName="IncidentResponder")["roleCredentials"]
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=world["endpoint"],
                       aws_access_key_id=rc["accessKeyId"], aws_secret_access_key=rc["secretAccessKey"],
                       aws_session_token=rc["sessionToken"])
    assert sts.get_caller_identity()["Account"] == "333333333333"
    e = raises(sso.exceptions.ResourceNotFoundException, sso.get_role_credentials, accessToken=token,
               accountId="333333333333", roleName="ReadOnly")
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    raises(sso.exceptions.ResourceNotFoundException, sso.get_role_credentials, accessToken=token,
           accountId=empty, roleName="ReadOnly")

    # Tokens: expired, unknown, missing.
    for bad in (s["expired_access_token"], "emulator-sso-access-unknown", mint(world, -5)["accessToken"]):
        for call in (lambda: sso.list_accounts(accessToken=bad),
                     lambda: sso.list_account_roles(accessToken=bad, accountId="222222222222"),
                     lambda: sso.get_role_credentials(accessToken=bad, accountId="222222222222",
                                                      roleName="ReadOnly"),
                     lambda: sso.logout(accessToken=bad)):
            e = raises(sso.exceptions.UnauthorizedException, call)
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    status, headers, body = http("GET", f"{world['endpoint']}/assignment/accounts")
    assert status == 401 and headers.get("x-amzn-ErrorType") == "UnauthorizedException", status
    assert json.loads(body)["message"]

    # Logout ends the sign-in session: its access and refresh tokens.
    session = mint(world)
    assert sso.list_accounts(accessToken=session["accessToken"])["accountList"]
    sso.logout(accessToken=session["accessToken"])
    raises(sso.exceptions.UnauthorizedException, sso.list_accounts, accessToken=session["accessToken"])
    _, oidc = clients(world)
    raises(oidc.exceptions.InvalidGrantException, oidc.create_token, clientId=session["clientId"],
           clientSecret=session["clientSecret"], grantType="refresh_token", refreshToken=session["refreshToken"])
    print("portal: ok")


def check_rate(world):
    sso, _ = clients(world)
    token = mint(world)["accessToken"]
    other = mint(world)["accessToken"]
    url = f"{world['endpoint']}/assignment/accounts?max_result=1"

    def call(_):
        return http("GET", url, {"x-amz-sso_bearer_token": token})[0]

    # 40 calls at once: at most 20 in any second pass, the rest are 429.
    t = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(40)))
    took = time.monotonic() - t
    ok, limited = statuses.count(200), statuses.count(429)
    assert ok + limited == 40, statuses
    if took < 1.0:
        assert ok == 20 and limited == 20, (ok, limited, took)
    else:
        assert limited > 0 and ok >= 20, (ok, limited, took)
    # boto3 parses it as TooManyRequestsException (429); another token is not limited.
    if took < 0.9:
        e = raises(sso.exceptions.TooManyRequestsException, sso.list_accounts, accessToken=token)
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert sso.list_accounts(accessToken=other, maxResults=1)["accountList"]
    time.sleep(1.1)
    assert sso.list_accounts(accessToken=token, maxResults=1)["accountList"]
    print(f"rate: ok ({ok} passed, {limited} limited in {took:.2f}s)")


def check_oidc(world):
    s = world["sso"]
    sso, oidc = clients(world)
    ep = world["endpoint"]
    reg = oidc.register_client(clientName="rolecall-test", clientType="public", scopes=["sso:account:access"])
    assert set(reg) - {"ResponseMetadata"} == {"clientId", "clientSecret", "clientIdIssuedAt",
                                               "clientSecretExpiresAt"}
    assert reg["clientSecretExpiresAt"] - reg["clientIdIssuedAt"] == 90 * 86400
    cid, secret = reg["clientId"], reg["clientSecret"]
    raises(oidc.exceptions.InvalidClientMetadataException, oidc.register_client, clientName="x",
           clientType="confidential")
    raises(oidc.exceptions.InvalidScopeException, oidc.register_client, clientName="x", clientType="public",
           scopes=["openid"])

    e = raises(oidc.exceptions.InvalidClientException, oidc.start_device_authorization, clientId=cid,
               clientSecret="wrong", startUrl=s["start_url"])
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    raises(oidc.exceptions.InvalidClientException, oidc.start_device_authorization, clientId="nobody",
           clientSecret=secret, startUrl=s["start_url"])
    raises(oidc.exceptions.InvalidRequestException, oidc.start_device_authorization, clientId=cid,
           clientSecret=secret, startUrl="https://other.awsapps.com/start")

    dev = oidc.start_device_authorization(clientId=cid, clientSecret=secret, startUrl=s["start_url"] + "#/")
    assert dev["expiresIn"] == 600 and dev["interval"] == 1
    assert dev["verificationUri"] == f"{ep}/_sso/verify"
    assert dev["verificationUriComplete"] == f"{ep}/_sso/verify?user_code={dev['userCode']}"
    assert len(dev["userCode"]) == 9 and dev["userCode"][4] == "-"

    def poll():
        return oidc.create_token(clientId=cid, clientSecret=secret, grantType=DEVICE_GRANT,
                                 deviceCode=dev["deviceCode"])

    e = raises(oidc.exceptions.AuthorizationPendingException, poll)
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.response["Error"]["Code"] == "AuthorizationPendingException"
    assert e.response.get("error") == "authorization_pending", e.response
    raises(oidc.exceptions.SlowDownException, poll)
    time.sleep(1.05)
    raises(oidc.exceptions.AuthorizationPendingException, poll)
    # Another client may not redeem the code.
    other = oidc.register_client(clientName="other", clientType="public", scopes=["sso:account:access"])
    raises(oidc.exceptions.InvalidGrantException, oidc.create_token, clientId=other["clientId"],
           clientSecret=other["clientSecret"], grantType=DEVICE_GRANT, deviceCode=dev["deviceCode"])
    # The person approves in the browser.
    status, headers, page = http("GET", dev["verificationUriComplete"])
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"approved" in page
    time.sleep(1.05)
    tok = poll()
    assert tok["tokenType"] == "Bearer" and tok["expiresIn"] == 8 * 3600
    assert tok["accessToken"].startswith("emulator-sso-access-") and tok["refreshToken"]
    assert len(sso.list_accounts(accessToken=tok["accessToken"])["accountList"]) == 10
    time.sleep(1.05)
    raises(oidc.exceptions.InvalidGrantException, poll)  # used

    # Raw shape: the error type header and the OAuth body.
    d2 = oidc.start_device_authorization(clientId=cid, clientSecret=secret, startUrl=s["start_url"])
    status, headers, body = http("POST", f"{ep}/token", {"Content-Type": "application/json"}, json.dumps(
        {"clientId": cid, "clientSecret": secret, "grantType": DEVICE_GRANT, "deviceCode": d2["deviceCode"]}).encode())
    assert status == 400 and headers.get("x-amzn-ErrorType") == "AuthorizationPendingException"
    assert json.loads(body)["error"] == "authorization_pending"

    # Refresh.
    new = oidc.create_token(clientId=cid, clientSecret=secret, grantType="refresh_token",
                            refreshToken=tok["refreshToken"])
    assert new["accessToken"] != tok["accessToken"] and new["refreshToken"]
    assert sso.list_accounts(accessToken=new["accessToken"], maxResults=1)["accountList"]
    raises(oidc.exceptions.InvalidGrantException, oidc.create_token, clientId=cid, clientSecret=secret,
           grantType="refresh_token", refreshToken="emulator-sso-refresh-unknown")
    raises(oidc.exceptions.InvalidGrantException, oidc.create_token, clientId=other["clientId"],
           clientSecret=other["clientSecret"], grantType="refresh_token", refreshToken=tok["refreshToken"])
    raises(oidc.exceptions.InvalidClientException, oidc.create_token, clientId="nobody", clientSecret="x",
           grantType="refresh_token", refreshToken=tok["refreshToken"])
    raises(oidc.exceptions.UnsupportedGrantTypeException, oidc.create_token, clientId=cid,
           clientSecret=secret, grantType="password")
    # The seeded cache entry refreshes as `aws sso login`'s would.
    seeded = oidc.create_token(clientId=s["client_id"], clientSecret=s["client_secret"],
                               grantType="refresh_token", refreshToken=s["refresh_token"])
    assert sso.list_accounts(accessToken=seeded["accessToken"], maxResults=1)["accountList"]
    assert sso.list_accounts(accessToken=s["access_token"], maxResults=1)["accountList"]

    # A client registered without scopes gets no refresh token.
    legacy = oidc.register_client(clientName="legacy", clientType="public")
    d3 = oidc.start_device_authorization(clientId=legacy["clientId"], clientSecret=legacy["clientSecret"],
                                         startUrl=s["start_url"])
    assert http("GET", d3["verificationUriComplete"])[0] == 200
    t3 = oidc.create_token(clientId=legacy["clientId"], clientSecret=legacy["clientSecret"],
                           grantType=DEVICE_GRANT, deviceCode=d3["deviceCode"])
    assert "refreshToken" not in t3 and t3["accessToken"]

    # Expired and denied codes.
    d4 = oidc.start_device_authorization(clientId=cid, clientSecret=secret, startUrl=s["start_url"])
    assert http("GET", f"{ep}/_sso/expire?user_code={d4['userCode']}")[0] == 200
    raises(oidc.exceptions.ExpiredTokenException, oidc.create_token, clientId=cid, clientSecret=secret,
           grantType=DEVICE_GRANT, deviceCode=d4["deviceCode"])
    assert http("GET", d4["verificationUriComplete"])[0] == 410
    d5 = oidc.start_device_authorization(clientId=cid, clientSecret=secret, startUrl=s["start_url"])
    assert http("GET", f"{ep}/_sso/deny?user_code={d5['userCode']}")[0] == 200
    raises(oidc.exceptions.AccessDeniedException, oidc.create_token, clientId=cid, clientSecret=secret,
           grantType=DEVICE_GRANT, deviceCode=d5["deviceCode"])
    assert http("GET", f"{ep}/_sso/verify?user_code=ZZZZ-ZZZZ")[0] == 404
    print("oidc: ok")


def check_recorder(world):
    ep = world["endpoint"]
    url = world["sso"]["recorder_url"]
    status, _, body = http("DELETE", url)
    assert status == 200 and "cleared" in json.loads(body)
    status, _, body = http("GET", url)
    assert status == 200 and json.loads(body) == []

    p = world["primary"]
    creds = {"aws_access_key_id": p["access_key_id"], "aws_secret_access_key": p["secret_access_key"]}
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=ep, **creds)
    sts.assume_role(RoleArn=world["roles"]["prod-breakglass"], RoleSessionName="rc-test",
                    SourceIdentity="alice", SerialNumber="arn:aws:iam::111111111111:mfa/alice",
                    TokenCode="314159")
    sts.get_session_token()
    boto3.client("ec2", region_name="eu-west-1", endpoint_url=ep, **creds).describe_regions()
    boto3.client("guardduty", region_name="us-east-1", endpoint_url=ep, **creds).list_detectors()
    sso, _ = clients(world)
    sso.list_accounts(accessToken=world["sso"]["access_token"], maxResults=1)
    prod = world["sso"]["accounts"][0]["id"]
    sso.get_role_credentials(accessToken=world["sso"]["access_token"], accountId=prod, roleName="ReadOnly")

    status, _, body = http("GET", url)
    text = body.decode()
    records = json.loads(text)
    assert "314159" not in text and p["secret_access_key"] not in text
    assert world["sso"]["access_token"] not in text
    ar = [r for r in records if r["action"] == "AssumeRole"]
    assert len(ar) == 1, records
    ar = ar[0]
    assert ar["service"] == "sts" and ar["access_key_id"] == p["access_key_id"] and ar["region"] == "us-east-1"
    assert ar["RoleArn"] == world["roles"]["prod-breakglass"] and ar["RoleSessionName"] == "rc-test"
    assert ar["SourceIdentity"] == "alice" and ar["SerialNumber"] == "arn:aws:iam::111111111111:mfa/alice"
    assert ar["token_code_sent"] is True
    gst = next(r for r in records if r["action"] == "GetSessionToken")
    assert gst["token_code_sent"] is False and gst["SerialNumber"] is None and gst["SourceIdentity"] is None
    dr = next(r for r in records if r["action"] == "DescribeRegions")
    assert dr["service"] == "ec2" and dr["region"] == "eu-west-1" and dr["access_key_id"] == p["access_key_id"]
    assert "RoleArn" not in dr
    gd = next(r for r in records if r["service"] == "guardduty")
    assert gd["action"] == "GET /detector", gd
    la = next(r for r in records if r["action"] == "ListAccounts")
    assert la["service"] == "sso" and la["access_key_id"] is None
    assert la["token_sha256"] == hashlib.sha256(world["sso"]["access_token"].encode()).hexdigest(), la
    grc = next(r for r in records if r["action"] == "GetRoleCredentials")
    assert grc["token_sha256"] == la["token_sha256"] and grc["account_id"] == prod and grc["role_name"] == "ReadOnly", grc
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)
    status, _, body = http("DELETE", url)
    assert json.loads(body)["cleared"] == len(records)
    print("recorder: ok")


def check_no_clash(world):
    """moto's own services still get their requests on these paths."""
    p = world["primary"]
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=world["endpoint"],
                      aws_access_key_id=p["access_key_id"], aws_secret_access_key=p["secret_access_key"],
                      config=Config(s3={"addressing_style": "path"}))
    for bucket in ("token", "logout"):
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")
        assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]
    # moto's own API and a signed STS call still answer.
    assert http("GET", f"{world['endpoint']}/moto-api/data.json")[0] == 200
    print("no clash: ok")


PROFILE_CHECK = r"""
import json, sys, boto3
s = boto3.Session(profile_name="sso-prod")
me = s.client("sts", region_name="us-east-1").get_caller_identity()
print(json.dumps(me["Account"]))
"""


def check_sdk_profile(world):
    """botocore's own SSO provider, as the AWS CLI uses it, reads the cache file the world
    describes, calls the portal at AWS_ENDPOINT_URL and gets credentials for the account; given an
    expired access token it refreshes through OIDC and rewrites the cache."""
    s = world["sso"]
    home = tempfile.mkdtemp()
    cache_dir = os.path.join(home, ".aws", "sso", "cache")
    os.makedirs(cache_dir)
    config = os.path.join(home, ".aws", "config")
    with open(config, "w") as f:
        f.write(f"[profile sso-prod]\nsso_session = {s['session_name']}\nsso_account_id = 222222222222\n"
                f"sso_role_name = ReadOnly\nregion = us-east-1\n\n"
                f"[sso-session {s['session_name']}]\nsso_start_url = {s['start_url']}\n"
                f"sso_region = {s['region']}\nsso_registration_scopes = sso:account:access\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=home, AWS_CONFIG_FILE=config, AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "none"),
               AWS_ENDPOINT_URL=world["endpoint"])
    cache_file = os.path.join(cache_dir, s["cache_file"])
    for expired in (False, True):
        entry = dict(mint(world, -60 if expired else None))
        with open(cache_file, "w") as f:
            json.dump(entry, f)
        out = subprocess.run([sys.executable, "-c", PROFILE_CHECK], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == "222222222222", out.stdout
        with open(cache_file) as f:
            after = json.load(f)
        assert (after["accessToken"] != entry["accessToken"]) == expired, (expired, after)
    print("sdk profile: ok")


def check_enforced():
    proc, world = start("--enforce-iam")
    try:
        sso, _ = clients(world)
        token = world["sso"]["access_token"]
        for role, may_snapshot in (("IncidentResponder", True), ("ReadOnly", False)):
            rc = sso.get_role_credentials(accessToken=token, accountId="222222222222",
                                          roleName=role)["roleCredentials"]
            creds = {"aws_access_key_id": rc["accessKeyId"], "aws_secret_access_key": rc["secretAccessKey"],
                     "aws_session_token": rc["sessionToken"]}
            ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=world["endpoint"], **creds)
            vols = ec2.describe_volumes()["Volumes"]
            assert vols
            try:
                ec2.create_snapshot(VolumeId=vols[0]["VolumeId"], Description="sso test")
                allowed = True
            except ec2.exceptions.ClientError as e:
                assert e.response["Error"]["Code"] in ("AccessDenied", "UnauthorizedOperation"), e.response
                allowed = False
            assert allowed == may_snapshot, role
        print("enforced: ok")
    finally:
        proc.kill()
        proc.wait()


def main():
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "unused")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "unused")
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(var, None)
    proc, world = start()
    try:
        check_world(world)
        check_portal(world)
        check_rate(world)
        check_oidc(world)
        check_recorder(world)
        check_no_clash(world)
        check_sdk_profile(world)
    finally:
        proc.kill()
        proc.wait()
    if "--skip-enforced" not in sys.argv:
        check_enforced()
    print("all ok")


if __name__ == "__main__":
    main()
