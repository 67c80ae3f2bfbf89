"""A local STS speaking the query protocol: AssumeRoleWithWebIdentity and GetCallerIdentity.

Tokens are validated the way AWS validates them - discovery document and JWKS fetched over HTTP
from the token's own ``iss`` - so a driver that works here talks to the IdP the same way in
production. Only loopback issuers are ever contacted. Tokens and secrets are never logged.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit
from urllib.request import ProxyHandler, build_opener
from urllib.request import Request as UrlRequest
from xml.sax.saxutils import escape

import jwt
from jwt.algorithms import RSAAlgorithm
from werkzeug.wrappers import Request, Response

from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import CredentialStore, IssuedCredentials, Role
from athena_jwt_dbapi.local.journal import CallJournal
from athena_jwt_dbapi.local.sigv4 import verify_sigv4

if TYPE_CHECKING:
    from athena_jwt_dbapi.local.assume_role import ContextVerifier

STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
API_VERSION = "2011-06-15"
MIN_DURATION = 900
MAX_DURATION = 43200
DEFAULT_DURATION = 3600
SESSION_NAME_PATTERN = r"[\w+=,.@-]*"
_SESSION_NAME_RE = re.compile(SESSION_NAME_PATTERN)
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_ROLE_ARN_RE = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")
_FETCH_TIMEOUT = 5.0

_NOT_AUTHORIZED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
_UNVERIFIABLE = (
    "The web identity token that was passed could not be validated by AWS. "
    "Get a new identity token from the identity provider and then retry the request."
)
_NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
_LOOPBACK_ONLY = "The local STS only contacts loopback identity providers; refusing "


def _invalid_token(message: str) -> ServiceError:
    return ServiceError("InvalidIdentityToken", message, 400)


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _LOOPBACK_HOSTS


class JwksCache:
    """Discovery + JWKS per issuer URL, refetched when a token names a kid we have not seen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, dict[str, Any]] = {}

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()

    def key_for(self, issuer: str, kid: str | None) -> Any:
        with self._lock:
            cached = self._keys.get(issuer)
        if cached is None or kid not in cached:
            cached = self._fetch(issuer)
            with self._lock:
                self._keys[issuer] = cached
        if kid not in cached:
            raise _invalid_token(_UNVERIFIABLE)
        return cached[kid]

    @staticmethod
    def _fetch(issuer: str) -> dict[str, Any]:
        if not is_loopback_url(issuer):
            raise _invalid_token(_LOOPBACK_ONLY + issuer)
        try:
            config = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
            jwks_uri = str(config["jwks_uri"])
            if not is_loopback_url(jwks_uri):
                raise _invalid_token(_LOOPBACK_ONLY + jwks_uri)
            jwks = _get_json(jwks_uri)
            keys: dict[str, Any] = {}
            for jwk in jwks.get("keys", []):
                if jwk.get("kty") == "RSA" and jwk.get("use", "sig") == "sig":
                    keys[jwk.get("kid")] = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except ServiceError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise _invalid_token(
                "Couldn't retrieve verification key from your identity provider,  please reference "
                "AssumeRoleWithWebIdentity documentation for requirements"
            ) from exc
        return keys


# No proxies: an environment proxy must never see (or forward) a request meant for loopback.
_OPENER = build_opener(ProxyHandler({}))


def _get_json(url: str) -> dict[str, Any]:
    request = UrlRequest(url, headers={"Accept": "application/json"})
    with _OPENER.open(request, timeout=_FETCH_TIMEOUT) as response:
        data = json.loads(response.read().decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _validation_error(problems: list[str]) -> ServiceError:
    count = len(problems)
    noun = "validation error" if count == 1 else "validation errors"
    return ServiceError("ValidationError", f"{count} {noun} detected: " + "; ".join(problems), 400)


def _constraint(value: str | None, member: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return f"Value {shown} at '{member}' failed to satisfy constraint: Member must {constraint}"


class StsService:
    """WSGI STS. Roles are looked up by ARN; issuers must be trusted explicitly (like IAM OIDC providers).

    AssumeRole (a signed role session assuming a role it is trusted by, with ``ProvidedContexts`` checked by
    the context providers added with :meth:`add_context_provider`) is :mod:`.assume_role`'s.

    Test knobs: :meth:`fail_next`, :attr:`requests` (every AssumeRoleWithWebIdentity form, in order)
    and :attr:`call_count` (AssumeRoleWithWebIdentity only); :attr:`journal`, when set, records every call.
    """

    def __init__(
        self,
        store: CredentialStore,
        roles: Iterable[Role] | Mapping[str, Role] | None = None,
        *,
        trusted_issuers: Iterable[str] = (),
    ) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._roles: dict[str, Role] = {}
        self._trusted: set[str] = set()
        self._failures: list[str] = []
        self.requests: list[dict[str, str]] = []
        self.call_count = 0
        self.jwks = JwksCache()
        self.journal: CallJournal | None = None
        self._context_providers: dict[str, ContextVerifier] = {}
        for role in (roles.values() if isinstance(roles, Mapping) else roles) or ():
            self.add_role(role)
        for issuer in trusted_issuers:
            self.trust_issuer(issuer)

    # -- configuration --------------------------------------------------------------------------

    def add_role(self, role: Role) -> Role:
        with self._lock:
            self._roles[role.arn] = role
        return role

    def roles(self) -> list[Role]:
        with self._lock:
            return list(self._roles.values())

    def trust_issuer(self, issuer: str) -> None:
        """Register an OIDC provider; the local stack trusts only loopback issuers."""
        if not is_loopback_url(issuer):
            raise ValueError(f"only loopback issuers can be trusted, got {issuer!r}")
        with self._lock:
            self._trusted.add(issuer.rstrip("/"))

    def add_context_provider(self, provider_arn: str, verify: ContextVerifier) -> None:
        """Accept ``ProvidedContexts`` of ``provider_arn`` in AssumeRole, checked by ``verify``."""
        with self._lock:
            self._context_providers[provider_arn] = verify

    def fail_next(self, n: int = 1, code: str = "IDPCommunicationError") -> None:
        """Make the next ``n`` AssumeRoleWithWebIdentity calls fail with ``code`` (HTTP 400)."""
        with self._lock:
            self._failures.extend([code] * n)

    def clear_failures(self) -> None:
        """Forget failures scheduled with :meth:`fail_next` that have not happened yet."""
        with self._lock:
            self._failures.clear()

    # -- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        try:
            body = self._dispatch(request, request_id)
            response = Response(body, status=200, content_type="text/xml")
        except ServiceError as err:
            response = Response(_error_xml(err, request_id), status=err.status, content_type="text/xml")
        response.headers["x-amzn-RequestId"] = request_id
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _dispatch(self, request: Request, request_id: str) -> str:
        params = dict(parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True))
        if request.method == "POST":
            body = request.get_data(cache=True).decode("utf-8", errors="replace")
            params.update(parse_qsl(body, keep_blank_values=True))
        action = params.get("Action")
        if action == "AssumeRoleWithWebIdentity":
            with self._lock:
                self.call_count += 1
                self.requests.append(dict(params))
            if self.journal is not None:
                self.journal.record("sts", action, params)
            creds, claims = self.assume_role_with_web_identity(params)
            return _assume_role_xml(creds, claims, request_id)
        if action == "AssumeRole":
            from athena_jwt_dbapi.local.assume_role import assume_role, assume_role_xml

            caller = verify_sigv4(request, self.store, service="sts", protocol="query")
            if self.journal is not None:
                self.journal.record("sts", action, params, caller.assumed_role_arn)
            with self._lock:
                roles, verifiers = dict(self._roles), dict(self._context_providers)
            issued = assume_role(self.store, roles, verifiers, caller, params, self.store.clock())
            return assume_role_xml(issued, request_id)
        if action == "GetCallerIdentity":
            creds = verify_sigv4(request, self.store, service="sts", protocol="query")
            return _caller_identity_xml(creds, request_id)
        if not action:
            raise ServiceError("MissingAction", "Missing Action", 400)
        message = f"Could not find operation {action} for version {API_VERSION}"
        raise ServiceError("InvalidAction", message, 400)

    # -- AssumeRoleWithWebIdentity --------------------------------------------------------------

    def assume_role_with_web_identity(
        self, params: Mapping[str, str], *, now: datetime | None = None
    ) -> tuple[IssuedCredentials, dict[str, Any]]:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            raise ServiceError(failure, _FAULT_MESSAGES.get(failure, f"Injected failure {failure}"), 400)

        role_arn = params.get("RoleArn")
        session_name = params.get("RoleSessionName")
        token = params.get("WebIdentityToken")
        duration = self._validate_parameters(role_arn, session_name, token, params.get("DurationSeconds"))
        assert role_arn is not None and session_name is not None and token is not None

        current = now or self.store.clock()
        claims = self._validate_token(token, current)
        role = self._authorize(role_arn, claims)
        if duration > role.max_session_duration:
            message = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            raise ServiceError("ValidationError", message, 400)
        creds = self.store.issue(role, session_name, duration, str(claims["sub"]), now=current)
        return creds, claims

    @staticmethod
    def _validate_parameters(
        role_arn: str | None, session_name: str | None, token: str | None, duration_raw: str | None
    ) -> int:
        problems: list[str] = []
        if role_arn is None:
            problems.append(_constraint(None, "roleArn", "not be null"))
        elif len(role_arn) < 20:
            problems.append(_constraint(role_arn, "roleArn", "have length greater than or equal to 20"))
        elif len(role_arn) > 2048:
            problems.append(_constraint(role_arn, "roleArn", "have length less than or equal to 2048"))
        if session_name is None:
            problems.append(_constraint(None, "roleSessionName", "not be null"))
        else:
            if not _SESSION_NAME_RE.fullmatch(session_name):
                rule = f"satisfy regular expression pattern: {SESSION_NAME_PATTERN}"
                problems.append(_constraint(session_name, "roleSessionName", rule))
            if len(session_name) < 2:
                rule = "have length greater than or equal to 2"
                problems.append(_constraint(session_name, "roleSessionName", rule))
            elif len(session_name) > 64:
                rule = "have length less than or equal to 64"
                problems.append(_constraint(session_name, "roleSessionName", rule))
        if token is None:
            problems.append(_constraint(None, "webIdentityToken", "not be null"))
        elif len(token) < 4:
            problems.append(_constraint("***", "webIdentityToken", "have length greater than or equal to 4"))
        elif len(token) > 20000:
            problems.append(_constraint("***", "webIdentityToken", "have length less than or equal to 20000"))
        duration = DEFAULT_DURATION
        if duration_raw is not None:
            try:
                duration = int(duration_raw)
            except ValueError:
                raise ServiceError(
                    "MalformedInput", f"Invalid value for DurationSeconds: {duration_raw[:32]}", 400
                ) from None
            if duration < MIN_DURATION:
                rule = f"have value greater than or equal to {MIN_DURATION}"
                problems.append(_constraint(duration_raw, "durationSeconds", rule))
            elif duration > MAX_DURATION:
                rule = f"have value less than or equal to {MAX_DURATION}"
                problems.append(_constraint(duration_raw, "durationSeconds", rule))
        if problems:
            raise _validation_error(problems)
        return duration

    def _validate_token(self, token: str, now: datetime) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            unverified: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise _invalid_token(_NOT_A_JWT) from None
        if header.get("alg") != "RS256":
            raise _invalid_token(f"Unsupported token signing algorithm: {str(header.get('alg'))[:16]}")
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise _invalid_token("Missing a required claim: iss")
        with self._lock:
            trusted = issuer.rstrip("/") in self._trusted
        if not trusted:
            raise _invalid_token(f"No OpenIDConnect provider found in your account for {issuer}")

        key = self.jwks.key_for(issuer.rstrip("/"), header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.InvalidSignatureError:
            raise _invalid_token(_UNVERIFIABLE) from None
        except jwt.PyJWTError:
            raise _invalid_token(_NOT_A_JWT) from None

        for name in ("exp", "iat"):
            value = claims.get(name)
            if value is None:
                raise _invalid_token(f"Missing a required claim: {name}")
            if isinstance(value, bool) or not isinstance(value, int):
                raise _invalid_token(f"Invalid claim: {name} must be an integer NumericDate")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise _invalid_token("Missing a required claim: sub")

        epoch = int(now.timestamp())
        if claims["exp"] <= epoch:
            raise ServiceError(
                "ExpiredTokenException",
                f"Token expired: current date/time {epoch} must be before the expiration date/time {claims['exp']}",
                400,
            )
        nbf = claims.get("nbf")
        if nbf is not None:
            if isinstance(nbf, bool) or not isinstance(nbf, int):
                raise _invalid_token("Invalid claim: nbf must be an integer NumericDate")
            if nbf > epoch:
                message = f"Token is not valid before {nbf}; current date/time {epoch}"
                raise ServiceError("IDPRejectedClaim", message, 403)
        if claims["iat"] > epoch + 300:
            raise ServiceError("IDPRejectedClaim", "Token was issued in the future (iat)", 403)
        return claims

    def _authorize(self, role_arn: str, claims: dict[str, Any]) -> Role:
        with self._lock:
            role = self._roles.get(role_arn)
        if role is None or not _ROLE_ARN_RE.match(role_arn):
            raise ServiceError("AccessDenied", _NOT_AUTHORIZED, 403)
        audiences = claims.get("aud")
        # RFC 7519 4.1.3: a string or an array of strings; anything else (an object, a number) is malformed.
        if isinstance(audiences, str):
            aud_list = [audiences]
        elif isinstance(audiences, list) and all(isinstance(a, str) for a in audiences):
            aud_list = audiences
        else:
            raise _invalid_token("Incorrect token audience")
        if not any(a in role.allowed_audiences for a in aud_list):
            raise _invalid_token("Incorrect token audience")
        if not role.trusts_issuer(str(claims["iss"])) or not role.trusts_subject(str(claims["sub"])):
            raise ServiceError("AccessDenied", _NOT_AUTHORIZED, 403)
        return role


# -- XML rendering ------------------------------------------------------------------------------


#: What AWS says with each error code a test can make STS answer with (``fail_next``).
_FAULT_MESSAGES = {
    "IDPCommunicationError": "The identity provider could not be reached",
    "InvalidIdentityToken": "Couldn't retrieve verification key from your identity provider",
    "ExpiredTokenException": "Token expired: current date/time is later than the token's exp claim",
    "IDPRejectedClaim": "The identity provider rejected the claims of the web identity token",
    "AccessDenied": "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    "RegionDisabledException": "STS is not activated in this region for this account",
    "Throttling": "Rate exceeded",
}


def iso8601(value: datetime) -> str:
    """AWS's form (whole seconds); milliseconds only for the sub-second lifetimes of the test knob."""
    utc = value.astimezone(timezone.utc)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def _provider_arn(role: Role, issuer: str) -> str:
    parts = urlsplit(issuer)
    return f"arn:aws:iam::{role.account_id}:oidc-provider/{parts.netloc}{parts.path}".rstrip("/")


def credentials_xml(creds: IssuedCredentials) -> str:
    """The ``<Credentials>`` element both AssumeRole responses carry, indented for their result element."""
    e = escape
    return (
        "    <Credentials>\n"
        f"      <AccessKeyId>{e(creds.access_key_id)}</AccessKeyId>\n"
        f"      <SecretAccessKey>{e(creds.secret_access_key)}</SecretAccessKey>\n"
        f"      <SessionToken>{e(creds.session_token)}</SessionToken>\n"
        f"      <Expiration>{iso8601(creds.expiration)}</Expiration>\n"
        "    </Credentials>\n"
    )


def _assume_role_xml(creds: IssuedCredentials, claims: Mapping[str, Any], request_id: str) -> str:
    aud = claims.get("aud")
    audience = aud if isinstance(aud, str) else next((a for a in (aud or []) if a in creds.role.allowed_audiences), "")
    e = escape
    return (
        f'<AssumeRoleWithWebIdentityResponse xmlns="{STS_NAMESPACE}">\n'
        "  <AssumeRoleWithWebIdentityResult>\n"
        f"{credentials_xml(creds)}"
        f"    <SubjectFromWebIdentityToken>{e(creds.subject)}</SubjectFromWebIdentityToken>\n"
        "    <AssumedRoleUser>\n"
        f"      <Arn>{e(creds.assumed_role_arn)}</Arn>\n"
        f"      <AssumedRoleId>{e(creds.assumed_role_id)}</AssumedRoleId>\n"
        "    </AssumedRoleUser>\n"
        f"    <Provider>{e(_provider_arn(creds.role, str(claims['iss'])))}</Provider>\n"
        f"    <Audience>{e(str(audience))}</Audience>\n"
        "  </AssumeRoleWithWebIdentityResult>\n"
        "  <ResponseMetadata>\n"
        f"    <RequestId>{request_id}</RequestId>\n"
        "  </ResponseMetadata>\n"
        "</AssumeRoleWithWebIdentityResponse>\n"
    )


def _caller_identity_xml(creds: IssuedCredentials, request_id: str) -> str:
    return (
        f'<GetCallerIdentityResponse xmlns="{STS_NAMESPACE}">\n'
        "  <GetCallerIdentityResult>\n"
        f"    <Arn>{escape(creds.assumed_role_arn)}</Arn>\n"
        f"    <UserId>{escape(creds.assumed_role_id)}</UserId>\n"
        f"    <Account>{creds.role.account_id}</Account>\n"
        "  </GetCallerIdentityResult>\n"
        "  <ResponseMetadata>\n"
        f"    <RequestId>{request_id}</RequestId>\n"
        "  </ResponseMetadata>\n"
        "</GetCallerIdentityResponse>\n"
    )


def _error_xml(err: ServiceError, request_id: str) -> str:
    kind = "Sender" if err.sender_fault else "Receiver"
    return (
        f'<ErrorResponse xmlns="{STS_NAMESPACE}">\n'
        "  <Error>\n"
        f"    <Type>{kind}</Type>\n"
        f"    <Code>{escape(err.code)}</Code>\n"
        f"    <Message>{escape(err.message)}</Message>\n"
        "  </Error>\n"
        f"  <RequestId>{request_id}</RequestId>\n"
        "</ErrorResponse>\n"
    )


__all__ = ["DEFAULT_DURATION", "JwksCache", "StsService", "is_loopback_url", "iso8601"]
