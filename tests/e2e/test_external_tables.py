"""External tables, Iceberg, CTAS and UNLOAD through the driver, as a PyAthena-style fixture uses them:
files uploaded to the stack's S3 with the connection's own (signed) S3 client, tables declared over
them, queried with the plain, pandas and S3 cursors."""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyathena.pandas.cursor import PandasCursor
from pyathena.s3fs.cursor import S3FSCursor

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena


@pytest.fixture
def conn(local_athena: LocalAthena) -> Iterator[db.Connection]:
    with db.connect(**local_athena.connect_parameters()) as connection:
        yield connection


@pytest.fixture
def prefix(local_athena: LocalAthena) -> str:
    """A fresh S3 folder per test: the stack (and its S3) is shared by the whole session."""
    return f"s3://{local_athena.bucket}/tables/{uuid.uuid4().hex[:12]}"


def upload(conn: db.Connection, url: str, body: bytes) -> None:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    conn.s3_client.put_object(Bucket=bucket, Key=key, Body=body)


def name(base: str) -> str:
    return f"{base}_{uuid.uuid4().hex[:8]}"


def test_csv_tsv_json_and_parquet_tables_with_partitions(conn: db.Connection, prefix: str) -> None:
    """Each format over files uploaded after (and before) CREATE EXTERNAL TABLE, partitions registered
    by MSCK REPAIR TABLE and by ALTER TABLE ADD PARTITION ... LOCATION. See
    https://docs.aws.amazon.com/athena/latest/ug/supported-serdes.html,
    https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html and alter-table-add-partition.html."""
    upload(conn, f"{prefix}/csv/region=eu/a.csv", b"id,amount\n1,10.5\n2,3\n")
    upload(conn, f"{prefix}/csv/region=us/a.csv", b"id,amount\n3,7\n")
    upload(conn, f"{prefix}/tsv/data.tsv", b"1\talpha\n2\tbeta\n")
    upload(conn, f"{prefix}/json/2024/events.json", json.dumps({"id": 1, "Kind": "click"}).encode() + b"\n")
    buffer = io.BytesIO()
    pq.write_table(pa.table({"id": [7, 8], "ok": [True, False]}), buffer)
    upload(conn, f"{prefix}/elsewhere/p.parquet", buffer.getvalue())
    csv, tsv, js, pqt = name("csv"), name("tsv"), name("json"), name("pq")
    with conn.cursor() as cursor:
        cursor.execute(
            f"CREATE EXTERNAL TABLE {csv} (id int, amount double) PARTITIONED BY (region string) "
            f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION '{prefix}/csv/' "
            "TBLPROPERTIES ('skip.header.line.count'='1')"
        )
        cursor.execute(f"MSCK REPAIR TABLE {csv}")
        cursor.execute(f"SELECT region, sum(amount) FROM {csv} GROUP BY region ORDER BY region")
        assert cursor.fetchall() == [("eu", 13.5), ("us", 7.0)]
        cursor.execute(
            f"CREATE EXTERNAL TABLE {tsv} (id int, word string) "
            f"ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' LOCATION '{prefix}/tsv/'"
        )
        cursor.execute(
            f"CREATE EXTERNAL TABLE {js} (id bigint, kind string) "
            f"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION '{prefix}/json/'"
        )
        cursor.execute(
            f"CREATE EXTERNAL TABLE {pqt} (id bigint, ok boolean) PARTITIONED BY (batch int) "
            f"STORED AS PARQUET LOCATION '{prefix}/parquet/'"
        )
        cursor.execute(f"ALTER TABLE {pqt} ADD PARTITION (batch = 1) LOCATION '{prefix}/elsewhere/'")
        cursor.execute(
            f"SELECT t.word, j.kind, p.ok, p.batch FROM {tsv} t JOIN {js} j ON j.id = t.id "
            f"CROSS JOIN {pqt} p WHERE p.id = 7"
        )
        assert cursor.fetchall() == [("alpha", "click", True, 1)]
    frame = (
        conn.cursor(PandasCursor).execute(f"SELECT id, amount FROM {csv} WHERE region = 'eu' ORDER BY id").as_pandas()
    )
    assert frame.to_dict("records") == [{"id": 1, "amount": 10.5}, {"id": 2, "amount": 3.0}]
    upload(conn, f"{prefix}/tsv/more.tsv", b"3\tgamma\n")
    with conn.cursor(S3FSCursor) as cursor:
        cursor.execute(f"SELECT word FROM {tsv} ORDER BY id")
        assert cursor.fetchall() == [("alpha",), ("beta",), ("gamma",)]


def test_partition_filter_prunes_what_is_scanned(conn: db.Connection, prefix: str) -> None:
    """Athena reads a partitioned table's registered partitions only, and of those only the ones a filter on
    partition keys can match (https://docs.aws.amazon.com/athena/latest/ug/partitions.html)."""
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        upload(conn, f"{prefix}/logs/dt={day}/log.txt", b"a\nb\nc\n")
    logs = name("logs")
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE EXTERNAL TABLE {logs} (line string) PARTITIONED BY (dt date) LOCATION '{prefix}/logs/'")
        cursor.execute(f"SELECT count(*) FROM {logs}")
        assert cursor.fetchall() == [(0,)]  # no partition registered yet
        cursor.execute(f"MSCK REPAIR TABLE {logs}")
        cursor.execute(f"SELECT count(*) FROM {logs}")
        assert cursor.fetchall() == [(9,)]
        assert cursor.data_scanned_in_bytes == 18
        cursor.execute(f"SELECT count(*) FROM {logs} WHERE dt >= DATE '2024-01-03'")
        assert cursor.fetchall() == [(3,)]
        assert cursor.data_scanned_in_bytes == 6
        cursor.execute(f"SHOW PARTITIONS {logs}")
        assert cursor.fetchall() == [("dt=2024-01-01",), ("dt=2024-01-02",), ("dt=2024-01-03",)]


def test_show_create_table(conn: db.Connection, prefix: str) -> None:
    """See https://docs.aws.amazon.com/athena/latest/ug/show-create-table.html."""
    table = name("described")
    with conn.cursor() as cursor:
        cursor.execute(
            f"CREATE EXTERNAL TABLE {table} (id int, payload string) PARTITIONED BY (dt string) "
            f"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION '{prefix}/described/'"
        )
        cursor.execute(f"SHOW CREATE TABLE {table}")
        lines = [row[0] for row in cursor.fetchall()]
    assert lines[0] == f"CREATE EXTERNAL TABLE `default`.`{table}`("
    assert "  'org.openx.data.jsonserde.JsonSerDe' " in lines
    assert f"  '{prefix}/described/'" in lines


def test_create_table_without_external_is_refused(conn: db.Connection) -> None:
    """See https://docs.aws.amazon.com/athena/latest/ug/create-table.html ("Athena issues an error")."""
    with conn.cursor() as cursor, pytest.raises(db.OperationalError, match="Only external table creation"):
        cursor.execute("CREATE TABLE not_external (a int)")


def test_iceberg_dml_through_the_driver(conn: db.Connection, prefix: str) -> None:
    """See https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-updating-iceberg-table-data.html."""
    table = name("iceberg")
    with conn.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {table} (id int, status string) LOCATION '{prefix}/iceberg/' "
            "TBLPROPERTIES ('table_type' = 'ICEBERG')"
        )
        cursor.execute(f"INSERT INTO {table} VALUES (1, 'new'), (2, 'new'), (3, 'new')")
        assert cursor.rowcount == 3
        cursor.execute(f"UPDATE {table} SET status = 'done' WHERE id < 3")
        assert cursor.rowcount == 2
        cursor.execute(f"DELETE FROM {table} WHERE id = 1")
        assert cursor.rowcount == 1
        cursor.execute(
            f"MERGE INTO {table} t USING (SELECT 3 AS id) s ON t.id = s.id "
            "WHEN MATCHED THEN UPDATE SET status = 'merged'"
        )
        assert cursor.rowcount == 1
        cursor.execute(f"SELECT id, status FROM {table} ORDER BY id")
        assert cursor.fetchall() == [(2, "done"), (3, "merged")]


@pytest.mark.parametrize("cursor_class", [None, S3FSCursor, PandasCursor])
def test_ctas_reports_athenas_result_metadata(conn: db.Connection, cursor_class: type | None) -> None:
    """As in PyAthena's own tests against Athena: description ``rows bigint``, the count in rowcount,
    no row to fetch."""
    table = name("ctas")
    with conn.cursor(cursor_class) as cursor:
        cursor.execute(f"CREATE TABLE {table} AS SELECT x FROM UNNEST(sequence(1, 4)) AS t(x)")
        assert cursor.description == [("rows", "bigint", None, None, 19, 0, "UNKNOWN")]
        assert cursor.rowcount == 4
        assert cursor.fetchone() is None


def test_declared_float_is_described_as_float(conn: db.Connection, prefix: str) -> None:
    """FLOAT in DDL is Trino's REAL; Athena reports the column as ``float`` (PyAthena's tests against Athena
    expect ``("col_float", "float", ..., 17, 0, ...)``; https://docs.aws.amazon.com/athena/latest/ug/data-types.html)."""
    table = name("floats")
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE EXTERNAL TABLE {table} (f float) STORED AS PARQUET LOCATION '{prefix}/floats/'")
        cursor.execute(f"INSERT INTO {table} VALUES (0.5)")
        cursor.execute(f"SELECT f FROM {table}")
        assert cursor.fetchall() == [(0.5,)]
        assert cursor.description == [("f", "float", None, None, 17, 0, "UNKNOWN")]


def test_unload_writes_files_and_pandas_reads_them(conn: db.Connection, local_athena: LocalAthena) -> None:
    """PyAthena's ``unload=True`` cursors wrap the query in UNLOAD, then read the Parquet files listed in
    the query's data manifest (Statistics.DataManifestLocation). See
    https://docs.aws.amazon.com/athena/latest/ug/unload.html."""
    cursor = conn.cursor(PandasCursor, unload=True, engine="pyarrow")
    frame = cursor.execute("SELECT x AS n, CAST(x AS varchar) AS s FROM UNNEST(sequence(1, 5)) AS t(x)").as_pandas()
    assert sorted(frame["n"].tolist()) == [1, 2, 3, 4, 5]
    execution = conn.client.get_query_execution(QueryExecutionId=cursor.query_id)["QueryExecution"]
    assert execution["SubstatementType"] == "UNLOAD"
    manifest = execution["Statistics"]["DataManifestLocation"]
    bucket, _, key = manifest.removeprefix("s3://").partition("/")
    listed = conn.s3_client.get_object(Bucket=bucket, Key=key)["Body"].read().decode().split()
    assert listed and all(url.startswith(f"s3://{local_athena.bucket}/results/unload/") for url in listed)


def test_get_query_execution_reports_the_result_reuse_setting_sent(conn: db.Connection) -> None:
    """GetQueryExecution echoes the ResultReuseConfiguration of StartQueryExecution
    (https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecution.html)."""
    started = conn.client.start_query_execution(
        QueryString="SELECT 1",
        ResultReuseConfiguration={"ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 15}},
    )
    execution = conn.client.get_query_execution(QueryExecutionId=started["QueryExecutionId"])["QueryExecution"]
    assert execution["ResultReuseConfiguration"] == {
        "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 15}
    }
    plain = conn.client.start_query_execution(QueryString="SELECT 2")["QueryExecutionId"]
    described = conn.client.get_query_execution(QueryExecutionId=plain)["QueryExecution"]
    assert described["ResultReuseConfiguration"] == {"ResultReuseByAgeConfiguration": {"Enabled": False}}


def test_the_readme_offline_example_runs(local_athena: LocalAthena) -> None:
    """The README's example fixture, executed as written (so the README stays true)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    match = re.search(r"```python\n(def test_daily_report\(local_athena\):\n.*?)```", readme, re.S)
    assert match, "the README's offline example is gone"
    local_athena.seed("DROP TABLE IF EXISTS sales")
    namespace: dict[str, Any] = {"athena_jwt_dbapi": db}
    exec(compile(match.group(1), "README.md", "exec"), namespace)
    namespace["test_daily_report"](local_athena)
    with db.connect(**local_athena.connect_parameters()) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT region, sum(amount) FROM sales WHERE dt = '2024-05-01' GROUP BY region ORDER BY 1")
        assert cursor.fetchall() == [("eu", 10), ("us", 5)]
    local_athena.seed("DROP TABLE sales")


def test_a_table_in_a_missing_bucket_fails_like_s3(conn: db.Connection) -> None:
    table = name("nobucket")
    with conn.cursor() as cursor:
        cursor.execute(
            f"CREATE EXTERNAL TABLE {table} (a int) LOCATION 's3://no-such-bucket-{uuid.uuid4().hex[:8]}/t/'"
        )
        for statement in (f"SELECT * FROM {table}", f"INSERT INTO {table} VALUES (1)"):
            with pytest.raises(db.OperationalError, match="NoSuchBucket"):
                cursor.execute(statement)
