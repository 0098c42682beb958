"""CloudTrail's LookupEvents for moto, which has trails and their status but no event history.

A stand-in: moto records no events of the calls it answers. The events here are seeded (by
`seed`, from moto_server.py) and answered as the LookupEvents API reference documents:

- exactly one LookupAttribute (none: every event), its AttributeKey one of the eight CloudTrail
  knows, else InvalidLookupAttributesException;
- MaxResults 1..50 (default 50), else InvalidMaxResultsException;
- StartTime/EndTime (default: the last 90 days up to now), InvalidTimeRangeException when the
  start is after the end;
- NextToken: opaque, valid only for the same attributes and times, else
  InvalidNextTokenException;
- newest first;
- 2 calls a second per account and region (AWS's quota): a third within one second is answered
  ThrottlingException (HTTP 400), as AWS does;
- events are per account (the account moto gives the request's credentials) and region.

`install()` adds `lookup_events` to moto's CloudTrailResponse; `seed(world, endpoint)` writes
the events the tests predict and a stopped trail, and describes them in the world JSON
(`world["events"]`).
"""
import base64
import collections
import hashlib
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

# (account, region) -> events, newest first. Each: the fields LookupEvents returns.
EVENTS = collections.defaultdict(list)
# (account, region) -> times of the calls of the last second.
CALLS = collections.defaultdict(collections.deque)
LOCK = threading.Lock()
RATE = 2  # calls a second per account and region
KEYS = {"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
        "EventSource", "AccessKeyId"}

# The leaked key the tests and the demo follow (an IAM user's long-term key, made up).
LEAKED_KEY = "AKIALEAKEDKEY0000001"
LEAKED_USER = "ci-deploy"
LEAKED_IP = "198.51.100.23"
LEAKED_AGENT = "python-requests/2.31.0"
# Calls the leaked key made in staging: more than a page of 50 (an enumeration).
STAGING_ENUMERATION = 55


def _error(code, message):
    from moto.core.exceptions import JsonRESTError

    class LookupError_(JsonRESTError):
        pass

    e = LookupError_(code, message)
    e.code = 400
    return e


def _epoch(value):
    """A JSON-protocol timestamp: epoch seconds (a number), or an ISO 8601 string."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _token(offset, fingerprint):
    raw = json.dumps({"o": offset, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _offset(token, fingerprint):
    try:
        d = json.loads(base64.urlsafe_b64decode(token.encode()))
        if d["f"] != fingerprint or not isinstance(d["o"], int) or d["o"] < 0:
            raise ValueError
        return d["o"]
    except Exception:
        raise _error("InvalidNextTokenException", "Invalid NextToken")


def _matches(event, key, value):
    if key is None:
        return True
    if key == "ResourceName":
        return any(r["ResourceName"] == value for r in event.get("Resources", []))
    if key == "ResourceType":
        return any(r["ResourceType"] == value for r in event.get("Resources", []))
    if key == "ReadOnly":
        return event.get("ReadOnly") == value
    return event.get(key) == value


def lookup_events(self):
    """moto's CloudTrailResponse.lookup_events."""
    account, region = self.current_account, self.region
    now = time.time()
    with LOCK:
        calls = CALLS[(account, region)]
        while calls and now - calls[0] >= 1.0:
            calls.popleft()
        if len(calls) >= RATE:
            raise _error("ThrottlingException", "Rate exceeded")
        calls.append(now)
    attrs = self._get_param("LookupAttributes") or []
    if len(attrs) > 1:
        raise _error("InvalidLookupAttributesException",
                     "You can only specify one lookup attribute per request")
    key = value = None
    if attrs:
        key, value = attrs[0].get("AttributeKey"), attrs[0].get("AttributeValue")
        if key not in KEYS or not value:
            raise _error("InvalidLookupAttributesException",
                         f"Invalid lookup attribute: {key}")
    max_results = self._get_param("MaxResults")
    if max_results is None:
        max_results = 50
    if not isinstance(max_results, int) or not 1 <= max_results <= 50:
        raise _error("InvalidMaxResultsException", "MaxResults must be between 1 and 50")
    end = _epoch(self._get_param("EndTime")) or now
    start = _epoch(self._get_param("StartTime"))
    if start is None:
        start = end - 90 * 86400
    if start > end:
        raise _error("InvalidTimeRangeException", "StartTime must be before EndTime")
    fingerprint = hashlib.sha256(json.dumps([key, value, start, end]).encode()).hexdigest()[:16]
    token = self._get_param("NextToken")
    offset = _offset(token, fingerprint) if token else 0
    with LOCK:
        found = [e for e in EVENTS[(account, region)]
                 if start <= e["EventTime"] <= end and _matches(e, key, value)]
    page = found[offset:offset + max_results]
    body = {"Events": page}
    if offset + max_results < len(found):
        body["NextToken"] = _token(offset + max_results, fingerprint)
    return json.dumps(body)


def install():
    """Teach moto's CloudTrail LookupEvents."""
    from moto.cloudtrail.responses import CloudTrailResponse

    CloudTrailResponse.lookup_events = lookup_events


def record(account, region, name, source, when, who, resources=(), params=None, error=None,
           read_only=False):
    """Adds an event as CloudTrail would have recorded it; `who` is (arn, user name, key, ip,
    agent)."""
    arn, user, key, ip, agent = who
    event_id = str(uuid.UUID(int=len(EVENTS[(account, region)]) + 1 + int(account) * 10 ** 6))
    identity_type = "AssumedRole" if ":assumed-role/" in arn else "IAMUser"
    doc = {
        "eventVersion": "1.08",
        "userIdentity": {"type": identity_type, "principalId": "AIDA" + account, "arn": arn,
                         "accountId": account, "accessKeyId": key, "userName": user},
        "eventTime": datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": params,
        "responseElements": None,
        "requestID": str(uuid.uuid4()),
        "eventID": event_id,
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
    }
    if error:
        doc["errorCode"], doc["errorMessage"] = error
    event = {
        "EventId": event_id,
        "EventName": name,
        "ReadOnly": "true" if read_only else "false",
        "AccessKeyId": key,
        "EventTime": when,
        "EventSource": source,
        "Username": user,
        "Resources": [{"ResourceType": t, "ResourceName": n} for t, n in resources],
        "CloudTrailEvent": json.dumps(doc),
    }
    with LOCK:
        events = EVENTS[(account, region)]
        events.append(event)
        events.sort(key=lambda e: e["EventTime"], reverse=True)
    return event_id


def seed(world, endpoint, client, account_creds):
    """The events the tests predict, from the seeded world: each instance's launch and tagging
    by the account's deploy user, web-1's user data changed and prod's trail stopped by the
    leaked key, which also enumerates staging (more than a page) and makes a user in prod (IAM:
    us-east-1). A trail that logs in staging, one that was stopped in prod. All in the last
    days, so the default 7-day window holds them."""
    now = time.time()
    prod, staging = "222222222222", "333333333333"
    deploy = lambda account: (f"arn:aws:iam::{account}:user/deploy", "deploy",
                              f"AKIA{account}DEPLOY"[:20], "10.0.0.5", "terraform/1.7.0")
    leaked = lambda account: (f"arn:aws:iam::{account}:user/{LEAKED_USER}", LEAKED_USER,
                              LEAKED_KEY, LEAKED_IP, LEAKED_AGENT)
    instance = "AWS::EC2::Instance"
    # Each seeded instance: launched three days ago, then tagged.
    for account, instances in world["instances"].items():
        for i, inst in enumerate(instances):
            t = now - 3 * 86400 + i * 60
            record(account, inst["region"], "RunInstances", "ec2.amazonaws.com", t, deploy(account),
                   [(instance, inst["id"])], {"instanceType": "t3.micro"})
            record(account, inst["region"], "CreateTags", "ec2.amazonaws.com", t + 5, deploy(account),
                   [(instance, inst["id"])], {"resourcesSet": {"items": [{"resourceId": inst["id"]}]}})
    # The leaked key, two days ago: in prod it looks around, changes web-1, makes a user, stops
    # the trail; in staging it enumerates (a page and more).
    web1 = world["instances"][prod][0]["id"]
    t = now - 2 * 86400
    record(prod, "us-east-1", "GetCallerIdentity", "sts.amazonaws.com", t, leaked(prod), read_only=True)
    record(prod, "us-east-1", "DescribeInstances", "ec2.amazonaws.com", t + 10, leaked(prod), read_only=True)
    record(prod, "us-east-1", "ModifyInstanceAttribute", "ec2.amazonaws.com", t + 20, leaked(prod),
           [(instance, web1)], {"instanceId": web1, "userData": "<sensitiveDataRemoved>"})
    record(prod, "us-east-1", "CreateUser", "iam.amazonaws.com", t + 30, leaked(prod),
           [("AWS::IAM::User", "backup-svc")], {"userName": "backup-svc"})
    record(prod, "us-east-1", "StopLogging", "cloudtrail.amazonaws.com", t + 40, leaked(prod),
           [("AWS::CloudTrail::Trail", "prod-trail")], {"name": "prod-trail"})
    record(prod, "eu-west-1", "DescribeInstances", "ec2.amazonaws.com", t + 50, leaked(prod), read_only=True)
    record(prod, "eu-west-1", "RunInstances", "ec2.amazonaws.com", t + 60, leaked(prod), [],
           {"instanceType": "p4d.24xlarge"},
           error=("Client.UnauthorizedOperation", "You are not authorized to perform this operation."))
    for i in range(STAGING_ENUMERATION):
        record(staging, "us-east-1", "DescribeInstances", "ec2.amazonaws.com", t + 100 + i, leaked(staging),
               read_only=True)
    leaked_events = {prod: {"us-east-1": 5, "eu-west-1": 2}, staging: {"us-east-1": STAGING_ENUMERATION}}

    # Trails: prod's was stopped (by the leaked key, as recorded above); staging's logs.
    for account, name, stop in ((prod, "prod-trail", True), (staging, "staging-trail", False)):
        creds = account_creds(endpoint, account)
        s3 = client(endpoint, "s3", "us-east-1", creds)
        s3.create_bucket(Bucket=f"{name}-{account}")
        ct = client(endpoint, "cloudtrail", "us-east-1", creds)
        ct.create_trail(Name=name, S3BucketName=f"{name}-{account}", IsMultiRegionTrail=True)
        ct.start_logging(Name=name)
        if stop:
            ct.stop_logging(Name=name)
    world["events"] = {
        "leaked_key": LEAKED_KEY,
        "leaked_user": LEAKED_USER,
        "leaked_events": leaked_events,
        "stopped_trail": {"account": prod, "name": "prod-trail"},
        "logging_trail": {"account": staging, "name": "staging-trail"},
        "modified_instance": web1,
    }
