"""IAM Identity Center's portal API (service `sso`) and OIDC API (service `sso-oidc`) for the
emulator, which moto 5.2.1 lacks (it has sso-admin and identitystore only), and a recorder of the
requests the emulator sees.

Everything in this file is a STAND-IN: moto has no portal, no OIDC, no record of requests.
Answered as the API references and the service models (botocore's sso/sso-oidc 2019-06-10, the Rust
SDK's aws-sdk-sso/aws-sdk-ssooidc) document them:

Portal (rest-json, unsigned, the access token in the `x-amz-sso_bearer_token` header):
  GET  /assignment/accounts     ?next_token&max_result        -> {accountList, nextToken}
  GET  /assignment/roles        ?account_id&next_token&max_result -> {roleList, nextToken}
  GET  /federation/credentials  ?account_id&role_name          -> {roleCredentials}
  POST /logout                                                 -> 200, empty body
  Errors: header `x-amzn-ErrorType: <Name>`, body {"__type": "<Name>", "message": ...}:
  UnauthorizedException 401 (token missing, unknown, expired or logged out), ResourceNotFoundException
  404 (a role not assigned), InvalidRequestException 400 (a missing account_id/role_name, max_result
  outside 1..100, a forged or foreign next_token), TooManyRequestsException 429 (more than 20 calls
  in any one second by one token: a sliding window per token; calls refused with 429 do not count).

OIDC (rest-json, unsigned, JSON bodies):
  POST /client/register      {clientName, clientType, scopes?} -> {clientId, clientSecret,
                              clientIdIssuedAt, clientSecretExpiresAt}
  POST /device_authorization {clientId, clientSecret, startUrl} -> {deviceCode, userCode,
                              verificationUri, verificationUriComplete, expiresIn, interval}
  POST /token                {clientId, clientSecret, grantType, deviceCode | refreshToken}
                              -> {accessToken, tokenType: "Bearer", expiresIn, refreshToken?}
  Errors: header `x-amzn-ErrorType: <Name>`, body {"error": "<oauth code>", "error_description"}:
  AuthorizationPendingException (authorization_pending), SlowDownException (slow_down: polled again
  within `interval` of the last poll), ExpiredTokenException (expired_token: the device code
  expired), AccessDeniedException (access_denied: the person denied it), InvalidGrantException
  (invalid_grant: unknown, used or another client's device code; unknown or logged-out refresh
  token), InvalidClientException 401 (invalid_client: unknown client, wrong secret, registration
  expired), UnsupportedGrantTypeException, InvalidRequestException, InvalidClientMetadataException
  (clientType not "public"), InvalidScopeException; all 400 but InvalidClientException.
  A refresh token is issued only to a client registered with scopes (as AWS does: a client
  registered without scopes gets no refresh token). CreateTokenWithIAM (POST /token?aws_iam=t,
  SigV4-signed) is not stood in: InvalidRequestException.

Stand-in choices (not AWS's values):
  - page size 10 when max_result is not given (AWS's default is larger), so paging is exercised;
  - device codes live 600 s, poll interval 1 s; access tokens 8 h; client registrations 90 days;
  - role credentials: GetRoleCredentials assumes the account's `AWSReservedSSO_<PermissionSet>_<16
    hex>` role (path /aws-reserved/sso.amazonaws.com/, seeded) through moto's STS backend, session
    name the user's name, 1 h: real credentials moto maps to that account; `expiration` is that
    session's, in epoch milliseconds;
  - ListAccounts lists one account with no role assigned (AWS lists an account only while some
    assignment gives the user a role there; the case is kept so that a client's handling of an
    empty roleList can be tested); ListAccountRoles of an account not assigned at all answers an
    empty roleList;
  - a refresh does not invalidate the refresh token used (AWS may rotate them);
  - the person in the browser: the emulator's own pages, on the same host:port as everything else:
      GET /_sso/verify?user_code=ABCD-EFGH   approves (verificationUriComplete points here)
      GET /_sso/deny?user_code=ABCD-EFGH     denies (the next poll: AccessDeniedException)
      GET /_sso/expire?user_code=ABCD-EFGH   makes the device code expire now
    each answers a small HTML page (200; 404 for an unknown code; 410 for an expired one);
  - POST or GET /_sso/token[?expires_in=SECONDS] mints a sign-in session without the device flow
    and answers what `aws sso login` writes to ~/.aws/sso/cache/<sha1(session name)>.json
    (startUrl, region, accessToken, expiresAt, clientId, clientSecret, registrationExpiresAt,
    refreshToken): for tests that log out or must not share the seeded token's 20 calls a second.
    A negative expires_in gives an expired access token.
  - tokens, secrets and codes are emulator values (`emulator-sso-...`), not AWS-shaped.

Recorder (GET/DELETE /_rolecall/requests): see `_recorder`.

Routing: moto's server picks a backend from the SigV4 credential scope or, for an unsigned
request, from the body and path, and falls back to S3. No moto service has these paths, and an
unsigned request to them would be taken for S3; a request is answered here only when it is unsigned
or signed for `awsssoportal`/`sso-oauth`, so a signed S3 request to a bucket named `token` still
reaches moto. werkzeug drops request headers with `_` in their names, so `install()` also keeps
`x-amz-sso_bearer_token` for the portal.

`install()` patches moto's DomainDispatcherApplication (the WSGI app) and werkzeug's request
handler; `seed(...)` (from moto_server.py's seed()) creates the instance, its user's
assignments and roles, and writes world["sso"].
"""
import base64
import calendar
import collections
import hashlib
import hmac
import html
import io
import json
import secrets
import threading
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qs

PAGE_SIZE = 10
MAX_RESULT = 100
RATE = 20  # portal calls a second per access token
DEVICE_TTL = 600
INTERVAL = 1
ACCESS_TTL = 8 * 3600
REGISTRATION_TTL = 90 * 86400
ROLE_SESSION = 3600
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT = "refresh_token"

START_URL = "https://rolecall-demo.awsapps.com/start"
SSO_REGION = "us-east-1"
SESSION_NAME = "rolecall-demo"
USER = "responder"
SCOPES = ["sso:account:access"]

_LOCK = threading.RLock()
_SIGNER = secrets.token_bytes(32)  # signs next tokens


class _State:
    def __init__(self):
        self.accounts = []  # [{id, name, email, roles: [permission set]}], in listing order
        self.role_arns = {}  # (account, permission set) -> role ARN
        self.clients = {}  # client id -> {secret, name, scopes, issued, expires}
        self.devices = {}  # device code -> {client, user_code, expires, state, last_poll}
        self.user_codes = {}  # user code -> device code
        self.access = {}  # access token -> {expires, session, calls: deque}
        self.refresh = {}  # refresh token -> {client, session}
        self.sessions = set()  # live sign-in sessions


S = _State()


def _emulator_value(kind):
    return f"emulator-sso-{kind}-{secrets.token_hex(16)}"


def _iso(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# WSGI plumbing


class _Error(Exception):
    def __init__(self, name, status, message, oauth=None):
        super().__init__(message)
        self.name, self.status, self.message, self.oauth = name, status, message, oauth

    def body(self):
        if self.oauth:
            return {"error": self.oauth, "error_description": self.message}
        return {"__type": self.name, "message": self.message}


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            410: "Gone", 429: "Too Many Requests"}


def _respond(start_response, status, body, content_type="application/json", headers=()):
    data = body if isinstance(body, bytes) else (
        json.dumps(body).encode() if content_type == "application/json" else body.encode())
    start_response(f"{status} {_REASONS.get(status, '')}", [
        ("Content-Type", content_type), ("Content-Length", str(len(data))),
        ("x-amzn-RequestId", str(uuid.uuid4())), *headers])
    return [data]


def _body(environ):
    """The request body (read once, then put back for moto)."""
    if "rolecall.body" in environ:
        return environ["rolecall.body"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    data = b""
    if length > 0:
        data = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(data)
    environ["rolecall.body"] = data
    return data


def _scope(environ):
    """(access key id, region, service) of a SigV4-signed request, else None."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    credential = None
    if auth.startswith("AWS4-HMAC-SHA256"):
        for part in auth[len("AWS4-HMAC-SHA256"):].split(","):
            part = part.strip()
            if part.startswith("Credential="):
                credential = part[len("Credential="):]
    else:
        credential = (parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential") or [None])[0]
    if not credential:
        return None
    parts = credential.split("/")
    if len(parts) != 5:
        return None
    return parts[0], parts[2], parts[3]


PORTAL = {("GET", "/assignment/accounts"): "ListAccounts",
          ("GET", "/assignment/roles"): "ListAccountRoles",
          ("GET", "/federation/credentials"): "GetRoleCredentials",
          ("POST", "/logout"): "Logout"}
OIDC = {("POST", "/client/register"): "RegisterClient",
        ("POST", "/device_authorization"): "StartDeviceAuthorization",
        ("POST", "/token"): "CreateToken"}
BROWSER = {"/_sso/verify", "/_sso/deny", "/_sso/expire"}


def _route(environ):
    """(service, operation) of a request answered here, else None."""
    key = (environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))
    scope = _scope(environ)
    if scope and scope[2] not in ("awsssoportal", "sso-oauth"):
        return None
    if key in PORTAL:
        return "sso", PORTAL[key]
    if key in OIDC:
        return "sso-oidc", OIDC[key]
    return None


def install():
    from werkzeug.serving import WSGIRequestHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    make_environ = WSGIRequestHandler.make_environ

    def keep_bearer(self):
        environ = make_environ(self)
        # werkzeug drops headers with `_` in their names; the portal's token comes in one.
        token = self.headers.get("x-amz-sso_bearer_token")
        if token is not None:
            environ["rolecall.sso_bearer_token"] = token
        return environ

    WSGIRequestHandler.make_environ = keep_bearer

    dispatch = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/_rolecall/requests":
            return _recorder(environ, start_response)
        if path in BROWSER or path == "/_sso/token":
            return _browser(environ, start_response)
        route = _route(environ)
        entry = _record(environ, route)
        if route is None:
            return dispatch(self, environ, start_response)
        service, operation = route
        try:
            if service == "sso":
                status, body = _portal(environ, operation)
            else:
                status, body = _oidc(environ, operation)
        except _Error as e:
            # What the portal or OIDC answered (a throttled call the client retries is a record
            # of its own, with its 429).
            entry["status"] = e.status
            return _respond(start_response, e.status, e.body(), headers=[("x-amzn-ErrorType", e.name)])
        entry["status"] = status
        return _respond(start_response, status, body)

    DomainDispatcherApplication.__call__ = __call__


# ---------------------------------------------------------------------------------------------
# Portal


def _query(environ):
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}


def _authorize(environ):
    token = environ.get("rolecall.sso_bearer_token")
    if not token:
        raise _Error("UnauthorizedException", 401, "Session token not found or invalid")
    now = time.time()
    with _LOCK:
        t = S.access.get(token)
        if t is None or t["session"] not in S.sessions:
            raise _Error("UnauthorizedException", 401, "Session token not found or invalid")
        if t["expires"] <= now:
            raise _Error("UnauthorizedException", 401, "Session token not found or invalid")
        calls, tick = t["calls"], time.monotonic()
        while calls and tick - calls[0] >= 1.0:
            calls.popleft()
        if len(calls) >= RATE:
            raise _Error("TooManyRequestsException", 429, f"Too many requests: more than {RATE} a second for this token")
        calls.append(tick)
        return token, t


def _max_result(q):
    raw = q.get("max_result")
    if raw is None:
        return PAGE_SIZE
    try:
        n = int(raw)
    except ValueError:
        raise _Error("InvalidRequestException", 400, "Invalid max_result") from None
    if not 1 <= n <= MAX_RESULT:
        raise _Error("InvalidRequestException", 400, f"max_result must be between 1 and {MAX_RESULT}")
    return n


def _sign(payload):
    return hmac.new(_SIGNER, payload, hashlib.sha256).hexdigest()[:24]


def _next_token(what, offset):
    payload = base64.urlsafe_b64encode(json.dumps({"w": what, "o": offset}).encode())
    return payload.decode() + "." + _sign(payload)


def _offset(q, what):
    token = q.get("next_token")
    if token is None:
        return 0
    try:
        payload, mac = token.rsplit(".", 1)
        if not hmac.compare_digest(mac, _sign(payload.encode())):
            raise ValueError
        d = json.loads(base64.urlsafe_b64decode(payload.encode()))
        if d["w"] != what or not isinstance(d["o"], int) or d["o"] < 0:
            raise ValueError
        return d["o"]
    except (ValueError, KeyError, TypeError):
        raise _Error("InvalidRequestException", 400, "Invalid next token") from None


def _page(items, q, what):
    size = _max_result(q)
    start = _offset(q, what)
    page = items[start:start + size]
    more = start + size < len(items)
    return page, (_next_token(what, start + size) if more else None)


def _portal(environ, operation):
    token, t = _authorize(environ)
    q = _query(environ)
    if operation == "Logout":
        with _LOCK:
            S.sessions.discard(t["session"])
        return 200, b""
    if operation == "ListAccounts":
        with _LOCK:
            accounts = list(S.accounts)
        page, nxt = _page(accounts, q, "accounts")
        body = {"accountList": [{"accountId": a["id"], "accountName": a["name"], "emailAddress": a["email"]}
                                for a in page]}
        if nxt:
            body["nextToken"] = nxt
        return 200, body
    account = q.get("account_id")
    if not account:
        raise _Error("InvalidRequestException", 400, "account_id is required")
    with _LOCK:
        roles = next((list(a["roles"]) for a in S.accounts if a["id"] == account), [])
    if operation == "ListAccountRoles":
        page, nxt = _page(roles, q, f"roles:{account}")
        body = {"roleList": [{"roleName": r, "accountId": account} for r in page]}
        if nxt:
            body["nextToken"] = nxt
        return 200, body
    role = q.get("role_name")
    if not role:
        raise _Error("InvalidRequestException", 400, "role_name is required")
    if role not in roles:
        raise _Error("ResourceNotFoundException", 404, "No access")
    return 200, {"roleCredentials": _assume(S.role_arns[(account, role)])}


def _assume(role_arn):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sts.models import sts_backends

    backend = sts_backends[DEFAULT_ACCOUNT_ID]["aws"]
    assumed = backend.assume_role(region_name=SSO_REGION, role_session_name=USER, role_arn=role_arn,
                                  policy=None, duration=ROLE_SESSION, external_id=None)
    return {
        "accessKeyId": assumed.access_key_id,
        "secretAccessKey": assumed.secret_access_key,
        "sessionToken": assumed.session_token,
        # moto's expiration is a naive UTC datetime.
        "expiration": calendar.timegm(assumed.expiration.timetuple()) * 1000,
    }


# ---------------------------------------------------------------------------------------------
# OIDC


def _oauth(name, oauth, message, status=400):
    return _Error(name, status, message, oauth)


def _json(environ):
    raw = _body(environ)
    try:
        d = json.loads(raw or b"{}")
    except ValueError:
        raise _oauth("InvalidRequestException", "invalid_request", "Malformed JSON body") from None
    if not isinstance(d, dict):
        raise _oauth("InvalidRequestException", "invalid_request", "Malformed JSON body")
    return d


def _client(d, now):
    client_id, secret = d.get("clientId"), d.get("clientSecret")
    if not client_id or not secret:
        raise _oauth("InvalidRequestException", "invalid_request", "clientId and clientSecret are required")
    c = S.clients.get(client_id)
    if c is None or not hmac.compare_digest(c["secret"], secret) or c["expires"] <= now:
        raise _oauth("InvalidClientException", "invalid_client", "Invalid client", 401)
    return client_id, c


def _normal_start_url(url):
    url = (url or "").strip()
    for tail in ("#/", "#", "/"):
        if url.endswith(tail):
            url = url[: -len(tail)]
    return url


def register_client(name, scopes, now=None):
    now = int(now or time.time())
    client_id = _emulator_value("client")
    secret = _emulator_value("client-secret")
    with _LOCK:
        S.clients[client_id] = {"secret": secret, "name": name, "scopes": list(scopes or []),
                                "issued": now, "expires": now + REGISTRATION_TTL}
    return client_id, secret, now, now + REGISTRATION_TTL


def _issue(client_id, session, with_refresh, expires_in=ACCESS_TTL):
    access = _emulator_value("access")
    now = time.time()
    with _LOCK:
        S.access[access] = {"expires": now + expires_in, "session": session, "calls": collections.deque()}
        refresh = None
        if with_refresh:
            refresh = _emulator_value("refresh")
            S.refresh[refresh] = {"client": client_id, "session": session}
    return access, refresh, now + expires_in


def _oidc(environ, operation):
    if environ.get("QUERY_STRING"):
        raise _oauth("InvalidRequestException", "invalid_request",
                     "CreateTokenWithIAM is not stood in by the emulator")
    d = _json(environ)
    now = time.time()
    if operation == "RegisterClient":
        name, kind, scopes = d.get("clientName"), d.get("clientType"), d.get("scopes")
        if not name or not kind:
            raise _oauth("InvalidRequestException", "invalid_request", "clientName and clientType are required")
        if kind != "public":
            raise _oauth("InvalidClientMetadataException", "invalid_client_metadata",
                         f"Invalid client type: {kind}")
        if scopes is not None and (not isinstance(scopes, list)
                                   or any(not isinstance(s, str) or not s.startswith("sso") for s in scopes)):
            raise _oauth("InvalidScopeException", "invalid_scope", "Invalid scope")
        client_id, secret, issued, expires = register_client(name, scopes, now)
        return 200, {"clientId": client_id, "clientSecret": secret, "clientIdIssuedAt": issued,
                     "clientSecretExpiresAt": expires}
    with _LOCK:
        client_id, client = _client(d, now)
        if operation == "StartDeviceAuthorization":
            if _normal_start_url(d.get("startUrl")) != _normal_start_url(START_URL):
                raise _oauth("InvalidRequestException", "invalid_request", "Invalid start URL")
            device = _emulator_value("device")
            alphabet = "BCDFGHJKLMNPQRSTVWXZ"
            while True:
                raw = "".join(secrets.choice(alphabet) for _ in range(8))
                user_code = f"{raw[:4]}-{raw[4:]}"
                if user_code not in S.user_codes:
                    break
            S.devices[device] = {"client": client_id, "user_code": user_code, "expires": now + DEVICE_TTL,
                                 "state": "pending", "last_poll": None}
            S.user_codes[user_code] = device
            base = f"http://{environ.get('HTTP_HOST', '127.0.0.1')}/_sso/verify"
            return 200, {"deviceCode": device, "userCode": user_code, "verificationUri": base,
                         "verificationUriComplete": f"{base}?user_code={user_code}",
                         "expiresIn": DEVICE_TTL, "interval": INTERVAL}
        # CreateToken
        grant = d.get("grantType")
        if not grant:
            raise _oauth("InvalidRequestException", "invalid_request", "grantType is required")
        with_refresh = bool(client["scopes"])
        if grant == DEVICE_GRANT:
            code = d.get("deviceCode")
            if not code:
                raise _oauth("InvalidRequestException", "invalid_request", "deviceCode is required")
            dev = S.devices.get(code)
            if dev is None or dev["client"] != client_id or dev["state"] == "used":
                raise _oauth("InvalidGrantException", "invalid_grant", "Invalid grant provided")
            if dev["expires"] <= now:
                raise _oauth("ExpiredTokenException", "expired_token", "Device code has expired")
            tick, last = time.monotonic(), dev["last_poll"]
            dev["last_poll"] = tick
            if last is not None and tick - last < INTERVAL:
                raise _oauth("SlowDownException", "slow_down", "Client is polling too fast")
            if dev["state"] == "denied":
                raise _oauth("AccessDeniedException", "access_denied", "The user denied the authorization")
            if dev["state"] == "pending":
                raise _oauth("AuthorizationPendingException", "authorization_pending",
                             "Authorization is still pending")
            dev["state"] = "used"
            session = uuid.uuid4().hex
            S.sessions.add(session)
        elif grant == REFRESH_GRANT:
            refresh = d.get("refreshToken")
            if not refresh:
                raise _oauth("InvalidRequestException", "invalid_request", "refreshToken is required")
            r = S.refresh.get(refresh)
            if r is None or r["client"] != client_id or r["session"] not in S.sessions:
                raise _oauth("InvalidGrantException", "invalid_grant", "Invalid grant provided")
            session = r["session"]
            with_refresh = True
        else:
            raise _oauth("UnsupportedGrantTypeException", "unsupported_grant_type",
                         f"Unsupported grant type: {grant}")
    access, refresh, _ = _issue(client_id, session, with_refresh)
    body = {"accessToken": access, "tokenType": "Bearer", "expiresIn": ACCESS_TTL}
    if refresh:
        body["refreshToken"] = refresh
    return 200, body


# ---------------------------------------------------------------------------------------------
# The person at the browser, and minted sessions


def _page_html(title, text):
    t = html.escape(title)
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>"
            f"<body><h1>{t}</h1><p>{html.escape(text)}</p>"
            f"<p>rolecall emulator: IAM Identity Center stand-in</p></body></html>")


def mint(expires_in=ACCESS_TTL, client=None):
    """A sign-in session without the device flow: the cache entry `aws sso login` writes."""
    with _LOCK:
        if client is None:
            client_id, secret, _, expires = register_client("rolecall-emulator", SCOPES)
        else:
            client_id, secret, expires = client
        session = uuid.uuid4().hex
        S.sessions.add(session)
    access, refresh, access_expires = _issue(client_id, session, True, expires_in)
    return {"startUrl": START_URL, "region": SSO_REGION, "accessToken": access,
            "expiresAt": _iso(access_expires), "clientId": client_id, "clientSecret": secret,
            "registrationExpiresAt": _iso(expires), "refreshToken": refresh}


def _browser(environ, start_response):
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
    q = _query(environ)
    if path == "/_sso/token":
        if method not in ("GET", "POST"):
            return _respond(start_response, 405, {"message": "GET or POST"})
        try:
            expires_in = int(q.get("expires_in", ACCESS_TTL))
        except ValueError:
            return _respond(start_response, 400, {"message": "expires_in must be an integer"})
        return _respond(start_response, 200, mint(expires_in))
    if method != "GET":
        return _respond(start_response, 405, _page_html("Method not allowed", "Use GET."), "text/html")
    code = (q.get("user_code") or "").strip().upper()
    now = time.time()
    with _LOCK:
        dev = S.devices.get(S.user_codes.get(code, ""))
        if dev is None:
            return _respond(start_response, 404, _page_html("Unknown code", f"No request has the code {code!r}."),
                            "text/html")
        if dev["expires"] <= now:
            return _respond(start_response, 410, _page_html("Expired", f"The code {code} has expired."),
                            "text/html")
        if path == "/_sso/expire":
            dev["expires"] = now - 1
            return _respond(start_response, 200, _page_html("Expired", f"The code {code} now has expired."),
                            "text/html")
        if dev["state"] in ("approved", "used"):
            return _respond(start_response, 200, _page_html("Request approved",
                                                            f"The code {code} was approved already."), "text/html")
        if path == "/_sso/deny":
            dev["state"] = "denied"
            return _respond(start_response, 200, _page_html("Request denied", f"The code {code} was denied."),
                            "text/html")
        if dev["state"] == "denied":
            return _respond(start_response, 200, _page_html("Request denied", f"The code {code} was denied."),
                            "text/html")
        dev["state"] = "approved"
    return _respond(start_response, 200, _page_html(
        "Request approved", f"{USER} allowed the application to access {START_URL} ({code}). "
                            "You may close this window."), "text/html")


# ---------------------------------------------------------------------------------------------
# Recorder

_RECORDS = collections.deque(maxlen=20000)
_SEQ = [0]
STS_FIELDS = ("RoleArn", "RoleSessionName", "SourceIdentity", "SerialNumber")


def _record(environ, route):
    """One entry per request moto or this module answers (not the /_sso and /_rolecall pages):
    seq, method, path (no query), service (the SigV4 scope's, else sso/sso-oidc here, else null),
    region, action, access_key_id (the Credential's key id; never a secret), and for STS AssumeRole
    and GetSessionToken the values of RoleArn, RoleSessionName, SourceIdentity, SerialNumber (null
    when not sent) and token_code_sent (whether TokenCode was sent; never the code); for portal
    calls status (what the stand-in answered: 200, or the error's, as 429 when throttled) and
    token_sha256 (the SHA-256 hex of the bearer token sent, null without one; never the
    token), and account_id (ListAccountRoles, GetRoleCredentials) and role_name
    (GetRoleCredentials); for OIDC CreateToken grant_type."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return
    method = environ.get("REQUEST_METHOD", "")
    scope = _scope(environ)
    entry = {"method": method, "path": path, "service": None, "region": None, "action": None,
             "access_key_id": None}
    if scope:
        entry["access_key_id"], entry["region"], entry["service"] = scope
    if route:
        entry["service"], entry["action"] = route
        if route[0] == "sso":
            # Which token the portal call carried, as its SHA-256 (never the token itself), and
            # for the account calls which account and role (from the query).
            token = environ.get("rolecall.sso_bearer_token")
            entry["token_sha256"] = hashlib.sha256(token.encode()).hexdigest() if token else None
            q = _query(environ)
            if route[1] in ("ListAccountRoles", "GetRoleCredentials"):
                entry["account_id"] = q.get("account_id")
            if route[1] == "GetRoleCredentials":
                entry["role_name"] = q.get("role_name")
        elif route[1] == "CreateToken":
            try:
                entry["grant_type"] = json.loads(_body(environ) or b"{}").get("grantType")
            except (ValueError, AttributeError):
                entry["grant_type"] = None
    else:
        fields = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            fields.update({k: v[0] for k, v in parse_qs(_body(environ).decode("utf-8", "replace")).items()})
        target = environ.get("HTTP_X_AMZ_TARGET")
        if fields.get("Action"):
            entry["action"] = fields["Action"]
        elif target:
            entry["action"] = target.split(".", 1)[-1]
        else:
            entry["action"] = f"{method} {path}"
        if entry["action"] in ("AssumeRole", "GetSessionToken") and (entry["service"] in (None, "sts")):
            if target and not fields.get("Action"):
                try:
                    fields = json.loads(_body(environ) or b"{}")
                except ValueError:
                    fields = {}
            for f in STS_FIELDS:
                entry[f] = fields.get(f)
            entry["token_code_sent"] = bool(fields.get("TokenCode"))
    with _LOCK:
        _SEQ[0] += 1
        entry["seq"] = _SEQ[0]
        _RECORDS.append(entry)
    return entry


def _recorder(environ, start_response):
    """GET /_rolecall/requests: the requests seen since the last DELETE, oldest first (at most the
    last 20 000). DELETE /_rolecall/requests: forget them; answers {"cleared": N}."""
    method = environ.get("REQUEST_METHOD", "")
    with _LOCK:
        if method == "GET":
            return _respond(start_response, 200, list(_RECORDS))
        if method == "DELETE":
            n = len(_RECORDS)
            _RECORDS.clear()
            return _respond(start_response, 200, {"cleared": n})
    return _respond(start_response, 405, {"message": "GET or DELETE"})


# ---------------------------------------------------------------------------------------------
# Seed


def role_name(permission_set, account):
    """Identity Center's name for a permission set's role in an account: a 16-hex suffix (here
    derived from the pair, so it is the same on every run)."""
    suffix = hashlib.sha256(f"{permission_set}:{account}".encode()).hexdigest()[:16]
    return f"AWSReservedSSO_{permission_set}_{suffix}"


def _policy(actions):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})


def seed(world, endpoint, client, accounts, permission_sets):
    """accounts: [(id, name, [permission set])] in listing order; permission_sets: name -> the
    actions its role allows. Creates each assigned role in its account (through moto's IAM, with
    that account's credentials) and writes world["sso"]."""
    world_accounts = []
    with _LOCK:
        S.accounts.clear()
        S.role_arns.clear()
    # One STS client for every account's credentials (account_creds makes one a call: 25 ms each).
    sts = client(endpoint, "sts")
    for account, name, roles in accounts:
        arns = {}
        if roles:
            c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/bootstrap",
                                RoleSessionName="seed-sso")["Credentials"]
            iam = client(endpoint, "iam", creds={"aws_access_key_id": c["AccessKeyId"],
                                                 "aws_secret_access_key": c["SecretAccessKey"],
                                                 "aws_session_token": c["SessionToken"]})
            tag = hashlib.sha256(account.encode()).hexdigest()[:16]
            provider = f"arn:aws:iam::{account}:saml-provider/AWSSSO_{tag}_DO_NOT_DELETE"
            trust = json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": provider},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]})
            for ps in roles:
                rn = role_name(ps, account)
                arn = iam.create_role(RoleName=rn, Path="/aws-reserved/sso.amazonaws.com/",
                                      AssumeRolePolicyDocument=trust, MaxSessionDuration=43200,
                                      Description=f"IAM Identity Center permission set {ps}")["Role"]["Arn"]
                iam.put_role_policy(RoleName=rn, PolicyName="AwsSSOInlinePolicy",
                                    PolicyDocument=_policy(permission_sets[ps]))
                arns[ps] = arn
        email = f"aws+{name.lower().replace(' ', '-')}@example.com"
        with _LOCK:
            S.accounts.append({"id": account, "name": name, "email": email, "roles": list(roles)})
            for ps, arn in arns.items():
                S.role_arns[(account, ps)] = arn
        world_accounts.append({"id": account, "name": name, "email": email, "roles": list(roles),
                               "role_arns": arns})

    cache = mint()
    expired = mint(expires_in=-3600)
    world["sso"] = {
        "start_url": START_URL,
        "region": SSO_REGION,
        "session_name": SESSION_NAME,
        "user": USER,
        "accounts": world_accounts,
        "access_token": cache["accessToken"],
        "expires_at": cache["expiresAt"],
        "refresh_token": cache["refreshToken"],
        "client_id": cache["clientId"],
        "client_secret": cache["clientSecret"],
        "registration_expires_at": cache["registrationExpiresAt"],
        "expired_access_token": expired["accessToken"],
        "expired_expires_at": expired["expiresAt"],
        "cache_file": hashlib.sha1(SESSION_NAME.encode()).hexdigest() + ".json",
        "cache": cache,
        "page_size": PAGE_SIZE,
        "rate_per_token": RATE,
        "interval": INTERVAL,
        "verify_url": f"{endpoint}/_sso/verify",
        "mint_url": f"{endpoint}/_sso/token",
        "recorder_url": f"{endpoint}/_rolecall/requests",
    }
