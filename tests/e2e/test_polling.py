"""Polling like the JDBC driver: min, min*m, min*m^2, ... capped at max, restarting for each query.

The stack's query-delay knob keeps a query RUNNING for a set time; the stack counts GetQueryExecution
calls. Intervals between polls are only checked from below (a wait never ends early), never timed.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from pyathena.arrow.cursor import ArrowCursor
from pyathena.async_cursor import AsyncCursor
from pyathena.cursor import Cursor, DictCursor
from pyathena.pandas.cursor import PandasCursor
from pyathena.s3fs.cursor import S3FSCursor

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena
from athena_jwt_dbapi.polling import PollSchedule

DELAY = 0.2  # seconds the query stays RUNNING
BACKOFF = {"MinQueryExecutionPollingIntervalMillis": 10, "MaxQueryExecutionPollingIntervalMillis": 5000}
# Backoff waits 10, 20, 40, 80, 160 ms: polls at about 0, .01, .03, .07, .15, .31 s -> 6 for 0.2 s.
BACKOFF_MOST_POLLS = 8
# A fixed 10 ms interval polls about 40 times during a 0.5 s query; even at 40 ms a round trip (a loaded
# machine) that is 12.
FIXED_DELAY = 0.5
FIXED_FEWEST_POLLS = 12


def test_the_schedule_grows_by_the_multiplier_up_to_the_maximum() -> None:
    waits = PollSchedule(0.1, 5.0, 2).waits()
    assert [round(next(waits), 3) for _ in range(9)] == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
    flat = PollSchedule(0.25, 5.0, 1).waits()
    assert [next(flat) for _ in range(3)] == [0.25, 0.25, 0.25]


def test_a_30_second_query_costs_a_dozen_polls_with_the_defaults() -> None:
    """The JDBC defaults (100 ms, 5 s, x2): ~11 polls where a fixed 100 ms interval makes ~300."""
    elapsed, polls = 0.0, 1  # the first poll comes right after StartQueryExecution
    for wait in PollSchedule(0.1, 5.0, 2).waits():
        if elapsed >= 30:
            break
        elapsed += wait
        polls += 1
    assert polls <= 15


def _execute(stack: LocalAthena, cursor_class: Any, delay: float = DELAY, **parameters: Any) -> tuple[int, list[float]]:
    """GetQueryExecution calls for one slow query, and the gaps between the polls the cursor saw."""
    seen: list[float] = []
    record = lambda _: seen.append(time.monotonic())  # noqa: E731
    with db.connect(**stack.connect_parameters(), ConnectionTest=False, on_poll=record, **parameters) as conn:
        cursor = conn.cursor(cursor_class)
        stack.set_query_delay(delay)
        before = stack.athena.calls.count("GetQueryExecution")
        if isinstance(cursor, AsyncCursor):
            _, future = cursor.execute("SELECT 1 AS x")
            assert future.result(timeout=30).state == "SUCCEEDED"
        else:
            cursor.execute("SELECT 1 AS x")
        calls = stack.athena.calls.count("GetQueryExecution") - before
        stack.set_query_delay(0)
    return calls, [b - a for a, b in itertools.pairwise(seen)]


@pytest.mark.parametrize("cursor_class", [Cursor, DictCursor, PandasCursor, ArrowCursor, S3FSCursor, AsyncCursor])
def test_every_cursor_kind_backs_off(local_athena: LocalAthena, cursor_class: Any) -> None:
    calls, gaps = _execute(local_athena, cursor_class, **BACKOFF)
    assert 2 <= calls <= BACKOFF_MOST_POLLS
    for gap, wait in zip(gaps, PollSchedule(0.01, 5.0, 2).waits(), strict=False):
        assert gap >= wait * 0.9, f"waits must grow: {gaps}"


def test_the_schedule_restarts_for_each_query(local_athena: LocalAthena) -> None:
    first, _ = _execute(local_athena, Cursor, **BACKOFF)
    second, second_gaps = _execute(local_athena, Cursor, **BACKOFF)
    assert first <= BACKOFF_MOST_POLLS and second <= BACKOFF_MOST_POLLS
    assert second_gaps[0] < 0.04, "the second query starts again from the minimum"


def test_poll_interval_keeps_pyathenas_fixed_interval(local_athena: LocalAthena) -> None:
    with pytest.warns(db.ParameterNotAppliedWarning, match="poll_interval .* wins over MinQuery"):
        calls, _ = _execute(local_athena, Cursor, FIXED_DELAY, poll_interval=0.01, **BACKOFF)
    assert calls >= FIXED_FEWEST_POLLS


def test_poll_interval_of_one_cursor_is_fixed_too(local_athena: LocalAthena) -> None:
    with db.connect(**local_athena.connect_parameters(), ConnectionTest=False, **BACKOFF) as conn:
        cursor = conn.cursor(poll_interval=0.01)
        local_athena.set_query_delay(FIXED_DELAY)
        before = local_athena.athena.calls.count("GetQueryExecution")
        cursor.execute("SELECT 1")
        assert local_athena.athena.calls.count("GetQueryExecution") - before >= FIXED_FEWEST_POLLS


def test_a_multiplier_of_one_is_a_fixed_interval(local_athena: LocalAthena) -> None:
    calls, _ = _execute(local_athena, Cursor, FIXED_DELAY, QueryExecutionPollingIntervalMultiplier=1, **BACKOFF)
    assert calls >= FIXED_FEWEST_POLLS


def test_the_connection_test_backs_off_too(local_athena: LocalAthena) -> None:
    local_athena.set_query_delay(DELAY)
    before = local_athena.athena.calls.count("GetQueryExecution")
    db.connect(**local_athena.connect_parameters(), **BACKOFF).close()
    assert 2 <= local_athena.athena.calls.count("GetQueryExecution") - before <= BACKOFF_MOST_POLLS


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"MinQueryExecutionPollingIntervalMillis": 6000}, "exceeds MaxQueryExecutionPollingIntervalMillis"),
        ({"QueryExecutionPollingIntervalMultiplier": 0.5}, "at least 1"),
        ({"QueryExecutionPollingIntervalMultiplier": "nan"}, "finite"),
        ({"poll_interval": 0}, "more than 0"),
    ],
)
def test_polling_parameters_are_checked_before_any_network_call(
    local_athena: LocalAthena, parameters: dict[str, Any], message: str
) -> None:
    before = local_athena.sts.call_count
    with pytest.raises(db.ParameterError, match=message):
        db.connect(**local_athena.connect_parameters(), **parameters)
    assert local_athena.sts.call_count == before
