"""The shape of the STS request the JWT provider sends (captured before it leaves the process)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest
from botocore.awsrequest import AWSResponse

from athena_jwt_dbapi import CredentialsError, resolve_parameters
from athena_jwt_dbapi.credentials.jwt import JwtCredentialsProvider
from athena_jwt_dbapi.redaction import Secret

from .helpers import ROLE_ARN, unsigned_jwt

RESPONSE = b"""<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE12</AccessKeyId>
<SecretAccessKey>secret-from-sts-example</SecretAccessKey><SessionToken>session-token-from-sts</SessionToken>
<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"""


class FakeRaw:
    def stream(self, **_: Any) -> Any:
        yield RESPONSE


def capture(provider: JwtCredentialsProvider) -> list[Any]:
    sent: list[Any] = []

    def before_send(request: Any, **_: Any) -> AWSResponse:
        sent.append(request)
        return AWSResponse(request.url, 200, {}, FakeRaw())

    provider._sts_client().meta.events.register("before-send", before_send)
    return sent


def jwt_provider(**kwargs: Any) -> JwtCredentialsProvider:
    parameters = {
        "CredentialsProvider": "JWT",
        "JwtWebIdentityToken": unsigned_jwt(),
        "JwtRoleArn": ROLE_ARN,
        "JwtRoleSessionName": "shape",
        "Region": "eu-west-1",
        **kwargs,
    }
    provider = resolve_parameters(**parameters).provider
    assert isinstance(provider, JwtCredentialsProvider)
    return provider


def test_unsigned_regional_request_with_exactly_our_values() -> None:
    provider = jwt_provider(RoleSessionDuration=1800)
    sent = capture(provider)
    metadata = provider.fetch()
    assert metadata["access_key"] == "ASIAEXAMPLEEXAMPLE12"
    (request,) = sent
    assert request.url == "https://sts.eu-west-1.amazonaws.com/"
    assert "Authorization" not in request.headers
    assert "X-Amz-Security-Token" not in request.headers
    body = parse_qs(request.body.decode() if isinstance(request.body, bytes) else request.body)
    assert body == {
        "Action": ["AssumeRoleWithWebIdentity"],
        "Version": ["2011-06-15"],
        "RoleArn": [ROLE_ARN],
        "RoleSessionName": ["shape"],
        "WebIdentityToken": [provider.token_source.read().reveal()],
        "DurationSeconds": ["1800"],
    }


def test_sts_endpoint_override_and_standard_retries() -> None:
    provider = jwt_provider(StsEndpoint="sts.internal.example")
    client = provider._sts_client()
    assert client.meta.endpoint_url == "https://sts.internal.example"
    assert client.meta.config.retries["mode"] == "standard"


def test_param_validation_errors_are_redacted() -> None:
    provider = jwt_provider()
    token = unsigned_jwt(sub="bytes")
    with pytest.raises(CredentialsError, match="was not sent") as info:
        provider.fetch(Secret(token.encode()))  # type: ignore[arg-type]  # a wrongly typed value: botocore echoes it
    assert token not in str(info.value)
    assert "eyJ" not in str(info.value)
