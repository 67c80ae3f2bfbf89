"""Token sources and the checks made before any network call."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from athena_jwt_dbapi import ParameterError, resolve_parameters
from athena_jwt_dbapi.credentials.jwt import JwtCredentialsProvider
from athena_jwt_dbapi.credentials.token_source import (
    CallableTokenSource,
    FileTokenSource,
    LiteralTokenSource,
    check_token,
    jwt_claims,
)
from athena_jwt_dbapi.redaction import Secret

from .helpers import ROLE_ARN, unsigned_jwt

BASE = {"CredentialsProvider": "JWT", "JwtRoleArn": ROLE_ARN, "JwtRoleSessionName": "tests", "Region": "us-east-1"}


def provider(**kwargs: object) -> JwtCredentialsProvider:
    built = resolve_parameters(**{**BASE, **kwargs}).provider
    assert isinstance(built, JwtCredentialsProvider)
    return built


def test_literal_token() -> None:
    token = unsigned_jwt()
    source = provider(JwtWebIdentityToken=token).token_source
    assert isinstance(source, LiteralTokenSource)
    read = source.read()
    assert read.reveal() == token
    assert token not in repr(read) and token not in str(read)
    assert not source.renewable
    assert token not in repr(source)


def test_file_token_is_re_read_every_time(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(unsigned_jwt(sub="first") + "\n")
    source = provider(JwtWebIdentityTokenFile=str(path)).token_source
    assert isinstance(source, FileTokenSource)
    assert jwt_claims(source.read().reveal())["sub"] == "first"  # type: ignore[index]
    path.write_text(unsigned_jwt(sub="second"))
    assert jwt_claims(source.read().reveal())["sub"] == "second"  # type: ignore[index]


def test_callable_token_is_called_every_time() -> None:
    calls: list[int] = []

    def token() -> str:
        calls.append(1)
        return unsigned_jwt(sub=f"call-{len(calls)}")

    source = provider(JwtWebIdentityTokenCallable=token).token_source
    assert isinstance(source, CallableTokenSource)
    assert jwt_claims(source.read().reveal())["sub"] == "call-1"  # type: ignore[index]
    assert jwt_claims(source.read().reveal())["sub"] == "call-2"  # type: ignore[index]


def test_callable_that_raises_is_reported_without_its_message() -> None:
    def broken() -> str:
        raise RuntimeError("secret-ish detail")

    with pytest.raises(ParameterError, match="raised RuntimeError") as info:
        provider(JwtWebIdentityTokenCallable=broken).token_source.read()
    assert "secret-ish" not in str(info.value)


def test_callable_returning_a_non_string() -> None:
    with pytest.raises(ParameterError, match="gave a int, not a str"):
        provider(JwtWebIdentityTokenCallable=lambda: 42).token_source.read()


def test_environment_is_the_last_resort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "k8s-token"
    path.write_text(unsigned_jwt(sub="pod"))
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(path))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::210987654321:role/from-env")
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "env-session")
    built = resolve_parameters(CredentialsProvider="JWT", Region="us-east-1").provider
    assert isinstance(built, JwtCredentialsProvider)
    assert built.role_arn == "arn:aws:iam::210987654321:role/from-env"
    assert built.session_name == "env-session"
    assert built.token_source.parameter == "AWS_WEB_IDENTITY_TOKEN_FILE"
    assert jwt_claims(built.token_source.read().reveal())["sub"] == "pod"  # type: ignore[index]


def test_explicit_parameters_beat_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::210987654321:role/from-env")
    built = provider(JwtWebIdentityToken=unsigned_jwt())
    assert built.role_arn == ROLE_ARN


def test_environment_session_name_defaults_like_botocore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "token"
    path.write_text(unsigned_jwt())
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(path))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE_ARN)
    built = resolve_parameters(CredentialsProvider="JWT", Region="us-east-1").provider
    assert isinstance(built, JwtCredentialsProvider)
    assert built.session_name.startswith("athena-jwt-dbapi-")


def test_bad_role_arn_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "token"
    path.write_text(unsigned_jwt())
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(path))
    monkeypatch.setenv("AWS_ROLE_ARN", "not-an-arn-but-long-enough")
    with pytest.raises(ParameterError, match="AWS_ROLE_ARN"):
        resolve_parameters(CredentialsProvider="JWT", Region="us-east-1")


def test_missing_token_file_is_reported_with_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ParameterError, match=f"Cannot read the token file {missing}"):
        provider(JwtWebIdentityTokenFile=str(missing)).token_source.read()


@pytest.mark.parametrize("age", [61, 3600])
def test_expired_jwt_is_refused_saying_when(age: int) -> None:
    expired = int(time.time()) - age
    token = unsigned_jwt(exp=expired)
    with pytest.raises(ParameterError, match="expired at") as info:
        check_token(token, "JwtWebIdentityToken")
    assert datetime.fromtimestamp(expired, timezone.utc).isoformat() in str(info.value)
    assert token not in str(info.value)


def test_a_minute_of_leeway() -> None:
    check_token(unsigned_jwt(exp=int(time.time()) - 30), "JwtWebIdentityToken")


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_non_integer_time_claims_are_refused(claim: str) -> None:
    with pytest.raises(ParameterError, match=f"'{claim}' claim must be an integer"):
        check_token(unsigned_jwt(**{claim: 1.9e9 + 0.5}), "JwtWebIdentityToken")


@pytest.mark.parametrize("token", ["opaque-oauth-access-token", "a.b.c", "ya29.a0AfH6SMBx-opaque"])
def test_opaque_tokens_are_allowed(token: str) -> None:
    check_token(token, "JwtWebIdentityToken")
    assert jwt_claims(token) is None


def test_cache_identity_never_contains_the_token() -> None:
    token = unsigned_jwt()
    identity = LiteralTokenSource(token).identity(Secret(token))
    assert token not in identity
    assert identity.startswith("literal:")


def test_cache_identity_of_a_callable_depends_on_the_token() -> None:
    """A callable that returns different users' tokens must never share one user's credentials."""
    source = CallableTokenSource(lambda: "unused")
    assert source.identity(Secret(unsigned_jwt(sub="alice"))) != source.identity(Secret(unsigned_jwt(sub="bob")))
