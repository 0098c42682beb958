"""Security Hub and GuardDuty findings in the emulator: what moto 5.2.1 lacks, answered as the API
references document them (shapes, paging with NextToken/MaxResults, errors), and the demo's findings.

Stand-ins (moto has none of these; each is marked STAND-IN below):
  - Security Hub GetFindings in an account/region where Security Hub is not enabled: AWS answers
    InvalidAccessException (HTTP 401); moto answers an empty list.
  - Security Hub BatchUpdateFindings (PATCH /findings/batchupdate): workflow status and note,
    answered as the API reference documents: ProcessedFindings (each {Id, ProductArn}) and
    UnprocessedFindings (each {FindingIdentifier, ErrorCode, ErrorMessage}), HTTP 200 either way;
    a malformed request is an InvalidInputException (400). AWS leaves a finding unprocessed for
    reasons nothing in the emulator can cause (a concurrent update, a finding it will not change):
    a finding seeded with ProductFields {"rolecall-emulator/unprocessed": CODE} is answered as
    unprocessed with that ErrorCode, so a test can see rolecall report it as not done.
  - GuardDuty ListFindings (POST /detector/{id}/findings) with findingCriteria (severity,
    updatedAt, service.archived, type), sortCriteria, maxResults (1-50) and nextToken, and
    GetFindings (POST /detector/{id}/findings/get, at most 50 ids). moto keeps detectors but no
    findings: they are seeded straight into this module's store.

Not stood in, on purpose: moto's Security Hub GetFindings ignores Filters and SortCriteria (it
answers every finding, in import order). rolecall sends the filters as AWS documents them and
filters and sorts on its own side too; tests/it/findings.rs shows that it does.

install() must run before the server answers its first Security Hub or GuardDuty request: moto
builds a service's routes from its url_paths on that first request.
"""
import datetime
import json
import threading

# GuardDuty findings by (account, region, detector id), in the order they were seeded.
_GD = {}
_LOCK = threading.Lock()


def install():
    _securityhub()
    _guardduty()


def _error(code, message, status, error_type=None):
    from moto.core.exceptions import JsonRESTError

    class E(JsonRESTError):
        pass

    e = E(code, message)
    e.code = status
    if error_type:
        e.get_headers = lambda *a, **k: [("X-Amzn-ErrorType", error_type)]
    return e


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _securityhub():
    from moto.securityhub import urls
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    urls.url_paths.setdefault("{0}/findings/batchupdate$", SecurityHubResponse.dispatch)

    original = SecurityHubBackend.get_findings

    def get_findings(self, *args, **kwargs):
        # STAND-IN: AWS refuses GetFindings where the hub is off; moto answers [].
        if not self.enabled:
            raise _error("InvalidAccessException",
                         f"Account {self.account_id} is not subscribed to AWS Security Hub", 401)
        return original(self, *args, **kwargs)

    SecurityHubBackend.get_findings = get_findings

    def batch_update_findings(self):
        # STAND-IN: BatchUpdateFindings as the API reference documents it (the fields rolecall
        # sends: FindingIdentifiers, Workflow.Status, Note).
        backend = self.securityhub_backend
        if not backend.enabled:
            raise _error("InvalidAccessException",
                         f"Account {backend.account_id} is not subscribed to AWS Security Hub", 401)
        body = json.loads(self.body or "{}")
        ids = body.get("FindingIdentifiers") or []
        if not ids or len(ids) > 100:
            raise _error("InvalidInputException", "FindingIdentifiers must hold 1 to 100 findings", 400)
        if not all(isinstance(i, dict) and i.get("Id") and i.get("ProductArn") for i in ids):
            raise _error("InvalidInputException", "Each FindingIdentifier needs Id and ProductArn", 400)
        status = (body.get("Workflow") or {}).get("Status")
        if status is not None and status not in ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"):
            raise _error("InvalidInputException", f"Invalid Workflow.Status: {status}", 400)
        note = body.get("Note")
        if note is not None:
            text, by = note.get("Text"), note.get("UpdatedBy")
            if not (isinstance(text, str) and 1 <= len(text) <= 512):
                raise _error("InvalidInputException", "Note.Text must be 1 to 512 characters", 400)
            if not (isinstance(by, str) and 1 <= len(by) <= 512):
                raise _error("InvalidInputException", "Note.UpdatedBy must be 1 to 512 characters", 400)
        if status is None and note is None and not any(
                k in body for k in ("Severity", "VerificationState", "Confidence", "Criticality",
                                    "Types", "UserDefinedFields", "RelatedFindings")):
            raise _error("InvalidInputException", "Nothing to update", 400)
        processed, unprocessed = [], []
        for ident in ids:
            ident = {"Id": ident["Id"], "ProductArn": ident["ProductArn"]}
            found = next((f for f in backend.findings
                          if f.data.get("Id") == ident.get("Id")
                          and f.data.get("ProductArn") == ident.get("ProductArn")), None)
            if found is None:
                unprocessed.append({"FindingIdentifier": ident, "ErrorCode": "FindingNotFound",
                                    "ErrorMessage": "Finding Not Found"})
                continue
            refuse = (found.data.get("ProductFields") or {}).get("rolecall-emulator/unprocessed")
            if refuse:
                unprocessed.append({"FindingIdentifier": ident, "ErrorCode": refuse,
                                    "ErrorMessage": "The finding was not updated"})
                continue
            now = _now()
            if status:
                found.data["Workflow"] = {"Status": status}
                found.data["WorkflowState"] = {"NEW": "NEW", "NOTIFIED": "ASSIGNED",
                                               "RESOLVED": "RESOLVED", "SUPPRESSED": "RESOLVED"}[status]
            if note:
                found.data["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": now}
            found.data["UpdatedAt"] = now
            processed.append(ident)
        return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})

    SecurityHubResponse.batch_update_findings = batch_update_findings


def _guardduty():
    from moto.guardduty import urls
    from moto.guardduty.exceptions import DetectorNotFoundException
    from moto.guardduty.responses import GuardDutyResponse

    urls.url_paths.setdefault("{0}/detector/(?P<detector_id>[^/]+)/findings$", GuardDutyResponse.dispatch)
    urls.url_paths.setdefault("{0}/detector/(?P<detector_id>[^/]+)/findings/get$", GuardDutyResponse.dispatch)

    def bad(message):
        return _error("BadRequestException", message, 400, "BadRequestException")

    def detector(self, at):
        detector_id = self.path.split("?")[0].split("/")[at]
        # Raises DetectorNotFoundException (400) as AWS does for a detector of another account.
        self.guardduty_backend.get_detector(detector_id)
        return detector_id

    def stored(self, detector_id):
        with _LOCK:
            return list(_GD.get((self.current_account, self.region, detector_id), []))

    def list_findings(self):
        # STAND-IN: ListFindings.
        detector_id = detector(self, -2)
        body = json.loads(self.body or "{}")
        max_results = body.get("maxResults", 50)
        if not isinstance(max_results, int) or not 1 <= max_results <= 50:
            raise bad("maxResults must be between 1 and 50")
        criterion = (body.get("findingCriteria") or {}).get("criterion") or {}
        found = [f for f in stored(self, detector_id) if _matches(f, criterion, bad)]
        sort = body.get("sortCriteria")
        if sort:
            key = sort.get("attributeName")
            found.sort(key=lambda f: _value(f, key) or 0, reverse=sort.get("orderBy") == "DESC")
        token = body.get("nextToken") or "0"
        if not token.isdigit() or int(token) > len(found):
            raise bad("The nextToken is not valid")
        start = int(token)
        page = found[start:start + max_results]
        out = {"findingIds": [f["id"] for f in page]}
        if start + max_results < len(found):
            out["nextToken"] = str(start + max_results)
        return json.dumps(out)

    def get_findings(self):
        # STAND-IN: GetFindings.
        detector_id = detector(self, -3)
        ids = json.loads(self.body or "{}").get("findingIds")
        if not isinstance(ids, list) or not 0 < len(ids) <= 50:
            raise bad("findingIds must hold 1 to 50 ids")
        by_id = {f["id"]: f for f in stored(self, detector_id)}
        return json.dumps({"findings": [by_id[i] for i in ids if i in by_id]})

    GuardDutyResponse.list_findings = list_findings
    GuardDutyResponse.get_findings = get_findings
    assert DetectorNotFoundException


def _value(finding, key):
    node = finding
    for part in (key or "").split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _matches(finding, criterion, bad):
    """The findingCriteria rolecall and the console use, as the GuardDuty reference reads them."""
    known = {"severity", "updatedAt", "createdAt", "service.archived", "type", "id",
             "resource.resourceType", "resource.instanceDetails.instanceId"}
    for key, cond in criterion.items():
        if key not in known:
            raise bad(f"The criterion {key} is not supported")
        v = _value(finding, key)
        if key in ("updatedAt", "createdAt") and v is not None:
            v = int(datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000)
        if key == "service.archived":
            v = "true" if v else "false"
        for op, want in cond.items():
            if op in ("eq", "equals") and str(v) not in [str(w) for w in want]:
                return False
            if op in ("neq", "notEquals") and str(v) in [str(w) for w in want]:
                return False
            if op in ("gt", "greaterThan") and not (v is not None and v > want):
                return False
            if op in ("gte", "greaterThanOrEqual") and not (v is not None and v >= want):
                return False
            if op in ("lt", "lessThan") and not (v is not None and v < want):
                return False
            if op in ("lte", "lessThanOrEqual") and not (v is not None and v <= want):
                return False
    return True


# ---- the demo's findings ----

def _ago(hours):
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=hours)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _asff(account, region, fid, product, title, types, label, normalized, resource, hours,
          workflow="NEW", record="ACTIVE", product_arn=None, generator=None, description=""):
    return {
        "SchemaVersion": "2018-10-08",
        "Id": fid,
        "ProductArn": product_arn or f"arn:aws:securityhub:{region}::product/aws/{product.lower().replace(' ', '')}",
        "ProductName": product,
        "CompanyName": "AWS",
        "GeneratorId": generator or fid.split("/finding/")[0],
        "AwsAccountId": account,
        "Region": region,
        "Types": types,
        "CreatedAt": _ago(hours + 1),
        "UpdatedAt": _ago(hours),
        "FirstObservedAt": _ago(hours + 1),
        "Severity": {"Label": label, "Normalized": normalized},
        "Title": title,
        "Description": description or title,
        "Resources": [resource],
        "Workflow": {"Status": workflow},
        "RecordState": record,
        "ProductFields": {"aws/securityhub/ProductName": product},
    }


def _resource(rtype, rid, region, partition="aws"):
    return {"Type": rtype, "Id": rid, "Region": region, "Partition": partition}


def _access_key(key, user, region):
    r = _resource("AwsIamAccessKey", f"AWS::IAM::AccessKey:{key}", region)
    r["Details"] = {"AwsIamAccessKey": {"AccessKeyId": key, "PrincipalName": user,
                                        "PrincipalType": "IAMUser", "Status": "Active"}}
    return r


def _instance_arn(account, region, instance):
    return f"arn:aws:ec2:{region}:{account}:instance/{instance}"


def _gd_finding(account, region, detector_id, n, ftype, title, severity, instance=None,
                access_key=None, hours=2, archived=False):
    fid = f"{n:032x}"
    resource = {"resourceType": "Instance", "instanceDetails": {"instanceId": instance}} if instance else {
        "resourceType": "AccessKey",
        "accessKeyDetails": {"accessKeyId": access_key, "userName": "ci-deployer", "userType": "IAMUser"}}
    return {
        "accountId": account,
        "arn": f"arn:aws:guardduty:{region}:{account}:detector/{detector_id}/finding/{fid}",
        "createdAt": _ago(hours + 1),
        "updatedAt": _ago(hours),
        "description": title,
        "id": fid,
        "partition": "aws",
        "region": region,
        "resource": resource,
        "schemaVersion": "2.0",
        "service": {"archived": archived, "count": 3, "detectorId": detector_id, "serviceName": "guardduty",
                    "eventFirstSeen": _ago(hours + 1), "eventLastSeen": _ago(hours)},
        "severity": severity,
        "title": title,
        "type": ftype,
    }


# What the finding action calls (rolecall policy --actions lists the same): the lab role may.
FINDING_ACTIONS = ["securityhub:GetFindings", "securityhub:BatchUpdateFindings"]


def seed_lab(client, account_creds, endpoint, lab):
    """The lab account's Security Hub, on in us-east-1 with no findings: each action test imports
    findings of its own there (ids of its own), so no other test's findings change."""
    hub = client(endpoint, "securityhub", "us-east-1", account_creds(endpoint, lab))
    hub.enable_security_hub(EnableDefaultStandards=False)


def seed(client, account_creds, endpoint, world, prod, staging, org_admin, sandbox):
    """Prod: Security Hub on in us-east-1 (its findings in every severity, one NOTIFIED, one archived,
    one older than the default window); eu-west-1 and the empty account: nothing on. Staging:
    GuardDuty only. The organization's management account: the delegated administrator, where
    prod's and staging's findings are aggregated (us-east-1)."""
    region = "us-east-1"
    web1 = world["instances"][prod][0]["id"]
    web2 = world["instances"][prod][1]["id"]
    groups = world["security_groups"]
    loose = world["volumes"][prod][1]["id"]
    gd_prod = f"arn:aws:guardduty:{region}:{prod}:detector/6ab6e6ee780ed494f3b7ca56acdc74df/finding"
    sh = f"arn:aws:securityhub:{region}:{prod}:subscription/aws-foundational-security-best-practices/v/1.0.0"
    crypto_id = f"{gd_prod}/0ac6e6ee7a1c4e02b5a0c2f6a0f0c001"
    leaked = world["identities"]["leaked_key"]
    gd_arn = f"arn:aws:securityhub:{region}::product/aws/guardduty"
    sh_arn = f"arn:aws:securityhub:{region}::product/aws/securityhub"
    prod_findings = [
        _asff(prod, region, crypto_id, "GuardDuty",
              f"Bitcoin-related domain name queried by EC2 instance {web1} (cryptocurrency mining)",
              ["TTPs/Command and Control/CryptoCurrency:EC2-BitcoinTool.B!DNS"], "HIGH", 70,
              _resource("AwsEc2Instance", _instance_arn(prod, region, web1), region), 2,
              product_arn=gd_arn, generator="arn:aws:guardduty:us-east-1:222222222222:detector/6ab6e6ee780ed494f3b7ca56acdc74df",
              description=f"EC2 instance {web1} is querying a domain name that is associated with Bitcoin-related activity."),
        # The leaked key of tests/emulator/identities.py (ci-deploy's), as GuardDuty's findings
        # name a key in Security Hub: its id in the resource's Id and in its details.
        _asff(prod, region, f"{gd_prod}/0ac6e6ee7a1c4e02b5a0c2f6a0f0c002", "GuardDuty",
              "API DescribeInstances was invoked from a known malicious IP address",
              ["TTPs/Initial Access/UnauthorizedAccess:IAMUser-MaliciousIPCaller"],
              "CRITICAL", 90, _access_key(leaked, "ci-deploy", region), 5, product_arn=gd_arn),
        _asff(prod, region, f"{sh}/EC2.19/finding/4b0f3c0e-0000-4000-8000-000000000003", "Security Hub",
              "Security groups should not allow unrestricted access to ports with high risk",
              ["Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"],
              "MEDIUM", 40, _resource("AwsEc2SecurityGroup",
                                      f"arn:aws:ec2:{region}:{prod}:security-group/{groups['web-public']}", region), 8,
              product_arn=sh_arn),
        _asff(prod, region, f"{sh}/EC2.3/finding/4b0f3c0e-0000-4000-8000-000000000004", "Security Hub",
              "Attached Amazon EBS volumes should be encrypted at-rest",
              ["Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"],
              "LOW", 10, _resource("AwsEc2Volume", f"arn:aws:ec2:{region}:{prod}:volume/{loose}", region), 20,
              product_arn=sh_arn),
        _asff(prod, region, f"{gd_prod}/0ac6e6ee7a1c4e02b5a0c2f6a0f0c005", "GuardDuty",
              f"Unprotected port on EC2 instance {web2} is being probed",
              ["TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort"], "HIGH", 70,
              _resource("AwsEc2Instance", _instance_arn(prod, region, web2), region), 30,
              workflow="NOTIFIED", product_arn=gd_arn),
        # Archived: not listed (rolecall lists active findings).
        _asff(prod, region, f"{gd_prod}/0ac6e6ee7a1c4e02b5a0c2f6a0f0c006", "GuardDuty",
              "An archived finding", ["TTPs/Discovery/Recon:EC2-Portscan"], "HIGH", 70,
              _resource("AwsEc2Instance", _instance_arn(prod, region, web2), region), 3,
              record="ARCHIVED", product_arn=gd_arn),
        # Updated 40 days ago: outside the default 30-day window.
        _asff(prod, region, f"{sh}/IAM.6/finding/4b0f3c0e-0000-4000-8000-000000000007", "Security Hub",
              "Hardware MFA should be enabled for the root user",
              ["Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"],
              "CRITICAL", 90, _resource("AwsAccount", f"AWS::::Account:{prod}", region), 40 * 24,
              product_arn=sh_arn),
    ]
    creds = account_creds(endpoint, prod)
    hub = client(endpoint, "securityhub", region, creds)
    hub.enable_security_hub(EnableDefaultStandards=False)
    hub.batch_import_findings(Findings=prod_findings)

    # Sandbox: Security Hub on, one low finding on a resource rolecall has no kind for.
    box = client(endpoint, "securityhub", region, account_creds(endpoint, sandbox))
    box.enable_security_hub(EnableDefaultStandards=False)
    box.batch_import_findings(Findings=[_asff(
        sandbox, region, f"arn:aws:securityhub:{region}:{sandbox}:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.8/finding/4b0f3c0e-0000-4000-8000-000000000008",
        "Security Hub", "S3 general purpose buckets should block public access",
        ["Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"],
        "LOW", 10, _resource("AwsS3Bucket", "arn:aws:s3:::sandbox-scratch", region), 6, product_arn=sh_arn)])

    # Staging: GuardDuty only, in us-east-1.
    screds = account_creds(endpoint, staging)
    gd = client(endpoint, "guardduty", region, screds)
    detector_id = gd.create_detector(Enable=True)["DetectorId"]
    nodes = [i["id"] for i in world["instances"][staging]]
    staged = [
        _gd_finding(staging, region, detector_id, 0xC2, "Backdoor:EC2/C&CActivity.B!DNS",
                    f"Command and control server domain name queried by EC2 instance {nodes[2]}", 8.0,
                    instance=nodes[2], hours=1),
        _gd_finding(staging, region, detector_id, 0xC3, "Recon:EC2/PortProbeUnprotectedPort",
                    f"Unprotected port on EC2 instance {nodes[0]} is being probed", 2.0, instance=nodes[0], hours=4),
        _gd_finding(staging, region, detector_id, 0xC4, "Recon:EC2/Portscan",
                    "An archived GuardDuty finding", 5.0, instance=nodes[1], hours=2, archived=True),
    ]
    with _LOCK:
        _GD[(staging, region, detector_id)] = staged

    # The delegated administrator: everyone's findings, aggregated in us-east-1.
    aggregated = list(prod_findings)
    for f in staged:
        if f["service"]["archived"]:
            continue
        label = "HIGH" if f["severity"] >= 7 else "MEDIUM" if f["severity"] >= 4 else "LOW"
        aggregated.append(_asff(
            staging, region, f["arn"], "GuardDuty", f["title"],
            [f"TTPs/{f['type'].replace('/', '-')}"], label, int(f["severity"] * 10),
            _resource("AwsEc2Instance", _instance_arn(staging, region,
                                                      f["resource"]["instanceDetails"]["instanceId"]), region),
            1, product_arn=gd_arn))
    admin = client(endpoint, "securityhub", region, account_creds(endpoint, org_admin))
    admin.enable_security_hub(EnableDefaultStandards=False)
    admin.batch_import_findings(Findings=aggregated)
    seed_lab(client, account_creds, endpoint, world["lab"]["account"])
    world["findings"] = {
        "crypto": {"id": crypto_id, "product_arn": gd_arn, "account": prod, "instance": web1},
        "leaked_key": {"id": f"{gd_prod}/0ac6e6ee7a1c4e02b5a0c2f6a0f0c002", "key": leaked, "user": "ci-deploy"},
        "staging_detector": detector_id,
        "staging_high": staged[0]["arn"],
        "admin": org_admin,
        "region": region,
    }
