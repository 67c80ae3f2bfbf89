"""Statements that write: Iceberg DML, CTAS's answer, UNLOAD, and how Athena reports each."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest

from athena_jwt_dbapi.local.engine import ColumnInfo, QueryEngine, QueryFailure, to_result_csv

ROWS_COLUMN = [ColumnInfo("rows", "bigint", 19, 0)]


@pytest.fixture()
def engine() -> Iterator[QueryEngine]:
    yield QueryEngine()


def test_iceberg_tables_take_insert_update_delete_and_merge(engine: QueryEngine) -> None:
    """See https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-updating-iceberg-table-data.html."""
    engine.execute(
        "CREATE TABLE accounts (id int, owner string, balance decimal(10,2)) "
        "LOCATION 's3://lake/accounts/' TBLPROPERTIES ('table_type'='ICEBERG')"
    )
    outcomes = [
        engine.execute("INSERT INTO accounts VALUES (1, 'ann', 10.00), (2, 'bob', 20.00), (3, 'cy', 0)"),
        engine.execute("UPDATE accounts SET balance = balance + 5 WHERE owner = 'bob'"),
        engine.execute("DELETE FROM accounts WHERE balance = 0"),
        engine.execute(
            "MERGE INTO accounts a USING (VALUES (1, 1.50), (4, 4.00)) AS s(id, amount) ON a.id = s.id "
            "WHEN MATCHED THEN UPDATE SET balance = a.balance + s.amount "
            "WHEN NOT MATCHED THEN INSERT (id, owner, balance) VALUES (s.id, 'new', s.amount)"
        ),
    ]
    assert [(o.substatement_type, o.update_count) for o in outcomes] == [
        ("INSERT", 3),
        ("UPDATE", 1),
        ("DELETE", 1),
        ("MERGE", 2),
    ]
    assert all(o.columns == ROWS_COLUMN and o.rows == [] for o in outcomes)
    assert engine.execute("SELECT id, owner, balance FROM accounts ORDER BY id").rows == [
        ("1", "ann", "11.50"),
        ("2", "bob", "25.00"),
        ("4", "new", "4.00"),
    ]
    info = engine.get_table("default", "accounts")
    assert info is not None and info.parameters["table_type"] == "ICEBERG"
    assert info.columns == [("id", "int"), ("owner", "string"), ("balance", "decimal(10,2)")]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE hive_table SET a = 2",
        "DELETE FROM hive_table WHERE a = 1",
        "MERGE INTO hive_table t USING (VALUES 1) AS s(a) ON t.a = s.a WHEN MATCHED THEN DELETE",
    ],
)
def test_only_iceberg_tables_can_be_modified(engine: QueryEngine, statement: str) -> None:
    engine.execute("CREATE EXTERNAL TABLE hive_table (a int) LOCATION 's3://lake/hive/'")
    engine.execute("INSERT INTO hive_table VALUES (1)")
    with pytest.raises(QueryFailure) as info:
        engine.execute(statement)
    assert info.value.error_name == "NOT_SUPPORTED" and "Iceberg" in info.value.reason
    assert engine.execute("SELECT a FROM hive_table").rows == [("1",)]


def test_ctas_answers_with_athenas_result_metadata(engine: QueryEngine) -> None:
    """Athena's CTAS result: a ``rows`` bigint column, the count as UpdateCount, no data rows, an empty
    result file (PyAthena's cursors report ``description == [("rows", "bigint", ...)]``, ``rowcount``)."""
    outcome = engine.execute(
        "CREATE TABLE copy WITH (format = 'PARQUET', external_location = 's3://lake/copy/') "
        "AS SELECT x FROM UNNEST(sequence(1, 3)) AS t(x)"
    )
    assert (outcome.statement_type, outcome.substatement_type) == ("DML", "CREATE_TABLE_AS_SELECT")
    assert (outcome.columns, outcome.rows, outcome.update_count) == (ROWS_COLUMN, [], 3)
    assert to_result_csv(outcome) == b""
    info = engine.get_table("default", "copy")
    assert info is not None and info.parameters["location"] == "s3://lake/copy/"


def test_declared_float_is_reported_as_float(engine: QueryEngine) -> None:
    engine.execute("CREATE EXTERNAL TABLE measures (f float, d double) STORED AS PARQUET LOCATION 's3://lake/m/'")
    engine.execute("INSERT INTO measures VALUES (1.5, 2.5)")
    outcome = engine.execute("SELECT f, d FROM measures")
    assert [(c.type, c.precision) for c in outcome.columns] == [("float", 17), ("double", 17)]
    assert outcome.rows == [("1.5", "2.5")]
    info = engine.get_table("default", "measures")
    assert info is not None and info.columns == [("f", "float"), ("d", "double")]


def test_unload_writes_parquet_to_s3(engine: QueryEngine) -> None:
    """See https://docs.aws.amazon.com/athena/latest/ug/unload.html."""
    outcome = engine.execute(
        "UNLOAD (SELECT x AS n, 'v' || CAST(x AS varchar) AS label FROM UNNEST(sequence(1, 3)) AS t(x)) "
        "TO 's3://out/unload/' WITH (format = 'PARQUET', compression = 'SNAPPY')"
    )
    assert (outcome.substatement_type, outcome.update_count, outcome.columns) == ("UNLOAD", 3, ROWS_COLUMN)
    files = engine.objects.list_files("s3://out/unload/")
    assert [f.url for f in files] == list(outcome.written_files)
    table = pq.read_table(io.BytesIO(engine.objects.read(files[0].url)))
    assert table.to_pydict() == {"n": [1, 2, 3], "label": ["v1", "v2", "v3"]}


def test_unload_partitioned_json_and_text(engine: QueryEngine) -> None:
    engine.execute(
        "UNLOAD (SELECT * FROM (VALUES (1, 'eu'), (2, 'us'), (3, 'eu')) AS t(id, region)) "
        "TO 's3://out/json/' WITH (format = 'JSON', partitioned_by = ARRAY['region'])"
    )
    files = sorted(f.url for f in engine.objects.list_files("s3://out/json/"))
    assert [u.rsplit("/", 2)[1] for u in files] == ["region=eu", "region=us"]
    lines = gzip.decompress(engine.objects.read(files[0])).decode().splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == [1, 3]
    engine.execute(
        "UNLOAD (SELECT 1 AS a, 'x' AS b) TO 's3://out/text/' "
        "WITH (format = 'TEXTFILE', field_delimiter = '|', compression = 'NONE')"
    )
    [text_file] = engine.objects.list_files("s3://out/text/")
    assert engine.objects.read(text_file.url) == b"1|x\n"


def test_unload_needs_an_empty_destination_and_a_supported_format(engine: QueryEngine) -> None:
    engine.objects.write("s3://out/busy/existing", b"x")
    with pytest.raises(QueryFailure, match="HIVE_PATH_ALREADY_EXISTS"):
        engine.execute("UNLOAD (SELECT 1 AS a) TO 's3://out/busy/' WITH (format = 'PARQUET')")
    with pytest.raises(QueryFailure, match="NOT_SUPPORTED"):
        engine.execute("UNLOAD (SELECT 1 AS a) TO 's3://out/orc/' WITH (format = 'ORC')")


def test_iceberg_ctas(engine: QueryEngine) -> None:
    engine.execute(
        "CREATE TABLE snapshot WITH (table_type = 'ICEBERG', is_external = false, location = 's3://lake/snap/') "
        "AS SELECT 1 AS id, 'x' AS label"
    )
    assert engine.execute("UPDATE snapshot SET label = 'y'").update_count == 1
    info = engine.get_table("default", "snapshot")
    assert info is not None and info.columns == [("id", "int"), ("label", "string")]
    assert info.parameters["table_type"] == "ICEBERG"
