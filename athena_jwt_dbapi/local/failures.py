"""Athena's failure vocabulary: the error names, categories and reasons a failed query reports.

Trino names every failure (``TABLE_NOT_FOUND``, ``SYNTAX_ERROR``, ...) and Athena reports it in
``StateChangeReason`` as ``<NAME>: line L:C: <message>`` with an ``AthenaError`` category and type; drivers
and users match on those texts, so DuckDB's own errors are translated here into Trino's.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import duckdb

from .catalog import CATALOG

__all__ = ["QueryFailure", "locate", "map_duckdb_error"]

# ErrorCategory (1 system, 2 user, 3 other) and ErrorType per the Athena error catalog
# (https://docs.aws.amazon.com/athena/latest/ug/error-reference.html): 0 "Query exhausted resources at this
# scale factor", 1000 user error, 1001/1002 data error, 1003 DDL task failed, 200 engine internal error,
# 204 metastore error.
_ERROR_CODES: dict[str, tuple[int, int]] = {
    "SYNTAX_ERROR": (2, 1000),
    "TABLE_NOT_FOUND": (2, 1000),
    "SCHEMA_NOT_FOUND": (2, 1000),
    "CATALOG_NOT_FOUND": (2, 1000),
    "COLUMN_NOT_FOUND": (2, 1000),
    "FUNCTION_NOT_FOUND": (2, 1000),
    "PERMISSION_DENIED": (2, 1000),
    "TYPE_MISMATCH": (2, 1000),
    "INVALID_PARAMETER_USAGE": (2, 1000),
    "EXPRESSION_NOT_CONSTANT": (2, 1000),
    "NOT_SUPPORTED": (2, 1000),
    "ALREADY_EXISTS": (2, 1003),
    "INVALID_FUNCTION_ARGUMENT": (2, 1001),
    "INVALID_CAST_ARGUMENT": (2, 1001),
    "DIVISION_BY_ZERO": (2, 1001),
    "NUMERIC_VALUE_OUT_OF_RANGE": (2, 1001),
    "GENERIC_INTERNAL_ERROR": (1, 200),
    "EXCEEDED_MEMORY_LIMIT": (2, 0),
    "USER_CANCELED": (2, 1000),
    "HIVE_PATH_ALREADY_EXISTS": (2, 1000),
    "INVALID_TABLE_PROPERTY": (2, 1000),
    "HIVE_METASTORE_ERROR": (2, 204),
    "HIVE_INVALID_METADATA": (2, 204),
    "HIVE_FILESYSTEM_ERROR": (1, 200),
    "HIVE_BAD_DATA": (2, 1001),
    "HIVE_CURSOR_ERROR": (2, 1001),
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


def locate(sql: str, token: str) -> tuple[int, int]:
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
    if message.startswith("Traceback"):  # a Python error raised inside DuckDB (e.g. by the S3 filesystem)
        lines = [line for line in message.splitlines() if line.strip()]
        message = lines[-1] if lines else message
    text = message.split("\n", 1)[0]
    return re.sub(r"^[A-Za-z ]+ Error: ", "", text)


def map_duckdb_error(exc: Exception, sql: str, database: str) -> QueryFailure:
    """Translate a DuckDB exception into the Athena/Trino error name and message."""
    message = _first_line(str(exc))
    if isinstance(exc, duckdb.InterruptException):
        return QueryFailure("USER_CANCELED", "Query was canceled")
    if isinstance(exc, duckdb.PermissionException):
        return _outside_s3(str(exc), sql, database)
    if isinstance(exc, duckdb.OutOfMemoryException):
        # What DuckDB's memory_limit refused: reported as Athena reports a query too big for its workers.
        return QueryFailure("EXCEEDED_MEMORY_LIMIT", f"Query exhausted resources at this scale factor ({message})")
    for pattern, builder in _ERROR_PATTERNS:
        match = re.search(pattern, message)
        if match:
            return builder(match, sql, database)
    return _fallback_failure(exc, message, sql)


def _outside_s3(message: str, sql: str, database: str) -> QueryFailure:
    """DuckDB refused a path outside S3 (the engine turns its external access off). Athena has no function
    that reads files and no table named like a path, so what DuckDB points at (its caret under ``LINE n:``)
    is, for Athena, an unknown function or table."""
    for context, caret in itertools.pairwise(message.splitlines()):
        called = re.match(r"(\w+)\s*\(", context[caret.find("^") :]) if context.startswith("LINE ") else None
        if called and caret.strip().startswith("^"):
            name = called.group(1).lower()
            return QueryFailure("FUNCTION_NOT_FOUND", f"Function '{name}' not registered", position=locate(sql, name))
    path = re.search(r'Cannot access \w+ "(.+?)" - ', message)
    if path and f'"{path.group(1)}"' in sql:  # a quoted name, which DuckDB tried as a file
        name = path.group(1)
        return QueryFailure(
            "TABLE_NOT_FOUND", f"Table '{CATALOG}.{database}.{name}' does not exist", position=locate(sql, name)
        )
    return QueryFailure("PERMISSION_DENIED", "Access Denied: the local engine reads and writes only S3")


def _table_not_found(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    name = m.group(1).strip('"')
    if m.group(2):
        schema = m.group(2)
        return QueryFailure("SCHEMA_NOT_FOUND", f"Schema '{schema}' does not exist", position=locate(sql, name))
    parts = name.split(".")
    qualified = ".".join([CATALOG, database, *parts][-3:]) if len(parts) < 3 else name
    return QueryFailure("TABLE_NOT_FOUND", f"Table '{qualified.lower()}' does not exist", position=locate(sql, name))


def _schema_not_found(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    return QueryFailure("SCHEMA_NOT_FOUND", f"Schema '{m.group(1)}' does not exist", position=locate(sql, m.group(1)))


def _column_not_found(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    name = m.group(1)
    return QueryFailure("COLUMN_NOT_FOUND", f"Column '{name}' cannot be resolved", position=locate(sql, name))


def _function_not_found(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    name = m.group(1)
    return QueryFailure("FUNCTION_NOT_FOUND", f"Function '{name}' not registered", position=locate(sql, name + "("))


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


def _malformed_json(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    # A JSON SerDe table over a line that is not a JSON object (unless 'ignore.malformed.json'='true').
    return QueryFailure("HIVE_CURSOR_ERROR", f"Row is not a valid JSON Object{m.group(2).rstrip('. ')}")


def _syntax_error(m: re.Match[str], sql: str, database: str) -> QueryFailure:
    token = m.group(1)
    return QueryFailure("SYNTAX_ERROR", f"mismatched input '{token}'", position=locate(sql, token))


_ERROR_PATTERNS: list[tuple[str, Callable[[re.Match[str], str, str], QueryFailure]]] = [
    (r'Table with name ("?[\w.]+"?) does not exist(?: because schema "(\w+)")?', _table_not_found),
    (r'Schema with name "?(\w+)"? does not exist', _schema_not_found),
    (r'Referenced column "([^"]+)" (?:was )?not found', _column_not_found),
    (r'Function with name "?(\w+)"? does not exist', _function_not_found),
    (r'(Table|Schema|View) with name "?([\w.]+)"? already exists', _already_exists),
    (r"Could not convert string '([^']*)' to (\w+)", _cast_failure),
    (r"Division by zero", _division_by_zero),
    (r"Malformed JSON in file \"?([^\"]*)\"?(.*)", _malformed_json),
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
