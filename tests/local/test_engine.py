"""QueryEngine: Trino SQL on DuckDB, Athena's types, text forms, errors and result files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from athena_jwt_dbapi.local.engine import (
    SEMANTIC_DIFFERENCES,
    ColumnInfo,
    QueryEngine,
    QueryFailure,
    QueryOutcome,
    classify,
    format_double,
    to_result_csv,
    to_result_text,
)


@pytest.fixture()
def engine() -> Iterator[QueryEngine]:
    yield QueryEngine()


TYPE_CASES = [
    # (expression, athena type, precision, scale, text)
    ("true", "boolean", 0, 0, "true"),
    ("CAST(1 AS tinyint)", "tinyint", 3, 0, "1"),
    ("CAST(1 AS smallint)", "smallint", 5, 0, "1"),
    ("42", "integer", 10, 0, "42"),
    ("CAST(42 AS bigint)", "bigint", 19, 0, "42"),
    ("CAST(0.1 AS real)", "float", 17, 0, "0.1"),  # Athena names REAL by its DDL name
    ("CAST(1.5 AS double)", "double", 17, 0, "1.5"),
    ("CAST(1e10 AS double)", "double", 17, 0, "1.0E10"),
    ("CAST(12.3 AS decimal(10,2))", "decimal", 10, 2, "12.30"),
    ("'héllo'", "varchar", 2147483647, 0, "héllo"),
    ("CAST('abc' AS varbinary)", "varbinary", 1073741824, 0, "61 62 63"),
    ("DATE '2024-01-02'", "date", 0, 0, "2024-01-02"),
    ("TIMESTAMP '2024-01-02 03:04:05.123456'", "timestamp", 3, 0, "2024-01-02 03:04:05.123"),
    (
        "from_iso8601_timestamp('2024-01-02T05:04:05.5+02:00')",
        "timestamp with time zone",
        3,
        0,
        "2024-01-02 03:04:05.500 UTC",
    ),
    ("ARRAY[1, NULL, 3]", "array", 0, 0, "[1, null, 3]"),
    ("ARRAY['a', 'b c']", "array", 0, 0, "[a, b c]"),
    ("MAP(ARRAY['a', 'b'], ARRAY[1, 2])", "map", 0, 0, "{a=1, b=2}"),
    ("CAST(ROW(1, 'abc') AS ROW(x integer, y varchar))", "row", 0, 0, "{x=1, y=abc}"),
    ("json_parse('{\"a\": [1, 2]}')", "json", 0, 0, '{"a":[1,2]}'),
    ("CAST(NULL AS varchar)", "varchar", 2147483647, 0, None),
    ("NULL", "unknown", 0, 0, None),
]


@pytest.mark.parametrize(("expression", "type_", "precision", "scale", "text"), TYPE_CASES)
def test_types_and_text_forms(
    engine: QueryEngine, expression: str, type_: str, precision: int, scale: int, text: str | None
) -> None:
    outcome = engine.execute(f"SELECT {expression} AS v")
    assert outcome.columns == [ColumnInfo("v", type_, precision, scale, "UNKNOWN", case_sensitive=type_ == "varchar")]
    assert outcome.rows == [(text,)]
    assert outcome.statement_type == "DML" and outcome.output_kind == "csv"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 7 / 2", "3"),
        ("SELECT -7 / 2", "-3"),
        ("SELECT 7.0 / 2", "3.5"),
        ("SELECT CAST(7 AS double) / 2", "3.5"),
        ("SELECT regexp_extract('abc', 'x')", None),
        ("SELECT regexp_extract('abc', 'b.')", "bc"),
        ("SELECT date_add('day', 1, DATE '2024-01-31')", "2024-02-01"),
        ("SELECT sum(x) FROM UNNEST(ARRAY[1, 2, 3]) AS t(x)", "6"),
    ],
)
def test_trino_semantics(engine: QueryEngine, sql: str, expected: str | None) -> None:
    assert engine.execute(sql).rows == [(expected,)]


def test_unnamed_columns_are_col_n(engine: QueryEngine) -> None:
    outcome = engine.execute("SELECT 1, 2 AS b, 'x'")
    assert [c.name for c in outcome.columns] == ["_col0", "b", "_col2"]
    assert [c.name for c in engine.execute("VALUES (1, 'a')").columns] == ["_col0", "_col1"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.5, "1.5"),
        (1e10, "1.0E10"),
        (1.25e-5, "1.25E-5"),
        (100.0, "100.0"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
        (0.0, "0.0"),
    ],
)
def test_double_text_like_java(value: float, text: str) -> None:
    assert format_double(value) == text
    assert value != value or float(text) == value  # PyAthena's float() reads it back


FAILURES = [
    (
        "SELECT * FROM nope",
        "TABLE_NOT_FOUND",
        "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.default.nope' does not exist",
    ),
    ("SELECT * FROM nodb.t", "SCHEMA_NOT_FOUND", "SCHEMA_NOT_FOUND: line 1:15: Schema 'nodb' does not exist"),
    ("SELECT x FROM (SELECT 1 AS a)", "COLUMN_NOT_FOUND", "COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved"),
    ("SELECT nofunc(1)", "FUNCTION_NOT_FOUND", "FUNCTION_NOT_FOUND: line 1:8: Function 'nofunc' not registered"),
    ("SELECT FROM WHERE", "SYNTAX_ERROR", None),
    ("SELECT 1 / 0", "DIVISION_BY_ZERO", "DIVISION_BY_ZERO: Division by zero"),
    ("SELECT CAST('a' AS integer)", "INVALID_CAST_ARGUMENT", "INVALID_CAST_ARGUMENT: line 1:1: Cannot cast 'a' to INT"),
    ("SELECT abs('a')", "TYPE_MISMATCH", None),
    ("SELECT * FROM other.db.t", "CATALOG_NOT_FOUND", None),
    ("CREATE DATABASE default", "ALREADY_EXISTS", None),
    ("GRANT SELECT ON t TO u", "NOT_SUPPORTED", None),
]


@pytest.mark.parametrize(("sql", "name", "reason"), FAILURES)
def test_failures(engine: QueryEngine, sql: str, name: str, reason: str | None) -> None:
    with pytest.raises(QueryFailure) as info:
        engine.execute(sql)
    assert info.value.error_name == name
    assert info.value.reason.startswith(f"{name}: ")
    if reason is not None:
        assert info.value.reason == reason
    assert info.value.error_category in (1, 2)
    assert isinstance(info.value.error_type, int)


def test_ddl_ctas_insert_show_describe(engine: QueryEngine) -> None:
    assert engine.execute("CREATE DATABASE IF NOT EXISTS sales").statement_type == "DDL"
    created = engine.execute(
        "CREATE EXTERNAL TABLE sales.orders (id int, name string, amount decimal(10,2), tags array<string>) "
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE "
        "LOCATION 's3://bucket/orders/' TBLPROPERTIES ('classification'='csv')"
    )
    assert (created.statement_type, created.output_kind, created.rows) == ("DDL", "txt", [])
    inserted = engine.execute(
        "INSERT INTO orders VALUES (1, 'a', 1.5, ARRAY['x']), (2, 'b', NULL, NULL)", database="sales"
    )
    assert (inserted.statement_type, inserted.update_count, inserted.substatement_type) == ("DML", 2, "INSERT")
    ctas = engine.execute(
        "CREATE TABLE sales.copy WITH (format = 'PARQUET', external_location = 's3://b/copy/') "
        "AS SELECT id, amount FROM sales.orders"
    )
    assert (ctas.statement_type, ctas.update_count, ctas.substatement_type) == ("DML", 2, "CREATE_TABLE_AS_SELECT")
    assert engine.execute("SELECT * FROM awsdatacatalog.sales.copy ORDER BY id").rows == [("1", "1.50"), ("2", None)]
    view = engine.execute("CREATE VIEW sales.v AS SELECT id FROM orders WHERE id > 1")
    assert view.statement_type == "DDL"
    assert engine.execute("SELECT * FROM v", database="SALES").rows == [("2",)]

    tables = engine.execute("SHOW TABLES IN sales")
    assert (tables.statement_type, tables.output_kind) == ("UTILITY", "txt")
    assert tables.rows == [("copy",), ("orders",), ("v",)]
    assert engine.execute("SHOW TABLES IN sales 'o*'").rows == [("orders",)]
    assert engine.execute("SHOW DATABASES").rows == [("default",), ("sales",)]
    assert engine.execute("SHOW SCHEMAS LIKE 's*'").rows == [("sales",)]
    assert engine.execute("SHOW COLUMNS FROM sales.orders").rows == [("id",), ("name",), ("amount",), ("tags",)]
    describe = engine.execute("DESCRIBE orders", database="sales")
    assert describe.statement_type == "UTILITY"
    assert describe.rows[2] == ("amount", "decimal(10,2)", "")
    explain = engine.execute("EXPLAIN SELECT * FROM sales.orders")
    assert explain.statement_type == "UTILITY" and explain.columns[0].name == "Query Plan"

    assert engine.execute("DROP VIEW sales.v").statement_type == "DDL"
    assert engine.execute("DROP TABLE IF EXISTS sales.copy").statement_type == "DDL"
    assert engine.execute("DROP TABLE IF EXISTS sales.copy").statement_type == "DDL"
    with pytest.raises(QueryFailure, match="TABLE_NOT_FOUND"):
        engine.execute("DROP TABLE sales.copy")
    engine.execute("DROP DATABASE sales CASCADE")
    assert engine.list_databases() == ["default"]


def test_metadata(engine: QueryEngine) -> None:
    engine.execute(
        "CREATE EXTERNAL TABLE t (id bigint, m map<string,int>, s struct<x:int,y:string>) "
        "PARTITIONED BY (dt string) STORED AS PARQUET LOCATION 's3://b/t/'"
    )
    engine.execute("CREATE TABLE c AS SELECT CAST(1.5 AS decimal(5,1)) AS d, ARRAY[1] AS a, 'x' AS s")
    engine.execute("CREATE VIEW v AS SELECT 1 AS one")
    info = engine.get_table("DEFAULT", "T")
    assert info is not None
    assert info.columns == [("id", "bigint"), ("m", "map<string,int>"), ("s", "struct<x:int,y:string>")]
    assert info.partition_keys == [("dt", "string")]
    assert info.table_type == "EXTERNAL_TABLE"
    assert info.parameters["location"] == "s3://b/t/"
    derived = engine.get_table("default", "c")
    assert derived is not None and derived.columns == [("d", "decimal(5,1)"), ("a", "array<int>"), ("s", "string")]
    assert [(t.name, t.table_type) for t in engine.list_tables("default")] == [
        ("c", "EXTERNAL_TABLE"),
        ("t", "EXTERNAL_TABLE"),
        ("v", "VIRTUAL_VIEW"),
    ]
    assert engine.get_table("default", "missing") is None


def test_load_csv_and_parquet(engine: QueryEngine, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("id,name\n1,ann\n2,bob\n")
    assert engine.load_csv("people", str(source)) == 2
    parquet = tmp_path / "people.parquet"
    with duckdb.connect() as writer:  # the engine's own DuckDB writes no local file
        writer.execute(f"COPY (SELECT * FROM read_csv_auto('{source}')) TO '{parquet}' (FORMAT parquet)")
    engine.execute("CREATE DATABASE lake")
    assert engine.load_parquet("people", str(parquet), database="lake") == 2
    assert engine.execute("SELECT name FROM people ORDER BY id", database="lake").rows == [("ann",), ("bob",)]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (["'abc'", "1"], [("abc", "1")]),
        (["'it''s ?'", "DATE '2024-01-01'"], [("it's ?", "2024-01-01")]),
    ],
)
def test_execution_parameters(engine: QueryEngine, params: list[str], expected: list[tuple[str, ...]]) -> None:
    sql = "SELECT ? AS a, ? AS b -- trailing ? in a comment\n WHERE '?' = '?'"
    assert engine.execute(sql, execution_parameters=params).rows == expected


@pytest.mark.parametrize(
    ("sql", "params", "expected"),
    [
        ("SELECT ? * 2", ["1 + 1"], [("4",)]),  # one expression: (1 + 1) * 2, not 1 + 1 * 2
        ("SELECT 10 -?", ["-1"], [("11",)]),  # not "10 --1", a comment
        ("SELECT ?, 'after'", ["'x' -- a comment ends the parameter, not the statement"], [("x", "after")]),
        ("SELECT date_add('day', 1, ?)", ["DATE '2024-01-31'"], [("2024-02-01",)]),
    ],
)
def test_each_execution_parameter_is_bound_as_one_expression(
    engine: QueryEngine, sql: str, params: list[str], expected: list[tuple[str, ...]]
) -> None:
    assert engine.execute(sql, execution_parameters=params).rows == expected


@pytest.mark.parametrize(
    ("parameter", "reason"),
    [
        (
            "1 AS v, 'injected' AS w --",
            "INVALID_PARAMETER_USAGE: line 1:8: Execution parameter 1 must be one expression, as in EXECUTE ... "
            "USING: mismatched input 'AS'",
        ),
        ("1) UNION SELECT (2", "INVALID_PARAMETER_USAGE: line 1:8: Execution parameter 1 must be one expression"),
        ("1; DROP TABLE t", "INVALID_PARAMETER_USAGE: line 1:8: Execution parameter 1 must be one expression"),
        ("", "INVALID_PARAMETER_USAGE: line 1:8: Execution parameter 1 must be one expression"),
        ("(SELECT max(a) FROM t)", "EXPRESSION_NOT_CONSTANT: line 1:8: Constant expression cannot contain a subquery"),
        ("a", "EXPRESSION_NOT_CONSTANT: line 1:8: Constant expression cannot contain column references"),
    ],
)
def test_an_execution_parameter_that_is_not_one_constant_is_refused(
    engine: QueryEngine, parameter: str, reason: str
) -> None:
    """As Trino's EXECUTE ... USING: a parameter is one value, never more SQL (issue 10, item 13)."""
    engine.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS a")
    with pytest.raises(QueryFailure) as info:
        engine.execute("SELECT ? AS v FROM t", execution_parameters=[parameter])
    assert info.value.reason.startswith(reason)


def test_an_unterminated_string_is_a_syntax_error(engine: QueryEngine) -> None:
    with pytest.raises(QueryFailure) as info:
        engine.execute("SELECT 'abc")
    assert info.value.reason == "SYNTAX_ERROR: line 1:8: mismatched input '<EOF>'"


def test_execution_parameter_count_mismatch(engine: QueryEngine) -> None:
    with pytest.raises(QueryFailure) as info:
        engine.execute("SELECT ?, ?", execution_parameters=["1"])
    assert info.value.error_name == "INVALID_PARAMETER_USAGE"


def test_result_csv_quoting_matches_athena() -> None:
    outcome = QueryOutcome(
        "DML",
        [ColumnInfo("a", "varchar"), ColumnInfo("b", "integer")],
        [('say "hi", then\nleave', "1"), (None, None), ("", "2")],
    )
    body = to_result_csv(outcome)
    assert body == b'"a","b"\n"say ""hi"", then\nleave","1"\n,\n"","2"\n'
    parsed = list(csv.reader(io.StringIO(body.decode())))
    assert parsed == [["a", "b"], ['say "hi", then\nleave', "1"], ["", ""], ["", "2"]]
    pa_csv = pytest.importorskip("pyarrow.csv")
    table = pa_csv.read_csv(
        io.BytesIO(body),
        parse_options=pa_csv.ParseOptions(delimiter=",", quote_char='"', double_quote=True, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=False),
    )
    assert table.column("a").to_pylist() == ['say "hi", then\nleave', None, ""]
    assert table.column("b").to_pylist() == [1, None, 2]


def test_result_text_is_tab_separated_without_header() -> None:
    outcome = QueryOutcome(
        "UTILITY", [ColumnInfo("c", "varchar"), ColumnInfo("t", "varchar")], [("id", "int")], output_kind="txt"
    )
    assert to_result_text(outcome) == b"id\tint\n"
    assert to_result_csv(QueryOutcome("DML", [], [], 3)) == b""


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", ("DML", "SELECT")),
        ("-- c\nWITH x AS (SELECT 1) SELECT * FROM x", ("DML", "SELECT")),
        ("INSERT INTO t SELECT 1", ("DML", "INSERT")),
        ("CREATE TABLE t AS SELECT 1", ("DML", "CREATE_TABLE_AS_SELECT")),
        ("CREATE EXTERNAL TABLE t (a int) LOCATION 's3://b/'", ("DDL", "CREATE_TABLE")),
        ("DROP TABLE t", ("DDL", "DROP_TABLE")),
        ("SHOW TABLES", ("UTILITY", "SHOW_TABLES")),
        ("DESCRIBE t", ("UTILITY", "DESCRIBE")),
        ("SHOW PARTITIONS t", ("UTILITY", "SHOW_PARTITIONS")),
        ("SHOW CREATE TABLE t", ("UTILITY", "SHOW_CREATE_TABLE")),
        ("ALTER TABLE t ADD IF NOT EXISTS PARTITION (d='1')", ("DDL", "ALTER_TABLE_ADD_PARTITION")),
        ("ALTER TABLE t DROP PARTITION (d='1')", ("DDL", "ALTER_TABLE_DROP_PARTITION")),
        ("MSCK REPAIR TABLE t", ("DDL", "MSCK_REPAIR_TABLE")),
        ("UNLOAD (SELECT 1) TO 's3://b/x/' WITH (format = 'JSON')", ("DML", "UNLOAD")),
        ("UPDATE t SET a = 1", ("DML", "UPDATE")),
        ("CREATE OR REPLACE TABLE t AS SELECT 1", ("DML", "CREATE_TABLE_AS_SELECT")),
        ("CREATE TABLE t COMMENT 'as select' (a int)", ("DDL", "CREATE_TABLE")),
        ("SELECT 'DROP TABLE t' -- SHOW TABLES", ("DML", "SELECT")),
        ('SHOW /* the "tables" */ TABLES', ("UTILITY", "SHOW_TABLES")),
        ("ALTER TABLE \"my db\".t ADD IF NOT EXISTS PARTITION (d='1')", ("DDL", "ALTER_TABLE_ADD_PARTITION")),
        ("ALTER TABLE t ADD COLUMNS (b int)", ("DDL", "ALTER_TABLE")),
    ],
)
def test_classify(sql: str, expected: tuple[str, str]) -> None:
    assert classify(sql) == expected


def test_differences_are_documented() -> None:
    assert any("regexp_extract" in d for d in SEMANTIC_DIFFERENCES)


@pytest.mark.parametrize(
    ("sql", "text", "precision", "scale"),
    [
        ("SELECT DECIMAL '1.50'", "1.50", 3, 2),
        ("SELECT DECIMAL '0.99'", "0.99", 2, 2),
        ("SELECT DECIMAL '-120'", "-120", 3, 0),
        ("SELECT CAST(12.7 AS DECIMAL)", "13", 38, 0),
        ("SELECT sum(a) FROM (VALUES (DECIMAL '10.50'), (DECIMAL '4.00')) AS t(a)", "14.50", 38, 2),
    ],
)
def test_decimal_literals_have_trinos_types(
    engine: QueryEngine, sql: str, text: str, precision: int, scale: int
) -> None:
    outcome = engine.execute(sql)
    assert outcome.rows == [(text,)]
    column = outcome.columns[0]
    assert (column.type, column.precision, column.scale) == ("decimal", precision, scale)
