"""The reusable checks of parameter values (lengths, printable text, endpoints) and the Parameter type itself."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import pytest

from athena_jwt_dbapi import Alias, Parameter, ParameterError, resolve_parameters
from athena_jwt_dbapi.parameters.spec import ENDPOINT, endpoint

from .helpers import JWT_PARAMETERS

JWT = JWT_PARAMETERS


def resolved(**kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return resolve_parameters(**{**JWT, **kwargs}).settings


def problem(name: str, value: Any) -> str:
    """The sentence that says what is wrong with ``value`` (after "Invalid value ... property: name.")."""
    with pytest.raises(ParameterError) as info:
        resolved(**{name: value})
    assert info.value.parameter == name
    prefix = f"Invalid value specified for connection property: {name}. "
    message = str(info.value)
    assert message.startswith(prefix)
    return message[len(prefix) :]


# --- lengths ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [4, 20000])
def test_lengths_at_both_bounds_are_accepted(size: int) -> None:
    token = ("0123456789abcdef" * 1250)[:size]
    assert resolved(JwtWebIdentityToken=token)["JwtWebIdentityToken"] == token


def test_a_length_error_says_the_bounds_and_the_length() -> None:
    assert problem("JwtWebIdentityToken", "abc") == (
        "Its length must be between 4 and 20000 characters; it has 3. Got (value hidden)."
    )


# --- printable text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("ApplicationName", "   ", "It must be an application name, not blank."),
        (
            "ApplicationName",
            "etl\njob",
            "It must be an application name of printable ASCII characters (no line breaks or control characters).",
        ),
        (
            "ApplicationName",
            "étl",
            "It must be an application name of printable ASCII characters (no line breaks or control characters).",
        ),
        (
            "LogPath",
            "/var/log/\tathena",
            "It must be a directory path of printable characters (no line breaks or control characters).",
        ),
    ],
)
def test_text_that_goes_into_headers_or_paths(name: str, value: str, why: str) -> None:
    assert problem(name, value) == f"{why} Got {value!r}."


def test_a_path_may_have_non_ascii_letters() -> None:
    assert resolved(LogPath="/var/log/étl")["LogPath"] == "/var/log/étl"


# --- endpoints ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["athena.example.com", "https://athena.example.com/gateway/athena", "http://127.0.0.1:1", "http://[::1]:8080"],
)
def test_endpoints_that_are_accepted(value: str) -> None:
    assert resolved(AthenaEndpoint=value)["AthenaEndpoint"] == value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("ftp://athena.example.com", "It must be a host name or an http(s) URL."),
        ("https://:443", "It must be a host name or an http(s) URL."),
        ("http://127.0.0.1:0", "It must be a host name or an http(s) URL."),
        ("https://athena.example.com/?region=x", "It must be a host name or an http(s) URL."),
        ("https://athena.example.com/#x", "It must be a host name or an http(s) URL."),
        ("athena example", "It must be a host name or an http(s) URL."),
    ],
)
def test_endpoints_that_are_refused(value: str, why: str) -> None:
    assert problem("AthenaEndpoint", value) == f"{why} Got {value!r}."


@pytest.mark.parametrize("userinfo", ["user", "user:pass", ":pass"])
def test_an_endpoint_with_a_user_name_or_password_is_refused_without_showing_them(userinfo: str) -> None:
    assert problem("AthenaEndpoint", f"https://{userinfo}@athena.example.com") == (
        "It must be a host name or an http(s) URL (no user name or password in it). "
        "Got 'https://***@athena.example.com'."
    )


def test_an_endpoint_without_a_path() -> None:
    assert resolved(S3Endpoint="http://127.0.0.1:9000/")["S3Endpoint"] == "http://127.0.0.1:9000/"
    assert problem("S3Endpoint", "http://127.0.0.1:9000/bucket") == (
        "It must be a host name or an http(s) URL without a path. Got 'http://127.0.0.1:9000/bucket'."
    )


@pytest.mark.parametrize("value", ["", None, 9000])
def test_an_endpoint_check_refuses_what_is_not_a_host(value: Any) -> None:
    """The check as a provider declaring its own endpoint parameter would use it."""
    assert ENDPOINT(value) == "It must be a host name or an http(s) URL."
    assert endpoint(allow_path=False)(value) == "It must be a host name or an http(s) URL without a path."


# --- the Parameter type -------------------------------------------------------------------------


def test_parameters_are_immutable_values() -> None:
    """Providers share their declared parameters; none can alter another's, and they can go in sets."""
    alias = Alias("lease_seconds")
    parameter = Parameter("LeaseSeconds", int, "Lease length.", aliases=(alias,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        parameter.default = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        alias.deprecated = False  # type: ignore[misc]
    assert len({parameter, Parameter("LeaseSeconds", int, "Lease length.", aliases=(Alias("lease_seconds"),))}) == 1


def test_a_parameter_is_plain_unless_declared_otherwise() -> None:
    parameter = Parameter("LeaseSeconds", int, "Lease length.", aliases=(Alias("lease_seconds"),))
    assert (parameter.secret, parameter.required, parameter.extension, parameter.aliases[0].deprecated) == (
        False,
        False,
        False,
        True,
    )
