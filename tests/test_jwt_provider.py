"""``CredentialsProvider=JWT`` before any network call: its parameters' bounds and secrecy, the choice of
token source, and the AWS_* environment standing in for parameters (only for the environment's token file).

Each check is at its edge and asserts the message a user reads, which names the parameter and the bound.
"""

from __future__ import annotations

import re
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest

from athena_jwt_dbapi import CredentialsError, ParameterError, resolve_parameters
from athena_jwt_dbapi.credentials.jwt import JwtCredentialsProvider
from athena_jwt_dbapi.credentials.token_source import CallableTokenSource, FileTokenSource, LiteralTokenSource

from .helpers import ROLE_ARN, unsigned_jwt

BASE: dict[str, Any] = {
    "CredentialsProvider": "JWT",
    "Region": "us-east-1",
    "JwtRoleArn": ROLE_ARN,
    "JwtRoleSessionName": "jwt-tests",
    "JwtWebIdentityToken": "opaque-token",
}


def provider(**overrides: Any) -> JwtCredentialsProvider:
    parameters = {k: v for k, v in {**BASE, **overrides}.items() if v is not None}
    built = resolve_parameters(**parameters).provider
    assert isinstance(built, JwtCredentialsProvider)
    return built


def refused(parameter: str, message: str, **overrides: Any) -> ParameterError:
    with pytest.raises(ParameterError) as info:
        provider(**overrides)
    assert info.value.parameter == parameter
    assert str(info.value) == message
    return info.value


def invalid(parameter: str, reason: str, shown: str) -> str:
    return f"Invalid value specified for connection property: {parameter}. {reason} Got {shown}."


# -- JwtRoleArn ------------------------------------------------------------------------------------------


def _arn_of_length(length: int) -> str:
    """A well-formed role ARN of exactly ``length`` characters (the partition pads it)."""
    tail = ":iam::123456789012:role/" + "r" * 512
    arn = "arn:aws" + "-" * (length - len("arn:aws") - len(tail)) + tail
    assert len(arn) == length
    return arn


def _error(**overrides: Any) -> ParameterError:
    with pytest.raises(ParameterError) as info:
        provider(**overrides)
    return info.value


def test_a_role_arn_may_be_2048_characters_and_no_more() -> None:
    assert provider(JwtRoleArn=_arn_of_length(2048)).role_arn == _arn_of_length(2048)
    error = _error(JwtRoleArn=_arn_of_length(2049))
    assert error.parameter == "JwtRoleArn"
    assert str(error).startswith(
        "Invalid value specified for connection property: JwtRoleArn. "
        "Its length must be between 20 and 2048 characters; it has 2049. Got 'arn:aws---"
    )


def test_a_role_arn_shorter_than_20_characters_is_refused_for_its_length() -> None:
    refused(
        "JwtRoleArn",
        invalid("JwtRoleArn", "Its length must be between 20 and 2048 characters; it has 19.", "'" + "x" * 19 + "'"),
        JwtRoleArn="x" * 19,
    )
    refused(
        "JwtRoleArn",
        invalid(
            "JwtRoleArn",
            "It must be an IAM role ARN such as arn:aws:iam::123456789012:role/name.",
            "'" + "x" * 20 + "'",
        ),
        JwtRoleArn="x" * 20,
    )


# -- the token and its sources --------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [4, 20000])
def test_a_literal_token_of_4_to_20000_characters(length: int) -> None:
    source = provider(JwtWebIdentityToken="t" * length).token_source
    assert isinstance(source, LiteralTokenSource) and source.read().reveal() == "t" * length


@pytest.mark.parametrize("length", [3, 20001])
def test_a_literal_token_outside_4_to_20000_characters_is_refused_without_showing_it(length: int) -> None:
    token = "t" * length
    error = refused(
        "JwtWebIdentityToken",
        invalid(
            "JwtWebIdentityToken",
            f"Its length must be between 4 and 20000 characters; it has {length}.",
            "(value hidden)",
        ),
        JwtWebIdentityToken=token,
    )
    assert token not in str(error) and token not in repr(error)


def test_a_token_file_path_of_1_to_4096_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("t").write_text("token-in-a-file-named-t")
    source = provider(JwtWebIdentityToken=None, JwtWebIdentityTokenFile="t").token_source
    assert isinstance(source, FileTokenSource) and source.read().reveal() == "token-in-a-file-named-t"
    longest = "/" + "d" * 4095
    assert isinstance(provider(JwtWebIdentityToken=None, JwtWebIdentityTokenFile=longest).token_source, FileTokenSource)
    error = _error(JwtWebIdentityToken=None, JwtWebIdentityTokenFile=longest + "d")
    assert error.parameter == "JwtWebIdentityTokenFile"
    assert "Its length must be between 1 and 4096 characters; it has 4097." in str(error)


def test_only_one_token_source() -> None:
    path = "/var/run/secrets/token"
    refused(
        "JwtWebIdentityTokenFile",
        "Give only one token source; got JwtWebIdentityToken and JwtWebIdentityTokenFile.",
        JwtWebIdentityTokenFile=path,
    )
    refused(
        "JwtWebIdentityTokenCallable",
        "Give only one token source; got JwtWebIdentityTokenFile and JwtWebIdentityTokenCallable.",
        JwtWebIdentityToken=None,
        JwtWebIdentityTokenFile=path,
        JwtWebIdentityTokenCallable=lambda: "token",
    )
    refused(
        "JwtWebIdentityTokenFile",
        "Give only one token source; got JwtWebIdentityToken and JwtWebIdentityTokenFile and "
        "JwtWebIdentityTokenCallable.",
        JwtWebIdentityTokenFile=path,
        JwtWebIdentityTokenCallable=lambda: "token",
    )


def test_each_source_is_what_its_parameter_names(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("from-the-file")
    assert isinstance(provider().token_source, LiteralTokenSource)
    from_file = provider(JwtWebIdentityToken=None, JwtWebIdentityTokenFile=str(path)).token_source
    assert isinstance(from_file, FileTokenSource) and from_file.read().reveal() == "from-the-file"
    assert from_file.parameter == "JwtWebIdentityTokenFile"
    from_callable = provider(JwtWebIdentityToken=None, JwtWebIdentityTokenCallable=lambda: "from-the-callable")
    assert isinstance(from_callable.token_source, CallableTokenSource)
    assert from_callable.token_source.read().reveal() == "from-the-callable"


def test_no_token_source_at_all() -> None:
    refused(
        "JwtWebIdentityToken",
        "Missing required connection property: JwtWebIdentityToken (or JwtWebIdentityTokenFile, "
        "JwtWebIdentityTokenCallable, or the AWS_WEB_IDENTITY_TOKEN_FILE environment variable).",
        JwtWebIdentityToken=None,
    )


def test_a_token_callable_is_bounded_by_network_timeout_millis() -> None:
    release = threading.Event()

    def hangs() -> str:
        release.wait(5)
        return "late-token"

    source = provider(JwtWebIdentityToken=None, JwtWebIdentityTokenCallable=hangs, NetworkTimeoutMillis=50).token_source
    try:
        with pytest.raises(CredentialsError) as info:
            source.read()
        assert str(info.value) == (
            "JwtWebIdentityTokenCallable did not return a token within 0.05 s (NetworkTimeoutMillis bounds it); "
            "no token was obtained."
        )
    finally:
        release.set()
    quick = provider(JwtWebIdentityToken=None, JwtWebIdentityTokenCallable=lambda: "quick", NetworkTimeoutMillis=900)
    assert quick.token_source.read().reveal() == "quick"


# -- the role session ---------------------------------------------------------------------------------------


def test_role_session_duration_defaults_to_an_hour_within_900_to_43200() -> None:
    assert provider().duration == 3600
    assert provider(RoleSessionDuration=900).duration == 900
    assert provider(RoleSessionDuration=43200).duration == 43200
    refused(
        "RoleSessionDuration",
        invalid("RoleSessionDuration", "It must be at least 900.", "899"),
        RoleSessionDuration=899,
    )
    refused(
        "RoleSessionDuration",
        invalid("RoleSessionDuration", "It must be at most 43200.", "43201"),
        RoleSessionDuration=43201,
    )


def test_duration_aliases() -> None:
    """``duration_seconds`` (PyAthena's name) is a plain alias; ``Duration`` (JDBC 2.x) is deprecated."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert provider(duration_seconds=1200).duration == 1200
    with pytest.warns(DeprecationWarning, match="Connection property Duration is deprecated; use RoleSessionDuration"):
        assert provider(Duration=1300).duration == 1300


@pytest.mark.parametrize(
    ("alias", "canonical", "value"),
    [
        ("web_identity_token", "JwtWebIdentityToken", "opaque-token"),
        ("role_arn", "JwtRoleArn", ROLE_ARN),
        ("role_session_name", "JwtRoleSessionName", "aliased"),
    ],
)
def test_pyathena_style_aliases_are_deprecated(alias: str, canonical: str, value: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"Connection property {alias} is deprecated; use {canonical}"):
        provider(**{canonical: None, alias: value})


# -- the AWS_* environment, as botocore's web identity provider reads it -----------------------------------


@pytest.fixture
def token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "web-identity-token"
    path.write_text(unsigned_jwt(sub="pod"))
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(path))
    return path


ENV_ONLY = {"JwtWebIdentityToken": None, "JwtRoleArn": None, "JwtRoleSessionName": None}


def test_the_environment_names_role_and_session_for_its_own_token_file(
    token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/from-env")
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "env-session")
    built = provider(**ENV_ONLY)
    assert built.token_source.parameter == "AWS_WEB_IDENTITY_TOKEN_FILE"
    assert (built.role_arn, built.session_name) == ("arn:aws:iam::123456789012:role/from-env", "env-session")
    explicit = provider(**{**ENV_ONLY, "JwtRoleArn": ROLE_ARN, "JwtRoleSessionName": "explicit"})
    assert (explicit.role_arn, explicit.session_name) == (ROLE_ARN, "explicit"), "parameters beat the environment"


def test_without_aws_role_session_name_a_process_wide_name(token_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE_ARN)
    first, second = provider(**ENV_ONLY), provider(**ENV_ONLY)
    assert re.fullmatch(r"athena-jwt-dbapi-\d+", first.session_name)
    assert second.session_name == first.session_name


def test_the_environment_does_not_stand_in_for_a_token_given_as_a_parameter(
    token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME belong to AWS_WEB_IDENTITY_TOKEN_FILE: with a token parameter,
    the role and the session name must be parameters too."""
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE_ARN)
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "env-session")
    refused("JwtRoleArn", "Missing required connection property: JwtRoleArn.", JwtRoleArn=None)
    refused("JwtRoleSessionName", "Missing required connection property: JwtRoleSessionName.", JwtRoleSessionName=None)


def test_the_environments_token_file_without_aws_role_arn(token_file: Path) -> None:
    refused(
        "JwtRoleArn",
        "Missing required connection property: JwtRoleArn (AWS_ROLE_ARN is not set either).",
        **ENV_ONLY,
    )


def test_bad_values_from_the_environment_are_named_as_such(token_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:user/not-a-role")
    error = _error(**ENV_ONLY)
    assert error.parameter == "JwtRoleArn"
    assert str(error).startswith("Invalid value of AWS_ROLE_ARN (used for JwtRoleArn). It must be an IAM role ARN")
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE_ARN)
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "not valid!")
    refused(
        "JwtRoleSessionName",
        "Invalid value of AWS_ROLE_SESSION_NAME (used for JwtRoleSessionName). "
        "It must be 2 to 64 characters of letters, digits and _+=,.@-.",
        **ENV_ONLY,
    )
