"""External tables: the engine reads (and INSERT writes) the files under LOCATION, through the table's SerDe.

The engine's S3 here is its private in-memory one; tests/e2e/test_offline_athena.py does the same
through the whole stack, with files uploaded to the stack's S3 by a signed client.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from athena_jwt_dbapi.local.engine import QueryEngine, QueryFailure


@pytest.fixture()
def engine() -> Iterator[QueryEngine]:
    yield QueryEngine()


def put(engine: QueryEngine, url: str, body: bytes) -> None:
    engine.objects.write(url, body)


def rows(engine: QueryEngine, sql: str) -> list[tuple[str | None, ...]]:
    return engine.execute(sql).rows


def parquet(table: dict[str, list[object]]) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(table), buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Reading, per SerDe
# --------------------------------------------------------------------------------------------------


def test_csv_with_lazy_simple_serde(engine: QueryEngine) -> None:
    """LazySimpleSerDe: no quoting, ``\\N`` is NULL, an empty field is '' for strings and NULL for numbers,
    a field that does not parse is NULL, missing trailing fields are NULL and extra ones are ignored.
    See https://docs.aws.amazon.com/athena/latest/ug/lazy-simple-serde.html."""
    put(engine, "s3://data/csv/a.csv", b"id,name,score\n1,ann,1.5\n2,bob,oops\n")
    put(engine, "s3://data/csv/b.csv", b'id,name,score\n3,,\n4,\\N,2,extra\n5,"q"\n')
    engine.execute(
        "CREATE EXTERNAL TABLE people (id int, name string, score double) "
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://data/csv/' "
        "TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    assert rows(engine, "SELECT id, name, score FROM people ORDER BY id") == [
        ("1", "ann", "1.5"),
        ("2", "bob", None),
        ("3", "", None),
        ("4", None, "2.0"),
        ("5", '"q"', None),
    ]


def test_tsv_with_collections_and_the_default_delimiters(engine: QueryEngine) -> None:
    """Tab-separated fields, collection items and map keys with their own delimiters."""
    put(engine, "s3://data/tsv/part-0", b"1\ta|b\tx:1|y:2\n2\t\\N\t\n")
    engine.execute(
        "CREATE EXTERNAL TABLE events (id bigint, tags array<string>, counts map<string,int>) "
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' COLLECTION ITEMS TERMINATED BY '|' "
        "MAP KEYS TERMINATED BY ':' LOCATION 's3://data/tsv/'"
    )
    assert rows(engine, "SELECT id, tags, counts['y'] FROM events ORDER BY id") == [
        ("1", "[a, b]", "2"),
        ("2", None, None),
    ]
    put(engine, "s3://data/hive/000000_0", b"7\x01seven\n")
    engine.execute("CREATE EXTERNAL TABLE hive_default (n int, word string) LOCATION 's3://data/hive/'")
    assert rows(engine, "SELECT n, word FROM hive_default") == [("7", "seven")]


def test_open_csv_serde_quoting(engine: QueryEngine) -> None:
    """OpenCSVSerDe: quoted fields may hold the separator and doubled quotes; every value is text, so an
    empty field is '' (NULL for other types) and a DATE may be days since the epoch.
    See https://docs.aws.amazon.com/athena/latest/ug/csv-serde.html."""
    put(
        engine,
        "s3://data/quoted/f.csv",
        b'"id","label","day"\n"1","a, b","2024-01-02"\n"2","say ""hi""","19725"\n"3","",""\n',
    )
    engine.execute(
        "CREATE EXTERNAL TABLE quoted (id int, label string, day date) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        "WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"') "
        "LOCATION 's3://data/quoted/' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    assert rows(engine, "SELECT id, label, day FROM quoted ORDER BY id") == [
        ("1", "a, b", "2024-01-02"),
        ("2", 'say "hi"', "2024-01-03"),
        ("3", "", None),
    ]


def test_json_lines(engine: QueryEngine) -> None:
    """JSON SerDe: one object per line, keys matched to columns case-insensitively, nested types, a value
    of the wrong type is NULL. See https://docs.aws.amazon.com/athena/latest/ug/json-serde.html."""
    lines = [
        {"id": 1, "UserName": "ann", "tags": ["a", "b"], "address": {"city": "Oslo", "zip": "0150"}},
        {"id": "two", "username": "bob"},
    ]
    put(engine, "s3://data/json/f.json", "\n".join(json.dumps(line) for line in lines).encode() + b"\n")
    engine.execute(
        "CREATE EXTERNAL TABLE users (id int, username string, tags array<string>, "
        "address struct<city:string,zip:string>) "
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://data/json/'"
    )
    assert rows(engine, "SELECT id, username, tags, address.city FROM users ORDER BY username") == [
        ("1", "ann", "[a, b]", "Oslo"),
        (None, "bob", None, None),
    ]


def test_malformed_json_fails_unless_ignored(engine: QueryEngine) -> None:
    put(engine, "s3://data/badjson/f.json", b'{"id": 1}\nnot json\n')
    engine.execute(
        "CREATE EXTERNAL TABLE strict_json (id int) "
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://data/badjson/'"
    )
    with pytest.raises(QueryFailure) as info:
        engine.execute("SELECT * FROM strict_json")
    assert info.value.error_name == "HIVE_CURSOR_ERROR"
    engine.execute(
        "CREATE EXTERNAL TABLE lenient_json (id int) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' "
        "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true') LOCATION 's3://data/badjson/'"
    )
    assert rows(engine, "SELECT id FROM lenient_json") == [("1",)]


def test_parquet_columns_by_name(engine: QueryEngine) -> None:
    """Parquet columns are matched by name, case-insensitively; a column no file has is NULL."""
    put(engine, "s3://data/pq/f1", parquet({"ID": [1, 2], "name": ["a", "b"]}))
    put(engine, "s3://data/pq/f2.parquet", parquet({"id": [3], "extra": [1.5]}))
    engine.execute(
        "CREATE EXTERNAL TABLE pq (id bigint, name string, absent int) STORED AS PARQUET LOCATION 's3://data/pq'"
    )
    assert rows(engine, "SELECT id, name, absent FROM pq ORDER BY id") == [
        ("1", "a", None),
        ("2", "b", None),
        ("3", None, None),
    ]


def test_reads_what_is_there_now_and_skips_hidden_files(engine: QueryEngine) -> None:
    """Schema on read: files added later are read by the next query; names starting with ``_`` or ``.``
    are skipped, as in Athena (https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html)."""
    engine.execute("CREATE EXTERNAL TABLE words (w string) LOCATION 's3://data/words/'")
    assert rows(engine, "SELECT count(*) FROM words") == [("0",)]
    put(engine, "s3://data/words/a.txt", b"alpha\n")
    put(engine, "s3://data/words/_SUCCESS", b"not data\n")
    put(engine, "s3://data/words/.hidden/x", b"hidden\n")
    put(engine, "s3://data/words/sub/b.txt.gz", gzip.compress(b"beta\n"))
    assert rows(engine, "SELECT w FROM words ORDER BY w") == [("alpha",), ("beta",)]
    assert engine.execute("SELECT w FROM words").scanned_bytes > 0


def test_drop_table_keeps_the_files(engine: QueryEngine) -> None:
    put(engine, "s3://data/keep/f", b"1\n")
    engine.execute("CREATE EXTERNAL TABLE keep (n int) LOCATION 's3://data/keep/'")
    engine.execute("DROP TABLE keep")
    assert [f.url for f in engine.objects.list_files("s3://data/keep/")] == ["s3://data/keep/f"]
    engine.execute("CREATE EXTERNAL TABLE keep (n int) LOCATION 's3://data/keep/'")
    assert rows(engine, "SELECT n FROM keep") == [("1",)]


# --------------------------------------------------------------------------------------------------
# Partitions
# --------------------------------------------------------------------------------------------------


@pytest.fixture()
def partitioned(engine: QueryEngine) -> QueryEngine:
    for day, ids in (("2024-01-01", b"1\n2\n"), ("2024-01-02", b"3\n")):
        put(engine, f"s3://data/logs/dt={day}/part-0", ids)
    engine.execute("CREATE EXTERNAL TABLE logs (id int) PARTITIONED BY (dt string) LOCATION 's3://data/logs/'")
    return engine


def test_partitions_are_read_only_once_registered(partitioned: QueryEngine) -> None:
    """A partitioned table has no rows until its partitions are in the catalog.
    See https://docs.aws.amazon.com/athena/latest/ug/partitions.html."""
    assert rows(partitioned, "SELECT count(*) FROM logs") == [("0",)]
    assert rows(partitioned, "SHOW PARTITIONS logs") == []
    repaired = partitioned.execute("MSCK REPAIR TABLE logs")
    assert any("logs:dt=2024-01-02" in line[0] for line in repaired.rows if line[0])
    assert rows(partitioned, "SHOW PARTITIONS logs") == [("dt=2024-01-01",), ("dt=2024-01-02",)]
    assert rows(partitioned, "SELECT dt, count(*) FROM logs GROUP BY dt ORDER BY dt") == [
        ("2024-01-01", "2"),
        ("2024-01-02", "1"),
    ]
    assert rows(partitioned, 'SELECT count(*) FROM "logs$partitions"') == [("2",)]


def test_add_and_drop_partition(partitioned: QueryEngine) -> None:
    """``ALTER TABLE ADD PARTITION`` with and without LOCATION, IF NOT EXISTS, and DROP PARTITION.
    See https://docs.aws.amazon.com/athena/latest/ug/alter-table-add-partition.html."""
    put(partitioned, "s3://elsewhere/jan3/f", b"9\n")
    partitioned.execute(
        "ALTER TABLE logs ADD PARTITION (dt = '2024-01-01') "
        "PARTITION (dt = '2024-01-03') LOCATION 's3://elsewhere/jan3/'"
    )
    assert rows(partitioned, "SELECT dt, id FROM logs ORDER BY id") == [
        ("2024-01-01", "1"),
        ("2024-01-01", "2"),
        ("2024-01-03", "9"),
    ]
    with pytest.raises(QueryFailure, match="ALREADY_EXISTS"):
        partitioned.execute("ALTER TABLE logs ADD PARTITION (dt = '2024-01-01')")
    partitioned.execute("ALTER TABLE logs ADD IF NOT EXISTS PARTITION (dt = '2024-01-01')")
    with pytest.raises(QueryFailure, match="does not match the partition keys"):
        partitioned.execute("ALTER TABLE logs ADD PARTITION (day = '2024-01-01')")
    partitioned.execute("ALTER TABLE logs DROP PARTITION (dt = '2024-01-03')")
    assert rows(partitioned, "SHOW PARTITIONS logs") == [("dt=2024-01-01",)]
    with pytest.raises(QueryFailure, match="HIVE_METASTORE_ERROR"):
        partitioned.execute("ALTER TABLE logs DROP PARTITION (dt = '2024-01-03')")
    partitioned.execute("ALTER TABLE logs DROP IF EXISTS PARTITION (dt = '2024-01-03')")


def test_partition_pruning_reads_only_matching_partitions(partitioned: QueryEngine) -> None:
    """A filter on partition keys reads only the matching partitions' files: a broken file in another
    partition is never opened, and DataScannedInBytes counts the partition read."""
    put(partitioned, "s3://data/logs/dt=2024-01-02/broken.gz", b"this is not gzip")
    partitioned.execute("MSCK REPAIR TABLE logs")
    with pytest.raises(QueryFailure):
        partitioned.execute("SELECT count(*) FROM logs")
    pruned = partitioned.execute("SELECT id FROM logs WHERE dt = '2024-01-01' ORDER BY id")
    assert pruned.rows == [("1",), ("2",)]
    assert pruned.scanned_bytes == len(b"1\n2\n")
    joined = partitioned.execute(
        "SELECT l.id FROM logs l JOIN (VALUES 1, 2) AS v(id) ON v.id = l.id WHERE l.dt IN ('2024-01-01')"
    )
    assert sorted(joined.rows) == [("1",), ("2",)]


def test_typed_partition_keys_and_show_create_table(engine: QueryEngine) -> None:
    put(engine, "s3://data/sales/year=2024/month=2/f.csv", b"10,eu\n")
    engine.execute(
        "CREATE EXTERNAL TABLE sales (amount int, region string) COMMENT 'monthly' "
        "PARTITIONED BY (year int, month int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
        "STORED AS TEXTFILE LOCATION 's3://data/sales/' TBLPROPERTIES ('classification'='csv')"
    )
    engine.execute("ALTER TABLE sales ADD PARTITION (year = 2024, month = 2)")
    assert rows(engine, "SELECT year + 1, month, amount FROM sales WHERE year = 2024 AND month > 1") == [
        ("2025", "2", "10")
    ]
    statement = "\n".join(row[0] or "" for row in rows(engine, "SHOW CREATE TABLE sales"))
    assert statement.startswith("CREATE EXTERNAL TABLE `default`.`sales`(\n  `amount` int, \n  `region` string)")
    assert "PARTITIONED BY ( \n  `year` int, \n  `month` int)" in statement
    assert "ROW FORMAT DELIMITED \n  FIELDS TERMINATED BY ',' " in statement
    assert "'org.apache.hadoop.mapred.TextInputFormat'" in statement
    assert "LOCATION\n  's3://data/sales/'" in statement
    assert "'classification'='csv'" in statement
    info = engine.get_table("default", "sales")
    assert info is not None
    assert info.partition_keys == [("year", "int"), ("month", "int")]
    assert info.parameters["serde.serialization.lib"] == "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
    assert info.parameters["serde.param.field.delim"] == ","
    assert info.parameters["comment"] == "monthly"


# --------------------------------------------------------------------------------------------------
# INSERT INTO writes files
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("storage", "suffix"),
    [
        ("ROW FORMAT DELIMITED FIELDS TERMINATED BY ','", ".gz"),
        ("ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'", ".gz"),
        ("ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'", ".gz"),
        ("STORED AS PARQUET", ""),
    ],
)
def test_insert_writes_files_in_the_tables_format(engine: QueryEngine, storage: str, suffix: str) -> None:
    """INSERT INTO a Hive table writes new files under its LOCATION (GZIP-compressed text and JSON by
    default) and the next query reads them. See https://docs.aws.amazon.com/athena/latest/ug/insert-into.html."""
    engine.execute(f"CREATE EXTERNAL TABLE t (id int, name string, tags array<string>) {storage} LOCATION 's3://w/t/'")
    inserted = engine.execute("INSERT INTO t VALUES (1, 'a \"b\"', ARRAY['x', 'y']), (2, NULL, NULL)")
    assert (inserted.update_count, inserted.substatement_type) == (2, "INSERT")
    files = engine.objects.list_files("s3://w/t/")
    assert len(files) == 1 and files[0].url.endswith(suffix)
    assert list(inserted.written_files) == [files[0].url]
    expected_name = "" if "OpenCSV" in storage else None  # OpenCSV has no NULL: every value is text
    assert rows(engine, "SELECT id, name FROM t ORDER BY id") == [("1", 'a "b"'), ("2", expected_name)]
    if "OpenCSV" not in storage:  # OpenCSVSerDe has no collections
        assert rows(engine, "SELECT tags FROM t ORDER BY id") == [("[x, y]",), (None,)]


def test_insert_with_a_column_list_and_into_partitions(engine: QueryEngine) -> None:
    engine.execute(
        "CREATE EXTERNAL TABLE visits (page string, n int) PARTITIONED BY (day string) "
        "STORED AS PARQUET LOCATION 's3://w/visits/'"
    )
    engine.execute("INSERT INTO visits (n, day, page) VALUES (3, '2024-05-01', 'home'), (4, '2024-05-02', 'faq')")
    engine.execute("INSERT INTO visits (page, day) SELECT 'about', '2024-05-01'")
    assert rows(engine, "SHOW PARTITIONS visits") == [("day=2024-05-01",), ("day=2024-05-02",)]
    assert rows(engine, "SELECT day, page, n FROM visits ORDER BY day, page") == [
        ("2024-05-01", "about", None),
        ("2024-05-01", "home", "3"),
        ("2024-05-02", "faq", "4"),
    ]
    urls = [f.url for f in engine.objects.list_files("s3://w/visits/")]
    assert all(u.startswith(("s3://w/visits/day=2024-05-01/", "s3://w/visits/day=2024-05-02/")) for u in urls)
    with pytest.raises(QueryFailure, match="TYPE_MISMATCH"):
        engine.execute("INSERT INTO visits VALUES ('x', 1)")


# --------------------------------------------------------------------------------------------------
# What Athena refuses
# --------------------------------------------------------------------------------------------------


def test_create_table_without_external_is_refused(engine: QueryEngine) -> None:
    """ "If you use CREATE TABLE without the EXTERNAL keyword for non-Iceberg tables, Athena issues an
    error" (https://docs.aws.amazon.com/athena/latest/ug/create-table.html). CTAS is not concerned."""
    with pytest.raises(QueryFailure) as info:
        engine.execute("CREATE TABLE plain (a int) LOCATION 's3://w/plain/'")
    assert info.value.error_name == "NOT_SUPPORTED"
    assert "Only external table creation is supported" in info.value.reason
    assert engine.get_table("default", "plain") is None
    assert engine.execute("CREATE TABLE derived AS SELECT 1 AS a").update_count == 1


def test_location_must_be_in_s3(engine: QueryEngine) -> None:
    with pytest.raises(QueryFailure) as info:
        engine.execute("CREATE EXTERNAL TABLE nowhere (a int) LOCATION 'Nonedefault/nowhere/'")
    assert info.value.error_name == "INVALID_TABLE_PROPERTY"
    assert engine.get_table("default", "nowhere") is None


def test_statement_types_are_known_before_and_after_running(partitioned: QueryEngine) -> None:
    """GetQueryExecution reports the same StatementType/SubstatementType while a query runs (classified
    from its text) and once it has finished (from its outcome)."""
    from athena_jwt_dbapi.local.engine import classify

    statements = [
        "MSCK REPAIR TABLE logs",
        "ALTER TABLE logs ADD IF NOT EXISTS PARTITION (dt = '2024-02-01')",
        "ALTER TABLE logs DROP PARTITION (dt = '2024-02-01')",
        "SHOW PARTITIONS logs",
        "SHOW CREATE TABLE logs",
        "INSERT INTO logs VALUES (5, '2024-03-01')",
        "UNLOAD (SELECT id FROM logs) TO 's3://out/types/' WITH (format = 'JSON')",
        "CREATE TABLE logs_copy AS SELECT * FROM logs",
        "CREATE OR REPLACE TABLE logs_replaced AS SELECT * FROM logs",
        "/* a comment first */ DESCRIBE logs",
    ]
    for sql in statements:
        outcome = partitioned.execute(sql)
        assert (outcome.statement_type, outcome.substatement_type) == classify(sql), sql


def test_msck_repair_ignores_other_folders_and_unpartitioned_tables(engine: QueryEngine) -> None:
    put(engine, "s3://data/m/dt=1/f", b"1\n")
    put(engine, "s3://data/m/notes/readme.txt", b"x\n")
    put(engine, "s3://data/m/dt=2/extra/deeper/f", b"2\n")
    engine.execute("CREATE EXTERNAL TABLE m (a int) PARTITIONED BY (dt int) LOCATION 's3://data/m/'")
    engine.execute("CREATE EXTERNAL TABLE flat (a int) LOCATION 's3://data/m/dt=1/'")
    engine.execute("MSCK REPAIR TABLE m")
    assert engine.execute("MSCK REPAIR TABLE flat").rows == []
    assert rows(engine, "SHOW PARTITIONS m") == [("dt=1",), ("dt=2",)]
    assert rows(engine, "SELECT dt, a FROM m ORDER BY dt") == [("1", "1"), ("2", "2")]
