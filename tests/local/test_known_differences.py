"""The README's "Known differences from Athena" stay true: the list is the code's, and each claim holds.

When a difference is fixed, its test fails here and the claim leaves the list (and the README).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from athena_jwt_dbapi.local.engine import SEMANTIC_DIFFERENCES, QueryEngine, QueryFailure
from athena_jwt_dbapi.local.iam import CredentialStore
from athena_jwt_dbapi.local.s3 import S3Front
from athena_jwt_dbapi.local.stack import KNOWN_DIFFERENCES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.fixture()
def engine() -> Iterator[QueryEngine]:
    yield QueryEngine()


def claim(fragment: str) -> str:
    """The one listed difference containing ``fragment`` (so a test cannot outlive its claim)."""
    [found] = [d for d in KNOWN_DIFFERENCES if fragment in d]
    return found


def test_the_readme_lists_exactly_the_known_differences() -> None:
    section = README.split("Known differences from Athena (Trino) SQL", 1)[1].split("\n#", 1)[0]  # to the next heading
    listed = [line[2:] for line in section.splitlines() if line.startswith("- ")]
    assert listed == list(KNOWN_DIFFERENCES)
    assert KNOWN_DIFFERENCES[: len(SEMANTIC_DIFFERENCES)] == SEMANTIC_DIFFERENCES


def test_double_division_by_zero_fails(engine: QueryEngine) -> None:
    claim("double division by zero")
    with pytest.raises(QueryFailure, match="DIVISION_BY_ZERO"):
        engine.execute("SELECT CAST(1 AS double) / 0")


def test_decimal_divided_by_integer_is_double(engine: QueryEngine) -> None:
    claim("decimal / integer returns double")
    outcome = engine.execute("SELECT DECIMAL '1.5' / 2")
    assert (outcome.columns[0].type, outcome.rows) == ("double", [("0.75",)])


def test_regexp_extract_non_participating_group(engine: QueryEngine) -> None:
    claim("regexp_extract")
    assert engine.execute("SELECT regexp_extract('ab', '(x)?b', 1)").rows == [("",)]
    assert engine.execute("SELECT regexp_extract('ab', 'z')").rows == [(None,)]


def test_date_add_on_a_date_column_is_a_timestamp(engine: QueryEngine) -> None:
    claim("date_add on a DATE column")
    column = engine.execute("SELECT date_add('day', 1, d) FROM (VALUES DATE '2024-01-01') AS t(d)")
    assert (column.columns[0].type, column.rows) == ("timestamp", [("2024-01-02 00:00:00.000",)])
    literal = engine.execute("SELECT date_add('day', 1, DATE '2024-01-01')")
    assert (literal.columns[0].type, literal.rows) == ("date", [("2024-01-02",)])


@pytest.mark.parametrize(
    "sql", ["SELECT format_datetime(TIMESTAMP '2024-01-01 00:00:00', 'yyyy')", "SELECT parse_datetime('2024', 'yyyy')"]
)
def test_joda_pattern_functions_are_not_supported(engine: QueryEngine, sql: str) -> None:
    claim("format_datetime / parse_datetime")
    with pytest.raises(QueryFailure):
        engine.execute(sql)


def test_sum_may_exceed_bigint(engine: QueryEngine) -> None:
    claim("sum() of integers")
    outcome = engine.execute("SELECT sum(x) FROM (VALUES 9223372036854775807, 1) AS t(x)")
    assert (outcome.columns[0].type, outcome.rows) == ("bigint", [("9223372036854775808",)])


def test_timestamps_in_milliseconds_and_utc(engine: QueryEngine) -> None:
    claim("millisecond precision")
    assert engine.execute("SELECT TIMESTAMP '2024-01-02 03:04:05.123456'").rows == [("2024-01-02 03:04:05.123",)]
    assert engine.execute("SELECT from_iso8601_timestamp('2024-01-02T05:04:05+02:00')").rows == [
        ("2024-01-02 03:04:05.000 UTC",)
    ]


def test_array_subscript_out_of_range_is_null(engine: QueryEngine) -> None:
    claim("array subscript out of range")
    assert engine.execute("SELECT ARRAY[1, 2][5]").rows == [(None,)]


def test_explain_prints_duckdbs_plan(engine: QueryEngine) -> None:
    claim("EXPLAIN prints DuckDB's plan")
    [(plan,)] = engine.execute("EXPLAIN SELECT 1").rows
    assert plan is not None and "Projection" in plan and "Fragment" not in plan


@pytest.mark.parametrize("stored_as", ["ORC", "AVRO"])
def test_orc_and_avro_are_refused(engine: QueryEngine, stored_as: str) -> None:
    claim("ORC and Avro files can be neither read nor written")
    engine.objects.write(f"s3://d/{stored_as}/f", b"not really")
    engine.execute(f"CREATE EXTERNAL TABLE t_{stored_as} (a int) STORED AS {stored_as} LOCATION 's3://d/{stored_as}/'")
    with pytest.raises(QueryFailure, match="NOT_SUPPORTED"):
        engine.execute(f"SELECT * FROM t_{stored_as}")
    with pytest.raises(QueryFailure, match="NOT_SUPPORTED"):
        engine.execute(f"INSERT INTO t_{stored_as} VALUES (1)")
    with pytest.raises(QueryFailure, match="NOT_SUPPORTED"):
        engine.execute(f"UNLOAD (SELECT 1 AS a) TO 's3://d/out-{stored_as}/' WITH (format = '{stored_as}')")


def test_partition_projection_is_not_supported(engine: QueryEngine) -> None:
    """With projection enabled Athena computes partitions from TBLPROPERTIES; here only registered ones count.
    See https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html."""
    claim("partition projection is not supported")
    engine.objects.write("s3://d/proj/year=2024/f", b"1\n")
    engine.execute(
        "CREATE EXTERNAL TABLE projected (a int) PARTITIONED BY (year int) LOCATION 's3://d/proj/' "
        "TBLPROPERTIES ('projection.enabled'='true', 'projection.year.type'='integer', "
        "'projection.year.range'='2020,2030')"
    )
    assert engine.execute("SELECT count(*) FROM projected WHERE year = 2024").rows == [("0",)]


def test_opencsv_backslash_escapes_only_with_escape_char(engine: QueryEngine) -> None:
    claim("OpenCSVSerDe: a backslash escapes")
    engine.objects.write("s3://d/doubled/f.csv", b'"c""d","y"\n')
    engine.objects.write("s3://d/backslash/f.csv", b'"a\\"b","x"\n')
    serde = "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'"
    for name, location, properties in (
        ("doubled", "doubled", ""),
        ("backslash_plain", "backslash", ""),
        ("backslash_escaped", "backslash", "WITH SERDEPROPERTIES ('escapeChar' = '\\\\') "),
    ):
        engine.execute(
            f"CREATE EXTERNAL TABLE {name} (v string, w string) {serde} {properties}LOCATION 's3://d/{location}/'"
        )
    assert engine.execute("SELECT v FROM doubled").rows == [('c"d',)]
    assert engine.execute("SELECT v FROM backslash_escaped").rows == [('a"b',)]
    assert engine.execute("SELECT v FROM backslash_plain").rows != [('a"b',)]


def test_ctas_and_iceberg_rows_stay_in_memory(engine: QueryEngine) -> None:
    claim("CTAS and Iceberg tables keep their rows in the engine's memory")
    engine.execute("CREATE TABLE derived WITH (external_location = 's3://d/derived/') AS SELECT 1 AS a")
    engine.execute("CREATE TABLE ice (a int) LOCATION 's3://d/ice/' TBLPROPERTIES ('table_type'='ICEBERG')")
    engine.execute("INSERT INTO ice VALUES (1)")
    assert engine.execute("SELECT (SELECT count(*) FROM derived), (SELECT count(*) FROM ice)").rows == [("1", "1")]
    assert engine.objects.list_files("s3://d/derived/") == []
    assert engine.objects.list_files("s3://d/ice/") == []


def test_data_scanned_counts_s3_files_only(engine: QueryEngine) -> None:
    claim("DataScannedInBytes counts the S3 files")
    engine.objects.write("s3://d/scan/f", b"1\n2\n")
    engine.execute("CREATE EXTERNAL TABLE scanned (a int) LOCATION 's3://d/scan/'")
    engine.execute("CREATE TABLE in_memory AS SELECT * FROM range(1000) AS t(a)")
    assert engine.execute("SELECT sum(a) FROM scanned").scanned_bytes == 4
    assert engine.execute("SELECT sum(a) FROM in_memory").scanned_bytes == 0


def test_memory_limit_is_one_shared_budget(engine: QueryEngine) -> None:
    """DuckDB's memory_limit is a database setting: every statement's connection sees the same budget."""
    claim("the memory limit is one budget")
    engine.memory_limit = 48 * 1024 * 1024
    settings = {engine.execute("SELECT current_setting('memory_limit')").rows[0] for _ in range(3)}
    assert settings == {("48.0 MiB",)}
    with pytest.raises(QueryFailure, match="EXCEEDED_MEMORY_LIMIT"):
        engine.execute("SELECT x FROM range(2000000) AS t(x)")


def test_moto_state_is_process_wide() -> None:
    claim("moto's S3 state is process-wide")
    first = S3Front(CredentialStore(), reset_on_start=False).start()
    second = S3Front(CredentialStore(), reset_on_start=False).start()
    try:
        first.create_bucket("shared-by-design")
        first.put_object("shared-by-design", "k", b"v")
        assert second.internal_client().get_object(Bucket="shared-by-design", Key="k")["Body"].read() == b"v"
    finally:
        second.stop()
        first.stop()
    assert re.search(r"query ids never collide", claim("moto's S3"))
