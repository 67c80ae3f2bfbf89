"""How each given value becomes a setting: types, bounds, empty values, conflicts, and what an error shows."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from botocore.credentials import Credentials

from athena_jwt_dbapi import (
    CredentialsProvider,
    Parameter,
    ParameterError,
    register_credentials_provider,
    resolve_parameters,
    unregister_credentials_provider,
)
from athena_jwt_dbapi.redaction import REDACTED, redact

from .helpers import JWT_PARAMETERS

JWT = JWT_PARAMETERS


def resolved(dsn: str | None = None, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return resolve_parameters(dsn, **{**JWT, **kwargs}).settings


def refused(**kwargs: Any) -> ParameterError:
    with pytest.raises(ParameterError) as info:
        resolved(**kwargs)
    return info.value


# --- types ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(0, False), (1, True), (True, True), (" Yes ", True), ("off", False)])
def test_booleans_from_python_values_and_words(value: Any, expected: bool) -> None:
    assert resolved(ConnectionTest=value)["ConnectionTest"] is expected


@pytest.mark.parametrize("value", [2, -1, 1.0, "maybe"])
def test_other_values_are_not_booleans(value: Any) -> None:
    error = refused(ConnectionTest=value)
    assert str(error) == (
        "Invalid value specified for connection property: ConnectionTest. Expected a boolean (true or false). "
        f"Got {value!r}."
    )


@pytest.mark.parametrize(("value", "expected"), [(2.5, 2.5), (3, 3.0), (" 1.5 ", 1.5)])
def test_numbers_from_numbers_and_text(value: Any, expected: float) -> None:
    held = resolved(QueryExecutionPollingIntervalMultiplier=value)["QueryExecutionPollingIntervalMultiplier"]
    assert held == expected and isinstance(held, float)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (True, "Expected a number."),
        ([2], "Expected a number."),
        ("fast", "Expected a number."),
        ("inf", "Expected a finite number."),
    ],
)
def test_other_values_are_not_numbers(value: Any, why: str) -> None:
    error = refused(QueryExecutionPollingIntervalMultiplier=value)
    assert str(error) == (
        "Invalid value specified for connection property: QueryExecutionPollingIntervalMultiplier. "
        f"{why} Got {value!r}."
    )


# --- bounds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("duration", [900, 43200])
def test_bounds_are_inclusive(duration: int) -> None:
    assert resolved(RoleSessionDuration=duration)["RoleSessionDuration"] == duration


class LeaseProvider(CredentialsProvider):
    """A third-party provider whose parameters have fractional and whole-number float bounds."""

    name = "TestLease"
    parameters = (
        Parameter("LeaseFraction", float, "Share of the lease to use.", minimum=0.5, maximum=2.5, applied="lease"),
        Parameter("LeaseFactor", float, "Lease growth factor.", minimum=1.0, maximum=3.0, applied="lease"),
    )

    def load(self) -> Credentials:
        return Credentials("AKIDEXAMPLE", "secret", None)


@pytest.fixture
def lease_provider() -> Iterator[None]:
    register_credentials_provider(LeaseProvider, replace=True)
    yield
    unregister_credentials_provider("TestLease")


@pytest.mark.usefixtures("lease_provider")
@pytest.mark.parametrize(
    ("given", "why"),
    [
        ({"LeaseFraction": 0.25}, "LeaseFraction. It must be at least 0.5. Got 0.25."),
        ({"LeaseFraction": 3}, "LeaseFraction. It must be at most 2.5. Got 3."),
        ({"LeaseFactor": 0.5}, "LeaseFactor. It must be at least 1. Got 0.5."),
        ({"LeaseFactor": 4}, "LeaseFactor. It must be at most 3. Got 4."),
    ],
)
def test_bounds_are_written_as_people_write_numbers(given: dict[str, Any], why: str) -> None:
    with pytest.raises(ParameterError) as info:
        resolve_parameters(CredentialsProvider="TestLease", Region="us-east-1", **given)
    assert str(info.value) == f"Invalid value specified for connection property: {why}"


# --- what an error shows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelled", "label"),
    [
        ("RoleSessionDuration", "RoleSessionDuration"),
        ("duration_seconds", "RoleSessionDuration (given as duration_seconds)"),
        ("roleSessionDuration", "RoleSessionDuration (given as roleSessionDuration)"),
        ("ROLESESSIONDURATION", "RoleSessionDuration (given as ROLESESSIONDURATION)"),
    ],
)
def test_an_error_names_the_parameter_and_how_it_was_given(spelled: str, label: str) -> None:
    with pytest.raises(ParameterError) as info:
        resolve_parameters(**JWT, **{spelled: 899})
    assert (
        str(info.value)
        == f"Invalid value specified for connection property: {label}. It must be at least 900. Got 899."
    )
    assert info.value.parameter == "RoleSessionDuration"


def test_an_error_about_a_value_from_the_url_names_the_parameter() -> None:
    with pytest.raises(ParameterError) as info:
        resolve_parameters("jdbc:athena://RoleSessionDuration=899", **JWT)
    assert str(info.value) == (
        "Invalid value specified for connection property: RoleSessionDuration. It must be at least 900. Got '899'."
    )


PREFIX = (
    "Invalid value specified for connection property: OutputLocation. It must be an S3 URI such as s3://bucket/prefix/."
)


def test_a_value_of_80_characters_is_shown_whole() -> None:
    value = "/results/" + "q7-" * 23  # its repr, with the quotes, has 80 characters
    assert len(repr(value)) == 80
    assert str(refused(OutputLocation=value)) == f"{PREFIX} Got {value!r}."


def test_a_longer_value_is_cut_to_80_characters() -> None:
    value = "/results/" + "q7-" * 23 + "Z"
    assert str(refused(OutputLocation=value)) == f"{PREFIX} Got {repr(value)[:77]}...."


# --- empty values, conflicts ----------------------------------------------------------------------


def test_an_empty_value_does_not_stop_the_ones_after_it() -> None:
    settings = resolved(Database="", WorkGroup="etl")
    assert (settings["Database"], settings["WorkGroup"]) == ("default", "etl")
    settings = resolved("jdbc:athena://Database=;WorkGroup=etl")
    assert (settings["Database"], settings["WorkGroup"]) == ("default", "etl")


class Text(str):
    """A str subclass, as configuration libraries hand out (numpy.str_, StrEnum members, ...)."""


def test_an_empty_string_of_a_str_subclass_is_absent_too() -> None:
    settings = resolved(Database=Text(""))
    assert settings["Database"] == "default" and not settings.given("Database")


def test_an_alias_and_its_name_with_equal_values_in_a_url_are_fine() -> None:
    settings = resolved("jdbc:athena://S3OutputLocation=s3://reports/q/;OutputLocation=s3://reports/q/")
    assert settings["OutputLocation"] == "s3://reports/q/"


def test_an_alias_and_its_name_differing_only_in_case_conflict() -> None:
    """S3 keys are case-sensitive: these are two different places."""
    error = refused(S3OutputLocation="s3://reports/Q/", OutputLocation="s3://reports/q/")
    assert "S3OutputLocation and OutputLocation are the same setting (OutputLocation)" in str(error)


class Hook:
    """A callback object whose comparison raises, as some wrapped callables' does."""

    def __call__(self, *args: Any) -> None:
        return None

    def __eq__(self, other: object) -> bool:
        raise TypeError("not comparable")

    def __ne__(self, other: object) -> bool:
        raise TypeError("not comparable")

    __hash__ = object.__hash__


def test_the_same_uncomparable_object_under_two_names_is_fine() -> None:
    hook = Hook()
    assert resolved(on_poll=hook, ON_POLL=hook)["on_poll"] is hook


def test_two_uncomparable_objects_under_two_names_conflict() -> None:
    error = refused(on_poll=Hook(), ON_POLL=Hook())
    assert "on_poll and ON_POLL are the same setting (on_poll) but have different values" in str(error)


# --- secrets --------------------------------------------------------------------------------------


def test_secret_values_are_masked_in_logs_and_others_are_not() -> None:
    resolved(ProxyHost="proxy:3128", ProxyUsername="me", ProxyPassword="Pw-registered-Zq6", WorkGroup="wg-public-Zq6")
    assert redact("login Pw-registered-Zq6 to wg-public-Zq6") == f"login {REDACTED} to wg-public-Zq6"


def test_settings_repr_shows_values_but_not_secrets() -> None:
    shown = repr(resolved(WorkGroup="analysts", ProxyHost="proxy:3128", ProxyUsername="me", ProxyPassword="Pw-Zq7"))
    assert "'WorkGroup': 'analysts'" in shown and "'ProxyUsername': 'me'" in shown
    assert f"'ProxyPassword': '{REDACTED}'" in shown and "Pw-Zq7" not in shown
    assert "'ProxyPassword': None" in repr(resolved())  # a secret not given shows as not given


# --- required parameters --------------------------------------------------------------------------

IAM = {"CredentialsProvider": "IAMCredentials", "Region": "us-east-1"}


def test_required_parameters_of_a_provider() -> None:
    settings = resolve_parameters(
        **IAM, User="AKIAEXAMPLEEXAMPLE12", Password="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    ).settings
    assert settings["User"] == "AKIAEXAMPLEEXAMPLE12"
    with pytest.raises(ParameterError) as info:
        resolve_parameters(**IAM, User="AKIAEXAMPLEEXAMPLE12")
    assert str(info.value) == "Missing required connection property: Password."
    assert info.value.parameter == "Password"


def test_choices_differ_in_more_than_case() -> None:
    """Choices match in any case, so two that differ only in case could never be told apart."""
    from athena_jwt_dbapi.credentials import BUILT_IN_PROVIDERS
    from athena_jwt_dbapi.parameters import COMMON_PARAMETERS, PYATHENA_OPTIONS

    every = (
        *COMMON_PARAMETERS,
        *PYATHENA_OPTIONS,
        *(p for provider in BUILT_IN_PROVIDERS for p in provider.parameters),
    )
    for parameter in every:
        assert len({c.lower() for c in parameter.choices}) == len(parameter.choices), parameter.name


# --- values a provider implies --------------------------------------------------------------------


class ImplyingProvider(CredentialsProvider):
    """A provider whose configuration implies a common setting (as JWT_TIP's WorkGroupArn does WorkGroup)."""

    name = "TestImplying"
    implied: ClassVar[dict[str, Any]] = {}

    @classmethod
    def implied_settings(cls, settings: Any) -> dict[str, Any]:
        return cls.implied

    def load(self) -> Credentials:
        return Credentials("AKIDEXAMPLE", "secret", None)


@pytest.fixture
def implying() -> Iterator[type[ImplyingProvider]]:
    register_credentials_provider(ImplyingProvider, replace=True)
    yield ImplyingProvider
    unregister_credentials_provider("TestImplying")
    ImplyingProvider.implied = {}


def test_an_implied_value_applies_when_the_user_gave_none(implying: type[ImplyingProvider]) -> None:
    implying.implied = {"WorkGroup": "from-the-provider", "Catalog": "lake"}
    settings = resolve_parameters(CredentialsProvider="TestImplying", Region="us-east-1", Catalog="mine").settings
    assert (settings["WorkGroup"], settings["Catalog"]) == ("from-the-provider", "mine")
    assert not settings.given("WorkGroup") and settings.given("Catalog")


def test_nothing_implied_changes_nothing(implying: type[ImplyingProvider]) -> None:
    implying.implied = {}
    settings = resolve_parameters(CredentialsProvider="TestImplying", Region="us-east-1").settings
    assert settings["WorkGroup"] == "primary" and not settings.given("WorkGroup")


def test_implying_a_name_that_is_not_a_parameter_is_a_provider_bug(implying: type[ImplyingProvider]) -> None:
    implying.implied = {"WorkGroop": "x"}
    with pytest.raises(KeyError, match="'WorkGroop' is not a parameter of this connection"):
        resolve_parameters(CredentialsProvider="TestImplying", Region="us-east-1")
