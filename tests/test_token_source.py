"""Token sources and the checks made before any network call."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import athena_jwt_dbapi
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


# --- the checks before any network call, at their bounds ---------------------------------------------


@pytest.mark.parametrize("size", [4, 20000])
def test_tokens_at_both_length_bounds_are_accepted(size: int) -> None:
    check_token(("0123456789abcdef" * 1250)[:size], "JwtWebIdentityToken")


@pytest.mark.parametrize("size", [3, 20001])
def test_tokens_beyond_the_length_bounds_are_refused(size: int) -> None:
    with pytest.raises(ParameterError) as info:
        check_token(("0123456789abcdef" * 1251)[:size], "JwtWebIdentityTokenFile")
    assert str(info.value) == (
        "Invalid value specified for connection property: JwtWebIdentityTokenFile. A web identity token has "
        f"4 to 20000 characters; this one has {size}."
    )
    assert info.value.parameter == "JwtWebIdentityTokenFile"


EXPIRED_AT = datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_a_token_a_minute_past_its_expiry_is_still_accepted() -> None:
    token = unsigned_jwt(exp=int(EXPIRED_AT.timestamp()))
    check_token(token, "JwtWebIdentityToken", now=EXPIRED_AT + timedelta(seconds=60))


def test_a_token_more_than_a_minute_past_its_expiry_is_refused() -> None:
    token = unsigned_jwt(exp=int(EXPIRED_AT.timestamp()))
    with pytest.raises(ParameterError) as info:
        check_token(token, "JwtWebIdentityToken", now=EXPIRED_AT + timedelta(seconds=61))
    assert str(info.value) == (
        "The web identity token (JwtWebIdentityToken) expired at 2030-01-01T00:00:00+00:00 (61 seconds ago); "
        "get a fresh token."
    )


@pytest.mark.parametrize("exp", [10**20, int(3e14), -(2**63)])  # OverflowError, ValueError, OSError on Linux
def test_an_expiry_outside_the_calendar_is_left_to_sts(exp: int) -> None:
    check_token(unsigned_jwt(exp=exp), "JwtWebIdentityToken")


def _segment(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        f"{_segment({'alg': 'none'})}.{_segment({'exp': 1})}",  # two segments
        f"{_segment({'alg': 'none'})}.{_segment({'exp': 1})}.c2ln.ZXh0cmE",  # four segments
        f"{_segment(['alg'])}.{_segment({'exp': 1})}.c2ln",  # a header that is not a JSON object
        f"{_segment({'alg': 'none'})}.{_segment([1])}.c2ln",  # claims that are not a JSON object
    ],
)
def test_only_three_json_object_segments_make_a_jwt(token: str) -> None:
    """Anything else is an opaque token: no claim of it is checked here, STS decides."""
    assert jwt_claims(token) is None
    check_token(token, "JwtWebIdentityToken")


@pytest.mark.parametrize("claims", [{"exp": 1, "sub": "a"}, {"exp": 1, "sub": "ab"}, {"exp": 1, "sub": "abc"}])
def test_claims_are_read_whatever_the_segment_length(claims: dict[str, object]) -> None:
    """base64url drops the padding; each of the three possible lengths of a segment decodes."""
    assert jwt_claims(f"{_segment({'alg': 'none'})}.{_segment(claims)}.c2ln") == claims


# --- token files ----------------------------------------------------------------------------------

LONGEST = "\U0001f600" * 20000  # the longest token STS takes, in 4-byte UTF-8 characters: 80,000 bytes


def test_a_token_file_as_long_as_the_longest_token_and_some_whitespace_is_read(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_bytes(b"\n" * 64 + LONGEST.encode())
    assert FileTokenSource(str(path)).read().reveal() == LONGEST


def test_a_token_file_one_byte_longer_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_bytes(b"\n" * 65 + LONGEST.encode())
    with pytest.raises(ParameterError) as info:
        FileTokenSource(str(path)).read()
    assert str(info.value) == (
        f"Cannot read the token file {path} (JwtWebIdentityTokenFile): it is longer than any token "
        "(20000 characters at most)."
    )


def test_a_token_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_bytes(b"\xff\xfe" + unsigned_jwt().encode("utf-16-le"))
    with pytest.raises(ParameterError) as info:
        FileTokenSource(str(path)).read()
    assert str(info.value) == f"Cannot read the token file {path} (JwtWebIdentityTokenFile): it is not UTF-8 text."


def test_a_missing_token_file_says_why_as_the_os_does(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ParameterError) as info:
        FileTokenSource(str(missing), parameter="AWS_WEB_IDENTITY_TOKEN_FILE").read()
    assert str(info.value) == (
        f"Cannot read the token file {missing} (AWS_WEB_IDENTITY_TOKEN_FILE): No such file or directory."
    )
    assert info.value.parameter == "AWS_WEB_IDENTITY_TOKEN_FILE"


def test_a_token_file_whose_reading_fails_says_why() -> None:
    """/proc/self/mem is a regular file whose first page cannot be read (EIO)."""
    with pytest.raises(ParameterError) as info:
        FileTokenSource("/proc/self/mem").read()
    assert str(info.value) == "Cannot read the token file /proc/self/mem (JwtWebIdentityTokenFile): Input/output error."


def test_a_fifo_is_refused_at_once_even_without_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "token"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            FileTokenSource(str(fifo)).read()
        except BaseException as error:  # handed to the test's thread
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    blocked = reader.is_alive()
    if blocked:  # the open waits for a writer: be one, so that no thread is left behind
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join()
    assert not blocked, "opening the FIFO waited for a writer"
    assert [str(e) for e in outcome] == [
        f"Cannot read the token file {fifo} (JwtWebIdentityTokenFile): it is not a regular file."
    ]


def test_a_token_file_is_read_where_the_os_has_no_non_blocking_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has no O_NONBLOCK: the file is then opened for reading only, as usual."""
    path = tmp_path / "token"
    path.write_text(unsigned_jwt(sub="windows"))
    monkeypatch.delattr(os, "O_NONBLOCK")
    assert jwt_claims(FileTokenSource(str(path)).read().reveal())["sub"] == "windows"  # type: ignore[index]


def test_a_file_sources_cache_identity_names_the_file_and_the_token_hash(tmp_path: Path) -> None:
    token = Secret(unsigned_jwt())
    first, second = FileTokenSource(str(tmp_path / "a")), FileTokenSource(str(tmp_path / "b"))
    assert first.identity(token).startswith(f"file:{tmp_path / 'a'}:")
    assert first.identity(token) != second.identity(token)
    assert token.reveal() not in first.identity(token)


# --- renewal and callables -------------------------------------------------------------------------


def test_files_and_callables_are_renewable(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(unsigned_jwt())
    assert provider(JwtWebIdentityTokenFile=str(path)).token_source.renewable
    assert provider(JwtWebIdentityTokenCallable=unsigned_jwt).token_source.renewable


def test_a_callable_is_given_network_timeout_or_a_minute() -> None:
    assert provider(JwtWebIdentityTokenCallable=unsigned_jwt).token_source.timeout == 60.0  # type: ignore[attr-defined]
    bounded = provider(JwtWebIdentityTokenCallable=unsigned_jwt, NetworkTimeoutMillis=2500).token_source
    assert bounded.timeout == 2.5  # type: ignore[attr-defined]


def test_a_callable_that_never_returns_is_given_up_on_and_does_not_hold_the_program() -> None:
    """In a fresh process: the read fails after NetworkTimeoutMillis, and the process still exits (the hung
    callable's thread must not keep the interpreter alive)."""
    code = (
        "import threading\n"
        "from athena_jwt_dbapi import CredentialsError, resolve_parameters\n"
        f"arguments = {BASE!r}\n"
        "never = threading.Event()\n"
        "source = resolve_parameters(**arguments, JwtWebIdentityTokenCallable=never.wait,\n"
        "                            NetworkTimeoutMillis=50).provider.token_source\n"
        "try:\n"
        "    source.read()\n"
        "except CredentialsError as error:\n"
        "    print(error)\n"
    )
    package_root = str(Path(athena_jwt_dbapi.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": package_root}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=15)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "JwtWebIdentityTokenCallable did not return a token within 0.05 s (NetworkTimeoutMillis bounds it); "
        "no token was obtained.\n"
    )


# --- which source ----------------------------------------------------------------------------------


def test_two_token_sources_are_refused_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(unsigned_jwt())
    with pytest.raises(ParameterError) as info:
        provider(JwtWebIdentityToken=unsigned_jwt(), JwtWebIdentityTokenCallable=unsigned_jwt)
    assert str(info.value) == "Give only one token source; got JwtWebIdentityToken and JwtWebIdentityTokenCallable."
    assert info.value.parameter == "JwtWebIdentityTokenCallable"
    with pytest.raises(ParameterError) as info:
        provider(
            JwtWebIdentityToken=unsigned_jwt(),
            JwtWebIdentityTokenFile=str(path),
            JwtWebIdentityTokenCallable=unsigned_jwt,
        )
    assert str(info.value) == (
        "Give only one token source; got JwtWebIdentityToken and JwtWebIdentityTokenFile and "
        "JwtWebIdentityTokenCallable."
    )
    assert info.value.parameter == "JwtWebIdentityTokenFile"


@pytest.mark.parametrize("environment", [None, ""])
def test_no_token_source_at_all(monkeypatch: pytest.MonkeyPatch, environment: str | None) -> None:
    if environment is not None:
        monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", environment)
    with pytest.raises(ParameterError) as info:
        provider()
    assert str(info.value) == (
        "Missing required connection property: JwtWebIdentityToken (or JwtWebIdentityTokenFile, "
        "JwtWebIdentityTokenCallable, or the AWS_WEB_IDENTITY_TOKEN_FILE environment variable)."
    )
    assert info.value.parameter == "JwtWebIdentityToken"
