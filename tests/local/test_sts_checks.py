"""Every check of the local STS's AssumeRoleWithWebIdentity, each at its edge, over loopback HTTP.

A check that is removed or loosened lets a token through that AWS refuses (or refuses one AWS accepts),
and a test below fails. Time is the credential store's injected clock — the STS judges ``exp``, ``nbf``
and ``iat`` by it, never by the host's clock — so the edges are exact seconds and nothing sleeps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from botocore.config import Config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from athena_jwt_dbapi.local._server import BackgroundServer
from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import CredentialStore, Role
from athena_jwt_dbapi.local.issuer import DEFAULT_AUDIENCE, OidcIssuer
from athena_jwt_dbapi.local.journal import CallJournal
from athena_jwt_dbapi.local.sts import JwksCache, StsService, is_loopback_url

NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
#: The stack's clock stands years before the host's: a token valid now by the host clock would be refused.
PAST = datetime(2020, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
#: ... or years after it: a token the host clock calls not yet valid is fine for the stack.
FUTURE = datetime(2031, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = PAST

    def __call__(self) -> datetime:
        return self.now

    @property
    def epoch(self) -> int:
        return int(self.now.timestamp())


@dataclass
class Reply:
    status: int
    text: str

    @property
    def root(self) -> ElementTree.Element:
        return ElementTree.fromstring(self.text)

    def find(self, path: str) -> str:
        found = self.root.find(path, NS)
        assert found is not None, f"{path} not in {self.text}"
        return found.text or ""

    @property
    def code(self) -> str:
        return self.find("sts:Error/sts:Code")

    @property
    def message(self) -> str:
        return self.find("sts:Error/sts:Message")


@dataclass
class Sts:
    issuer: OidcIssuer
    clock: Clock
    store: CredentialStore
    service: StsService
    url: str
    role: Role

    def mint(self, sub: str = "local-alice", *, lifetime: int = 3600, **kwargs: Any) -> str:
        """A token issued at the stack's now (unless ``issued_at`` says otherwise)."""
        kwargs.setdefault("issued_at", self.clock.epoch)
        return self.issuer.mint_token(sub, expires_in=lifetime, **kwargs)

    def post(self, params: dict[str, Any], *, method: str = "POST") -> Reply:
        body = urlencode(params)
        if method == "POST":
            request = urllib.request.Request(self.url, data=body.encode(), method="POST")
        else:
            request = urllib.request.Request(f"{self.url}/?{body}", method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    def assume(self, token: str | None, *, role: Role | None = None, **params: Any) -> Reply:
        form: dict[str, Any] = {
            "Action": "AssumeRoleWithWebIdentity",
            "Version": "2011-06-15",
            "RoleArn": (role or self.role).arn,
            "RoleSessionName": "checks",
            "WebIdentityToken": token,
        }
        form.update(params)
        return self.post({k: v for k, v in form.items() if v is not None})


@pytest.fixture(scope="module")
def sts() -> Iterator[Sts]:
    issuer = OidcIssuer()
    issuer_server = issuer.serve()
    clock = Clock()
    store = CredentialStore(clock=clock)
    role = Role("reader", allowed_subjects=("local-*", "svc:etl"), max_session_duration=7200)
    service = StsService(store, [role], trusted_issuers=[issuer.base_url])
    server = BackgroundServer(service).start()
    try:
        yield Sts(issuer, clock, store, service, server.url, role)
    finally:
        server.stop()
        issuer_server.stop()


@pytest.fixture(autouse=True)
def _reset(sts: Sts) -> Iterator[None]:
    sts.clock.now = PAST
    yield
    sts.clock.now = PAST
    sts.store.lifetime_override = None
    sts.service.clear_failures()


def accepted(reply: Reply) -> bool:
    assert reply.status in (200, 400, 403), reply.text
    return reply.status == 200


def refused(reply: Reply, code: str, status: int, message: str | None = None) -> None:
    assert (reply.status, reply.code) == (status, code), reply.text
    if message is not None:
        assert reply.message == message


# -- time: exp, nbf, iat against the stack's clock -------------------------------------------------


def test_a_token_expires_at_its_exp_second(sts: Sts) -> None:
    issued = sts.clock.epoch - 100
    assert accepted(sts.assume(sts.mint(issued_at=issued, lifetime=101)))  # exp one second ahead
    at_exp = sts.assume(sts.mint(issued_at=issued, lifetime=100))  # exp == now
    refused(at_exp, "ExpiredTokenException", 400)
    assert at_exp.message == (
        f"Token expired: current date/time {sts.clock.epoch} must be before the expiration date/time {sts.clock.epoch}"
    )


def test_the_stack_clock_judges_time_not_the_host_clock(sts: Sts) -> None:
    """In 2020 (the stack's clock) a token of 2020 is valid although the host clock says it expired years ago;
    in 2031 a token issued and valid from then on is fine although the host clock says it is not valid yet."""
    assert accepted(sts.assume(sts.mint()))
    sts.clock.now = FUTURE
    assert accepted(sts.assume(sts.mint(not_before=sts.clock.epoch)))
    # and a token of the host's today is long expired for a stack living in 2031
    refused(sts.assume(sts.mint(issued_at=int(PAST.timestamp()))), "ExpiredTokenException", 400)


def test_not_before_is_inclusive(sts: Sts) -> None:
    assert accepted(sts.assume(sts.mint(not_before=sts.clock.epoch - 60)))
    assert accepted(sts.assume(sts.mint(not_before=sts.clock.epoch)))
    early = sts.assume(sts.mint(not_before=sts.clock.epoch + 1))
    refused(
        early,
        "IDPRejectedClaim",
        403,
        f"Token is not valid before {sts.clock.epoch + 1}; current date/time {sts.clock.epoch}",
    )


@pytest.mark.parametrize("nbf", [1.5e9, True, "0"], ids=["float", "bool", "string"])
def test_not_before_must_be_an_integer(sts: Sts, nbf: Any) -> None:
    refused(
        sts.assume(sts.mint(extra_claims={"nbf": nbf})),
        "InvalidIdentityToken",
        400,
        "Invalid claim: nbf must be an integer NumericDate",
    )


def test_issued_at_may_be_five_minutes_ahead_and_no_more(sts: Sts) -> None:
    now = sts.clock.epoch
    assert accepted(sts.assume(sts.mint(issued_at=now + 300)))
    refused(sts.assume(sts.mint(issued_at=now + 301)), "IDPRejectedClaim", 403, "Token was issued in the future (iat)")


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_exp_and_iat_are_required_integers(sts: Sts, claim: str) -> None:
    valid = sts.clock.epoch + 60
    missing = sts.assume(sts.mint(extra_claims={claim: None}))
    refused(missing, "InvalidIdentityToken", 400, f"Missing a required claim: {claim}")
    for wrong in (True, float(valid), str(valid)):
        reply = sts.assume(sts.mint(extra_claims={claim: wrong}))
        refused(reply, "InvalidIdentityToken", 400)
        assert reply.message in (f"Invalid claim: {claim} must be an integer NumericDate", _NOT_A_JWT), wrong


_NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"


# -- the token itself: a JWT, RS256, signed by the issuer's current key ---------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    head = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    return head + "." + (_b64(sign(head.encode())) if sign else "")


def _claims(sts: Sts, **overrides: Any) -> dict[str, Any]:
    claims = {
        "iss": sts.issuer.base_url,
        "sub": "local-alice",
        "aud": DEFAULT_AUDIENCE,
        "iat": sts.clock.epoch,
        "exp": sts.clock.epoch + 600,
    }
    claims.update(overrides)
    return claims


def test_only_rs256_is_accepted(sts: Sts) -> None:
    """alg=none and the HS256-with-the-public-key confusion are refused before any key is used."""
    unsigned = _token({"alg": "none", "kid": sts.issuer.kid}, _claims(sts))
    refused(sts.assume(unsigned), "InvalidIdentityToken", 400, "Unsupported token signing algorithm: none")
    public_pem = sts.issuer.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused = _token(
        {"alg": "HS256", "kid": sts.issuer.kid, "typ": "JWT"},
        _claims(sts),
        lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
    )
    refused(sts.assume(confused), "InvalidIdentityToken", 400, "Unsupported token signing algorithm: HS256")
    long_name = _token({"alg": "RS256-and-then-some", "kid": sts.issuer.kid}, _claims(sts))
    refused(sts.assume(long_name), "InvalidIdentityToken", 400, "Unsupported token signing algorithm: RS256-and-then-s")


def test_a_forged_signature_is_unverifiable(sts: Sts) -> None:
    forged = sts.issuer.mint_forged_token("local-alice", issued_at=sts.clock.epoch)
    refused(
        sts.assume(forged),
        "InvalidIdentityToken",
        400,
        "The web identity token that was passed could not be validated by AWS. "
        "Get a new identity token from the identity provider and then retry the request.",
    )


def test_a_token_of_an_unknown_kid_is_unverifiable(sts: Sts) -> None:
    header = {"alg": "RS256", "kid": "not-a-key-of-the-issuer", "typ": "JWT"}
    import jwt

    token = jwt.encode(_claims(sts), sts.issuer.private_key, algorithm="RS256", headers=header)
    reply = sts.assume(token)
    refused(reply, "InvalidIdentityToken", 400)
    assert reply.message.startswith("The web identity token that was passed could not be validated by AWS.")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "x" * 20000], ids=["opaque", "three-parts", "20000-chars"])
def test_what_is_not_a_jwt(sts: Sts, token: str) -> None:
    refused(sts.assume(token), "InvalidIdentityToken", 400, _NOT_A_JWT)


def _rs256(sts: Sts, claims: dict[str, Any]) -> str:
    """A token signed with the issuer's real key, with claims PyJWT would refuse to encode."""
    header = {"alg": "RS256", "kid": sts.issuer.kid, "typ": "JWT"}
    return _token(header, claims, lambda data: sts.issuer.private_key.sign(data, PKCS1v15(), SHA256()))


@pytest.mark.parametrize("sub", [None, ""], ids=["missing", "empty"])
def test_a_subject_is_required(sts: Sts, sub: Any) -> None:
    refused(
        sts.assume(sts.mint(extra_claims={"sub": sub})), "InvalidIdentityToken", 400, "Missing a required claim: sub"
    )


def test_a_subject_that_is_not_a_string(sts: Sts) -> None:
    reply = sts.assume(_rs256(sts, _claims(sts, sub=42)))
    refused(reply, "InvalidIdentityToken", 400)
    assert reply.message in ("Missing a required claim: sub", _NOT_A_JWT)


@pytest.mark.parametrize("iss", [None, "", 7], ids=["missing", "empty", "number"])
def test_an_issuer_is_required(sts: Sts, iss: Any) -> None:
    claims = {k: v for k, v in _claims(sts, iss=iss).items() if v is not None}
    refused(sts.assume(_rs256(sts, claims)), "InvalidIdentityToken", 400, "Missing a required claim: iss")


# -- trust: the issuer (STS and role), the audience, the subject, the role --------------------------------


def test_a_trusted_issuer_with_a_trailing_slash_is_the_same_issuer(sts: Sts) -> None:
    assert accepted(sts.assume(sts.mint(extra_claims={"iss": sts.issuer.base_url + "/"})))


def test_an_issuer_the_sts_does_not_trust_is_refused_even_with_a_valid_signature(sts: Sts) -> None:
    stranger = OidcIssuer()
    with stranger.serve() as server:
        token = stranger.mint_token("local-alice", issued_at=sts.clock.epoch)
        reply = sts.assume(token)
    refused(reply, "InvalidIdentityToken", 400, f"No OpenIDConnect provider found in your account for {server.url}")


def test_a_role_trusts_only_its_own_issuers(sts: Sts) -> None:
    """The STS trusts two issuers; a role whose trust policy names one refuses the other's tokens."""
    other = OidcIssuer()
    with other.serve():
        sts.service.trust_issuer(other.base_url)
        pinned = sts.service.add_role(Role("pinned", allowed_issuers=(sts.issuer.base_url + "/",)))
        ours = sts.mint()
        theirs = other.mint_token("local-alice", issued_at=sts.clock.epoch)
        assert accepted(sts.assume(ours, role=pinned))
        refused(
            sts.assume(theirs, role=pinned),
            "AccessDenied",
            403,
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        )
        assert accepted(sts.assume(theirs)), "a role without an issuer condition trusts every issuer the STS trusts"


def test_the_audience_must_be_one_the_role_allows(sts: Sts) -> None:
    role = sts.service.add_role(Role("client-app", allowed_audiences=("client-a", "client-b")))
    assert accepted(sts.assume(sts.mint(audience="client-b"), role=role))
    reply = sts.assume(sts.mint(audience=["unrelated", "client-a"]), role=role)
    assert accepted(reply)
    assert reply.find("sts:AssumeRoleWithWebIdentityResult/sts:Audience") == "client-a"
    refused(sts.assume(sts.mint(), role=role), "InvalidIdentityToken", 400, "Incorrect token audience")
    refused(sts.assume(sts.mint(audience=[]), role=role), "InvalidIdentityToken", 400, "Incorrect token audience")
    refused(
        sts.assume(sts.mint(audience="CLIENT-A"), role=role), "InvalidIdentityToken", 400, "Incorrect token audience"
    )


@pytest.mark.parametrize(
    ("sub", "trusted"),
    [("local-bob", True), ("svc:etl", True), ("svc:etl2", False), ("LOCAL-bob", False), ("intruder", False)],
)
def test_the_subject_must_match_the_roles_patterns(sts: Sts, sub: str, trusted: bool) -> None:
    reply = sts.assume(sts.mint(sub))
    if trusted:
        assert accepted(reply)
        assert reply.find("sts:AssumeRoleWithWebIdentityResult/sts:SubjectFromWebIdentityToken") == sub
    else:
        refused(reply, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_a_role_whose_arn_is_not_an_iam_role_arn_cannot_be_assumed(sts: Sts) -> None:
    odd = sts.service.add_role(Role("odd", account_id="12345"))  # not a 12-digit account
    refused(sts.assume(sts.mint(), role=odd), "AccessDenied", 403)


def test_the_duration_may_reach_the_roles_maximum_and_no_more(sts: Sts) -> None:
    assert accepted(sts.assume(sts.mint(), DurationSeconds=7200))
    refused(
        sts.assume(sts.mint(), DurationSeconds=7201),
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )


# -- request validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"RoleArn": None},
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            {"RoleArn": "arn:aws:iam::1:role"},
            "1 validation error detected: Value 'arn:aws:iam::1:role' at 'roleArn' failed to satisfy constraint: "
            "Member must have length greater than or equal to 20",
        ),
        (
            {"RoleArn": "arn:aws:iam::123456789012:role/" + "r" * 2018},
            "1 validation error detected: Value 'arn:aws:iam::123456789012:role/"
            + "r" * 2018
            + "' at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048",
        ),
        (
            {"RoleSessionName": None},
            "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            {"RoleSessionName": "x"},
            "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 2",
        ),
        (
            {"RoleSessionName": "s" * 65},
            f"1 validation error detected: Value '{'s' * 65}' at 'roleSessionName' failed to satisfy constraint: "
            "Member must have length less than or equal to 64",
        ),
        (
            {"RoleSessionName": "a b"},
            "1 validation error detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ),
        (
            {"WebIdentityToken": None},
            "1 validation error detected: Value null at 'webIdentityToken' failed to satisfy constraint: "
            "Member must not be null",
        ),
        (
            {"WebIdentityToken": "abc"},
            "1 validation error detected: Value '***' at 'webIdentityToken' failed to satisfy constraint: "
            "Member must have length greater than or equal to 4",
        ),
        (
            {"WebIdentityToken": "x" * 20001},
            "1 validation error detected: Value '***' at 'webIdentityToken' failed to satisfy constraint: "
            "Member must have length less than or equal to 20000",
        ),
        (
            {"DurationSeconds": "899"},
            "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value greater than or equal to 900",
        ),
        (
            {"DurationSeconds": "43201"},
            "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value less than or equal to 43200",
        ),
        (
            {"RoleSessionName": "x!", "DurationSeconds": "1"},
            "2 validation errors detected: Value 'x!' at 'roleSessionName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*; Value '1' at 'durationSeconds' "
            "failed to satisfy constraint: Member must have value greater than or equal to 900",
        ),
    ],
    ids=[
        "arn-null",
        "arn-19",
        "arn-2049",
        "session-null",
        "session-1",
        "session-65",
        "session-pattern",
        "token-null",
        "token-3",
        "token-20001",
        "duration-899",
        "duration-43201",
        "two-problems",
    ],
)
def test_parameter_validation(sts: Sts, params: dict[str, Any], message: str) -> None:
    reply = sts.assume("token-placeholder" if "WebIdentityToken" not in params else None, **params)
    refused(reply, "ValidationError", 400, message)
    assert "<Type>Sender</Type>" in reply.text


@pytest.mark.parametrize(
    "params",
    [
        {"RoleSessionName": "ab"},
        {"RoleSessionName": "s" * 64},
        {"RoleSessionName": "a+=,.@-_9"},
        {"DurationSeconds": "900"},
    ],
    ids=["session-2", "session-64", "session-symbols", "duration-900"],
)
def test_parameters_at_their_bounds_are_accepted(sts: Sts, params: dict[str, Any]) -> None:
    assert accepted(sts.assume(sts.mint(), **params))


def test_a_token_of_four_characters_passes_validation(sts: Sts) -> None:
    refused(sts.assume("abcd"), "InvalidIdentityToken", 400, _NOT_A_JWT)


def test_duration_seconds_that_is_not_a_number(sts: Sts) -> None:
    refused(
        sts.assume(sts.mint(), DurationSeconds="3600s"),
        "MalformedInput",
        400,
        "Invalid value for DurationSeconds: 3600s",
    )
    long = "9" * 30 + "abcdefghij"  # the message quotes the first 32 characters of the value
    refused(
        sts.assume(sts.mint(), DurationSeconds=long),
        "MalformedInput",
        400,
        f"Invalid value for DurationSeconds: {long[:32]}",
    )


def test_a_role_arn_of_20_characters_passes_validation(sts: Sts) -> None:
    refused(sts.assume(sts.mint(), RoleArn="arn:aws:iam::1:role/"), "AccessDenied", 403)


def test_blank_query_parameters_are_kept_and_judged(sts: Sts) -> None:
    """``RoleSessionName=`` in a GET query is an empty value, not a missing one."""
    form = {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": sts.role.arn,
        "RoleSessionName": "",
        "WebIdentityToken": sts.mint(),
    }
    refused(
        sts.post(form, method="GET"),
        "ValidationError",
        400,
        "1 validation error detected: Value '' at 'roleSessionName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 2",
    )
    refused(
        sts.post(form),
        "ValidationError",
        400,
        "1 validation error detected: Value '' at 'roleSessionName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 2",
    )


def test_the_default_duration_is_one_hour(sts: Sts) -> None:
    reply = sts.assume(sts.mint())
    assert reply.find("sts:AssumeRoleWithWebIdentityResult/sts:Credentials/sts:Expiration") == "2020-03-01T13:00:00Z"


# -- the protocol: actions, GET, the response document ---------------------------------------------------


def test_missing_and_unknown_actions(sts: Sts) -> None:
    refused(sts.post({"Version": "2011-06-15"}), "MissingAction", 400, "Missing Action")
    refused(
        sts.post({"Action": "AssumeRoleWithSAML", "Version": "2011-06-15"}),
        "InvalidAction",
        400,
        "Could not find operation AssumeRoleWithSAML for version 2011-06-15",
    )


def test_the_query_protocol_also_comes_as_get(sts: Sts) -> None:
    form = {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": sts.role.arn,
        "RoleSessionName": "by-get",
        "WebIdentityToken": sts.mint(),
    }
    reply = sts.post(form, method="GET")
    assert reply.status == 200
    assert reply.find("sts:AssumeRoleWithWebIdentityResult/sts:AssumedRoleUser/sts:Arn").endswith("/reader/by-get")


def test_the_response_document(sts: Sts) -> None:
    before = sts.service.call_count
    token = sts.mint("svc:etl", audience=["unrelated", DEFAULT_AUDIENCE])
    reply = sts.assume(token, RoleSessionName="etl", DurationSeconds="900")
    assert reply.status == 200 and sts.service.call_count == before + 1
    result = "sts:AssumeRoleWithWebIdentityResult/"
    key = reply.find(result + "sts:Credentials/sts:AccessKeyId")
    issued = sts.store.lookup(key)
    assert issued is not None
    assert reply.find(result + "sts:Credentials/sts:SecretAccessKey") == issued.secret_access_key
    assert reply.find(result + "sts:Credentials/sts:SessionToken") == issued.session_token
    assert reply.find(result + "sts:Credentials/sts:Expiration") == "2020-03-01T12:15:00Z"
    assert reply.find(result + "sts:SubjectFromWebIdentityToken") == "svc:etl"
    assert reply.find(result + "sts:AssumedRoleUser/sts:Arn") == "arn:aws:sts::123456789012:assumed-role/reader/etl"
    assert reply.find(result + "sts:AssumedRoleUser/sts:AssumedRoleId") == issued.assumed_role_id
    port = sts.issuer.base_url.rsplit(":", 1)[1]
    assert reply.find(result + "sts:Provider") == f"arn:aws:iam::123456789012:oidc-provider/127.0.0.1:{port}"
    assert reply.find(result + "sts:Audience") == DEFAULT_AUDIENCE
    assert reply.find("sts:ResponseMetadata/sts:RequestId")
    assert (issued.session_name, issued.subject, issued.role) == ("etl", "svc:etl", sts.role)


@pytest.mark.parametrize(("lifetime", "shown"), [(0.25, "00.250"), (0.999, "00.999"), (1.5, "01.500")])
def test_a_sub_second_lifetime_is_reported_with_milliseconds(sts: Sts, lifetime: float, shown: str) -> None:
    sts.store.lifetime_override = lifetime
    reply = sts.assume(sts.mint())
    expiration = reply.find("sts:AssumeRoleWithWebIdentityResult/sts:Credentials/sts:Expiration")
    assert expiration == f"2020-03-01T12:00:{shown}Z"


def test_injected_failures_come_in_order_then_stop(sts: Sts) -> None:
    sts.service.fail_next(1, "Throttling")
    sts.service.fail_next(1, "SomethingNew")
    refused(sts.assume(sts.mint()), "Throttling", 400, "Rate exceeded")
    refused(sts.assume(sts.mint()), "SomethingNew", 400, "Injected failure SomethingNew")
    assert accepted(sts.assume(sts.mint()))
    sts.service.fail_next(3)
    sts.service.clear_failures()
    assert accepted(sts.assume(sts.mint()))
    sts.service.fail_next()  # by default: one IDPCommunicationError
    refused(sts.assume(sts.mint()), "IDPCommunicationError", 400, "The identity provider could not be reached")
    assert accepted(sts.assume(sts.mint()))


# -- the identity provider's keys: fetched from loopback only, refreshed on an unknown kid ------------------


class FakeIdp:
    """An identity provider whose discovery document and JWKS a test writes (loopback HTTP, real JSON)."""

    def __init__(self) -> None:
        self.issuer = OidcIssuer()
        self.documents: dict[str, Any] = {}
        self.fetches: list[str] = []
        self.server = BackgroundServer(self)
        self.issuer.base_url = self.server.url

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        self.fetches.append(path)
        if path not in self.documents:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(self.documents[path]).encode()]

    def serve_discovery(self, jwks_uri: str | None = None) -> None:
        self.documents["/.well-known/openid-configuration"] = {
            "issuer": self.issuer.base_url,
            "jwks_uri": jwks_uri or self.issuer.base_url + "/keys",
        }


@pytest.fixture
def idp(sts: Sts) -> Iterator[FakeIdp]:
    fake = FakeIdp()
    fake.server.start()
    sts.service.trust_issuer(fake.issuer.base_url)
    try:
        yield fake
    finally:
        fake.server.stop()


def _mint(idp: FakeIdp, sts: Sts, **kwargs: Any) -> str:
    return idp.issuer.mint_token("local-alice", issued_at=sts.clock.epoch, **kwargs)


_NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)


def test_keys_are_fetched_once_and_again_for_a_new_kid(sts: Sts, idp: FakeIdp) -> None:
    idp.serve_discovery()
    idp.documents["/keys"] = idp.issuer.jwks()
    assert accepted(sts.assume(_mint(idp, sts)))
    assert accepted(sts.assume(_mint(idp, sts)))
    assert idp.fetches == ["/.well-known/openid-configuration", "/keys"], "the second token used the cached key"
    rotated = OidcIssuer(idp.issuer.base_url, kid="rotated")  # the IdP rotates its signing key
    idp.documents["/keys"] = {"keys": [idp.issuer.public_jwk(), rotated.public_jwk()]}
    assert accepted(sts.assume(rotated.mint_token("local-alice", issued_at=sts.clock.epoch)))
    assert idp.fetches[2:] == ["/.well-known/openid-configuration", "/keys"]


def test_only_rsa_signing_keys_count(sts: Sts, idp: FakeIdp) -> None:
    idp.serve_discovery()
    encryption = dict(idp.issuer.public_jwk(), use="enc")
    other_use = dict(idp.issuer.public_jwk(), use="wrap")  # RFC 7517 allows other values: still not "sig"
    elliptic = {"kty": "EC", "kid": idp.issuer.kid, "crv": "P-256", "x": "AA", "y": "AA", "use": "sig"}
    idp.documents["/keys"] = {"keys": [encryption, other_use, elliptic]}
    reply = sts.assume(_mint(idp, sts))
    refused(reply, "InvalidIdentityToken", 400)
    assert reply.message.startswith("The web identity token that was passed could not be validated by AWS.")
    no_use = {k: v for k, v in idp.issuer.public_jwk().items() if k != "use"}  # "use" defaults to signing
    idp.documents["/keys"] = {"keys": [no_use]}
    assert accepted(sts.assume(_mint(idp, sts)))
    symmetric = {"kty": "oct", "kid": idp.issuer.kid, "k": "c2VjcmV0", "use": "sig"}  # skipped, not an error
    idp.documents["/keys"] = {"keys": [symmetric, idp.issuer.public_jwk()]}
    sts.service.jwks.clear()  # the keys above are cached: fetch the new set
    assert accepted(sts.assume(_mint(idp, sts)))


@pytest.mark.parametrize("problem", ["no-discovery", "no-jwks-uri", "discovery-not-an-object", "no-jwks", "bad-key"])
def test_an_unusable_identity_provider(sts: Sts, idp: FakeIdp, problem: str) -> None:
    if problem == "no-jwks-uri":
        idp.documents["/.well-known/openid-configuration"] = {"issuer": idp.issuer.base_url}
    elif problem == "discovery-not-an-object":
        idp.documents["/.well-known/openid-configuration"] = ["jwks_uri"]
    elif problem == "no-jwks":
        idp.serve_discovery()
    elif problem == "bad-key":
        idp.serve_discovery()
        idp.documents["/keys"] = {"keys": [{"kty": "RSA", "kid": idp.issuer.kid, "n": "?", "e": "AQAB"}]}
    refused(sts.assume(_mint(idp, sts)), "InvalidIdentityToken", 400, _NO_KEY)


def test_a_jwks_uri_off_loopback_is_never_fetched(sts: Sts, idp: FakeIdp) -> None:
    idp.serve_discovery("http://203.0.113.7/keys")
    reply = sts.assume(_mint(idp, sts))
    refused(
        reply,
        "InvalidIdentityToken",
        400,
        "The local STS only contacts loopback identity providers; refusing http://203.0.113.7/keys",
    )
    assert idp.fetches == ["/.well-known/openid-configuration"]


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("https://localhost/x", True),
        ("http://[::1]:9000", True),
        ("ftp://127.0.0.1", False),
        ("http://127.0.0.2", False),
        ("https://example.com", False),
        ("http://localhost.example.com", False),
        ("127.0.0.1:8080", False),
    ],
)
def test_loopback_urls(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_only_loopback_issuers_can_be_trusted() -> None:
    service = StsService(CredentialStore())
    with pytest.raises(ValueError, match="only loopback issuers can be trusted"):
        service.trust_issuer("https://token.actions.githubusercontent.com")
    service.trust_issuer("http://localhost:1234/")


def test_the_key_cache_itself_never_fetches_from_off_loopback() -> None:
    """JwksCache refuses a non-loopback issuer on its own, whatever the STS in front of it trusts."""
    keys = JwksCache()
    for issuer in ("https://idp.example.com", "http://203.0.113.7:8080"):
        with pytest.raises(ServiceError) as info:
            keys.key_for(issuer, "kid")
        assert (info.value.code, info.value.status) == ("InvalidIdentityToken", 400)
        assert info.value.message == "The local STS only contacts loopback identity providers; refusing " + issuer


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_only_a_post_body_carries_parameters(sts: Sts, method: str) -> None:
    """The query protocol reads a form body only from a POST; another method's body is not read."""
    form = urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"})
    request = urllib.request.Request(sts.url + "/", data=form.encode(), method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            reply = Reply(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        reply = Reply(error.code, error.read().decode())
    refused(reply, "MissingAction", 400, "Missing Action")


def test_the_longest_duration_sts_allows(sts: Sts) -> None:
    role = sts.service.add_role(Role("twelve-hours", max_session_duration=43200))
    reply = sts.assume(sts.mint(), role=role, DurationSeconds="43200")
    assert reply.find("sts:AssumeRoleWithWebIdentityResult/sts:Credentials/sts:Expiration") == "2020-03-02T00:00:00Z"


# -- AssumeRole (role chaining) and the call journal ------------------------------------------------------


def test_assume_role_needs_a_signature_and_is_journaled_with_its_signer(sts: Sts) -> None:
    """AssumeRole is authenticated by SigV4 (the caller is a role session); the journal records every call with
    who signed it — nobody for AssumeRoleWithWebIdentity."""
    sts.clock.now = datetime.now(timezone.utc).replace(microsecond=0)  # botocore signs with the real clock
    sts.service.journal = CallJournal()
    try:
        target = sts.service.add_role(Role("chained", trusted_roles=(sts.role.arn,)))
        mark = sts.service.journal.mark()
        reply = sts.assume(sts.mint())
        key = reply.find("sts:AssumeRoleWithWebIdentityResult/sts:Credentials/sts:AccessKeyId")
        caller = sts.store.lookup(key)
        assert caller is not None
        unsigned = sts.post(
            {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": target.arn, "RoleSessionName": "x1"}
        )
        refused(unsigned, "MissingAuthenticationToken", 403, "Request is missing Authentication Token")
        client = boto3.client(
            "sts",
            endpoint_url=sts.url,
            region_name="us-east-1",
            aws_access_key_id=caller.access_key_id,
            aws_secret_access_key=caller.secret_access_key,
            aws_session_token=caller.session_token,
            config=Config(retries={"total_max_attempts": 1}),
        )
        chained = client.assume_role(RoleArn=target.arn, RoleSessionName="chained-session")
        issued = sts.store.lookup(chained["Credentials"]["AccessKeyId"])
        assert issued is not None and issued.role == target and issued.subject == "local-alice"
        calls = sts.service.journal.since(mark)
        assert [(c.service, c.operation, c.signed_by) for c in calls] == [
            ("sts", "AssumeRoleWithWebIdentity", None),
            ("sts", "AssumeRole", caller.assumed_role_arn),
        ]
        assert calls[0].params["RoleArn"] == sts.role.arn and calls[1].params["RoleArn"] == target.arn
    finally:
        sts.service.journal = None


def test_the_service_is_called_by_parameter_names(sts: Sts) -> None:
    """The constructor's store and roles may be named, the trusted issuers must be; so must ``now``."""
    store = CredentialStore(clock=sts.clock)
    service = StsService(store=store, roles=[sts.role], trusted_issuers=[sts.issuer.base_url])
    params = {"RoleArn": sts.role.arn, "RoleSessionName": "direct", "WebIdentityToken": sts.mint()}
    creds, claims = service.assume_role_with_web_identity(params=params, now=PAST)
    assert claims["sub"] == "local-alice" and creds.expiration == datetime(2020, 3, 1, 13, 0, tzinfo=timezone.utc)
    with pytest.raises(TypeError):
        StsService(store, [sts.role], [sts.issuer.base_url])  # type: ignore[call-arg]


def test_a_role_arn_of_2048_characters_passes_validation(sts: Sts) -> None:
    """The longest ARN STS's model allows is not a ValidationError: STS goes on and finds no such role."""
    role_arn = "arn:aws:iam::123456789012:role/" + "r" * 2017
    assert len(role_arn) == 2048
    reply = sts.assume(sts.mint(), RoleArn=role_arn)
    refused(reply, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_a_new_sts_has_counted_no_call(sts: Sts) -> None:
    """The count starts at zero (test_the_response_document checks that each call adds one)."""
    assert StsService(CredentialStore(clock=Clock()), [sts.role]).call_count == 0
