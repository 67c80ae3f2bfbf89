"""An in-process SQL engine that answers Athena (Trino) SQL with DuckDB.

The local Athena stand-in needs real query results without a network, so statements are translated
from Trino to DuckDB with sqlglot (:mod:`.translate`) and run on one in-memory DuckDB database. Athena's
databases are DuckDB schemas of an attached catalog named ``awsdatacatalog`` (DuckDB compares catalog
and schema names case-insensitively, as Athena does), so ``awsdatacatalog.default.t``, ``default.t`` and
``t`` all resolve. Results come back rendered in Trino's text forms (:mod:`.rendering`).

Tables behave as in Athena: ``CREATE EXTERNAL TABLE ... LOCATION`` reads the files under that location
in S3 at query time (:mod:`.scan`) and ``INSERT INTO`` writes files there (:mod:`.write`); partitions are
registered with ``ALTER TABLE ADD PARTITION`` or ``MSCK REPAIR TABLE`` and pruned by filters on their
keys; Iceberg tables take INSERT/UPDATE/DELETE/MERGE; ``UNLOAD`` writes files to S3; ``CREATE TABLE``
without ``EXTERNAL`` for a non-Iceberg table is refused.

Like a service, the engine runs queries concurrently: each statement gets its own DuckDB connection
(a cursor of the shared database), :class:`Cancellation` interrupts a stopped query's DuckDB work, and
a memory limit (DuckDB's ``memory_limit``, also applied to the rows a query returns) makes a query that
would exhaust the machine fail with ``EXCEEDED_MEMORY_LIMIT`` instead.

Known differences from Athena are listed in :data:`SEMANTIC_DIFFERENCES` (and the README).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlglot import exp

from .catalog import CATALOG, MANAGED, TableEntry
from .core import DEFAULT_MEMORY_LIMIT, Cancellation, Query, qualified, quote_ident
from .ddl import DdlStatements
from .dml import WriteStatements
from .failures import QueryFailure
from .quiet import quiet_sqlglot
from .rendering import (
    Answer,
    ColumnInfo,
    QueryOutcome,
    TableInfo,
    column_info,
    format_double,
    format_real,
    output_kind,
    to_result_csv,
    to_result_text,
)
from .statement_text import classify, prepare
from .translate import parse_trino, translate
from .utility import UtilityStatements

__all__ = [
    "CATALOG",
    "DEFAULT_MEMORY_LIMIT",
    "SEMANTIC_DIFFERENCES",
    "Cancellation",
    "ColumnInfo",
    "QueryEngine",
    "QueryFailure",
    "QueryOutcome",
    "TableInfo",
    "classify",
    "format_double",
    "format_real",
    "output_kind",
    "to_result_csv",
    "to_result_text",
]

# Each one is in the README's "Known differences" list and proven by tests/local/test_known_differences.py.
SEMANTIC_DIFFERENCES: tuple[str, ...] = (
    "double division by zero fails with DIVISION_BY_ZERO (Trino: Infinity/NaN)",
    "decimal / integer returns double (Trino: decimal)",
    "regexp_extract: a non-participating group gives '' (Trino: NULL); no match gives NULL like Trino",
    "date_add on a DATE column returns TIMESTAMP (DATE literals are rewritten to stay DATE)",
    "format_datetime / parse_datetime (Joda patterns) are not supported",
    "sum() of integers is reported as bigint but may exceed the bigint range without failing",
    "timestamps are reported at millisecond precision; timestamp with time zone is rendered in UTC",
    "array subscript out of range returns NULL (Trino: fails)",
    "EXPLAIN prints DuckDB's plan, not Trino's",
    "ORC and Avro files can be neither read nor written (delimited text, OpenCSV, JSON and Parquet can); "
    "partition projection is not supported",
    "OpenCSVSerDe: a backslash escapes a quote only when 'escapeChar' is set, a doubled quote always does "
    "(Athena: both, by default)",
    "CTAS and Iceberg tables keep their rows in the engine's memory: no data or Iceberg metadata files are "
    "written to S3 for them",
    "DataScannedInBytes counts the S3 files a query reads; tables kept in the engine's memory count 0",
    "the memory limit is one budget shared by the queries running at once (DuckDB's memory_limit), "
    "and it also bounds the rows a query returns",
)


class QueryEngine(UtilityStatements, DdlStatements, WriteStatements):
    """Run Athena SQL on one in-memory DuckDB database; statements may run concurrently.

    ``object_store`` is the S3 that external tables, INSERT and UNLOAD read and write (default: a
    private in-memory one). ``memory_limit`` (bytes) bounds the engine's memory, see
    :attr:`memory_limit`.
    """

    def execute(
        self,
        sql: str,
        *,
        database: str = "default",
        catalog: str = CATALOG,
        execution_parameters: Sequence[str] | None = None,
        cancel: Cancellation | None = None,
    ) -> QueryOutcome:
        """Run one statement in ``catalog.database`` and return its Athena-shaped outcome.

        Raises :class:`QueryFailure` with Athena's error name and reason on any failure.
        """
        if catalog.lower() != CATALOG:
            raise QueryFailure("CATALOG_NOT_FOUND", f"Catalog '{catalog}' does not exist")
        statement = prepare(sql, execution_parameters)
        query = Query(statement.text, database.lower(), cancel or Cancellation())
        handler = self._handlers().get(statement.substatement_type)
        with quiet_sqlglot():
            answer = (handler(query) if handler else None) or self._statement(query)
        return QueryOutcome(
            statement.statement_type,
            answer.columns,
            answer.rows,
            answer.update_count,
            output_kind(statement.statement_type, statement.substatement_type),
            statement.substatement_type,
            query.scanned_bytes,
            tuple(query.written_files),
        )

    def load_csv(self, table: str, path: str, *, database: str = "default") -> int:
        """Create (or replace) ``database.table`` from a local CSV file; returns the row count."""
        return self._load(table, database, "read_csv_auto", path)

    def load_parquet(self, table: str, path: str, *, database: str = "default") -> int:
        """Create (or replace) ``database.table`` from a local Parquet file; returns the row count."""
        return self._load(table, database, "read_parquet", path)

    # ---- loading files -----------------------------------------------------------------------------

    def _load(self, table: str, database: str, reader: str, path: str) -> int:
        """DuckDB opens no local path, so the operator's file is read here and handed to it in memory."""
        db, name = database.lower(), table.lower()
        staged = f"s3://{uuid.uuid4().hex}/{Path(path).name}"
        self._staging.write(staged, Path(path).read_bytes())
        try:
            with self._ddl_lock, self._cursor() as cursor:
                cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{quote_ident(db)}")
                cursor.execute(
                    f"CREATE OR REPLACE TABLE {qualified(db, name)} AS SELECT * FROM {reader}(?)",
                    [self._staging.duck_path(staged)],
                )
                self.catalog.put(TableEntry(db, name, MANAGED))
                row = cursor.execute(f"SELECT count(*) FROM {qualified(db, name)}").fetchone()
        finally:
            self._staging.remove(staged)
        return int(row[0]) if row else 0

    # ---- statement handlers ----------------------------------------------------------------------

    def _handlers(self) -> dict[str, Callable[[Query], Answer | None]]:
        """The statements the engine reads itself (Hive DDL, SHOW, DESCRIBE, EXPLAIN, UNLOAD: sqlglot has no tree
        for them), by Athena's substatement type; a handler that does not recognise the text leaves it to
        sqlglot (:meth:`_statement`), which then refuses it."""
        return {
            "SHOW_DATABASES": self._show_databases,
            "SHOW_TABLES": self._show_tables,
            "SHOW_COLUMNS": self._show_columns,
            "SHOW_PARTITIONS": self._show_partitions,
            "SHOW_CREATE_TABLE": self._show_create,
            "SHOW_CREATE_VIEW": self._show_create,
            "DESCRIBE": self._describe,
            "EXPLAIN": self._explain,
            "CREATE_DATABASE": self._create_database,
            "DROP_DATABASE": self._drop_database,
            "ALTER_TABLE_ADD_PARTITION": self._alter_partitions,
            "ALTER_TABLE_DROP_PARTITION": self._alter_partitions,
            "MSCK_REPAIR_TABLE": self._msck_repair,
            "UNLOAD": self._unload,
        }

    def _statement(self, query: Query) -> Answer:
        """Queries, INSERT, UPDATE/DELETE/MERGE, CREATE TABLE/VIEW, CTAS, DROP TABLE/VIEW."""
        tree = parse_trino(query.text)
        if isinstance(tree, exp.Command):
            raise QueryFailure("NOT_SUPPORTED", f"Statement not supported: {tree.name.upper()}", position=(1, 1))
        self._require_database(query.database, query.text)
        if isinstance(tree, exp.Create):
            return self._create(tree, query)
        if isinstance(tree, exp.Drop):
            return self._drop(tree, query)
        if isinstance(tree, exp.Insert):
            return self._insert(tree, query)
        if isinstance(tree, (exp.Update, exp.Delete, exp.Merge)):
            return self._modify(tree, query)
        if isinstance(tree, (exp.Query, exp.Values)):
            return self._select(tree, query)
        raise QueryFailure("NOT_SUPPORTED", f"Statement not supported: {type(tree).__name__.upper()}", position=(1, 1))

    def _select(self, tree: exp.Expression, query: Query) -> Answer:
        with self._session(query) as cursor:
            duck_sql = translate(self._expand(tree, query, cursor))
            self._run(cursor, duck_sql, query)
            description = cursor.description or []
            types = [d[1] for d in description]
            names = _trino_column_names(tree, [str(d[0]) for d in description])
            rows = self._fetch(cursor, types, query)
        columns = [column_info(n, t) for n, t in zip(names, types, strict=True)]
        return Answer(columns, rows)


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
