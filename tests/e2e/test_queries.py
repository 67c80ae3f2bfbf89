"""Queries through every PyAthena cursor kind, pandas, failures, cancel and paging — on the local stack."""

from __future__ import annotations

import datetime
import decimal
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena


@pytest.fixture(scope="module")
def seeded(local_athena_session: LocalAthena) -> LocalAthena:
    stack = local_athena_session
    stack.seed("CREATE SCHEMA IF NOT EXISTS shop")
    stack.seed(
        """
        CREATE OR REPLACE TABLE shop.orders AS
        SELECT * FROM (VALUES
            (1, 'alice', DECIMAL '12.50', DATE '2024-01-02', TIMESTAMP '2024-01-02 03:04:05.123', true),
            (2, 'bob "the builder", jr.', DECIMAL '0.99', DATE '2024-02-03', TIMESTAMP '2024-02-03 00:00:00', false),
            (3, NULL, NULL, NULL, NULL, NULL)
        ) AS t(id, customer, amount, day, at, paid)
        """
    )
    stack.seed("CREATE OR REPLACE TABLE shop.numbers AS SELECT range AS n FROM range(2500)")
    return stack


@pytest.fixture
def conn(seeded: LocalAthena, local_athena: LocalAthena) -> Iterator[db.Connection]:
    with db.connect(**local_athena.connect_parameters(), Database="shop") as connection:
        yield connection


EXPECTED_ROWS = [
    (
        1,
        "alice",
        decimal.Decimal("12.50"),
        datetime.date(2024, 1, 2),
        datetime.datetime(2024, 1, 2, 3, 4, 5, 123000),
        True,
    ),
    (
        2,
        'bob "the builder", jr.',
        decimal.Decimal("0.99"),
        datetime.date(2024, 2, 3),
        datetime.datetime(2024, 2, 3),
        False,
    ),
    (3, None, None, None, None, None),
]
ORDERS = "SELECT id, customer, amount, day, at, paid FROM orders ORDER BY id"


def test_plain_cursor_returns_typed_rows(conn: db.Connection) -> None:
    with conn.cursor() as cursor:
        cursor.execute(ORDERS)
        assert cursor.fetchall() == EXPECTED_ROWS
        assert [d[0] for d in cursor.description] == ["id", "customer", "amount", "day", "at", "paid"]
        assert cursor.description[0][1] == db.NUMBER
        assert cursor.description[1][1] == db.STRING
        assert cursor.description[4][1] == db.DATETIME


def test_dict_cursor(conn: db.Connection) -> None:
    from pyathena.cursor import DictCursor

    with conn.cursor(DictCursor) as cursor:
        cursor.execute(ORDERS)
        rows = cursor.fetchall()
    assert rows[0]["customer"] == "alice"
    assert rows[1]["amount"] == decimal.Decimal("0.99")


def test_pandas_cursor_reads_the_result_file_from_s3(conn: db.Connection, local_athena: LocalAthena) -> None:
    from pyathena.pandas.cursor import PandasCursor

    frame = conn.cursor(PandasCursor).execute(ORDERS).as_pandas()
    assert frame["customer"].tolist()[:2] == ["alice", 'bob "the builder", jr.']
    assert frame["id"].tolist() == [1, 2, 3]
    assert frame["customer"].isna().tolist() == [False, False, True]


def test_s3fs_cursor(conn: db.Connection) -> None:
    from pyathena.s3fs.cursor import S3FSCursor

    with conn.cursor(S3FSCursor) as cursor:
        cursor.execute(ORDERS)
        rows = cursor.fetchall()
    assert [r[1] for r in rows] == ["alice", 'bob "the builder", jr.', None]
    assert rows[0][0] == 1


def test_arrow_cursor(conn: db.Connection) -> None:
    from pyathena.arrow.cursor import ArrowCursor

    table = conn.cursor(ArrowCursor).execute(ORDERS).as_arrow()
    # PyAthena's documented CSV limitation: ArrowCursor reads a NULL varchar as '' (NULL of other types is null).
    assert table.column("customer").to_pylist() == ["alice", 'bob "the builder", jr.', ""]
    assert table.column("day").to_pylist()[2] is None
    assert table.column("id").to_pylist() == [1, 2, 3]


def test_result_fetcher_s3_reads_every_row_from_the_result_file(seeded: LocalAthena, local_athena: LocalAthena) -> None:
    with db.connect(**local_athena.connect_parameters(), Database="shop", ResultFetcher="S3") as conn:
        before = local_athena.athena.calls.count("GetQueryResults")
        reads = len(local_athena.s3_requests)
        cursor = conn.cursor()
        cursor.execute("SELECT count(*) FROM numbers")
        assert cursor.fetchone() == (2500,)
    # One GetQueryResults call for the column metadata (MaxResults=1: the labels only), the row from S3.
    assert local_athena.athena.calls.count("GetQueryResults") - before == 1
    assert [method for method, _ in local_athena.s3_requests[reads:]] == ["GET"]


def test_pandas_read_sql_query(conn: db.Connection) -> None:
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas: "only supports SQLAlchemy connectable"
        frame = pd.read_sql_query("SELECT id, customer FROM orders WHERE id < 3 ORDER BY id", conn)
    expected = pd.DataFrame({"id": [1, 2], "customer": ["alice", 'bob "the builder", jr.']})
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)


def test_pandas_read_sql_query_failure_shows_the_real_error(conn: db.Connection) -> None:
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(Exception, match="TABLE_NOT_FOUND"):
            pd.read_sql_query("SELECT * FROM no_such_table", conn)


def test_2500_rows_come_back_across_three_pages_with_get_query_results(
    local_athena: LocalAthena, seeded: LocalAthena
) -> None:
    with db.connect(**local_athena.connect_parameters(), Database="shop", ResultFetcher="GetQueryResults") as conn:
        before = local_athena.athena.calls.count("GetQueryResults")
        with conn.cursor() as cursor:
            cursor.execute("SELECT n FROM numbers ORDER BY n")
            rows = cursor.fetchall()
    assert [r[0] for r in rows] == list(range(2500))
    assert local_athena.athena.calls.count("GetQueryResults") - before == 3


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT * FROM no_such_table", "TABLE_NOT_FOUND"),
        ("SELEC 1", "SYNTAX_ERROR"),
        ("SELECT no_such_column FROM orders", "COLUMN_NOT_FOUND"),
    ],
)
def test_failures_carry_athenas_reason(conn: db.Connection, sql: str, reason: str) -> None:
    with conn.cursor() as cursor, pytest.raises(db.OperationalError, match=reason):
        cursor.execute(sql)


def test_cancel_a_running_query(conn: db.Connection, local_athena: LocalAthena) -> None:
    local_athena.set_query_delay(10)
    cursor = conn.cursor()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            cursor.execute("SELECT 1")
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 5
    while cursor.query_id is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cursor.query_id is not None
    cursor.cancel()
    worker.join(10)
    assert not worker.is_alive()
    assert local_athena.athena.execution(cursor.query_id).state == "CANCELLED"
    assert errors and isinstance(errors[0], db.OperationalError)


def test_throttling_is_retried(conn: db.Connection, local_athena: LocalAthena) -> None:
    local_athena.throttle_athena(2)
    before = local_athena.athena.calls.count("StartQueryExecution")
    with conn.cursor() as cursor:
        cursor.execute("SELECT 7")
        assert cursor.fetchone() == (7,)
    assert local_athena.athena.calls.count("StartQueryExecution") == before + 3, "two throttled, then accepted"


def test_workgroup_output_location_is_used_without_output_location(
    seeded: LocalAthena, local_athena: LocalAthena
) -> None:
    parameters = local_athena.connect_parameters(OutputLocation=None)
    with db.connect(**parameters) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        execution = local_athena.athena.execution(cursor.query_id)
    assert execution.output_location.startswith(local_athena.output_location)


def test_result_reuse(conn: db.Connection, seeded: LocalAthena, local_athena: LocalAthena) -> None:
    parameters = local_athena.connect_parameters(EnableResultReuseByAge="true", MaxResultReuseAgeInMinutes="5")
    with db.connect(**parameters, Database="shop") as reuse, reuse.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders")
        cursor.execute("SELECT count(*) FROM orders")
        assert cursor.fetchone() == (3,)
        assert local_athena.athena.execution(cursor.query_id).reused


def test_expected_bucket_owner_and_acl_reach_start_query_execution(local_athena: LocalAthena) -> None:
    parameters = local_athena.connect_parameters(
        ExpectedBucketOwner="123456789012", AclOption="BUCKET_OWNER_FULL_CONTROL"
    )
    with db.connect(**parameters) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        configuration = local_athena.athena.execution(cursor.query_id).result_configuration
    assert configuration["ExpectedBucketOwner"] == "123456789012"
    assert configuration["AclConfiguration"] == {"S3AclOption": "BUCKET_OWNER_FULL_CONTROL"}


def test_connection_test_runs_select_1(local_athena: LocalAthena) -> None:
    before = local_athena.athena.calls.count("StartQueryExecution")
    with db.connect(**local_athena.connect_parameters()):
        pass
    assert local_athena.athena.calls.count("StartQueryExecution") == before + 1
    with db.connect(**local_athena.connect_parameters(), ConnectionTest="false"):
        pass
    assert local_athena.athena.calls.count("StartQueryExecution") == before + 1


def test_connection_test_runs_once_per_configuration(local_athena: LocalAthena) -> None:
    local_athena.seed("CREATE SCHEMA IF NOT EXISTS other")
    token = local_athena.mint_token()
    started = lambda: local_athena.athena.calls.count("StartQueryExecution")  # noqa: E731
    before = started()
    for _ in range(3):
        db.connect(**local_athena.connect_parameters(token)).close()
    assert started() == before + 1, "one identity and configuration: tested once"
    db.connect(**local_athena.connect_parameters(token), WorkGroup="primary", Database="other").close()
    assert started() == before + 2, "another database is another configuration"
    db.connect(**local_athena.connect_parameters(token, JwtRoleSessionName="someone-else")).close()
    assert started() == before + 3, "another identity is tested again"
    db.clear_credentials_cache()
    db.connect(**local_athena.connect_parameters(token)).close()
    assert started() == before + 4, "clear_credentials_cache() forgets what was tested"


def test_connection_test_ignores_the_users_cursor_class_options_and_callbacks(local_athena: LocalAthena) -> None:
    from pyathena.pandas.cursor import PandasCursor

    seen: list[str] = []
    polled: list[object] = []
    with db.connect(
        **local_athena.connect_parameters(),
        cursor_class=PandasCursor,
        cursor_kwargs={"unload": True},
        on_start_query_execution=seen.append,
        on_poll=polled.append,
    ) as conn:
        tested = local_athena.athena.execution(_last_query_id(local_athena))
        assert tested.query.strip() == "SELECT 1", "the test is SELECT 1, not an UNLOAD"
        assert seen == [] and polled == [], "no user callback fires for the driver's own query"
        assert isinstance(conn.cursor(), PandasCursor)
    with db.connect(
        **local_athena.connect_parameters(), on_start_query_execution=seen.append, on_poll=polled.append
    ) as conn:
        conn.cursor().execute("SELECT 2 AS x")
    assert len(seen) == 1 and polled, "the user's callbacks do fire for the user's queries"


def _last_query_id(stack: LocalAthena) -> str:
    listed: Any = stack.athena.list_query_executions({})
    return str(listed["QueryExecutionIds"][0])


def test_connection_test_failure_is_an_operational_error(local_athena: LocalAthena) -> None:
    local_athena.set_service_down("athena")
    with pytest.raises(db.OperationalError, match="ConnectionTest"):
        db.connect(**local_athena.connect_parameters(), NumRetries=0)


def test_closed_connection_refuses_work(local_athena: LocalAthena) -> None:
    conn = db.connect(**local_athena.connect_parameters())
    cursor = conn.cursor()
    conn.close()
    assert conn.closed
    conn.close()  # closing twice is fine
    with pytest.raises(db.ProgrammingError, match="closed"):
        conn.cursor()
    with pytest.raises(db.Error, match="closed"):
        cursor.execute("SELECT 1")
    with pytest.raises(db.ProgrammingError, match="closed"):
        conn.commit()


def test_commit_and_rollback_are_no_ops(conn: db.Connection) -> None:
    conn.commit()
    conn.rollback()
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_repr_shows_no_secret(conn: db.Connection, local_athena: LocalAthena) -> None:
    frozen = conn.session.get_credentials().get_frozen_credentials()
    for text in (repr(conn), str(conn), repr(conn.session.get_credentials())):
        assert frozen.secret_key not in text
        assert frozen.token not in text


def test_log_path_writes_a_redacted_file(local_athena: LocalAthena, tmp_path: Path) -> None:
    token = local_athena.mint_token(sub="file-logged")
    with db.connect(**local_athena.connect_parameters(token), LogPath=str(tmp_path), LogLevel="TRACE") as conn:
        frozen = conn.session.get_credentials().get_frozen_credentials()
    log = (tmp_path / "athena-jwt-dbapi.log").read_text()
    assert "AssumeRoleWithWebIdentity" in log
    for secret in (token, frozen.secret_key, frozen.token):
        assert secret not in log


def test_application_name_is_in_the_user_agent(local_athena: LocalAthena) -> None:
    with db.connect(**local_athena.connect_parameters(), ApplicationName="nightly-report") as conn:
        agent = conn.client.meta.config.user_agent_extra
        assert "nightly-report" in agent
        assert "nightly-report" in conn.s3_client.meta.config.user_agent_extra


def test_execution_parameters_with_qmark(conn: db.Connection, local_athena: LocalAthena) -> None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT customer FROM orders WHERE id = ? AND paid = ?", ["1", "true"], paramstyle="qmark")
        assert cursor.fetchall() == [("alice",)]
        assert local_athena.athena.execution(cursor.query_id).parameters == ["1", "true"]


def test_pyformat_parameters_are_formatted_client_side(conn: db.Connection) -> None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT id FROM orders WHERE customer = %(name)s", {"name": 'bob "the builder", jr.'})
        assert cursor.fetchall() == [(2,)]


def test_ddl_insert_show_describe_through_the_driver(conn: db.Connection, local_athena: LocalAthena) -> None:
    with conn.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS events")
        cursor.execute(
            "CREATE EXTERNAL TABLE IF NOT EXISTS events (id bigint, kind string) STORED AS PARQUET "
            f"LOCATION 's3://{local_athena.bucket}/driver-ddl/events/{uuid.uuid4()}/'"
        )
        cursor.execute("INSERT INTO events VALUES (1, 'click'), (2, 'view')")
        assert cursor.rowcount == 2
        cursor.execute("SHOW TABLES")
        assert ("events",) in cursor.fetchall()
        cursor.execute("DESCRIBE events")
        described = [row[0].split("\t")[0].strip() for row in cursor.fetchall()]
        assert described[:2] == ["id", "kind"]
        cursor.execute("CREATE TABLE events_copy AS SELECT * FROM events WHERE kind = 'view'")
        cursor.execute("SELECT count(*) FROM events_copy")
        assert cursor.fetchone() == (1,)
        cursor.execute("DROP TABLE events_copy")
