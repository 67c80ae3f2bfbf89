"""Athena's result shapes: ColumnInfo types, Trino's text forms of values, and the result files.

Results are rendered in Trino's text forms because that is what Athena writes to its result files and
returns from ``GetQueryResults``, and what PyAthena's converters parse.
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = [
    "Answer",
    "ColumnInfo",
    "QueryOutcome",
    "TableInfo",
    "column_info",
    "format_double",
    "format_real",
    "hive_type",
    "output_kind",
    "to_result_csv",
    "to_result_text",
    "to_text",
]

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
    (``<id>.txt``), which Athena writes tab-separated and without a header. Statements that write
    (INSERT, CTAS, UNLOAD, ...) have an ``update_count`` and no result rows; ``written_files`` are the
    S3 files they wrote (Athena lists them in the query's data manifest), ``scanned_bytes`` the size of
    the S3 files the statement read (Athena's DataScannedInBytes).
    """

    statement_type: str
    columns: list[ColumnInfo]
    rows: list[tuple[str | None, ...]]
    update_count: int | None = None
    output_kind: str = "csv"
    substatement_type: str = "SELECT"
    scanned_bytes: int = 0
    written_files: tuple[str, ...] = ()

    @property
    def has_result_set(self) -> bool:
        """Whether Athena returns rows (with a header row first in ``.csv`` output) for this statement."""
        return self.update_count is None and bool(self.columns)


def output_kind(statement_type: str, substatement_type: str) -> str:
    """Athena writes DDL and SHOW/DESCRIBE output to ``<id>.txt`` and result sets (EXPLAIN's too) to ``<id>.csv``."""
    return "txt" if statement_type in ("DDL", "UTILITY") and substatement_type != "EXPLAIN" else "csv"


@dataclass(frozen=True)
class Answer:
    """What one statement answers: columns, rows and, for statements that write, the count.

    What the statement *is* (its Athena statement type, hence its output file) is not the handler's to
    say: it comes from the statement's text (:func:`.statement_text.classify`), known before it runs.
    """

    columns: list[ColumnInfo] = field(default_factory=list)
    rows: list[tuple[str | None, ...]] = field(default_factory=list)
    update_count: int | None = None


@dataclass(frozen=True)
class TableInfo:
    """Glue-style table metadata: columns as (name, Hive type string)."""

    name: str
    columns: list[tuple[str, str]]
    table_type: str
    create_time: dt.datetime
    parameters: dict[str, str] = field(default_factory=dict)
    partition_keys: list[tuple[str, str]] = field(default_factory=list)


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
    "float": ("float", 17),  # REAL; Athena reports the DDL name, as for a FLOAT column
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
    if not outcome.has_result_set:
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
