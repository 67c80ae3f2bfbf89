"""The engine as a service: concurrent statements, cancellation that stops DuckDB, a memory limit,
and no sqlglot chatter on stderr."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import pytest

from athena_jwt_dbapi.local.engine import Cancellation, QueryEngine, QueryFailure

# Ten billion pairs: runs for minutes unless interrupted; uses no memory.
ENDLESS = "SELECT count(*) FROM range(100000) AS a(x) CROSS JOIN range(100000) AS b(y) WHERE a.x + b.y < 0"
MIB = 1024 * 1024


@pytest.fixture()
def engine() -> Iterator[QueryEngine]:
    yield QueryEngine()


class Background:
    """Run one statement on a thread and keep what it raised."""

    def __init__(self, engine: QueryEngine, sql: str) -> None:
        self.cancel = Cancellation()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(engine, sql), daemon=True)
        self._thread.start()

    def _run(self, engine: QueryEngine, sql: str) -> None:
        try:
            engine.execute(sql, cancel=self.cancel)
        except BaseException as error:
            self.error = error

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()


def test_a_long_statement_does_not_block_another(engine: QueryEngine) -> None:
    long = Background(engine, ENDLESS)
    try:
        assert engine.wait_until_running(1, timeout=10)
        assert engine.execute("SELECT 40 + 2").rows == [("42",)]
        assert engine.running_queries() == 1  # the long one is still going
    finally:
        long.cancel.cancel()
        assert long.join(timeout=10)


def test_cancel_interrupts_the_running_statement(engine: QueryEngine) -> None:
    """StopQueryExecution must stop the engine's work, not just the query's state: DuckDB is interrupted
    and the statement ends with USER_CANCELED; the engine is idle again."""
    long = Background(engine, ENDLESS)
    assert engine.wait_until_running(1, timeout=10)
    long.cancel.cancel()
    assert long.join(timeout=10)
    assert engine.wait_until_idle(timeout=5)
    assert isinstance(long.error, QueryFailure) and long.error.error_name == "USER_CANCELED"


def test_a_statement_cancelled_before_it_starts_never_runs(engine: QueryEngine) -> None:
    cancel = Cancellation()
    cancel.cancel()
    with pytest.raises(QueryFailure, match="USER_CANCELED"):
        engine.execute("CREATE TABLE never AS SELECT 1 AS a", cancel=cancel)
    assert engine.get_table("default", "never") is None


def test_memory_limit_fails_the_query_not_the_machine(engine: QueryEngine) -> None:
    """A query needing more than the limit fails with EXCEEDED_MEMORY_LIMIT (Athena's "Query exhausted
    resources at this scale factor", https://docs.aws.amazon.com/athena/latest/ug/error-reference.html),
    whether DuckDB's working memory or the rows it returns exceed it; the engine keeps working."""
    engine.memory_limit = 32 * MIB
    with pytest.raises(QueryFailure) as working:
        engine.execute("SELECT x % 2000000 AS k, count(*) FROM range(4000000) AS t(x) GROUP BY 1 ORDER BY 2 LIMIT 1")
    assert working.value.error_name == "EXCEEDED_MEMORY_LIMIT"
    assert working.value.reason.startswith("EXCEEDED_MEMORY_LIMIT: Query exhausted resources at this scale factor")
    with pytest.raises(QueryFailure) as result:
        engine.execute("SELECT x FROM range(1000000) AS t(x)")
    assert result.value.error_name == "EXCEEDED_MEMORY_LIMIT"
    assert "32.0MiB" in result.value.reason
    assert engine.execute("SELECT count(*) FROM range(1000000)").rows == [("1000000",)]


def test_memory_limit_is_checked() -> None:
    with pytest.raises(ValueError, match="memory_limit"):
        QueryEngine(memory_limit=10)


def test_sqlglot_warnings_do_not_reach_stderr() -> None:
    """Statements sqlglot only half-parses (Hive DDL, SHOW FUNCTIONS, ...) are the engine's business: its
    "Falling back to parsing as a 'Command'" warning must not reach the user's stderr (with no logging
    configured, Python prints warnings there). sqlglot used by the user's own code still warns."""
    code = textwrap.dedent(
        """
        import sys
        import sqlglot
        from athena_jwt_dbapi.local.engine import QueryEngine, QueryFailure

        engine = QueryEngine()
        engine.execute("CREATE EXTERNAL TABLE quiet (a int) PARTITIONED BY (d string) LOCATION 's3://b/q/'")
        engine.execute("ALTER TABLE quiet ADD PARTITION (d = 'x')")
        engine.execute("MSCK REPAIR TABLE quiet")
        for unsupported in ("SHOW FUNCTIONS", "VACUUM quiet"):
            try:
                engine.execute(unsupported)
            except QueryFailure:
                pass
        print("ENGINE-DONE", file=sys.stderr, flush=True)
        sqlglot.parse_one("SHOW FUNCTIONS", read="athena")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    engine_part, marker, user_part = result.stderr.partition("ENGINE-DONE")
    assert marker
    assert "Falling back" not in engine_part and "Unsupported" not in engine_part
    assert "Falling back to parsing as a 'Command'" in user_part
