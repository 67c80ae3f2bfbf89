"""The stack behaves like a service under load: connections do not wait for each other's queries,
StopQueryExecution stops the engine's work, and a query too big for the memory limit fails cleanly."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena

# Ten billion pairs: minutes of work unless stopped, and no memory.
ENDLESS = "SELECT count(*) FROM range(100000) AS a(x) CROSS JOIN range(100000) AS b(y) WHERE a.x + b.y < 0"
MIB = 1024 * 1024


@pytest.fixture
def two_connections(local_athena: LocalAthena) -> Iterator[tuple[db.Connection, db.Connection]]:
    with (
        db.connect(**local_athena.connect_parameters()) as first,
        db.connect(**local_athena.connect_parameters()) as second,
    ):
        yield first, second


def state(conn: db.Connection, query_id: str) -> str:
    execution = conn.client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    return str(execution["Status"]["State"])


def test_a_long_query_does_not_block_another_connections_short_query(
    two_connections: tuple[db.Connection, db.Connection], local_athena: LocalAthena
) -> None:
    first, second = two_connections
    long_id = first.client.start_query_execution(QueryString=ENDLESS)["QueryExecutionId"]
    try:
        assert local_athena.engine.wait_until_running(1, timeout=10)
        with second.cursor() as cursor:
            cursor.execute("SELECT 'short'")
            assert cursor.fetchall() == [("short",)]
        assert state(first, long_id) == "RUNNING"
    finally:
        first.client.stop_query_execution(QueryExecutionId=long_id)
    assert local_athena.engine.wait_until_idle(timeout=10)


def test_cancel_stops_the_engine(
    two_connections: tuple[db.Connection, db.Connection], local_athena: LocalAthena
) -> None:
    """PyAthena's ``cancel()`` (StopQueryExecution) on a running cross join: the query is CANCELLED and
    the engine stops working on it (PyAthena's test_cancel once grew the process past 11 GB). See
    https://docs.aws.amazon.com/athena/latest/APIReference/API_StopQueryExecution.html."""
    conn, _ = two_connections
    cursor = conn.cursor()
    errors: list[BaseException] = []
    started = threading.Event()

    def run() -> None:
        try:
            cursor.execute(ENDLESS, on_start_query_execution=lambda query_id: started.set())
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(10) and local_athena.engine.wait_until_running(1, timeout=10)
    cursor.cancel()
    assert local_athena.engine.wait_until_idle(timeout=10)
    worker.join(10)
    assert not worker.is_alive()
    assert cursor.query_id is not None and state(conn, cursor.query_id) == "CANCELLED"
    assert errors and isinstance(errors[0], db.OperationalError)


def test_memory_limit(two_connections: tuple[db.Connection, db.Connection], local_athena: LocalAthena) -> None:
    """``set_memory_limit``: a query needing more fails with EXCEEDED_MEMORY_LIMIT, like Athena's
    "Query exhausted resources at this scale factor"; reset_faults restores the limit."""
    conn, _ = two_connections
    local_athena.set_memory_limit(32 * MIB)
    with conn.cursor() as cursor:
        with pytest.raises(db.OperationalError, match="EXCEEDED_MEMORY_LIMIT"):
            cursor.execute("SELECT x % 2000000, count(*) FROM range(4000000) AS t(x) GROUP BY 1 ORDER BY 2 LIMIT 1")
        local_athena.reset_faults()
        assert local_athena.engine.memory_limit > 32 * MIB
        cursor.execute("SELECT count(*) FROM range(1000)")
        assert cursor.fetchall() == [(1000,)]
