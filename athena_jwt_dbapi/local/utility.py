"""SHOW, DESCRIBE and EXPLAIN: what Athena answers about databases, tables and plans.

Athena reports these as UTILITY statements and writes their output to a header-less ``.txt``
(EXPLAIN excepted), one row per line.
"""

from __future__ import annotations

import re

from .catalog import CATALOG
from .core import IDENT, NAME, EngineCore, Query, like_to_regex, unquote, utility_answer
from .failures import QueryFailure
from .hive import show_create_table
from .rendering import Answer, ColumnInfo
from .translate import parse_trino, translate
from .write import partition_path

__all__ = ["UtilityStatements"]


class UtilityStatements(EngineCore):
    """SHOW DATABASES/TABLES/COLUMNS/PARTITIONS/CREATE TABLE|VIEW, DESCRIBE and EXPLAIN."""

    def _show_databases(self, query: Query) -> Answer | None:
        m = re.fullmatch(r"(?is)SHOW\s+(?:DATABASES|SCHEMAS)(?:\s+(?:LIKE\s+)?'([^']*)')?", query.text)
        if not m:
            return None
        names = self.list_databases()
        if m.group(1) is not None:
            rx = like_to_regex(m.group(1))
            names = [n for n in names if rx.match(n)]
        return utility_answer("database_name", names)

    def _show_tables(self, query: Query) -> Answer | None:
        m = re.fullmatch(rf"(?is)SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+{NAME})?(?:\s+(?:LIKE\s+)?'([^']*)')?", query.text)
        if not m:
            return None
        db = unquote(re.findall(IDENT, m.group(1))[-1]) if m.group(1) else query.database
        self._require_database(db, query.text)
        names = self._table_names(db)
        if m.group(2) is not None:
            rx = like_to_regex(m.group(2))
            names = [n for n in names if rx.match(n)]
        return utility_answer("tab_name", names)

    def _show_columns(self, query: Query) -> Answer | None:
        m = re.fullmatch(rf"(?is)SHOW\s+COLUMNS\s+(?:IN|FROM)\s+{NAME}(?:\s+(?:IN|FROM)\s+{NAME})?", query.text)
        if not m:
            return None
        name = f"{m.group(2)}.{m.group(1)}" if m.group(2) else m.group(1)
        info = self._require_table(name, query.database, query.text)
        return utility_answer("field", [c for c, _ in [*info.columns, *info.partition_keys]])

    def _describe(self, query: Query) -> Answer | None:
        m = re.fullmatch(rf"(?is)(?:DESCRIBE|DESC)\s+(?:FORMATTED\s+|EXTENDED\s+)?{NAME}", query.text)
        if not m:
            return None
        info = self._require_table(m.group(1), query.database, query.text)
        columns = [
            ColumnInfo(n, "varchar", 2147483647, 0, case_sensitive=True) for n in ("col_name", "data_type", "comment")
        ]
        rows: list[tuple[str | None, ...]] = [(n, t, "") for n, t in [*info.columns, *info.partition_keys]]
        if info.partition_keys:
            rows += [("", None, None), ("# Partition Information", None, None), ("# col_name", "data_type", "comment")]
            rows += [("", None, None), *((n, t, "") for n, t in info.partition_keys)]
        return Answer(columns, rows)

    def _explain(self, query: Query) -> Answer | None:
        m = re.fullmatch(r"(?is)EXPLAIN(?:\s+ANALYZE)?(?:\s*\([^)]*\))?\s+(.*)", query.text)
        if not m:
            return None
        tree = parse_trino(m.group(1))
        with self._session(query) as cursor:
            inner = translate(self._expand(tree, query, cursor))
            rows = self._run(cursor, f"EXPLAIN {inner}", query).fetchall()
        plan = "\n".join(str(r[-1]) for r in rows)
        column = ColumnInfo("Query Plan", "varchar", 2147483647, 0, case_sensitive=True)
        return Answer([column], [(plan,)])

    def _show_partitions(self, query: Query) -> Answer | None:
        m = re.fullmatch(rf"(?is)SHOW\s+PARTITIONS\s+(?:IN\s+|FROM\s+)?{NAME}", query.text)
        if not m:
            return None
        entry = self._require_entry(m.group(1), query)
        if not entry.partition_keys:
            raise QueryFailure("NOT_SUPPORTED", f"Table {entry.database}.{entry.name} is not partitioned")
        names = [n for n, _ in entry.partition_keys]
        values = sorted(partition_path(names, p.values) for p in entry.partitions.values())
        return utility_answer("partition", values)

    def _show_create(self, query: Query) -> Answer | None:
        m = re.fullmatch(rf"(?is)SHOW\s+CREATE\s+(TABLE|VIEW)\s+{NAME}", query.text)
        if not m:
            return None
        entry = self._require_entry(m.group(2), query)
        if m.group(1).upper() == "VIEW":
            if not entry.is_view or entry.view_sql is None:
                raise QueryFailure(
                    "NOT_SUPPORTED", f"Relation '{CATALOG}.{entry.database}.{entry.name}' is a table, not a view"
                )
            lines = [f'CREATE VIEW "{CATALOG}"."{entry.database}"."{entry.name}" AS', *entry.view_sql.splitlines()]
            return utility_answer("Create View Statement", lines)
        if entry.is_view:
            raise QueryFailure(
                "NOT_SUPPORTED", f"Relation '{CATALOG}.{entry.database}.{entry.name}' is a view, not a table"
            )
        if not entry.columns:
            info = self._table_info(entry.database, entry.name)
            entry.columns = list(info.columns) if info is not None else []
        return utility_answer("createtab_stmt", show_create_table(entry))
