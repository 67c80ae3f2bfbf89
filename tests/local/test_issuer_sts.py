"""The local OIDC issuer and STS, exercised over real loopback HTTP with botocore clients."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import botocore
import jwt
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from athena_jwt_dbapi.local._server import BackgroundServer
from athena_jwt_dbapi.local.iam import CredentialStore, Role
from athena_jwt_dbapi.local.issuer import DEFAULT_AUDIENCE, OidcIssuer
from athena_jwt_dbapi.local.s3 import S3Front
from athena_jwt_dbapi.local.sts import StsService

REGION = "us-east-1"


@dataclass
class Stack:
    issuer: OidcIssuer
    store: CredentialStore
    sts: StsService
    sts_url: str
    role: Role
    short_role: Role

    def unsigned_client(self) -> Any:
        return boto3.client(
            "sts",
            endpoint_url=self.sts_url,
            region_name=REGION,
            config=Config(
                signature_version=botocore.UNSIGNED,
                retries={"total_max_attempts": 1},
                # Let the server, not botocore, judge bad session names and durations.
                parameter_validation=False,
            ),
        )

    def signed_client(self, key: str, secret: str, token: str) -> Any:
        return boto3.client(
            "sts",
            endpoint_url=self.sts_url,
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=Config(retries={"total_max_attempts": 1}),
        )

    def assume(self, token: str, *, role: Role | None = None, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = {
            "RoleArn": (role or self.role).arn,
            "RoleSessionName": "tester",
            "WebIdentityToken": token,
        }
        params.update(kwargs)
        result: dict[str, Any] = self.unsigned_client().assume_role_with_web_identity(**params)
        return result


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    issuer = OidcIssuer()
    issuer_server = issuer.serve()
    store = CredentialStore()
    role = Role("athena-reader", allowed_subjects=("local-*", "svc:*"), max_session_duration=43200)
    short_role = Role("short-role")
    sts = StsService(store, [role, short_role], trusted_issuers=[issuer.base_url])
    sts_server = BackgroundServer(sts).start()
    try:
        yield Stack(issuer, store, sts, sts_server.url, role, short_role)
    finally:
        sts_server.stop()
        issuer_server.stop()


@pytest.fixture(autouse=True)
def _reset_knobs(stack: Stack) -> None:
    stack.store.lifetime_override = None


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    err = exc.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


# -- issuer -----------------------------------------------------------------------------------


def test_discovery_and_jwks_are_served(stack: Stack) -> None:
    base = stack.issuer.base_url
    with urllib.request.urlopen(base + "/.well-known/openid-configuration") as resp:
        config = json.loads(resp.read())
    assert config["issuer"] == base
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    with urllib.request.urlopen(config["jwks_uri"]) as resp:
        jwks = json.loads(resp.read())
    (key,) = jwks["keys"]
    assert {key["kty"], key["kid"], key["use"], key["alg"]} == {"RSA", stack.issuer.kid, "sig", "RS256"}
    assert key["n"] and key["e"] == "AQAB"


def test_minted_token_claims(stack: Stack) -> None:
    token = stack.issuer.mint_token("local-alice", expires_in=120)
    header = jwt.get_unverified_header(token)
    assert header["kid"] == stack.issuer.kid and header["alg"] == "RS256"
    claims = jwt.decode(token, stack.issuer.private_key.public_key(), algorithms=["RS256"], audience=DEFAULT_AUDIENCE)
    assert claims["iss"] == stack.issuer.base_url and claims["sub"] == "local-alice"
    assert claims["exp"] - claims["iat"] == 120 and claims["jti"]


# -- AssumeRoleWithWebIdentity ----------------------------------------------------------------


def test_assume_role_returns_credentials_with_requested_lifetime(stack: Stack) -> None:
    token = stack.issuer.mint_token("local-alice")
    before = datetime.now(timezone.utc)
    result = stack.assume(token, DurationSeconds=7200)
    creds = result["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40 and len(creds["SessionToken"]) > 100
    lifetime = creds["Expiration"] - before
    assert timedelta(seconds=7190) <= lifetime <= timedelta(seconds=7210)
    assert result["SubjectFromWebIdentityToken"] == "local-alice"
    assert result["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/athena-reader/tester"
    assert result["AssumedRoleUser"]["AssumedRoleId"].endswith(":tester")
    assert result["Audience"] == DEFAULT_AUDIENCE
    assert "oidc-provider/127.0.0.1" in result["Provider"]
    issued = stack.store.lookup(creds["AccessKeyId"])
    assert issued is not None and issued.subject == "local-alice"
    assert issued.secret_access_key not in repr(issued) and issued.session_token not in repr(issued)


def test_default_duration_is_one_hour(stack: Stack) -> None:
    before = datetime.now(timezone.utc)
    creds = stack.assume(stack.issuer.mint_token())["Credentials"]
    assert timedelta(seconds=3590) <= creds["Expiration"] - before <= timedelta(seconds=3610)


def test_lifetime_override_shortens_credentials(stack: Stack) -> None:
    stack.store.lifetime_override = 5
    before = datetime.now(timezone.utc)
    creds = stack.assume(stack.issuer.mint_token(), DurationSeconds=3600)["Credentials"]
    assert creds["Expiration"] - before <= timedelta(seconds=10)


def test_requests_are_recorded(stack: Stack) -> None:
    token = stack.issuer.mint_token()
    calls = stack.sts.call_count
    stack.assume(token, RoleSessionName="recorded-session", DurationSeconds=900)
    assert stack.sts.call_count == calls + 1
    assert stack.sts.requests[-1] == {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": stack.role.arn,
        "RoleSessionName": "recorded-session",
        "WebIdentityToken": token,
        "DurationSeconds": "900",
    }


@pytest.mark.parametrize(
    ("make_token", "expected"),
    [
        (lambda i: i.mint_forged_token(), ("InvalidIdentityToken", 400)),
        (lambda i: "not-a-jwt", ("InvalidIdentityToken", 400)),
        (lambda i: i.mint_token(issued_at=int(time.time()) - 7200, expires_in=60), ("ExpiredTokenException", 400)),
        (lambda i: i.mint_token(audience="someone-else"), ("InvalidIdentityToken", 400)),
        (lambda i: i.mint_token("intruder"), ("AccessDenied", 403)),
        (lambda i: i.mint_token(extra_claims={"exp": time.time() + 600}), ("InvalidIdentityToken", 400)),
        (lambda i: i.mint_token(extra_claims={"iat": "yesterday"}), ("InvalidIdentityToken", 400)),
        (lambda i: i.mint_token(extra_claims={"iss": "http://127.0.0.1:1"}), ("InvalidIdentityToken", 400)),
        (lambda i: i.mint_token(not_before=int(time.time()) + 3600), ("IDPRejectedClaim", 403)),
        (lambda i: i.mint_token(extra_claims={"aud": {"sts.amazonaws.com": 1}}), ("InvalidIdentityToken", 400)),
        (lambda i: i.mint_token(extra_claims={"aud": ["sts.amazonaws.com", 7]}), ("InvalidIdentityToken", 400)),
        (lambda i: i.mint_token(extra_claims={"aud": None}), ("InvalidIdentityToken", 400)),
    ],
    ids=[
        "forged",
        "not-jwt",
        "expired",
        "audience",
        "subject",
        "float-exp",
        "str-iat",
        "untrusted-iss",
        "nbf",
        "aud-object",
        "aud-list-with-a-number",
        "aud-left-out",
    ],
)
def test_token_rejections(stack: Stack, make_token: Any, expected: tuple[str, int]) -> None:
    with pytest.raises(ClientError) as exc:
        stack.assume(make_token(stack.issuer))
    assert _code(exc) == expected


def test_an_audience_list_with_ours_is_accepted(stack: Stack) -> None:
    creds = stack.assume(stack.issuer.mint_token(audience=["another-client", "sts.amazonaws.com"]))
    assert creds["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_expired_token_message(stack: Stack) -> None:
    token = stack.issuer.mint_token(issued_at=int(time.time()) - 7200, expires_in=60)
    with pytest.raises(ClientError) as exc:
        stack.assume(token)
    assert exc.value.response["Error"]["Message"].startswith("Token expired: current date/time ")


@pytest.mark.parametrize(
    ("kwargs", "message_part"),
    [
        ({"RoleSessionName": "bad name!"}, "Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        ({"RoleSessionName": "x"}, "Member must have length greater than or equal to 2"),
        ({"DurationSeconds": 899}, "Member must have value greater than or equal to 900"),
        ({"DurationSeconds": 43201}, "Member must have value less than or equal to 43200"),
    ],
    ids=["session-pattern", "session-short", "duration-899", "duration-43201"],
)
def test_parameter_validation(stack: Stack, kwargs: dict[str, Any], message_part: str) -> None:
    with pytest.raises(ClientError) as exc:
        stack.assume(stack.issuer.mint_token(), **kwargs)
    assert _code(exc) == ("ValidationError", 400)
    message = exc.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value ") and message_part in message


def test_duration_over_role_maximum(stack: Stack) -> None:
    with pytest.raises(ClientError) as exc:
        stack.assume(stack.issuer.mint_token(), role=stack.short_role, DurationSeconds=3601)
    assert _code(exc) == ("ValidationError", 400)
    assert exc.value.response["Error"]["Message"] == (
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    )


def test_unknown_role_is_access_denied(stack: Stack) -> None:
    with pytest.raises(ClientError) as exc:
        stack.assume(stack.issuer.mint_token(), role=Role("no-such-role"))
    assert _code(exc) == ("AccessDenied", 403)
    assert exc.value.response["Error"]["Message"] == "Not authorized to perform sts:AssumeRoleWithWebIdentity"


def test_fail_next(stack: Stack) -> None:
    token = stack.issuer.mint_token()
    stack.sts.fail_next(2)
    for _ in range(2):
        with pytest.raises(ClientError) as exc:
            stack.assume(token)
        assert _code(exc) == ("IDPCommunicationError", 400)
        assert exc.value.response["Error"]["Message"] == "The identity provider could not be reached"
    assert stack.assume(token)["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_error_xml_shape(stack: Stack) -> None:
    body = b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + stack.role.arn.encode()
    request = urllib.request.Request(stack.sts_url, data=body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request)
    text = exc.value.read().decode()
    assert exc.value.code == 400
    assert text.startswith('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">')
    assert "<Type>Sender</Type>" in text and "<Code>ValidationError</Code>" in text
    assert "2 validation errors detected" in text and "<RequestId>" in text


# -- GetCallerIdentity ------------------------------------------------------------------------


def test_get_caller_identity(stack: Stack) -> None:
    creds = stack.assume(stack.issuer.mint_token("svc:etl"), RoleSessionName="etl")["Credentials"]
    client = stack.signed_client(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    identity = client.get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::123456789012:assumed-role/athena-reader/etl"
    assert identity["Account"] == "123456789012"


def test_get_caller_identity_wrong_secret(stack: Stack) -> None:
    creds = stack.assume(stack.issuer.mint_token())["Credentials"]
    client = stack.signed_client(creds["AccessKeyId"], "x" * 40, creds["SessionToken"])
    with pytest.raises(ClientError) as exc:
        client.get_caller_identity()
    assert _code(exc) == ("SignatureDoesNotMatch", 403)
    assert creds["SessionToken"] not in str(exc.value)


def test_get_caller_identity_bad_token_and_unknown_key(stack: Stack) -> None:
    creds = stack.assume(stack.issuer.mint_token())["Credentials"]
    client = stack.signed_client(creds["AccessKeyId"], creds["SecretAccessKey"], "bogus")
    with pytest.raises(ClientError) as exc:
        client.get_caller_identity()
    assert _code(exc) == ("InvalidClientTokenId", 403)
    client = stack.signed_client("ASIAUNKNOWNUNKNOWN00", "x" * 40, "bogus")
    with pytest.raises(ClientError) as exc:
        client.get_caller_identity()
    assert _code(exc) == ("InvalidClientTokenId", 403)


def test_get_caller_identity_unsigned(stack: Stack) -> None:
    with pytest.raises(ClientError) as exc:
        stack.unsigned_client().get_caller_identity()
    assert _code(exc) == ("MissingAuthenticationToken", 403)


def test_get_caller_identity_expired(stack: Stack) -> None:
    creds = stack.assume(stack.issuer.mint_token())["Credentials"]
    stack.store.expire_all()
    client = stack.signed_client(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    with pytest.raises(ClientError) as exc:
        client.get_caller_identity()
    # Real STS answers ExpiredToken (query protocol); Athena's JSON protocol says ExpiredTokenException.
    assert _code(exc) == ("ExpiredToken", 403)
    assert exc.value.response["Error"]["Message"] == "The security token included in the request is expired"
    fresh = stack.assume(stack.issuer.mint_token())["Credentials"]
    client = stack.signed_client(fresh["AccessKeyId"], fresh["SecretAccessKey"], fresh["SessionToken"])
    assert client.get_caller_identity()["Account"] == "123456789012"


def test_role_rejects_out_of_range_max_session_duration() -> None:
    with pytest.raises(ValueError, match="43200"):
        Role("r", max_session_duration=43201)
    assert Role("r").arn == "arn:aws:iam::123456789012:role/r"


def test_trust_issuer_refuses_non_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        StsService(CredentialStore(), trusted_issuers=["https://example.com"])


def test_botocore_retries_idp_communication_error_by_itself(stack: Stack) -> None:
    client = boto3.client(
        "sts",
        endpoint_url=stack.sts_url,
        region_name=REGION,
        config=Config(signature_version=botocore.UNSIGNED, retries={"mode": "standard"}),
    )
    calls = stack.sts.call_count
    stack.sts.fail_next(1)
    result = client.assume_role_with_web_identity(
        RoleArn=stack.role.arn, RoleSessionName="retry", WebIdentityToken=stack.issuer.mint_token()
    )
    assert result["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert stack.sts.call_count == calls + 2


def test_sts_credentials_work_against_the_s3_front(stack: Stack) -> None:
    creds = stack.assume(stack.issuer.mint_token())["Credentials"]
    with S3Front(stack.store, reset_on_start=False) as front:
        bucket = f"e2e-{creds['AccessKeyId'].lower()}"
        front.create_bucket(bucket)
        s3 = boto3.client(
            "s3",
            endpoint_url=front.url,
            region_name=REGION,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
