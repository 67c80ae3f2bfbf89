"""Poll like the JDBC driver: waits of min, min*m, min*m^2, … capped at max, restarting for each query.

PyAthena polls GetQueryExecution at one fixed interval. With a 100 ms interval a 30-second query costs
about 300 calls, and Athena's API rate limits are shared by every client of the account; growing the wait
keeps a short query's finish seen within ~100 ms while a long one costs a dozen polls.

Every cursor a connection hands out (plain, dict, pandas, arrow, S3FS, async, a user's own) has this mixin
(see :func:`athena_jwt_dbapi.cursors.driver_cursor_class`). PyAthena's cursors all wait through
``_wait_poll_interval()``, which reads ``_poll_interval`` once per wait (``time.sleep`` in the synchronous
cursors, the cursor's closed event in the async ones).
So ``_poll_interval`` becomes a property: inside a poll loop it yields the next wait of that loop's
schedule, kept per thread because an async cursor polls several queries at once from its workers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PollSchedule:
    """``MinQueryExecutionPollingIntervalMillis``, ``MaxQueryExecutionPollingIntervalMillis`` and
    ``QueryExecutionPollingIntervalMultiplier``, in seconds."""

    minimum: float
    maximum: float
    multiplier: float

    def waits(self) -> Iterator[float]:
        """The waits between one query's polls: min, min*m, min*m^2, … capped at max."""
        wait = self.minimum
        while True:
            yield min(wait, self.maximum)
            wait = min(wait * self.multiplier, self.maximum)


class BackoffPolling:
    """Mixin: the poll loop of one query waits by ``_poll_schedule`` (None: PyAthena's fixed interval)."""

    _poll_schedule: PollSchedule | None = None

    @property
    def _poll_interval(self) -> float:
        loop = getattr(_loops(self), "waits", None)
        return next(loop) if loop is not None else self._fixed_poll_interval

    @_poll_interval.setter
    def _poll_interval(self, value: float) -> None:
        self._fixed_poll_interval = value

    def _poll_until_terminal(self, query_id: str) -> Any:
        state = _loops(self)
        outer = getattr(state, "waits", None)
        state.waits = self._poll_schedule.waits() if self._poll_schedule else None
        try:
            return super()._poll_until_terminal(query_id)  # type: ignore[misc]
        finally:
            state.waits = outer


def _loops(cursor: Any) -> Any:
    """The cursor's per-thread poll-loop state (created on first use: PyAthena builds the cursor)."""
    state = cursor.__dict__.get("_poll_loops")
    if state is None:
        state = cursor.__dict__.setdefault("_poll_loops", threading.local())
    return state
