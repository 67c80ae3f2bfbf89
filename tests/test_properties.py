"""Property tests: whatever a user passes, the parser answers with the module's own errors only — and
what it accepts is what was meant: each given value reaches its parameter, typed and within its bounds,
whatever case the names are in; a URL's segments are the names and values a reader sees in it."""

from __future__ import annotations

import warnings
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import athena_jwt_dbapi as db
from athena_jwt_dbapi import resolve_parameters
from athena_jwt_dbapi.credentials import BUILT_IN_PROVIDERS
from athena_jwt_dbapi.dsn import parse_jdbc_url
from athena_jwt_dbapi.parameters import COMMON_PARAMETERS

KNOWN_NAMES = sorted(
    {n for p in COMMON_PARAMETERS for n in p.names()}
    | {n for provider in BUILT_IN_PROVIDERS for p in provider.parameters for n in p.names()}
)
names = st.one_of(
    st.sampled_from(KNOWN_NAMES),
    st.sampled_from(KNOWN_NAMES).map(str.swapcase),
    st.text(min_size=1, max_size=20),
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=60),
    st.sampled_from(["JWT", "jwt", "DefaultChain", "IAMCredentials", "", "true", "0", "900", "s3://bucket/x/"]),
    st.lists(st.integers(), max_size=3),
)


PARAMETERS = {
    spelled.lower(): parameter
    for parameter in (*COMMON_PARAMETERS, *(p for provider in BUILT_IN_PROVIDERS for p in provider.parameters))
    for spelled in parameter.names()
}
KINDS: dict[type, tuple[type, ...]] = {int: (int,), float: (float,), bool: (bool,), str: (str,), object: (object,)}


def assert_only_module_errors(call: Any) -> Any:
    """The call's result, or None when it raised one of the module's errors (anything else fails the test).
    A ParameterError must say what is wrong and name a parameter (or the connection string)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call()
        except db.ParameterError as error:
            assert str(error).strip(), "an empty message"
            assert error.parameter is None or isinstance(error.parameter, str)
        except db.Error as error:
            assert str(error).strip(), "an empty message"
    return None


def assert_given_values_arrived(kwargs: dict[str, Any], resolved: Any) -> None:
    """Every given known name holds its value in the canonical parameter: typed, in bounds, in its choices."""
    for spelled, value in kwargs.items():
        parameter = PARAMETERS.get(spelled.lower())
        if parameter is None or value is None or value == "":
            continue
        held = resolved.settings[parameter.name]
        assert isinstance(held, KINDS[parameter.kind]), (parameter.name, held)
        if parameter.kind is bool:
            expected = value.strip().lower() in {"true", "1", "yes", "on"} if isinstance(value, str) else bool(value)
            assert held is expected, (parameter.name, value, held)
        if parameter.kind is int and isinstance(value, (str, float)):
            assert held == int(float(value)), (parameter.name, value, held)
        if parameter.kind is float and isinstance(value, str):
            assert held == float(value), (parameter.name, value, held)
        if parameter.kind in (int, float) and not isinstance(value, str):
            assert held == value, (parameter.name, value, held)
        if parameter.kind is str and not parameter.choices:
            assert held == value, (parameter.name, value, held)
        if parameter.choices:
            assert held in parameter.choices
        if parameter.minimum is not None:
            assert held >= parameter.minimum
        if parameter.maximum is not None:
            assert held <= parameter.maximum


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(names, values, max_size=8))
def test_keyword_arguments_only_raise_module_errors(kwargs: dict[str, Any]) -> None:
    resolved = assert_only_module_errors(lambda: resolve_parameters(**kwargs))
    if resolved is not None:
        assert_given_values_arrived(kwargs, resolved)
        swapped = assert_only_module_errors(lambda: resolve_parameters(**{k.swapcase(): v for k, v in kwargs.items()}))
        assert swapped is not None, "names match case-insensitively: swapping their case changes nothing"
        assert dict(swapped.settings) == dict(resolved.settings) or _has_nan(kwargs)


def _has_nan(kwargs: dict[str, Any]) -> bool:
    return any(isinstance(v, float) and v != v for v in kwargs.values())


BASE = {"CredentialsProvider": "IAMCredentials", "User": "AKIAEXAMPLEEXAMPLE12", "Password": "x" * 40}


def _plausible(parameter: Any) -> st.SearchStrategy[Any]:
    """Values a user would write for ``parameter``: booleans and numbers as Python values or text, choices in
    any case — most of them valid, so that the oracle below is exercised."""
    if parameter.kind is bool:
        return st.sampled_from([True, False, 0, 1, "true", "FALSE", " yes ", "no", "on", "off", "1", "0"])
    if parameter.kind is int:
        low = int(parameter.minimum) if parameter.minimum is not None else -(10**6)
        high = int(parameter.maximum) if parameter.maximum is not None else 10**6
        numbers = st.integers(min_value=low, max_value=high)
        return st.one_of(numbers, numbers.map(lambda n: f" {n} "), numbers.map(float))
    if parameter.kind is float:
        low = parameter.minimum if parameter.minimum is not None else -1e6
        high = parameter.maximum if parameter.maximum is not None else 1e6
        return st.floats(min_value=low, max_value=high).flatmap(lambda f: st.sampled_from([f, repr(f)]))
    if parameter.choices:
        return st.sampled_from(parameter.choices).flatmap(lambda c: st.sampled_from([c, c.lower(), c.upper()]))
    return st.nothing()


TYPED = sorted(
    name
    for name, parameter in PARAMETERS.items()
    if parameter.kind in (bool, int, float) or parameter.choices
    if parameter.name not in {"CredentialsProvider", "EncryptionOption", "ProxyPort", "ResultFetcher"}
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(TYPED), max_size=5, unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({name: _plausible(PARAMETERS[name]) for name in chosen})
    )
)
def test_accepted_values_arrive_typed_and_in_bounds(extra: dict[str, Any]) -> None:
    """Plausible values of typed parameters: each accepted one lands in its parameter, exactly as meant."""
    kwargs = {**BASE, "Region": "us-east-1", **extra}
    resolved = assert_only_module_errors(lambda: resolve_parameters(**kwargs))
    if resolved is not None:
        assert_given_values_arrived(kwargs, resolved)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_jdbc_url_text_only_raises_module_errors(body: str) -> None:
    parsed = assert_only_module_errors(lambda: parse_jdbc_url("jdbc:athena://" + body))
    if parsed is not None:
        # The URL written back from what was parsed parses to the same names and values.
        again = parse_jdbc_url("jdbc:athena://" + ";".join(f"{k}={v}" for k, v in parsed.items()))
        assert dict(again) == dict(parsed)
        assert all(k == k.strip() and k and v == v.strip() for k, v in parsed.items())
    assert_only_module_errors(lambda: resolve_parameters("jdbc:athena://" + body))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(KNOWN_NAMES), st.text(alphabet=st.characters(blacklist_characters=";"), max_size=30)),
        max_size=6,
    )
)
def test_url_segments_only_raise_module_errors(segments: list[tuple[str, str]]) -> None:
    url = "jdbc:athena://" + ";".join(f"{name}={value}" for name, value in segments)
    resolved = assert_only_module_errors(lambda: resolve_parameters(url))
    if resolved is not None:
        given = {name: value.strip() for name, value in segments if value.strip()}
        assert_given_values_arrived(given, resolved)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.binary(), st.text(max_size=50)))
def test_any_dsn_object_only_raises_module_errors(dsn: Any) -> None:
    assert_only_module_errors(lambda: resolve_parameters(dsn))
