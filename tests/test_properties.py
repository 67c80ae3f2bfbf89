"""Property tests: whatever a user passes, the parser answers with the module's own errors only."""

from __future__ import annotations

import contextlib
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


def assert_only_module_errors(call: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(db.Error):
            call()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(names, values, max_size=8))
def test_keyword_arguments_only_raise_module_errors(kwargs: dict[str, Any]) -> None:
    assert_only_module_errors(lambda: resolve_parameters(**kwargs))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_jdbc_url_text_only_raises_module_errors(body: str) -> None:
    assert_only_module_errors(lambda: parse_jdbc_url("jdbc:athena://" + body))
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
    assert_only_module_errors(lambda: resolve_parameters(url))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.binary(), st.text(max_size=50)))
def test_any_dsn_object_only_raises_module_errors(dsn: Any) -> None:
    assert_only_module_errors(lambda: resolve_parameters(dsn))
