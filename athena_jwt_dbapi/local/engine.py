"""An in-process SQL engine that answers Athena (Trino) SQL with DuckDB.

The local Athena stand-in needs real query results without a network, so statements are translated
from Trino to DuckDB with sqlglot and run on one in-memory DuckDB database.  Athena's databases are
DuckDB schemas of an attached catalog named ``awsdatacatalog`` (DuckDB compares catalog and schema
names case-insensitively, as Athena does), so ``awsdatacatalog.default.t``, ``default.t`` and ``t``
all resolve.  Results come back already rendered in Trino's text forms, because that is what Athena
writes to its result files and returns from ``GetQueryResults`` and what PyAthena's converters parse.

Known semantic differences from Trino/Athena (also listed in :data:`SEMANTIC_DIFFERENCES`):

* ``/`` on two integers truncates like Trino (DuckDB ``integer_division``), but ``x / 0.0`` on doubles
  raises DIVISION_BY_ZERO where Trino returns Infinity/NaN, and decimal division returns double.
* ``regexp_extract`` without a match is NULL (fixed by an AST rewrite); a non-participating group
  is ``''`` where Trino gives NULL.
* ``date_add`` on a DATE literal stays a DATE (rewritten); on a DATE column DuckDB returns TIMESTAMP.
* ``format_datetime``/``parse_datetime`` (Joda patterns) and other Joda/Java-specific functions are
  not supported; ``date_format``/``date_parse`` MySQL patterns are translated by sqlglot.
* ``sum`` over integers is HUGEINT in DuckDB and is reported as ``bigint``; timestamps are reported
  at millisecond precision; ``timestamp with time zone`` values are rendered in UTC.
* Array subscripts out of range give NULL instead of failing; integer overflow fails with
  NUMERIC_VALUE_OUT_OF_RANGE as in Trino.
* Tables are plain DuckDB tables: LOCATION, SerDe, storage format, partitioning and TBLPROPERTIES
  are kept only as metadata, never read from or written to S3.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import duckdb
import sqlglot
from sqlglot import exp

__all__ = [
    "SEMANTIC_DIFFERENCES",
    "ColumnInfo",
    "QueryEngine",
    "QueryFailure",
    "QueryOutcome",
    "TableInfo",
    "to_result_csv",
    "to_result_text",
]

CATALOG = "awsdatacatalog"

SEMANTIC_DIFFERENCES: tuple[str, ...] = (
    "double division by zero fails with DIVISION_BY_ZERO (Trino: Infinity/NaN)",
    "decimal / integer returns double (Trino: decimal)",
    "regexp_extract: a non-participating group gives '' (Trino: NULL); no match gives NULL like Trino",
    "date_add on a DATE column returns TIMESTAMP (DATE literals are rewritten to stay DATE)",
    "format_datetime / parse_datetime (Joda patterns) are not supported",
    "sum() of integers is reported as bigint but may exceed the bigint range without failing",
    "timestamps are reported at millisecond precision; timestamp with time zone is rendered in UTC",
    "array subscript out of range returns NULL (Trino: fails)",
    "storage clauses (LOCATION, SerDe, STORED AS, partitioning, TBLPROPERTIES) are metadata only",
    "EXPLAIN prints DuckDB's plan, not Trino's",
)


# --------------------------------------------------------------------------------------------------
# Public value types
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnInfo:
    """One result column as Athena's ``ResultSetMetadata.ColumnInfo`` describes it."""

    name: str
    type: str
    precision: int = 0
    scale: int = 0
    nullable: str = "UNKNOWN"
    case_sensitive: bool = False

    def to_athena(self) -> dict[str, Any]:
        """Render the ``ColumnInfo`` shape of the Athena API (catalog is always ``hive``)."""
        return {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": self.name,
            "Label": self.name,
            "Type": self.type,
            "Precision": self.precision,
            "Scale": self.scale,
            "Nullable": self.nullable,
            "CaseSensitive": self.case_sensitive,
        }


@dataclass(frozen=True)
class QueryOutcome:
    """The result of one statement, rendered the way Athena reports it.

    ``output_kind`` is ``csv`` for result sets (``<id>.csv``) and ``txt`` for DDL/SHOW output
    (``<id>.txt``), which Athena writes tab-separated and without a header.
    """

    statement_type: str
    columns: list[ColumnInfo]
    rows: list[tuple[str | None, ...]]
    update_count: int | None = None
    output_kind: str = "csv"
    substatement_type: str = "SELECT"


@dataclass(frozen=True)
class TableInfo:
    """Glue-style table metadata: columns as (name, Hive type string)."""

    name: str
    columns: list[tuple[str, str]]
    table_type: str
    create_time: dt.datetime
    parameters: dict[str, str] = field(default_factory=dict)
    partition_keys: list[tuple[str, str]] = field(default_factory=list)


# ErrorCategory (1 system, 2 user, 3 other) and ErrorType per the Athena error catalog:
# 1000 user error, 1001 data error, 1003 DDL task failed, 200 engine internal error.
_ERROR_CODES: dict[str, tuple[int, int]] = {
    "SYNTAX_ERROR": (2, 1000),
    "TABLE_NOT_FOUND": (2, 1000),
    "SCHEMA_NOT_FOUND": (2, 1000),
    "CATALOG_NOT_FOUND": (2, 1000),
    "COLUMN_NOT_FOUND": (2, 1000),
    "FUNCTION_NOT_FOUND": (2, 1000),
    "TYPE_MISMATCH": (2, 1000),
    "INVALID_PARAMETER_USAGE": (2, 1000),
    "NOT_SUPPORTED": (2, 1000),
    "ALREADY_EXISTS": (2, 1003),
    "INVALID_FUNCTION_ARGUMENT": (2, 1001),
    "INVALID_CAST_ARGUMENT": (2, 1001),
    "DIVISION_BY_ZERO": (2, 1001),
    "NUMERIC_VALUE_OUT_OF_RANGE": (2, 1001),
    "GENERIC_INTERNAL_ERROR": (1, 200),
}


class QueryFailure(Exception):
    """A failed statement, carrying Athena's error name, category, type and StateChangeReason."""

    def __init__(self, error_name: str, message: str, *, position: tuple[int, int] | None = None) -> None:
        where = f"line {position[0]}:{position[1]}: " if position else ""
        self.error_name = error_name
        self.message = message
        self.reason = f"{error_name}: {where}{message}"
        self.error_category, self.error_type = _ERROR_CODES.get(error_name, (3, 1000))
        super().__init__(self.reason)


# --------------------------------------------------------------------------------------------------
# Execution parameters
# --------------------------------------------------------------------------------------------------


def bind_parameters(sql: str, parameters: Sequence[str] | None) -> str:
    """Replace each ``?`` outside literals, quoted identifiers and comments by a parameter's text.

    Athena substitutes ExecutionParameters textually, each being a SQL literal, so this does too.
    """
    params = list(parameters or [])
    out: list[str] = []
    used = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        end = _skip_quoted_or_comment(sql, i)
        if end > i:
            out.append(sql[i:end])
            i = end
            continue
        if ch == "?":
            if used < len(params):
                out.append(params[used])
            used += 1
        else:
            out.append(ch)
        i += 1
    if used != len(params):
        raise QueryFailure(
            "INVALID_PARAMETER_USAGE",
            f"Incorrect number of parameters: expected {used} but found {len(params)}",
            position=(1, 1),
        )
    return "".join(out)


def _skip_quoted_or_comment(sql: str, i: int) -> int:
    """Return the end of the literal/identifier/comment starting at ``i`` (``i`` when none does)."""
    ch = sql[i]
    if ch in "'\"":
        j = i + 1
        while j < len(sql):
            if sql[j] == ch:
                if j + 1 < len(sql) and sql[j + 1] == ch:
                    j += 2
                    continue
                return j + 1
            j += 1
        return len(sql)
    if sql.startswith("--", i):
        j = sql.find("\n", i)
        return len(sql) if j < 0 else j
    if sql.startswith("/*", i):
        j = sql.find("*/", i + 2)
        return len(sql) if j < 0 else j + 2
    return i


def _strip_comments(sql: str) -> str:
    """Remove comments (keeping literals) so statement classification sees the first keyword."""
    out: list[str] = []
    i = 0
    while i < len(sql):
        end = _skip_quoted_or_comment(sql, i)
        if end > i:
            if sql[i] in "'\"":
                out.append(sql[i:end])
            else:
                out.append(" ")
            i = end
        else:
            out.append(sql[i])
            i += 1
    return "".join(out).strip().rstrip(";").strip()


# --------------------------------------------------------------------------------------------------
# Type mapping and Trino text forms
# --------------------------------------------------------------------------------------------------

# DuckDB type id -> (Athena type, precision)
_SIMPLE_TYPES: dict[str, tuple[str, int]] = {
    "boolean": ("boolean", 0),
    "tinyint": ("tinyint", 3),
    "smallint": ("smallint", 5),
    "integer": ("integer", 10),
    "bigint": ("bigint", 19),
    "hugeint": ("bigint", 19),
    "utinyint": ("smallint", 5),
    "usmallint": ("integer", 10),
    "uinteger": ("bigint", 19),
    "ubigint": ("bigint", 19),
    "uhugeint": ("bigint", 19),
    "float": ("real", 17),
    "double": ("double", 17),
    "varchar": ("varchar", 2147483647),
    "blob": ("varbinary", 1073741824),
    "date": ("date", 0),
    "time": ("time", 3),
    "time with time zone": ("time with time zone", 3),
    "timestamp": ("timestamp", 3),
    "timestamp_s": ("timestamp", 3),
    "timestamp_ms": ("timestamp", 3),
    "timestamp_ns": ("timestamp", 3),
    "timestamp with time zone": ("timestamp with time zone", 3),
    "interval": ("interval day to second", 0),
    "uuid": ("uuid", 0),
    "null": ("unknown", 0),
    "list": ("array", 0),
    "array": ("array", 0),
    "map": ("map", 0),
    "struct": ("row", 0),
}

_HIVE_NAMES: dict[str, str] = {
    "integer": "int",
    "varchar": "string",
    "real": "float",
    "varbinary": "binary",
    "row": "struct",
    "unknown": "void",
    "interval day to second": "string",
    "uuid": "string",
    "time": "string",
    "time with time zone": "string",
    "timestamp with time zone": "timestamp",
}


def _type_id(t: Any) -> str:
    return str(t.id).lower()


def column_info(name: str, t: Any) -> ColumnInfo:
    """Describe a DuckDB result column as Athena's ColumnInfo (type name, precision, scale)."""
    tid = _type_id(t)
    if str(t).upper() == "JSON":
        return ColumnInfo(name, "json", 0, 0)
    if tid == "decimal":
        children = dict(t.children)
        return ColumnInfo(name, "decimal", int(children["precision"]), int(children["scale"]))
    athena, precision = _SIMPLE_TYPES.get(tid, ("varchar", 2147483647))
    return ColumnInfo(name, athena, precision, 0, case_sensitive=athena == "varchar")


def hive_type(t: Any) -> str:
    """Render a DuckDB type as the Hive/Glue type string GetTableMetadata returns."""
    tid = _type_id(t)
    if str(t).upper() == "JSON":
        return "string"
    if tid == "decimal":
        children = dict(t.children)
        return f"decimal({children['precision']},{children['scale']})"
    if tid in ("list", "array"):
        return f"array<{hive_type(t.children[0][1])}>"
    if tid == "map":
        children = dict(t.children)
        return f"map<{hive_type(children['key'])},{hive_type(children['value'])}>"
    if tid == "struct":
        return "struct<" + ",".join(f"{n}:{hive_type(c)}" for n, c in t.children) + ">"
    athena = _SIMPLE_TYPES.get(tid, ("varchar", 0))[0]
    return _HIVE_NAMES.get(athena, athena)


def format_double(value: float) -> str:
    """Format like Java's ``Double.toString`` (Trino): ``1.5``, ``1.0E10``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    return _java_float_text(repr(value), abs(value))


def format_real(value: float) -> str:
    """Format a REAL with the shortest digits that round-trip through float32, like Java."""
    if math.isnan(value) or math.isinf(value) or value == 0:
        return format_double(value)
    packed = struct.pack("f", value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if struct.pack("f", float(text)) == packed:
            return _java_float_text(repr(float(text)), abs(value))
    return _java_float_text(repr(value), abs(value))


def _java_float_text(shortest: str, magnitude: float) -> str:
    """Turn Python's shortest repr into Java's layout (plain for 1e-3 <= |x| < 1e7, else E notation)."""
    if 1e-3 <= magnitude < 1e7:
        text = f"{Decimal(shortest):f}"
        return text if "." in text else text + ".0"
    mantissa, _, exponent = f"{Decimal(shortest):E}".partition("E")
    mantissa = mantissa.rstrip("0") if "." in mantissa else mantissa
    if mantissa.endswith("."):
        mantissa += "0"
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exponent)}"


def _format_timestamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"


def _format_interval(value: dt.timedelta) -> str:
    """Render a DuckDB interval as Trino's ``interval day to second`` text (``1 02:03:04.000``)."""
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{value.days} {hours:02d}:{minutes:02d}:{seconds:02d}.{value.microseconds // 1000:03d}"


def to_text(value: Any, t: Any, *, nested: bool = False) -> str | None:
    """Render one DuckDB value of type ``t`` as Trino prints it (None for SQL NULL at top level)."""
    if value is None:
        return "null" if nested else None
    tid = _type_id(t)
    formatter = _FORMATTERS.get(tid)
    if formatter is not None:
        return formatter(value, t)
    if isinstance(value, dt.datetime):
        return _format_timestamp(value)
    return str(value)


def _fmt_list(value: Any, t: Any) -> str:
    child = t.children[0][1]
    return "[" + ", ".join(str(to_text(v, child, nested=True)) for v in value) + "]"


def _fmt_map(value: Any, t: Any) -> str:
    children = dict(t.children)
    items = value.items() if isinstance(value, dict) else zip(value["key"], value["value"], strict=True)
    return (
        "{"
        + ", ".join(
            f"{to_text(k, children['key'], nested=True)}={to_text(v, children['value'], nested=True)}" for k, v in items
        )
        + "}"
    )


def _fmt_struct(value: Any, t: Any) -> str:
    fields = t.children
    return "{" + ", ".join(f"{n}={to_text(value.get(n), c, nested=True)}" for n, c in fields) + "}"


def _fmt_timestamptz(value: Any, t: Any) -> str:
    return _format_timestamp(value.astimezone(dt.timezone.utc)) + " UTC"


def _fmt_time(value: Any, t: Any) -> str:
    return str(value.strftime("%H:%M:%S.")) + f"{value.microsecond // 1000:03d}"


_FORMATTERS: dict[str, Callable[[Any, Any], str]] = {
    "boolean": lambda v, t: "true" if v else "false",
    "float": lambda v, t: format_real(float(v)),
    "double": lambda v, t: format_double(float(v)),
    "decimal": lambda v, t: f"{v:f}",
    "blob": lambda v, t: " ".join(f"{b:02x}" for b in bytes(v)),
    "date": lambda v, t: v.isoformat(),
    "timestamp": lambda v, t: _format_timestamp(v),
    "timestamp_s": lambda v, t: _format_timestamp(v),
    "timestamp_ms": lambda v, t: _format_timestamp(v),
    "timestamp_ns": lambda v, t: _format_timestamp(v),
    "timestamp with time zone": _fmt_timestamptz,
    "time": _fmt_time,
    "interval": lambda v, t: _format_interval(v),
    "list": _fmt_list,
    "array": _fmt_list,
    "map": _fmt_map,
    "struct": _fmt_struct,
}


# --------------------------------------------------------------------------------------------------
# Result files
# --------------------------------------------------------------------------------------------------


def _csv_field(value: str | None) -> str:
    if value is None:
        return ""
    return '"' + value.replace('"', '""') + '"'


def to_result_csv(outcome: QueryOutcome) -> bytes:
    """Write ``<id>.csv`` as Athena does: quoted header and fields, ``""`` escapes, NULL unquoted empty.

    Statements without a result set (INSERT, CTAS) produce an empty file, as Athena does.
    """
    if not outcome.columns:
        return b""
    lines = [",".join(_csv_field(c.name) for c in outcome.columns)]
    lines.extend(",".join(_csv_field(v) for v in row) for row in outcome.rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


def to_result_text(outcome: QueryOutcome) -> bytes:
    """Write ``<id>.txt`` as Athena does for DDL/SHOW: no header, one row a line, tab-separated."""
    if not outcome.rows:
        return b""
    lines = ["\t".join("" if v is None else v for v in row) for row in outcome.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------------
# SQL translation
# --------------------------------------------------------------------------------------------------

_DATE_UNITS = {"DAY", "WEEK", "MONTH", "YEAR", "QUARTER"}


def _rewrite(node: exp.Expression) -> exp.Expression:
    """Fix cheap Trino/DuckDB differences on the sqlglot AST (see :data:`SEMANTIC_DIFFERENCES`)."""
    if isinstance(node, exp.RegexpExtract):
        # Trino: no match -> NULL; DuckDB: ''.
        matches = exp.RegexpLike(this=node.this.copy(), expression=node.expression.copy())
        return exp.Case(ifs=[exp.If(this=matches, true=node.copy())])
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DECIMAL) and not node.to.expressions:
        # Trino: DECIMAL '1.50' is decimal(3,2) and a bare DECIMAL is decimal(38,0); DuckDB: decimal(18,3).
        precision, scale = _decimal_literal_type(node.this) or (38, 0)
        return exp.cast(node.this.copy(), exp.DataType.build(f"decimal({precision}, {scale})"))
    if isinstance(node, exp.DateAdd) and _is_date_literal(node.this):
        unit = node.args.get("unit")
        if unit is not None and unit.name.upper() in _DATE_UNITS:
            return exp.cast(node.copy(), exp.DataType.build("date"))
    return node


def _decimal_literal_type(node: exp.Expression) -> tuple[int, int] | None:
    """(precision, scale) of a decimal literal's text as Trino infers them, or None if not a literal."""
    if not (isinstance(node, exp.Literal) and node.is_string):
        return None
    match = re.fullmatch(r"\s*[+-]?(\d*)(?:\.(\d*))?\s*", node.this)
    if not match or not (match.group(1) or match.group(2)):
        return None
    whole, fraction = match.group(1).lstrip("0"), match.group(2) or ""
    scale = len(fraction)
    return min(max(len(whole) + scale, 1), 38), min(scale, 38)


def _is_date_literal(node: exp.Expression) -> bool:
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE)


def _strip_catalog(node: exp.Expression) -> exp.Expression:
    """Validate three-part names: only ``awsdatacatalog`` (any case) exists."""
    if isinstance(node, exp.Table) and node.catalog and node.catalog.lower() != CATALOG:
        raise QueryFailure("CATALOG_NOT_FOUND", f"Catalog '{node.catalog}' does not exist", position=(1, 1))
    return node


def parse_trino(sql: str) -> exp.Expression:
    """Parse one Athena statement (Trino DML, Hive DDL) with sqlglot's ``athena`` dialect."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="athena") if s is not None]
    except sqlglot.errors.ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        line, col = int(err.get("line") or 1), int(err.get("col") or 1)
        token = str(err.get("highlight") or "").strip() or "<EOF>"
        raise QueryFailure("SYNTAX_ERROR", f"mismatched input '{token}'", position=(line, col)) from exc
    if len(statements) != 1:
        raise QueryFailure("SYNTAX_ERROR", "Only one sql statement is allowed", position=(1, 1))
    tree = cast(exp.Expression, statements[0])
    return tree


def translate(tree: exp.Expression) -> str:
    """Apply the rewrites and render DuckDB SQL."""
    tree = tree.transform(_strip_catalog).transform(_rewrite)
    return tree.sql(dialect="duckdb")


# --------------------------------------------------------------------------------------------------
# Error mapping
# --------------------------------------------------------------------------------------------------


def _locate(sql: str, token: str) -> tuple[int, int]:
    """Line and column (1-based) of ``token`` in the original SQL, like Trino's error positions."""
    last = token.split(".")[-1].strip('"')
    match = re.search(r"(?<![\w.])" + re.escape(token), sql, re.IGNORECASE) or re.search(
        r"(?<![\w])" + re.escape(last), sql, re.IGNORECASE
    )
    if not match:
        return (1, 1)
    before = sql[: match.start()]
    line = before.count("\n") + 1
    return (line, match.start() - (before.rfind("\n") + 1) + 1)


def _first_line(message: str) -> str:
    text = message.split("\n", 1)[0]
    return re.sub(r"^[A-Za-z ]+ Error: ", "", text)


def map_duckdb_error(exc: Exception, sql: str, database: str) -> QueryFailure:
    """Translate a DuckDB exception into the Athena/Trino error name and message."""
    message = _first_line(str(exc))
    for pattern, builder in _ERROR_PATTERNS:
        match = re.search(pattern, message)
        if match:
            return builder(match, sql, database)
    return _fallback_failure(exc, message, sql)


def _table_not_found(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    name = m.group(1).strip('"')
    if m.group(2):
        schema = m.group(2)
        return QueryFailure("SCHEMA_NOT_FOUND", f"Schema '{schema}' does not exist", position=_locate(sql, name))
    parts = name.split(".")
    qualified = ".".join([CATALOG, database, *parts][-3:]) if len(parts) < 3 else name
    return QueryFailure("TABLE_NOT_FOUND", f"Table '{qualified.lower()}' does not exist", position=_locate(sql, name))


def _schema_not_found(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    return QueryFailure("SCHEMA_NOT_FOUND", f"Schema '{m.group(1)}' does not exist", position=_locate(sql, m.group(1)))


def _column_not_found(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    name = m.group(1)
    return QueryFailure("COLUMN_NOT_FOUND", f"Column '{name}' cannot be resolved", position=_locate(sql, name))


def _function_not_found(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    name = m.group(1)
    return QueryFailure("FUNCTION_NOT_FOUND", f"Function '{name}' not registered", position=_locate(sql, name + "("))


def _already_exists(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    kind, name = m.group(1), m.group(2)
    label = "Schema" if kind == "Schema" else "Table"
    qualified = name if kind == "Schema" else f"{CATALOG}.{database}.{name}"
    return QueryFailure("ALREADY_EXISTS", f"{label} '{qualified}' already exists", position=(1, 1))


def _type_mismatch(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    return QueryFailure("TYPE_MISMATCH", m.group(0), position=(1, 1))


_DUCK_TYPE_NAMES = {
    "INT8": "TINYINT",
    "INT16": "SMALLINT",
    "INT32": "INT",
    "INT64": "BIGINT",
    "FLOAT": "REAL",
}


def _cast_failure(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    target = _DUCK_TYPE_NAMES.get(m.group(2).upper(), m.group(2).upper())
    return QueryFailure("INVALID_CAST_ARGUMENT", f"Cannot cast '{m.group(1)}' to {target}", position=(1, 1))


def _division_by_zero(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    return QueryFailure("DIVISION_BY_ZERO", "Division by zero")


def _syntax_error(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    token = m.group(1)
    return QueryFailure("SYNTAX_ERROR", f"mismatched input '{token}'", position=_locate(sql, token))


_ERROR_PATTERNS: list[tuple[str, Callable[[re.Match[str], str, str], QueryFailure]]] = [
    (r'Table with name ("?[\w.]+"?) does not exist(?: because schema "(\w+)")?', _table_not_found),
    (r'Schema with name "?(\w+)"? does not exist', _schema_not_found),
    (r'Referenced column "([^"]+)" (?:was )?not found', _column_not_found),
    (r'Function with name "?(\w+)"? does not exist', _function_not_found),
    (r'(Table|Schema|View) with name "?([\w.]+)"? already exists', _already_exists),
    (r"Could not convert string '([^']*)' to (\w+)", _cast_failure),
    (r"Division by zero", _division_by_zero),
    (r'syntax error at or near "([^"]+)"', _syntax_error),
    (
        r"Could not choose a best candidate function.*|Cannot compare values.*|Cannot mix values.*",
        _type_mismatch,
    ),
]


def _fallback_failure(exc: Exception, message: str, sql: str) -> QueryFailure:
    by_class: dict[type[Exception], str] = {
        duckdb.ParserException: "SYNTAX_ERROR",
        duckdb.BinderException: "TYPE_MISMATCH",
        duckdb.CatalogException: "TABLE_NOT_FOUND",
        duckdb.ConversionException: "INVALID_CAST_ARGUMENT",
        duckdb.OutOfRangeException: "NUMERIC_VALUE_OUT_OF_RANGE",
        duckdb.InvalidInputException: "INVALID_FUNCTION_ARGUMENT",
        duckdb.NotImplementedException: "NOT_SUPPORTED",
    }
    for cls, name in by_class.items():
        if isinstance(exc, cls):
            return QueryFailure(name, message, position=(1, 1) if name != "NUMERIC_VALUE_OUT_OF_RANGE" else None)
    return QueryFailure("GENERIC_INTERNAL_ERROR", message)


# --------------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------------

_IDENT = r'(?:"[^"]+"|`[^`]+`|[\w]+)'
_NAME = rf"({_IDENT}(?:\.{_IDENT}){{0,2}})"


def _unquote(name: str) -> str:
    return name.strip('"`').lower()


def _split_name(name: str, database: str) -> tuple[str, str]:
    """Split ``[catalog.][db.]table`` into (db, table), checking the catalog."""
    parts = [_unquote(p) for p in re.findall(_IDENT, name)]
    if len(parts) == 3:
        if parts[0] != CATALOG:
            raise QueryFailure("CATALOG_NOT_FOUND", f"Catalog '{parts[0]}' does not exist", position=(1, 1))
        parts = parts[1:]
    if len(parts) == 2:
        return parts[0], parts[1]
    return database.lower(), parts[0]


def _like_to_regex(pattern: str) -> re.Pattern[str]:
    """Hive SHOW ... LIKE patterns: ``*`` any, ``|`` alternatives (SQL ``%``/``_`` also accepted)."""
    alternatives = []
    for alt in pattern.split("|"):
        rx = "".join(".*" if c in "*%" else "." if c == "_" else re.escape(c) for c in alt.strip().lower())
        alternatives.append(rx)
    return re.compile("^(?:" + "|".join(alternatives) + ")$")


@dataclass
class _TableMeta:
    create_time: dt.datetime
    parameters: dict[str, str]
    declared: dict[str, str]
    partition_keys: list[str]


class QueryEngine:
    """Run Athena SQL on one in-memory DuckDB database, one statement at a time.

    A single connection guarded by a lock keeps ``USE <database>`` and the statement atomic, which
    is how the execution's database becomes the current schema.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._conn = duckdb.connect(":memory:")
        self._conn.execute("SET integer_division = true")
        self._conn.execute("SET TimeZone = 'UTC'")
        self._conn.execute(f"ATTACH ':memory:' AS {CATALOG}")
        self._conn.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."default"')
        self._conn.execute(f'USE {CATALOG}."default"')
        self._meta: dict[tuple[str, str], _TableMeta] = {}

    # ---- public API ------------------------------------------------------------------------------

    def execute(
        self,
        sql: str,
        *,
        database: str = "default",
        catalog: str = CATALOG,
        execution_parameters: Sequence[str] | None = None,
    ) -> QueryOutcome:
        """Run one statement in ``catalog.database`` and return its Athena-shaped outcome.

        Raises :class:`QueryFailure` with Athena's error name and reason on any failure.
        """
        if catalog.lower() != CATALOG:
            raise QueryFailure("CATALOG_NOT_FOUND", f"Catalog '{catalog}' does not exist")
        bound = bind_parameters(sql, execution_parameters)
        text = _strip_comments(bound)
        if not text:
            raise QueryFailure("SYNTAX_ERROR", "mismatched input '<EOF>'", position=(1, 1))
        database = database.lower()
        with self._lock:
            for handler in self._handlers():
                outcome = handler(text, database)
                if outcome is not None:
                    return outcome
        raise QueryFailure("NOT_SUPPORTED", f"Statement not supported: {text.split()[0].upper()}", position=(1, 1))

    def list_databases(self) -> list[str]:
        """Database names (DuckDB schemas of the ``awsdatacatalog`` catalog), sorted."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = ?", [CATALOG]
            ).fetchall()
        return sorted(str(r[0]) for r in rows if r[0] not in ("main", "pg_catalog", "information_schema"))

    def database_exists(self, database: str) -> bool:
        return database.lower() in self.list_databases()

    def list_tables(self, database: str) -> list[TableInfo]:
        """Tables and views of ``database`` with their columns, sorted by name."""
        with self._lock:
            names = self._table_names(database.lower())
            return [t for t in (self._table_info(database.lower(), n) for n in names) if t is not None]

    def get_table(self, database: str, name: str) -> TableInfo | None:
        """One table's metadata, or None when the database or table does not exist."""
        with self._lock:
            return self._table_info(database.lower(), name.lower())

    def load_csv(self, table: str, path: str, *, database: str = "default") -> int:
        """Create (or replace) ``database.table`` from a CSV file; returns the row count."""
        return self._load(table, database, "read_csv_auto", path)

    def load_parquet(self, table: str, path: str, *, database: str = "default") -> int:
        """Create (or replace) ``database.table`` from a Parquet file; returns the row count."""
        return self._load(table, database, "read_parquet", path)

    # ---- loading ---------------------------------------------------------------------------------

    def _load(self, table: str, database: str, reader: str, path: str) -> int:
        db, name = database.lower(), table.lower()
        with self._lock:
            self._conn.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."{db}"')
            self._conn.execute(
                f'CREATE OR REPLACE TABLE {CATALOG}."{db}"."{name}" AS SELECT * FROM {reader}(?)', [path]
            )
            self._meta[(db, name)] = _TableMeta(_now(), {"EXTERNAL": "TRUE"}, {}, [])
            row = self._conn.execute(f'SELECT count(*) FROM {CATALOG}."{db}"."{name}"').fetchone()
        return int(row[0]) if row else 0

    # ---- statement handlers ----------------------------------------------------------------------

    def _handlers(self) -> list[Callable[[str, str], QueryOutcome | None]]:
        return [
            self._show_databases,
            self._show_tables,
            self._show_columns,
            self._describe,
            self._explain,
            self._create_database,
            self._drop_database,
            self._statement,
        ]

    def _show_databases(self, text: str, database: str) -> QueryOutcome | None:
        m = re.fullmatch(r"(?is)SHOW\s+(?:DATABASES|SCHEMAS)(?:\s+(?:LIKE\s+)?'([^']*)')?", text)
        if not m:
            return None
        names = self.list_databases()
        if m.group(1) is not None:
            rx = _like_to_regex(m.group(1))
            names = [n for n in names if rx.match(n)]
        return _utility("database_name", names, "SHOW_DATABASES")

    def _show_tables(self, text: str, database: str) -> QueryOutcome | None:
        m = re.fullmatch(rf"(?is)SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+{_NAME})?(?:\s+(?:LIKE\s+)?'([^']*)')?", text)
        if not m:
            return None
        db = _unquote(re.findall(_IDENT, m.group(1))[-1]) if m.group(1) else database
        self._require_database(db, text)
        names = self._table_names(db)
        if m.group(2) is not None:
            rx = _like_to_regex(m.group(2))
            names = [n for n in names if rx.match(n)]
        return _utility("tab_name", names, "SHOW_TABLES")

    def _show_columns(self, text: str, database: str) -> QueryOutcome | None:
        m = re.fullmatch(rf"(?is)SHOW\s+COLUMNS\s+(?:IN|FROM)\s+{_NAME}(?:\s+(?:IN|FROM)\s+{_NAME})?", text)
        if not m:
            return None
        name = f"{m.group(2)}.{m.group(1)}" if m.group(2) else m.group(1)
        info = self._require_table(name, database, text)
        return _utility("field", [c for c, _ in info.columns], "SHOW_COLUMNS")

    def _describe(self, text: str, database: str) -> QueryOutcome | None:
        m = re.fullmatch(rf"(?is)(?:DESCRIBE|DESC)\s+(?:FORMATTED\s+|EXTENDED\s+)?{_NAME}", text)
        if not m:
            return None
        info = self._require_table(m.group(1), database, text)
        columns = [
            ColumnInfo(n, "varchar", 2147483647, 0, case_sensitive=True) for n in ("col_name", "data_type", "comment")
        ]
        rows: list[tuple[str | None, ...]] = [(n, t, "") for n, t in info.columns]
        return QueryOutcome("UTILITY", columns, rows, None, "txt", "DESCRIBE")

    def _explain(self, text: str, database: str) -> QueryOutcome | None:
        m = re.fullmatch(r"(?is)EXPLAIN(?:\s+ANALYZE)?(?:\s*\([^)]*\))?\s+(.*)", text)
        if not m:
            return None
        inner = translate(parse_trino(m.group(1)))
        rows = self._run(f"EXPLAIN {inner}", text, database).fetchall()
        plan = "\n".join(str(r[-1]) for r in rows)
        column = ColumnInfo("Query Plan", "varchar", 2147483647, 0, case_sensitive=True)
        return QueryOutcome("UTILITY", [column], [(plan,)], None, "csv", "EXPLAIN")

    def _create_database(self, text: str, database: str) -> QueryOutcome | None:
        m = re.match(rf"(?is)CREATE\s+(?:DATABASE|SCHEMA)\s+(IF\s+NOT\s+EXISTS\s+)?{_NAME}", text)
        if not m:
            return None
        db = _unquote(re.findall(_IDENT, m.group(2))[-1])
        if self.database_exists(db):
            if m.group(1):
                return _ddl("CREATE_DATABASE")
            raise QueryFailure("ALREADY_EXISTS", f"Database {db} already exists", position=(1, 1))
        self._run(f'CREATE SCHEMA {CATALOG}."{db}"', text, database)
        return _ddl("CREATE_DATABASE")

    def _drop_database(self, text: str, database: str) -> QueryOutcome | None:
        m = re.fullmatch(rf"(?is)DROP\s+(?:DATABASE|SCHEMA)\s+(IF\s+EXISTS\s+)?{_NAME}(\s+CASCADE|\s+RESTRICT)?", text)
        if not m:
            return None
        db = _unquote(re.findall(_IDENT, m.group(2))[-1])
        if not self.database_exists(db):
            if m.group(1):
                return _ddl("DROP_DATABASE")
            raise QueryFailure("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", position=_locate(text, db))
        cascade = " CASCADE" if (m.group(3) or "").strip().upper() == "CASCADE" else ""
        self._run(f'DROP SCHEMA {CATALOG}."{db}"{cascade}', text, database)
        self._meta = {k: v for k, v in self._meta.items() if k[0] != db}
        return _ddl("DROP_DATABASE")

    def _statement(self, text: str, database: str) -> QueryOutcome | None:
        """Everything sqlglot parses: queries, INSERT, CREATE TABLE/VIEW, CTAS, DROP TABLE/VIEW."""
        tree = parse_trino(text)
        if isinstance(tree, exp.Command):
            raise QueryFailure("NOT_SUPPORTED", f"Statement not supported: {tree.name.upper()}", position=(1, 1))
        self._require_database(database, text)
        if isinstance(tree, exp.Create):
            return self._create(tree, text, database)
        if isinstance(tree, exp.Drop):
            return self._drop(tree, text, database)
        if isinstance(tree, exp.Insert):
            rows = self._run(translate(tree), text, database).fetchall()
            return QueryOutcome("DML", [], [], int(rows[0][0]) if rows else 0, "csv", "INSERT")
        if isinstance(tree, (exp.Query, exp.Values)):
            return self._select(tree, text, database)
        raise QueryFailure("NOT_SUPPORTED", f"Statement not supported: {type(tree).__name__.upper()}", position=(1, 1))

    def _select(self, tree: exp.Expression, text: str, database: str) -> QueryOutcome:
        duck_sql = translate(tree)
        try:
            if self.database_exists(database):
                self._conn.execute(f'USE {CATALOG}."{database}"')
            relation = self._conn.sql(duck_sql)
            types = list(relation.types)
            names = _trino_column_names(tree, list(relation.columns))
            raw = relation.fetchall()
        except duckdb.Error as exc:
            raise map_duckdb_error(exc, text, database) from exc
        columns = [column_info(n, t) for n, t in zip(names, types, strict=True)]
        rows = [tuple(to_text(v, t) for v, t in zip(row, types, strict=True)) for row in raw]
        return QueryOutcome("DML", columns, rows, None, "csv", "SELECT")

    def _create(self, tree: exp.Create, text: str, database: str) -> QueryOutcome:
        kind = (tree.args.get("kind") or "").upper()
        table = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if not isinstance(table, exp.Table):
            raise QueryFailure("NOT_SUPPORTED", f"CREATE {kind} is not supported", position=(1, 1))
        db = (table.db or database).lower()
        name = table.name.lower()
        if kind == "VIEW":
            self._run(translate(self._without_properties(tree)), text, database)
            self._meta[(db, name)] = _TableMeta(_now(), {"presto_view": "true"}, {}, [])
            return _ddl("CREATE_VIEW")
        if kind != "TABLE":
            raise QueryFailure("NOT_SUPPORTED", f"CREATE {kind} is not supported", position=(1, 1))
        parameters, declared, partitions = self._table_properties(tree)
        exists = self._table_info(db, name) is not None
        if tree.expression is not None:
            return self._ctas(tree, text, database, (db, name), parameters, exists)
        self._run(translate(self._without_properties(tree)), text, database)
        if not exists:
            self._meta[(db, name)] = _TableMeta(_now(), parameters, declared, partitions)
        return _ddl("CREATE_TABLE")

    def _ctas(
        self,
        tree: exp.Create,
        text: str,
        database: str,
        key: tuple[str, str],
        parameters: dict[str, str],
        exists: bool,
    ) -> QueryOutcome:
        if exists and tree.args.get("exists"):
            return QueryOutcome("DML", [], [], 0, "csv", "CREATE_TABLE_AS_SELECT")
        rows = self._run(translate(self._without_properties(tree)), text, database).fetchall()
        self._meta[key] = _TableMeta(_now(), parameters, {}, [])
        count = int(rows[0][0]) if rows and rows[0] and rows[0][0] is not None else 0
        return QueryOutcome("DML", [], [], count, "csv", "CREATE_TABLE_AS_SELECT")

    @staticmethod
    def _without_properties(tree: exp.Create) -> exp.Create:
        """Drop Hive storage clauses and CTAS ``WITH (...)``: tables live in DuckDB, not S3."""
        copy = tree.copy()
        properties = copy.args.get("properties")
        if properties is None:
            return copy
        keep = [p for p in properties.expressions if isinstance(p, exp.TemporaryProperty)]
        copy.set("properties", exp.Properties(expressions=keep) if keep else None)
        schema = copy.this
        partitioned = properties.find(exp.PartitionedByProperty)
        if isinstance(schema, exp.Schema) and partitioned is not None:
            extra = partitioned.this
            if isinstance(extra, exp.Schema):
                for col in extra.expressions:
                    if isinstance(col, exp.ColumnDef):
                        schema.append("expressions", col.copy())
        return copy

    @staticmethod
    def _table_properties(tree: exp.Create) -> tuple[dict[str, str], dict[str, str], list[str]]:
        """Keep LOCATION, format and TBLPROPERTIES as Glue-style parameters; remember declared types."""
        parameters: dict[str, str] = {"EXTERNAL": "TRUE"}
        declared: dict[str, str] = {}
        partitions: list[str] = []
        schema = tree.this
        if isinstance(schema, exp.Schema):
            for col in schema.expressions:
                if isinstance(col, exp.ColumnDef) and col.args.get("kind") is not None:
                    declared[col.name.lower()] = _declared_type(col.args["kind"])
        properties = tree.args.get("properties")
        for prop in properties.expressions if properties is not None else []:
            if isinstance(prop, exp.LocationProperty):
                parameters["location"] = prop.this.name
            elif isinstance(prop, exp.FileFormatProperty):
                parameters["classification"] = prop.this.name.lower()
            elif isinstance(prop, exp.PartitionedByProperty) and isinstance(prop.this, exp.Schema):
                for col in prop.this.expressions:
                    if isinstance(col, exp.ColumnDef):
                        partitions.append(col.name.lower())
                        if col.args.get("kind") is not None:
                            declared[col.name.lower()] = _declared_type(col.args["kind"])
            elif isinstance(prop, exp.Property) and type(prop) is exp.Property:
                key = prop.name if prop.name else str(prop.this)
                value = prop.args.get("value")
                parameters[key.strip("'\"")] = value.name if isinstance(value, exp.Expression) else str(value)
        return parameters, declared, partitions

    def _drop(self, tree: exp.Drop, text: str, database: str) -> QueryOutcome:
        kind = (tree.args.get("kind") or "").upper()
        tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
        table = tables[0] if len(tables) == 1 else None
        if kind not in ("TABLE", "VIEW") or not isinstance(table, exp.Table):
            raise QueryFailure("NOT_SUPPORTED", f"DROP {kind} is not supported", position=(1, 1))
        db, name = (table.db or database).lower(), table.name.lower()
        if self._table_info(db, name) is None:
            if tree.args.get("exists"):
                return _ddl(f"DROP_{kind}")
            raise QueryFailure(
                "TABLE_NOT_FOUND",
                f"Table '{CATALOG}.{db}.{name}' does not exist",
                position=_locate(text, name),
            )
        actual = self._relation_kind(db, name)
        self._run(f'DROP {actual} {CATALOG}."{db}"."{name}"', text, database)
        self._meta.pop((db, name), None)
        return _ddl(f"DROP_{kind}")

    # ---- helpers ---------------------------------------------------------------------------------

    def _run(self, duck_sql: str, text: str, database: str) -> duckdb.DuckDBPyConnection:
        """Execute DuckDB SQL with ``database`` as the current schema, mapping errors to Athena's."""
        try:
            if self.database_exists(database):
                self._conn.execute(f'USE {CATALOG}."{database}"')
            return self._conn.execute(duck_sql)
        except duckdb.Error as exc:
            raise map_duckdb_error(exc, text, database) from exc

    def _require_database(self, database: str, text: str) -> None:
        if not self.database_exists(database):
            raise QueryFailure(
                "SCHEMA_NOT_FOUND", f"Schema '{database}' does not exist", position=_locate(text, database)
            )

    def _require_table(self, name: str, database: str, text: str) -> TableInfo:
        db, table = _split_name(name, database)
        self._require_database(db, text)
        info = self._table_info(db, table)
        if info is None:
            raise QueryFailure(
                "TABLE_NOT_FOUND",
                f"Table '{CATALOG}.{db}.{table}' does not exist",
                position=_locate(text, table),
            )
        return info

    def _table_names(self, database: str) -> list[str]:
        rows = self._conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = ?",
            [CATALOG, database],
        ).fetchall()
        return sorted(str(r[0]) for r in rows)

    def _relation_kind(self, database: str, name: str) -> str:
        row = self._conn.execute(
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema = ? AND lower(table_name) = ?",
            [CATALOG, database, name],
        ).fetchone()
        return "VIEW" if row and row[0] == "VIEW" else "TABLE"

    def _table_info(self, database: str, name: str) -> TableInfo | None:
        if name not in self._table_names(database):
            return None
        types = self._conn.sql(f'SELECT * FROM {CATALOG}."{database}"."{name}" LIMIT 0')
        meta = self._meta.setdefault((database, name), _TableMeta(_now(), {"EXTERNAL": "TRUE"}, {}, []))
        columns = [
            (str(col), meta.declared.get(str(col).lower(), hive_type(t)))
            for col, t in zip(types.columns, types.types, strict=True)
        ]
        is_view = self._relation_kind(database, name) == "VIEW"
        partitions = [(c, t) for c, t in columns if c.lower() in meta.partition_keys]
        return TableInfo(
            name=name,
            columns=[(c, t) for c, t in columns if c.lower() not in meta.partition_keys],
            table_type="VIRTUAL_VIEW" if is_view else "EXTERNAL_TABLE",
            create_time=meta.create_time,
            parameters=dict(meta.parameters),
            partition_keys=partitions,
        )


def _trino_column_names(tree: exp.Expression, duck_names: list[str]) -> list[str]:
    """Name unaliased expressions ``_col<i>`` as Trino does (DuckDB names them after their text)."""
    if isinstance(tree, exp.Values) or (isinstance(tree, exp.Subquery) and isinstance(tree.this, exp.Values)):
        return [f"_col{i}" for i in range(len(duck_names))]
    if not isinstance(tree, exp.Select):
        return duck_names
    selects = tree.selects
    if len(selects) != len(duck_names) or any(isinstance(s, exp.Star) or s.is_star for s in selects):
        return duck_names
    return [
        duck if isinstance(s, (exp.Alias, exp.Column)) else f"_col{i}"
        for i, (s, duck) in enumerate(zip(selects, duck_names, strict=True))
    ]


def _declared_type(kind: exp.Expression) -> str:
    """The Hive type string of a declared column type, spelled as Glue stores it (``decimal(10,2)``)."""
    return re.sub(r"\s*([,:<>()])\s*", r"\1", str(kind.sql("hive")).lower())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _utility(column: str, values: list[str], substatement: str) -> QueryOutcome:
    """SHOW-style output: Athena reports UTILITY and writes a header-less ``.txt``."""
    info = ColumnInfo(column, "varchar", 2147483647, 0, case_sensitive=True)
    return QueryOutcome("UTILITY", [info], [(v,) for v in values], None, "txt", substatement)


def _ddl(substatement: str) -> QueryOutcome:
    """DDL has no result set; Athena writes an empty ``.txt``."""
    return QueryOutcome("DDL", [], [], None, "txt", substatement)


_CLASSIFIERS: list[tuple[str, str, str]] = [
    (r"SHOW\s+(?:DATABASES|SCHEMAS)\b", "UTILITY", "SHOW_DATABASES"),
    (r"SHOW\s+TABLES\b", "UTILITY", "SHOW_TABLES"),
    (r"SHOW\s+COLUMNS\b", "UTILITY", "SHOW_COLUMNS"),
    (r"(?:DESCRIBE|DESC)\b", "UTILITY", "DESCRIBE"),
    (r"EXPLAIN\b", "UTILITY", "EXPLAIN"),
    (r"SHOW\b", "UTILITY", "SHOW"),
    (r"CREATE\s+(?:DATABASE|SCHEMA)\b", "DDL", "CREATE_DATABASE"),
    (r"DROP\s+(?:DATABASE|SCHEMA)\b", "DDL", "DROP_DATABASE"),
    (r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\b", "DDL", "CREATE_VIEW"),
    (
        r"CREATE\s+(?:EXTERNAL\s+)?TABLE\b[\s\S]*\bAS\s*\(?\s*(?:SELECT|WITH|VALUES)\b",
        "DML",
        "CREATE_TABLE_AS_SELECT",
    ),
    (r"CREATE\s+(?:EXTERNAL\s+)?TABLE\b", "DDL", "CREATE_TABLE"),
    (r"DROP\s+VIEW\b", "DDL", "DROP_VIEW"),
    (r"DROP\s+TABLE\b", "DDL", "DROP_TABLE"),
    (r"(?:ALTER|MSCK)\b", "DDL", "ALTER_TABLE"),
    (r"INSERT\b", "DML", "INSERT"),
    (r"(?:UPDATE)\b", "DML", "UPDATE"),
    (r"(?:DELETE)\b", "DML", "DELETE"),
    (r"(?:MERGE)\b", "DML", "MERGE"),
]


def classify(sql: str) -> tuple[str, str]:
    """Athena's (StatementType, SubstatementType) for a statement, known before it runs.

    Athena reports SELECT/INSERT/CTAS as DML, CREATE/DROP/ALTER as DDL and SHOW/DESCRIBE/EXPLAIN
    as UTILITY (per the QueryExecution API reference and PyAthena's handling of ``.txt`` output).
    """
    text = _strip_comments(sql).lstrip("( \n\t")
    for pattern, statement_type, substatement in _CLASSIFIERS:
        if re.match(pattern, text, re.IGNORECASE):
            return statement_type, substatement
    return "DML", "SELECT"
