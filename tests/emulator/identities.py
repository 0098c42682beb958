"""IAM identities for the "leaked access key" path: users with keys (one of them used, as a leaked
key would be), console access and MFA, groups and policies; roles trusted by a service and
by Identity Center, an instance profile on an instance. Real moto objects: nothing here is a
stand-in. Called from moto_server.seed with the helpers it passes in."""
import json

# What `rolecall policy --actions` lists for the identity actions and the IAM reads.
IDENTITY_ACTIONS = [
    "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:GetUser",
    "iam:GetLoginProfile", "iam:ListMFADevices", "iam:ListGroupsForUser",
    "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:GetUserPolicy", "iam:PutUserPolicy",
    "iam:DeleteUserPolicy", "iam:GetRole", "iam:GetRolePolicy", "iam:PutRolePolicy",
    "iam:DeleteRolePolicy", "iam:ListUsers", "iam:GetAccountAuthorizationDetails",
    "iam:GetInstanceProfile", "iam:SimulatePrincipalPolicy",
]


def seed_identities(endpoint, world, client, account_creds, prod, staging, sandbox):
    creds = account_creds(endpoint, prod)
    iam = client(endpoint, "iam", creds=creds)

    # ci-deploy: a deploy user with two keys; the first one "leaked" and used from eu-west-1.
    iam.create_user(UserName="ci-deploy", Path="/automation/")
    iam.create_group(GroupName="deployers")
    iam.add_user_to_group(GroupName="deployers", UserName="ci-deploy")
    deploy = iam.create_policy(PolicyName="deploy-web", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "s3:*"], "Resource": "*"}]}))
    iam.attach_user_policy(UserName="ci-deploy", PolicyArn=deploy["Policy"]["Arn"])
    leaked = iam.create_access_key(UserName="ci-deploy")["AccessKey"]
    # The key the seeded CloudTrail events name (cloudtrail_events.LEAKED_KEY), so that whois,
    # events and isolate follow one key. moto makes its own ids: this one is renamed in place.
    from cloudtrail_events import LEAKED_KEY
    rename_key(prod, leaked["AccessKeyId"], LEAKED_KEY)
    leaked["AccessKeyId"] = LEAKED_KEY
    spare = iam.create_access_key(UserName="ci-deploy")["AccessKey"]
    # The leaked key's use: moto marks a key's last use on every request signed with it.
    thief = client(endpoint, "ec2", "eu-west-1", {
        "aws_access_key_id": leaked["AccessKeyId"],
        "aws_secret_access_key": leaked["SecretAccessKey"]})
    thief.describe_instances()

    # alice: a person, with a console password and an MFA device, and an inline policy.
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Demo-password-1!")
    mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=mfa["SerialNumber"],
                          AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.put_user_policy(UserName="alice", PolicyName="read-only-ec2", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}))

    # WebAppRole: what web-1 runs as, through its instance profile.
    iam.create_role(RoleName="WebAppRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                       "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="WebAppRole", PolicyArn=deploy["Policy"]["Arn"])
    iam.create_instance_profile(InstanceProfileName="WebAppProfile")
    iam.add_role_to_instance_profile(InstanceProfileName="WebAppProfile", RoleName="WebAppRole")
    ec2 = client(endpoint, "ec2", "us-east-1", creds)
    web1 = next(i["id"] for i in world["instances"][prod] if i["region"] == "us-east-1")
    ec2.associate_iam_instance_profile(
        IamInstanceProfile={"Name": "WebAppProfile"}, InstanceId=web1)

    seed_role_use(prod, "WebAppRole", "us-east-1")

    # A role Identity Center made: AWS manages it, rolecall must never change it.
    sso = "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
    iam.create_role(RoleName=sso, Path="/aws-reserved/sso.amazonaws.com/",
                    AssumeRolePolicyDocument=json.dumps({
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow",
                                       "Principal": {"Federated": f"arn:aws:iam::{prod}:saml-provider/AWSSSO_0123_DO_NOT_DELETE"},
                                       "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}]}))

    # The demo's prod role may contain identities (rolecall doctor shows it may).
    iam.put_role_policy(RoleName="ResponderRole", PolicyName="respond-identities", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": IDENTITY_ACTIONS, "Resource": "*"}]}))

    # Staging: another account's user and key, for a search across every account.
    st = client(endpoint, "iam", creds=account_creds(endpoint, staging))
    st.create_user(UserName="backup-bot")
    backup = st.create_access_key(UserName="backup-bot")["AccessKey"]

    sb = client(endpoint, "iam", creds=account_creds(endpoint, sandbox))
    sb.create_user(UserName="intern")
    sb.create_access_key(UserName="intern")

    seed_lab_blind(endpoint, world, client, account_creds)

    world["identities"] = {
        "account": prod,
        "leaked_key": leaked["AccessKeyId"],
        "spare_key": spare["AccessKeyId"],
        "user": "ci-deploy",
        "person": "alice",
        "instance_role": "WebAppRole",
        "instance_with_role": web1,
        "sso_role": sso,
        "staging_account": staging,
        "staging_key": backup["AccessKeyId"],
        "staging_user": "backup-bot",
    }


def seed_lab_blind(endpoint, world, client, account_creds):
    """A lab role (777777777777) that may list users and their keys but not read a key's last
    use (iam:GetAccessKeyLastUsed): a last use not read must show as unknown, never as never. A
    lab user with a key to list; lab-responder may assume the role."""
    lab, primary = "777777777777", "111111111111"
    liam = client(endpoint, "iam", creds=account_creds(endpoint, lab))
    liam.create_user(UserName="blind-spot")
    liam.create_access_key(UserName="blind-spot")
    role = liam.create_role(RoleName="KeyLastUseBlind", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow",
                       "Principal": {"AWS": f"arn:aws:iam::{primary}:user/lab-responder"},
                       "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    liam.put_role_policy(RoleName="KeyLastUseBlind", PolicyName="list-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
            "iam:ListUsers", "iam:ListAccessKeys", "iam:GetUser", "iam:GetLoginProfile",
            "iam:ListMFADevices", "iam:GetAccountAuthorizationDetails"]}]}))
    piam = client(endpoint, "iam", creds=account_creds(endpoint, primary))
    piam.put_user_policy(UserName="lab-responder", PolicyName="assume-key-blind", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]}))
    world["lab"]["key_blind_role"] = role


def rename_key(account, old, new):
    """An access key given the id `new` (moto's in-process backend; the secret stays)."""
    import moto.iam.models as m

    backend = m.iam_backends[account]["aws"]
    key = backend.access_keys.pop(old)
    key.access_key_id = new
    backend.access_keys[new] = key


def install_policy_simulator():
    """A stand-in for iam:SimulatePrincipalPolicy, which moto lacks: a role's identity policies
    (inline and attached, default versions) evaluated with moto's own IAM policy engine (the
    one its IAM enforcement uses), each action against every resource ("*"). Like AWS's
    simulator it answers allowed / implicitDeny / explicitDeny per action; unlike it, it reads
    no permission boundary, SCP or condition context, and pages nothing (IsTruncated false)."""
    from moto.core.responses import ActionResult
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.iam.exceptions import NotFoundException
    from moto.iam.responses import IamResponse

    def simulate_principal_policy(self):
        arn = self._get_param("PolicySourceArn")
        actions = self._get_param("ActionNames", [])
        role = self.backend.get_role_by_arn(arn) if ":role/" in arn else None
        if role is None:
            raise NotFoundException(f"the stand-in simulator reads roles only, not {arn}")
        docs = list(role.policies.values()) + list(role.managed_policies.values())
        results = []
        for action in actions:
            decision = "implicitDeny"
            for doc in docs:
                r = IAMPolicy(doc).is_action_permitted(action, "*")
                if r == PermissionResult.DENIED:
                    decision = "explicitDeny"
                    break
                if r == PermissionResult.PERMITTED:
                    decision = "allowed"
            results.append({"EvalActionName": action, "EvalResourceName": "*", "EvalDecision": decision})
        return ActionResult({"EvaluationResults": results, "IsTruncated": False})

    IamResponse.simulate_principal_policy = simulate_principal_policy


def steady_role_last_used():
    """A stand-in for when AWS updates a role's RoleLastUsed: hours later, not as moto does on
    every request signed by one of its sessions (which would make two listings a second apart
    disagree about the roles rolecall itself assumes). Access keys' last use is moto's own."""
    import moto.iam.models as m

    original = m.mark_account_as_visited

    def mark(account_id, access_key, service, region):
        role = None
        try:
            backend = m.iam_backends[account_id][m.get_partition(region)]
            key = backend.access_keys.get(access_key)
            if key is not None and key.role_arn:
                role = backend.get_role_by_arn(key.role_arn)
        except Exception:  # moto's own lookups failing must not fail the request
            role = None
        before = (role.last_used, role.last_used_region) if role else None
        original(account_id=account_id, access_key=access_key, service=service, region=region)
        if role:
            role.last_used, role.last_used_region = before

    m.mark_account_as_visited = mark


def seed_role_use(account, role, region):
    """A role's last use, as AWS would report it after a while (see steady_role_last_used)."""
    import moto.iam.models as m
    from moto.core.utils import utcnow

    r = m.iam_backends[account]["aws"].get_role(role)
    r.last_used = utcnow()
    r.last_used_region = region
