"""The rules between parameters and the options derived from several of them (no network)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from athena_jwt_dbapi import ParameterError, ParameterNotAppliedWarning, resolve_parameters
from athena_jwt_dbapi.parameters.rules import cursor_kwargs, polling
from athena_jwt_dbapi.polling import PollSchedule

from .helpers import JWT_PARAMETERS

JWT = JWT_PARAMETERS


@contextmanager
def no_warning() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def settings(**kwargs: Any) -> Any:
    with no_warning():
        return resolve_parameters(**JWT, **kwargs).settings


@pytest.mark.parametrize(
    "given",
    [
        {"MinQueryExecutionPollingIntervalMillis": 200},
        {"QueryExecutionPollingIntervalMultiplier": 1.5, "MaxQueryExecutionPollingIntervalMillis": 800},
        {"poll_interval": 0.5},
    ],
)
def test_polling_parameters_or_poll_interval_alone_do_not_warn(given: dict[str, Any]) -> None:
    settings(**given)


def test_poll_interval_with_polling_parameters_warns_naming_them() -> None:
    with pytest.warns(ParameterNotAppliedWarning) as caught:
        resolve_parameters(
            **JWT,
            poll_interval=0.5,
            MinQueryExecutionPollingIntervalMillis=200,
            QueryExecutionPollingIntervalMultiplier=3,
        )
    assert [str(w.message) for w in caught] == [
        "poll_interval (a fixed interval) wins over MinQueryExecutionPollingIntervalMillis, "
        "QueryExecutionPollingIntervalMultiplier; give one or the other."
    ]


def test_the_backoff_schedule_in_seconds() -> None:
    chosen = settings(
        MinQueryExecutionPollingIntervalMillis=50,
        MaxQueryExecutionPollingIntervalMillis=2000,
        QueryExecutionPollingIntervalMultiplier=3,
    )
    first, schedule = polling(chosen)
    assert schedule == PollSchedule(0.05, 2.0, 3.0)
    assert first == 0.05


def test_a_fixed_poll_interval_replaces_the_schedule() -> None:
    assert polling(settings(poll_interval=0.25)) == (0.25, None)


def test_equal_minimum_and_maximum_make_a_fixed_interval() -> None:
    chosen = settings(MinQueryExecutionPollingIntervalMillis=700, MaxQueryExecutionPollingIntervalMillis=700)
    assert polling(chosen) == (0.7, PollSchedule(0.7, 0.7, 2.0))


def test_a_minimum_above_the_maximum_is_refused() -> None:
    with pytest.raises(ParameterError) as info:
        resolve_parameters(
            **JWT, MinQueryExecutionPollingIntervalMillis=701, MaxQueryExecutionPollingIntervalMillis=700
        )
    assert str(info.value) == (
        "MinQueryExecutionPollingIntervalMillis (701) exceeds MaxQueryExecutionPollingIntervalMillis (700)."
    )


@pytest.mark.parametrize("fetcher", ["auto", "S3", "GetQueryResults"])
def test_result_fetchers_with_a_python_client_do_not_warn(fetcher: str) -> None:
    assert settings(ResultFetcher=fetcher.lower())["ResultFetcher"] == fetcher


def test_a_fetch_size_of_one_page_is_used_as_is() -> None:
    assert cursor_kwargs(settings(FetchSize=1000)) == {"arraysize": 1000}


def test_a_fetch_size_above_one_page_warns_and_is_capped() -> None:
    with pytest.warns(ParameterNotAppliedWarning, match="FetchSize=1001 exceeds the 1,000 rows"):
        chosen = resolve_parameters(**JWT, FetchSize=1001).settings
    assert cursor_kwargs(chosen) == {"arraysize": 1000}


def test_the_users_own_arraysize_wins_over_fetch_size() -> None:
    chosen = settings(FetchSize=5000, cursor_kwargs={"arraysize": 50, "kill_on_interrupt": False})
    assert cursor_kwargs(chosen) == {"arraysize": 50, "kill_on_interrupt": False}
    assert cursor_kwargs(settings(FetchSize=200, cursor_kwargs={"arraysize": 50})) == {"arraysize": 50}


def test_no_fetch_size_leaves_the_cursor_default() -> None:
    assert cursor_kwargs(settings()) is None
    assert cursor_kwargs(settings(FetchSize=0)) is None
    assert cursor_kwargs(settings(FetchSize=0, cursor_kwargs={"kill_on_interrupt": False})) == {
        "kill_on_interrupt": False
    }
