"""Trino SQL to DuckDB SQL: sqlglot parses Athena's dialect and a few rewrites keep Trino's semantics."""

from __future__ import annotations

import re
from typing import cast

import sqlglot
from sqlglot import exp

from .catalog import CATALOG
from .failures import QueryFailure
from .quiet import quiet_sqlglot

__all__ = ["ENGINE_RELATION", "duckdb_type", "parse_trino", "translate"]

# Marks a table reference the engine itself put in a statement (a scan of an external table's files,
# kept in a temporary view of the statement's connection): not a user's name to check.
ENGINE_RELATION = "athena_local_engine_relation"

_DATE_UNITS = {"DAY", "WEEK", "MONTH", "YEAR", "QUARTER"}


def _rewrite(node: exp.Expression) -> exp.Expression:
    """Fix cheap Trino/DuckDB differences on the sqlglot AST (see the engine's ``SEMANTIC_DIFFERENCES``)."""
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
    if isinstance(node, exp.Table) and node.meta.get(ENGINE_RELATION):
        return node
    if isinstance(node, exp.Table) and node.catalog and node.catalog.lower() != CATALOG:
        raise QueryFailure("CATALOG_NOT_FOUND", f"Catalog '{node.catalog}' does not exist", position=(1, 1))
    return node


def parse_trino(sql: str) -> exp.Expression:
    """Parse one Athena statement (Trino DML, Hive DDL) with sqlglot's ``athena`` dialect."""
    try:
        with quiet_sqlglot():
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
    with quiet_sqlglot():
        return tree.sql(dialect="duckdb")


def duckdb_type(hive_or_trino_type: str) -> str:
    """The DuckDB type of a Hive/Trino type string (``array<struct<a:int>>`` -> ``STRUCT(a INT)[]``)."""
    try:
        with quiet_sqlglot():
            return exp.DataType.build(hive_or_trino_type, dialect="athena").sql("duckdb")
    except (sqlglot.errors.ParseError, ValueError) as exc:
        raise QueryFailure("NOT_SUPPORTED", f"Unknown type: {hive_or_trino_type}", position=(1, 1)) from exc
