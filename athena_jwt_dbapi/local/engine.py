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

import contextlib
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import duckdb
from sqlglot import exp

from .binding import bind_parameters, classify, strip_comments
from .catalog import CATALOG, EXTERNAL, ICEBERG, MANAGED, VIEW, Catalog, Partition, Storage, TableEntry, now
from .failures import QueryFailure, locate, map_duckdb_error
from .hive import (
    PARQUET_SERDE,
    STORED_AS,
    glue_parameters,
    hive_type_of,
    show_create_table,
    storage_for,
    storage_from_properties,
)
from .objects import ObjectStore
from .quiet import quiet_sqlglot
from .rendering import (
    ColumnInfo,
    QueryOutcome,
    TableInfo,
    column_info,
    format_double,
    format_real,
    hive_type,
    to_result_csv,
    to_result_text,
    to_text,
)
from .scan import partition_literal, prune, scan_table
from .translate import ENGINE_RELATION, duckdb_type, parse_trino, translate
from .write import partition_path, write_rows

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
    "bind_parameters",
    "classify",
    "format_double",
    "format_real",
    "to_result_csv",
    "to_result_text",
]

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
    "external tables read and write delimited text (LazySimpleSerDe), OpenCSVSerDe, JSON and Parquet files; "
    "ORC, Avro and other SerDes are refused with NOT_SUPPORTED, and partition projection is not supported",
    "CTAS and Iceberg tables keep their rows in the engine's memory: no data or Iceberg metadata files are "
    "written to S3 for them (INSERT INTO an external table and UNLOAD do write files)",
    "the memory limit is one budget for all queries running at once (DuckDB's memory_limit), "
    "and it also bounds the rows a query returns",
)

DEFAULT_MEMORY_LIMIT = 2 * 1024**3  # bytes: enough for test data, far below what would hurt a laptop
_FETCH_BATCH = 2048
_ROW_OVERHEAD = 64  # bytes per rendered row beyond its text, for the result budget
_MAX_VIEW_DEPTH = 32

_IDENT = r'(?:"[^"]+"|`[^`]+`|[\w$]+)'
_NAME = rf"({_IDENT}(?:\.{_IDENT}){{0,2}})"


# --------------------------------------------------------------------------------------------------
# Cancellation
# --------------------------------------------------------------------------------------------------


class Cancellation:
    """StopQueryExecution for one query: interrupts the DuckDB connections running it, now or later.

    Cancelling before the query reaches DuckDB makes it fail as soon as it tries; cancelling while it
    runs interrupts DuckDB, which stops within moments (DuckDB checks for interrupts between vectors).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._event = threading.Event()
        self._connections: list[Any] = []

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(Exception):
                connection.interrupt()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None) -> bool:
        """Block up to ``timeout`` seconds; True once cancelled (a cancellable sleep)."""
        return self._event.wait(timeout)

    def check(self) -> None:
        if self._event.is_set():
            raise QueryFailure("USER_CANCELED", "Query was canceled")

    @contextlib.contextmanager
    def running(self, connection: Any) -> Iterator[None]:
        with self._lock:
            if self._event.is_set():
                raise QueryFailure("USER_CANCELED", "Query was canceled")
            self._connections.append(connection)
        try:
            yield
        finally:
            with self._lock:
                self._connections.remove(connection)


@dataclass
class _Query:
    """One statement being executed: its text, current database, cancellation and statistics."""

    text: str
    database: str
    cancel: Cancellation
    scanned_bytes: int = 0
    written_files: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------


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


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(database: str, name: str) -> str:
    return f"{CATALOG}.{_q(database)}.{_q(name)}"


# --------------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------------


class QueryEngine:
    """Run Athena SQL on one in-memory DuckDB database; statements may run concurrently.

    ``object_store`` is the S3 that external tables, INSERT and UNLOAD read and write (default: a
    private in-memory one). ``memory_limit`` (bytes) bounds the engine's memory, see
    :attr:`memory_limit`.
    """

    def __init__(self, *, object_store: ObjectStore | None = None, memory_limit: int = DEFAULT_MEMORY_LIMIT) -> None:
        self._conn = duckdb.connect(":memory:")
        self._cursor_lock = threading.Lock()
        self._ddl_lock = threading.RLock()
        self._idle = threading.Condition()
        self._running = 0
        self._conn.execute("SET temp_directory = ''")  # never spill to disk: the limit is the limit
        self._conn.execute(f"ATTACH ':memory:' AS {CATALOG}")
        self._conn.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."default"')
        self.catalog = Catalog()
        self.objects = object_store or ObjectStore.in_memory()
        self.objects.register(self._conn)
        self._memory_limit = 0
        self.memory_limit = memory_limit

    # ---- configuration ---------------------------------------------------------------------------

    @property
    def memory_limit(self) -> int:
        """Bytes the engine may use: DuckDB's ``memory_limit`` (shared by running queries, no spilling
        to disk) and the size of the rows one query returns. Exceeding it fails the query with
        ``EXCEEDED_MEMORY_LIMIT``."""
        return self._memory_limit

    @memory_limit.setter
    def memory_limit(self, limit: int) -> None:
        if not isinstance(limit, int) or limit < 1024 * 1024:
            raise ValueError("memory_limit must be an int of at least 1 MiB")
        with self._cursor_lock:
            self._conn.execute(f"SET GLOBAL memory_limit = '{limit}B'")
        self._memory_limit = limit

    def use_object_store(self, store: ObjectStore) -> None:
        """Read and write table data through ``store`` from now on (the stack's S3 once it has started)."""
        with self._cursor_lock:
            with contextlib.suppress(Exception):
                self._conn.unregister_filesystem(self.objects.filesystem.protocol[0])
            store.register(self._conn)
        self.objects = store

    def running_queries(self) -> int:
        """How many statements are executing in DuckDB right now."""
        with self._idle:
            return self._running

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for no statement to be executing; True if none is."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)

    # ---- public API ------------------------------------------------------------------------------

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
        bound = bind_parameters(sql, execution_parameters)
        text = strip_comments(bound)
        if not text:
            raise QueryFailure("SYNTAX_ERROR", "mismatched input '<EOF>'", position=(1, 1))
        query = _Query(text, database.lower(), cancel or Cancellation())
        with quiet_sqlglot():
            for handler in self._handlers():
                outcome = handler(query)
                if outcome is not None:
                    return replace(outcome, scanned_bytes=query.scanned_bytes, written_files=tuple(query.written_files))
        raise QueryFailure("NOT_SUPPORTED", f"Statement not supported: {text.split()[0].upper()}", position=(1, 1))

    def list_databases(self) -> list[str]:
        """Database names (DuckDB schemas of the ``awsdatacatalog`` catalog), sorted."""
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = ?", [CATALOG]
            ).fetchall()
        return sorted(str(r[0]) for r in rows if r[0] not in ("main", "pg_catalog", "information_schema"))

    def database_exists(self, database: str) -> bool:
        return database.lower() in self.list_databases()

    def list_tables(self, database: str) -> list[TableInfo]:
        """Tables and views of ``database`` with their columns, sorted by name."""
        names = self._table_names(database.lower())
        return [t for t in (self._table_info(database.lower(), n) for n in names) if t is not None]

    def get_table(self, database: str, name: str) -> TableInfo | None:
        """One table's metadata, or None when the database or table does not exist."""
        return self._table_info(database.lower(), name.lower())

    def load_csv(self, table: str, path: str, *, database: str = "default") -> int:
        """Create (or replace) ``database.table`` from a CSV file; returns the row count."""
        return self._load(table, database, "read_csv_auto", path)

    def load_parquet(self, table: str, path: str, *, database: str = "default") -> int:
        """Create (or replace) ``database.table`` from a Parquet file; returns the row count."""
        return self._load(table, database, "read_parquet", path)

    # ---- connections -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of its own (DuckDB connections must not be shared between threads)."""
        with self._cursor_lock:
            cursor = self._conn.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @contextlib.contextmanager
    def _session(self, query: _Query) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection one statement runs on: Trino's settings, its database current, cancellable."""
        with self._cursor() as cursor:
            cursor.execute("SET integer_division = true")
            cursor.execute("SET TimeZone = 'UTC'")
            if self.database_exists(query.database):
                cursor.execute(f"USE {CATALOG}.{_q(query.database)}")
            with query.cancel.running(cursor):
                with self._idle:
                    self._running += 1
                try:
                    yield cursor
                finally:
                    with self._idle:
                        self._running -= 1
                        self._idle.notify_all()

    def _run(self, cursor: duckdb.DuckDBPyConnection, duck_sql: str, query: _Query) -> duckdb.DuckDBPyConnection:
        """Execute DuckDB SQL, mapping errors (and interrupts) to Athena's."""
        try:
            return cursor.execute(duck_sql)
        except duckdb.Error as exc:
            query.cancel.check()
            raise map_duckdb_error(exc, query.text, query.database) from exc

    # ---- loading ---------------------------------------------------------------------------------

    def _load(self, table: str, database: str, reader: str, path: str) -> int:
        db, name = database.lower(), table.lower()
        with self._ddl_lock, self._cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{_q(db)}")
            cursor.execute(f"CREATE OR REPLACE TABLE {_qualified(db, name)} AS SELECT * FROM {reader}(?)", [path])
            self.catalog.put(TableEntry(db, name, MANAGED))
            row = cursor.execute(f"SELECT count(*) FROM {_qualified(db, name)}").fetchone()
        return int(row[0]) if row else 0

    # ---- statement handlers ----------------------------------------------------------------------

    def _handlers(self) -> list[Callable[[_Query], QueryOutcome | None]]:
        return [
            self._show_databases,
            self._show_tables,
            self._show_columns,
            self._show_partitions,
            self._show_create,
            self._describe,
            self._explain,
            self._create_database,
            self._drop_database,
            self._alter_partitions,
            self._msck_repair,
            self._unload,
            self._statement,
        ]

    def _show_databases(self, query: _Query) -> QueryOutcome | None:
        m = re.fullmatch(r"(?is)SHOW\s+(?:DATABASES|SCHEMAS)(?:\s+(?:LIKE\s+)?'([^']*)')?", query.text)
        if not m:
            return None
        names = self.list_databases()
        if m.group(1) is not None:
            rx = _like_to_regex(m.group(1))
            names = [n for n in names if rx.match(n)]
        return _utility("database_name", names, "SHOW_DATABASES")

    def _show_tables(self, query: _Query) -> QueryOutcome | None:
        m = re.fullmatch(rf"(?is)SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+{_NAME})?(?:\s+(?:LIKE\s+)?'([^']*)')?", query.text)
        if not m:
            return None
        db = _unquote(re.findall(_IDENT, m.group(1))[-1]) if m.group(1) else query.database
        self._require_database(db, query.text)
        names = self._table_names(db)
        if m.group(2) is not None:
            rx = _like_to_regex(m.group(2))
            names = [n for n in names if rx.match(n)]
        return _utility("tab_name", names, "SHOW_TABLES")

    def _show_columns(self, query: _Query) -> QueryOutcome | None:
        m = re.fullmatch(rf"(?is)SHOW\s+COLUMNS\s+(?:IN|FROM)\s+{_NAME}(?:\s+(?:IN|FROM)\s+{_NAME})?", query.text)
        if not m:
            return None
        name = f"{m.group(2)}.{m.group(1)}" if m.group(2) else m.group(1)
        info = self._require_table(name, query.database, query.text)
        return _utility("field", [c for c, _ in [*info.columns, *info.partition_keys]], "SHOW_COLUMNS")

    def _describe(self, query: _Query) -> QueryOutcome | None:
        m = re.fullmatch(rf"(?is)(?:DESCRIBE|DESC)\s+(?:FORMATTED\s+|EXTENDED\s+)?{_NAME}", query.text)
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
        return QueryOutcome("UTILITY", columns, rows, None, "txt", "DESCRIBE")

    def _explain(self, query: _Query) -> QueryOutcome | None:
        m = re.fullmatch(r"(?is)EXPLAIN(?:\s+ANALYZE)?(?:\s*\([^)]*\))?\s+(.*)", query.text)
        if not m:
            return None
        tree = parse_trino(m.group(1))
        with self._session(query) as cursor:
            inner = translate(self._expand(tree, query, cursor))
            rows = self._run(cursor, f"EXPLAIN {inner}", query).fetchall()
        plan = "\n".join(str(r[-1]) for r in rows)
        column = ColumnInfo("Query Plan", "varchar", 2147483647, 0, case_sensitive=True)
        return QueryOutcome("UTILITY", [column], [(plan,)], None, "csv", "EXPLAIN")

    def _create_database(self, query: _Query) -> QueryOutcome | None:
        m = re.match(rf"(?is)CREATE\s+(?:DATABASE|SCHEMA)\s+(IF\s+NOT\s+EXISTS\s+)?{_NAME}", query.text)
        if not m:
            return None
        db = _unquote(re.findall(_IDENT, m.group(2))[-1])
        with self._ddl_lock:
            if self.database_exists(db):
                if m.group(1):
                    return _ddl("CREATE_DATABASE")
                raise QueryFailure("ALREADY_EXISTS", f"Database {db} already exists", position=(1, 1))
            with self._session(query) as cursor:
                self._run(cursor, f"CREATE SCHEMA {CATALOG}.{_q(db)}", query)
        return _ddl("CREATE_DATABASE")

    def _drop_database(self, query: _Query) -> QueryOutcome | None:
        m = re.fullmatch(
            rf"(?is)DROP\s+(?:DATABASE|SCHEMA)\s+(IF\s+EXISTS\s+)?{_NAME}(\s+CASCADE|\s+RESTRICT)?", query.text
        )
        if not m:
            return None
        db = _unquote(re.findall(_IDENT, m.group(2))[-1])
        with self._ddl_lock:
            if not self.database_exists(db):
                if m.group(1):
                    return _ddl("DROP_DATABASE")
                raise QueryFailure("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", position=locate(query.text, db))
            cascade = " CASCADE" if (m.group(3) or "").strip().upper() == "CASCADE" else ""
            with self._cursor() as cursor:
                self._run(cursor, f"DROP SCHEMA {CATALOG}.{_q(db)}{cascade}", query)
            self.catalog.drop_database(db)
        return _ddl("DROP_DATABASE")

    # ---- Hive partitions and table DDL text ------------------------------------------------------

    def _show_partitions(self, query: _Query) -> QueryOutcome | None:
        m = re.fullmatch(rf"(?is)SHOW\s+PARTITIONS\s+(?:IN\s+|FROM\s+)?{_NAME}", query.text)
        if not m:
            return None
        entry = self._require_entry(m.group(1), query)
        if not entry.partition_keys:
            raise QueryFailure("NOT_SUPPORTED", f"Table {entry.database}.{entry.name} is not partitioned")
        names = [n for n, _ in entry.partition_keys]
        values = sorted(partition_path(names, p.values) for p in entry.partitions.values())
        return _utility("partition", values, "SHOW_PARTITIONS")

    def _show_create(self, query: _Query) -> QueryOutcome | None:
        m = re.fullmatch(rf"(?is)SHOW\s+CREATE\s+(TABLE|VIEW)\s+{_NAME}", query.text)
        if not m:
            return None
        entry = self._require_entry(m.group(2), query)
        if m.group(1).upper() == "VIEW":
            if not entry.is_view or entry.view_sql is None:
                raise QueryFailure(
                    "NOT_SUPPORTED", f"Relation '{CATALOG}.{entry.database}.{entry.name}' is a table, not a view"
                )
            lines = [f'CREATE VIEW "{CATALOG}"."{entry.database}"."{entry.name}" AS', *entry.view_sql.splitlines()]
            return _utility("Create View Statement", lines, "SHOW_CREATE_VIEW")
        if entry.is_view:
            raise QueryFailure(
                "NOT_SUPPORTED", f"Relation '{CATALOG}.{entry.database}.{entry.name}' is a view, not a table"
            )
        if not entry.columns:
            info = self._table_info(entry.database, entry.name)
            entry.columns = list(info.columns) if info is not None else []
        return _utility("createtab_stmt", show_create_table(entry), "SHOW_CREATE_TABLE")

    def _alter_partitions(self, query: _Query) -> QueryOutcome | None:
        """``ALTER TABLE t ADD [IF NOT EXISTS] PARTITION (k='v') [LOCATION '...'] ...`` and ``DROP PARTITION``.

        See https://docs.aws.amazon.com/athena/latest/ug/alter-table-add-partition.html.
        """
        m = re.fullmatch(
            rf"(?is)ALTER\s+TABLE\s+{_NAME}\s+(ADD|DROP)\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(PARTITION\b.*)", query.text
        )
        if not m:
            return None
        entry = self._require_entry(m.group(1), query)
        if not entry.partition_keys or not entry.is_external:
            raise QueryFailure("NOT_SUPPORTED", f"Table {entry.database}.{entry.name} is not partitioned")
        specs = _partition_specs(m.group(4), entry, query.text)
        location = (entry.storage.location if entry.storage else None) or ""
        names = [n for n, _ in entry.partition_keys]
        with self._ddl_lock:
            current = self.catalog.get(entry.database, entry.name)
            existing = set(current.partitions) if current is not None else set()
            if m.group(2).upper() == "ADD":
                partitions = []
                for values, spec_location in specs:
                    if values in existing and not m.group(3):
                        raise QueryFailure(
                            "ALREADY_EXISTS", f"Partition already exists: {partition_path(names, values)}"
                        )
                    target = spec_location or location.rstrip("/") + "/" + partition_path(names, values) + "/"
                    partitions.append(Partition(values, target))
                self.catalog.add_partitions(entry.database, entry.name, partitions, replace=False)
                return _ddl("ALTER_TABLE_ADD_PARTITION")
            missing = [values for values, _ in specs if values not in existing]
            if missing and not m.group(3):
                raise QueryFailure("HIVE_METASTORE_ERROR", f"Partition not found: {partition_path(names, missing[0])}")
            self.catalog.drop_partitions(entry.database, entry.name, [values for values, _ in specs])
        return _ddl("ALTER_TABLE_DROP_PARTITION")

    def _msck_repair(self, query: _Query) -> QueryOutcome | None:
        """``MSCK REPAIR TABLE t``: register the ``key=value/`` folders under LOCATION as partitions.

        See https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html.
        """
        m = re.fullmatch(rf"(?is)MSCK\s+REPAIR\s+TABLE\s+{_NAME}", query.text)
        if not m:
            return None
        entry = self._require_entry(m.group(1), query)
        if not entry.is_external or entry.storage is None or not entry.storage.location:
            raise QueryFailure("NOT_SUPPORTED", f"MSCK REPAIR TABLE needs a partitioned external table: {entry.name}")
        location = entry.storage.location.rstrip("/") + "/"
        names = [n.lower() for n, _ in entry.partition_keys]
        found: dict[tuple[str, ...], str] = {}
        for file in self.objects.list_files(location):
            folders = file.url[len(location) :].split("/")[:-1]
            values = _partition_values(folders[: len(names)], names)
            if values is not None:
                found.setdefault(values, location + "/".join(folders[: len(names)]) + "/")
        added = [
            Partition(values, target) for values, target in sorted(found.items()) if values not in entry.partitions
        ]
        with self._ddl_lock:
            self.catalog.add_partitions(entry.database, entry.name, added, replace=False)
        lines = []
        if added:
            lines.append(
                "Partitions not in metastore:\t"
                + "\t".join(f"{entry.name}:{partition_path(names, p.values)}" for p in added)
            )
            lines += [
                f"Repair: Added partition to metastore {entry.name}:{partition_path(names, p.values)}" for p in added
            ]
        return QueryOutcome("DDL", [], [(line,) for line in lines], None, "txt", "MSCK_REPAIR_TABLE")

    # ---- UNLOAD ----------------------------------------------------------------------------------

    def _unload(self, query: _Query) -> QueryOutcome | None:
        """``UNLOAD (SELECT ...) TO 's3://...' WITH (format = ..., compression = ..., partitioned_by = ...)``.

        See https://docs.aws.amazon.com/athena/latest/ug/unload.html: the destination must be empty;
        PARQUET, JSON and TEXTFILE are written (ORC and AVRO are refused by the local engine).
        """
        if not re.match(r"(?is)UNLOAD\s*\(", query.text):
            return None
        open_at = query.text.index("(")
        close_at = _matching_paren(query.text, open_at)
        inner = query.text[open_at + 1 : close_at]
        m = re.fullmatch(r"(?is)\s*TO\s*'((?:[^']|'')*)'\s*(?:WITH\s*\((.*)\))?\s*", query.text[close_at + 1 :])
        if not m:
            raise QueryFailure("SYNTAX_ERROR", "mismatched input: expected TO 's3://...' after UNLOAD (...)")
        destination = m.group(1).replace("''", "'")
        options = _with_options(m.group(2) or "")
        stored_as = options.get("format", "PARQUET").upper()
        if stored_as not in ("PARQUET", "JSON", "TEXTFILE"):
            raise QueryFailure(
                "NOT_SUPPORTED", f"The local engine cannot UNLOAD to {stored_as} (PARQUET, JSON, TEXTFILE)"
            )
        serde_parameters = {}
        if "field_delimiter" in options:
            serde_parameters["field.delim"] = options["field_delimiter"]
        storage = storage_for(stored_as, destination, serde_parameters)
        partitioned_by = [p.lower() for p in options.get("partitioned_by", "").split(",") if p]
        try:
            if not self.objects.is_empty(destination):
                raise QueryFailure(
                    "HIVE_PATH_ALREADY_EXISTS", f"Target directory for UNLOAD already exists: {destination}"
                )
        except ValueError as exc:
            raise QueryFailure("INVALID_PARAMETER_USAGE", f"Invalid UNLOAD destination: {destination}") from exc
        tree = parse_trino(inner)
        if not isinstance(tree, exp.Query):
            raise QueryFailure("SYNTAX_ERROR", "UNLOAD needs a SELECT query", position=(1, 1))
        with self._session(query) as cursor:
            source = translate(self._expand(tree, query, cursor))
            described = self._run(cursor, f"SELECT * FROM ({source}) AS __u LIMIT 0", query).description or []
            names = [str(d[0]) for d in described]
            if partitioned_by and [n.lower() for n in names[-len(partitioned_by) :]] != partitioned_by:
                raise QueryFailure(
                    "INVALID_PARAMETER_USAGE",
                    "Partition columns must be the last columns of the query, in the order of partitioned_by",
                )
            data = [(n, hive_type(d[1])) for n, d in zip(names, described, strict=True)]
            data = data[: len(data) - len(partitioned_by)]
            try:
                written = write_rows(
                    cursor,
                    self.objects,
                    source,
                    data,
                    names[len(data) :],
                    storage,
                    {},
                    location=destination,
                    compression=options.get("compression"),
                )
            except duckdb.Error as exc:
                query.cancel.check()
                raise map_duckdb_error(exc, query.text, query.database) from exc
        query.written_files.extend(f.url for f in written.files)
        return _write_outcome("UNLOAD", written.rows)

    # ---- statements sqlglot parses -------------------------------------------------------------

    def _statement(self, query: _Query) -> QueryOutcome | None:
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

    def _select(self, tree: exp.Expression, query: _Query) -> QueryOutcome:
        with self._session(query) as cursor:
            duck_sql = translate(self._expand(tree, query, cursor))
            self._run(cursor, duck_sql, query)
            description = cursor.description or []
            types = [d[1] for d in description]
            names = _trino_column_names(tree, [str(d[0]) for d in description])
            rows = self._fetch(cursor, types, query)
        columns = [column_info(n, t) for n, t in zip(names, types, strict=True)]
        return QueryOutcome("DML", columns, rows, None, "csv", "SELECT")

    def _fetch(
        self, cursor: duckdb.DuckDBPyConnection, types: list[Any], query: _Query
    ) -> list[tuple[str | None, ...]]:
        """Render the result in Trino's text forms, within the memory budget and while not cancelled."""
        rows: list[tuple[str | None, ...]] = []
        used = 0
        while True:
            try:
                batch = cursor.fetchmany(_FETCH_BATCH)
            except duckdb.Error as exc:
                query.cancel.check()
                raise map_duckdb_error(exc, query.text, query.database) from exc
            if not batch:
                return rows
            query.cancel.check()
            for raw in batch:
                row = tuple(to_text(v, t) for v, t in zip(raw, types, strict=True))
                used += _ROW_OVERHEAD + sum(len(v) for v in row if v is not None)
                if used > self._memory_limit:
                    raise QueryFailure(
                        "EXCEEDED_MEMORY_LIMIT",
                        "Query exhausted resources at this scale factor: its result exceeds the engine's "
                        f"memory limit of {_mib(self._memory_limit)}",
                    )
                rows.append(row)

    # ---- reading tables: external tables from S3, views inlined ----------------------------------

    def _expand(
        self,
        tree: exp.Expression,
        query: _Query,
        cursor: duckdb.DuckDBPyConnection,
        *,
        skip: exp.Expression | None = None,
        database: str | None = None,
        depth: int = 0,
    ) -> exp.Expression:
        """Replace references to external tables by a scan of their files, and to views by their query.

        Each scan is a temporary view of this statement's own connection, so the translated statement
        reads it like a table and nothing outlives the statement.
        """
        if depth > _MAX_VIEW_DEPTH:
            raise QueryFailure("NOT_SUPPORTED", "Views are nested too deeply", position=(1, 1))
        tree = tree.copy() if depth == 0 and skip is None else tree
        current = (database or query.database).lower()
        cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
        for table in list(tree.find_all(exp.Table)):
            if table is skip or not isinstance(table.this, exp.Identifier) or table.meta.get(ENGINE_RELATION):
                continue
            if table.catalog and table.catalog.lower() != CATALOG:
                continue
            if not table.db and table.name.lower() in cte_names:
                continue
            db, name = (table.db or current).lower(), table.name.lower()
            replacement = self._table_source(table, db, name, query, cursor, depth)
            if replacement is not None:
                if table is tree:
                    tree = replacement
                else:
                    table.replace(replacement)
        return tree

    def _table_source(
        self, table: exp.Table, db: str, name: str, query: _Query, cursor: duckdb.DuckDBPyConnection, depth: int
    ) -> exp.Expression | None:
        alias = exp.TableAlias(this=exp.to_identifier(table.alias or table.name))
        if name.endswith("$partitions"):
            base = self.catalog.get(db, name[: -len("$partitions")])
            if base is not None and base.partition_keys:
                return self._temp_view(cursor, _partitions_sql(base), alias)
            return None
        entry = self.catalog.get(db, name)
        if entry is None:
            return None
        if entry.is_view and entry.view_sql is not None:
            inner = self._expand(parse_trino(entry.view_sql), query, cursor, database=entry.database, depth=depth + 1)
            return exp.Subquery(this=inner, alias=alias)
        if not entry.is_external:
            return None
        partitions = self._needed_partitions(table, entry, cursor) if entry.partition_keys else None
        scan = scan_table(entry, self.objects, partitions, lambda sql: _column_names(cursor, sql))
        query.scanned_bytes += scan.scanned_bytes
        return self._temp_view(cursor, scan.sql, alias)

    def _temp_view(self, cursor: duckdb.DuckDBPyConnection, sql: str, alias: exp.TableAlias) -> exp.Table:
        view = f"__scan_{uuid.uuid4().hex[:16]}"
        try:
            cursor.execute(f"CREATE TEMP VIEW {view} AS {sql}")
        except duckdb.Error as exc:
            raise map_duckdb_error(exc, sql, "") from exc
        table = exp.Table(
            this=exp.to_identifier(view),
            db=exp.to_identifier("main"),
            catalog=exp.to_identifier("temp"),
            alias=alias,
        )
        table.meta[ENGINE_RELATION] = True
        return table

    def _needed_partitions(
        self, table: exp.Table, entry: TableEntry, cursor: duckdb.DuckDBPyConnection
    ) -> list[Partition]:
        """Partition pruning: the partitions a WHERE on partition keys can match (all, when unsure)."""
        partitions = list(entry.partitions.values())
        select = table.parent.parent if table.parent is not None else None
        joined = isinstance(table.parent, exp.Join) and not table.parent.side
        if not isinstance(select, exp.Select) or not (isinstance(table.parent, exp.From) or joined):
            return partitions
        where = select.args.get("where")
        if where is None:
            return partitions
        alias = table.alias_or_name.lower()
        keys = {n.lower() for n, _ in entry.partition_keys}
        conjuncts = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
        predicates = []
        for conjunct in conjuncts:
            columns = list(conjunct.find_all(exp.Column))
            if not columns or conjunct.find(exp.Select) is not None:
                continue
            if all(c.name.lower() in keys and (not c.table or c.table.lower() == alias) for c in columns):
                stripped = cast(exp.Expression, conjunct.copy())
                for column in stripped.find_all(exp.Column):
                    column.set("table", None)
                predicates.append(translate(stripped))

        def evaluate(sql: str) -> list[int]:
            return [int(r[0]) for r in cursor.execute(sql).fetchall()]

        return prune(entry, partitions, predicates, evaluate)

    # ---- writing: INSERT, UPDATE/DELETE/MERGE, CTAS ----------------------------------------------

    def _insert(self, tree: exp.Insert, query: _Query) -> QueryOutcome:
        target = tree.this
        given: list[str] | None = None
        if isinstance(target, exp.Schema):
            given = [c.name.lower() for c in target.expressions]
            target = target.this
        if not isinstance(target, exp.Table):
            raise QueryFailure("NOT_SUPPORTED", "INSERT target must be a table", position=(1, 1))
        entry = self._require_entry(_table_name(target), query)
        if entry.is_view:
            raise QueryFailure("NOT_SUPPORTED", f"Inserting into views is not supported: {entry.name}", position=(1, 1))
        with self._session(query) as cursor:
            if not entry.is_external:
                statement = self._expand(tree, query, cursor, skip=target)
                rows = self._run(cursor, translate(statement), query).fetchall()
                return _write_outcome("INSERT", int(rows[0][0]) if rows else 0)
            source = tree.expression
            if source is None:
                raise QueryFailure("SYNTAX_ERROR", "INSERT needs a query or VALUES", position=(1, 1))
            source_sql = translate(self._expand(source, query, cursor))
            projected = self._insert_projection(cursor, source_sql, entry, given, query)
            assert entry.storage is not None and entry.storage.location is not None
            try:
                written = write_rows(
                    cursor,
                    self.objects,
                    projected,
                    entry.columns,
                    [n for n, _ in entry.partition_keys],
                    entry.storage,
                    entry.parameters,
                    location=entry.storage.location,
                    locations={values: p.location for values, p in entry.partitions.items()},
                )
            except duckdb.Error as exc:
                query.cancel.check()
                raise map_duckdb_error(exc, query.text, query.database) from exc
        new = [Partition(values, location) for values, location in written.partitions]
        self.catalog.add_partitions(entry.database, entry.name, new, replace=False)
        query.written_files.extend(f.url for f in written.files)
        return _write_outcome("INSERT", written.rows)

    def _insert_projection(
        self, cursor: duckdb.DuckDBPyConnection, source: str, entry: TableEntry, given: list[str] | None, query: _Query
    ) -> str:
        """The inserted rows in the table's column order (data, then partition keys), typed as declared."""
        described = self._run(cursor, f"SELECT * FROM ({source}) AS __s LIMIT 0", query).description or []
        targets = [*entry.columns, *entry.partition_keys]
        order = given if given is not None else [n.lower() for n, _ in targets]
        if len(order) != len(described):
            raise QueryFailure(
                "TYPE_MISMATCH",
                f"Insert query has {len(described)} columns, target table '{CATALOG}.{entry.database}.{entry.name}' "
                f"has {len(order)}",
                position=(1, 1),
            )
        aliases = ", ".join(f'"__c{i}"' for i in range(len(described)))
        projection = []
        for name, hive in targets:
            position = order.index(name.lower()) if name.lower() in order else None
            value = f'"__c{position}"' if position is not None else "NULL"
            projection.append(f"CAST({value} AS {duckdb_type(hive)}) AS {_q(name)}")
        return f"SELECT {', '.join(projection)} FROM ({source}) AS __s({aliases})"

    def _modify(self, tree: exp.Expression, query: _Query) -> QueryOutcome:
        """UPDATE, DELETE and MERGE: Iceberg tables only, as in Athena."""
        kind = {exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE"}[type(tree)]
        target = tree.this
        if not isinstance(target, exp.Table):
            raise QueryFailure("NOT_SUPPORTED", f"{kind} target must be a table", position=(1, 1))
        entry = self._require_entry(_table_name(target), query)
        if not entry.is_iceberg:
            # https://docs.aws.amazon.com/athena/latest/ug/querying-iceberg-updating-iceberg-table-data.html
            raise QueryFailure(
                "NOT_SUPPORTED",
                f"Modifying rows is only supported for Iceberg tables: '{CATALOG}.{entry.database}.{entry.name}' "
                "is not an Iceberg table",
                position=locate(query.text, entry.name),
            )
        with self._session(query) as cursor:
            statement = self._expand(tree, query, cursor, skip=target)
            rows = self._run(cursor, translate(statement), query).fetchall()
        return _write_outcome(kind, int(rows[0][0]) if rows and rows[0] and rows[0][0] is not None else 0)

    def _create(self, tree: exp.Create, query: _Query) -> QueryOutcome:
        kind = (tree.args.get("kind") or "").upper()
        table = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        if not isinstance(table, exp.Table):
            raise QueryFailure("NOT_SUPPORTED", f"CREATE {kind} is not supported", position=(1, 1))
        db = (table.db or query.database).lower()
        name = table.name.lower()
        if kind == "VIEW":
            return self._create_view(tree, table, db, name, query)
        if kind != "TABLE":
            raise QueryFailure("NOT_SUPPORTED", f"CREATE {kind} is not supported", position=(1, 1))
        properties = list(tree.args["properties"].expressions) if tree.args.get("properties") is not None else []
        parameters = _plain_properties(properties)
        external = any(isinstance(p, exp.ExternalProperty) for p in properties)
        iceberg = parameters.get("table_type", "").upper() == "ICEBERG"
        with self._ddl_lock:
            exists = self._table_info(db, name) is not None
            if tree.expression is not None:
                return self._ctas(tree, query, db, name, properties, parameters, exists)
            if exists:
                if tree.args.get("exists"):
                    return _ddl("CREATE_TABLE")
                raise QueryFailure("ALREADY_EXISTS", f"Table '{CATALOG}.{db}.{name}' already exists", position=(1, 1))
            if not external and not iceberg:
                # https://docs.aws.amazon.com/athena/latest/ug/create-table.html: "If you use CREATE TABLE
                # without the EXTERNAL keyword for non-Iceberg tables, Athena issues an error."
                raise QueryFailure(
                    "NOT_SUPPORTED",
                    "Only external table creation is supported: use CREATE EXTERNAL TABLE, or "
                    "TBLPROPERTIES ('table_type'='ICEBERG') for an Iceberg table",
                    position=(1, 1),
                )
            if external and iceberg:
                raise QueryFailure(
                    "NOT_SUPPORTED", "Iceberg tables are created with CREATE TABLE, without EXTERNAL", position=(1, 1)
                )
            entry = _declared_table(tree, db, name, properties, parameters, iceberg)
            columns = ", ".join(f"{_q(c)} {duckdb_type(t)}" for c, t in [*entry.columns, *entry.partition_keys])
            with self._session(query) as cursor:
                self._run(cursor, f"CREATE TABLE {_qualified(db, name)} ({columns})", query)
            self.catalog.put(entry)
        return _ddl("CREATE_TABLE")

    def _ctas(
        self,
        tree: exp.Create,
        query: _Query,
        db: str,
        name: str,
        properties: list[exp.Expression],
        parameters: dict[str, str],
        exists: bool,
    ) -> QueryOutcome:
        """CREATE TABLE AS: Athena answers with a ``rows`` bigint column and the count as UpdateCount."""
        if exists:
            if tree.args.get("exists"):
                return _write_outcome("CREATE_TABLE_AS_SELECT", 0)
            raise QueryFailure("ALREADY_EXISTS", f"Table '{CATALOG}.{db}.{name}' already exists", position=(1, 1))
        statement = tree.copy()
        statement.set("properties", None)
        with self._session(query) as cursor:
            source = statement.expression
            assert source is not None
            statement.set("expression", self._expand(source, query, cursor))
            rows = self._run(cursor, translate(statement), query).fetchall()
        iceberg = parameters.get("table_type", "").upper() == "ICEBERG"
        location = parameters.get("external_location") or parameters.get("location")
        for prop in properties:
            if isinstance(prop, exp.LocationProperty):
                location = prop.this.name
            elif isinstance(prop, exp.FileFormatProperty) and not isinstance(prop.this, exp.InputOutputFormat):
                parameters["classification"] = prop.this.name.lower()
        if location:
            parameters["location"] = location
        self.catalog.put(TableEntry(db, name, ICEBERG if iceberg else MANAGED, parameters=parameters))
        count = int(rows[0][0]) if rows and rows[0] and rows[0][0] is not None else 0
        return _write_outcome("CREATE_TABLE_AS_SELECT", count)

    def _create_view(self, tree: exp.Create, table: exp.Table, db: str, name: str, query: _Query) -> QueryOutcome:
        body = tree.expression
        if body is None:
            raise QueryFailure("SYNTAX_ERROR", "CREATE VIEW needs AS <query>", position=(1, 1))
        with self._ddl_lock:
            statement = tree.copy()
            statement.set("properties", None)
            with self._session(query) as cursor:
                self._run(cursor, translate(statement), query)
            view_sql = body.sql(dialect="trino", pretty=True)
            self.catalog.put(TableEntry(db, name, VIEW, parameters={"presto_view": "true"}, view_sql=view_sql))
        return _ddl("CREATE_VIEW")

    def _drop(self, tree: exp.Drop, query: _Query) -> QueryOutcome:
        kind = (tree.args.get("kind") or "").upper()
        tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
        table = tables[0] if len(tables) == 1 else None
        if kind not in ("TABLE", "VIEW") or not isinstance(table, exp.Table):
            raise QueryFailure("NOT_SUPPORTED", f"DROP {kind} is not supported", position=(1, 1))
        db, name = (table.db or query.database).lower(), table.name.lower()
        with self._ddl_lock:
            if self._table_info(db, name) is None:
                if tree.args.get("exists"):
                    return _ddl(f"DROP_{kind}")
                raise QueryFailure(
                    "TABLE_NOT_FOUND",
                    f"Table '{CATALOG}.{db}.{name}' does not exist",
                    position=locate(query.text, name),
                )
            actual = self._relation_kind(db, name)
            with self._session(query) as cursor:
                self._run(cursor, f"DROP {actual} {_qualified(db, name)}", query)
            self.catalog.drop(db, name)  # an external table's files stay in S3, as in Athena
        return _ddl(f"DROP_{kind}")

    # ---- metadata helpers ------------------------------------------------------------------------

    def _require_database(self, database: str, text: str) -> None:
        if not self.database_exists(database):
            raise QueryFailure(
                "SCHEMA_NOT_FOUND", f"Schema '{database}' does not exist", position=locate(text, database)
            )

    def _require_table(self, name: str, database: str, text: str) -> TableInfo:
        db, table = _split_name(name, database)
        self._require_database(db, text)
        info = self._table_info(db, table)
        if info is None:
            raise QueryFailure(
                "TABLE_NOT_FOUND",
                f"Table '{CATALOG}.{db}.{table}' does not exist",
                position=locate(text, table),
            )
        return info

    def _require_entry(self, name: str, query: _Query) -> TableEntry:
        """The catalog entry of an existing table (tables DuckDB has but the catalog lacks are managed)."""
        info = self._require_table(name, query.database, query.text)
        db, table = _split_name(name, query.database)
        entry = self.catalog.get(db, table)
        return entry if entry is not None else TableEntry(db, info.name, MANAGED)

    def _table_names(self, database: str) -> list[str]:
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = ?",
                [CATALOG, database],
            ).fetchall()
        return sorted(str(r[0]) for r in rows)

    def _relation_kind(self, database: str, name: str) -> str:
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT table_type FROM information_schema.tables "
                "WHERE table_catalog = ? AND table_schema = ? AND lower(table_name) = ?",
                [CATALOG, database, name],
            ).fetchone()
        return "VIEW" if row and row[0] == "VIEW" else "TABLE"

    def _table_info(self, database: str, name: str) -> TableInfo | None:
        if name not in self._table_names(database):
            return None
        entry = self.catalog.get(database, name)
        is_view = self._relation_kind(database, name) == "VIEW"
        if entry is None:
            entry = self.catalog.put_if_absent(TableEntry(database, name, VIEW if is_view else MANAGED))
        if entry.kind in (EXTERNAL, ICEBERG):
            columns, partition_keys = list(entry.columns), list(entry.partition_keys)
            parameters = glue_parameters(entry)
        else:
            with self._cursor() as cursor:
                cursor.execute(f"SELECT * FROM {_qualified(database, name)} LIMIT 0")
                columns = [(str(d[0]), hive_type(d[1])) for d in cursor.description or []]
            partition_keys = []
            parameters = {"EXTERNAL": "TRUE", **entry.parameters}
        return TableInfo(
            name=name,
            columns=columns,
            table_type="VIRTUAL_VIEW" if is_view else "EXTERNAL_TABLE",
            create_time=entry.create_time,
            parameters=parameters,
            partition_keys=partition_keys,
        )


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}MiB"


def _column_names(cursor: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    cursor.execute(f"SELECT * FROM ({sql}) AS __d LIMIT 0")
    return [str(d[0]) for d in cursor.description or []]


def _table_name(table: exp.Table) -> str:
    return ".".join(_q(p) for p in (table.catalog, table.db, table.name) if p)


def _partitions_sql(entry: TableEntry) -> str:
    """``"t$partitions"``: one row per registered partition, its key values typed as declared."""
    names = ", ".join(_q(n) for n, _ in entry.partition_keys)
    if not entry.partitions:
        columns = ", ".join(f"CAST(NULL AS {duckdb_type(t)}) AS {_q(n)}" for n, t in entry.partition_keys)
        return f"SELECT {columns} WHERE false"
    rows = [
        "("
        + ", ".join(partition_literal(v, t) for v, (_, t) in zip(p.values, entry.partition_keys, strict=False))
        + ")"
        for p in entry.partitions.values()
    ]
    return f"SELECT * FROM (VALUES {', '.join(rows)}) AS __p({names})"


def _plain_properties(properties: list[exp.Expression]) -> dict[str, str]:
    """TBLPROPERTIES (Hive DDL) and ``WITH (...)`` (CTAS) key/value pairs, values as text."""
    parameters: dict[str, str] = {}
    for prop in properties:
        if isinstance(prop, exp.Property) and type(prop) is exp.Property:
            key = prop.name if prop.name else str(prop.this)
            value = prop.args.get("value")
            if isinstance(value, exp.Literal):
                text = str(value.this)
            elif isinstance(value, exp.Array):
                text = ",".join(e.name for e in value.expressions)
            elif isinstance(value, exp.Expression):
                text = value.name or value.sql()
            else:
                text = str(value)
            parameters[key.strip("'\"")] = text
        elif isinstance(prop, exp.PartitionedByProperty) and isinstance(prop.this, exp.Array):
            parameters["partitioned_by"] = ",".join(e.name for e in prop.this.expressions)
    return parameters


def _declared_table(
    tree: exp.Create, db: str, name: str, properties: list[exp.Expression], parameters: dict[str, str], iceberg: bool
) -> TableEntry:
    """The catalog entry of ``CREATE EXTERNAL TABLE`` (or an Iceberg ``CREATE TABLE``) from its clauses."""
    columns: list[tuple[str, str]] = []
    if isinstance(tree.this, exp.Schema):
        for col in tree.this.expressions:
            if isinstance(col, exp.ColumnDef) and col.args.get("kind") is not None:
                columns.append((col.name.lower(), hive_type_of(col.args["kind"])))
    partition_keys: list[tuple[str, str]] = []
    location: str | None = None
    comment: str | None = None
    for prop in properties:
        if isinstance(prop, exp.LocationProperty):
            location = prop.this.name
        elif isinstance(prop, exp.SchemaCommentProperty):
            comment = prop.this.name
        elif isinstance(prop, exp.PartitionedByProperty) and isinstance(prop.this, exp.Schema) and not iceberg:
            for col in prop.this.expressions:
                if isinstance(col, exp.ColumnDef) and col.args.get("kind") is not None:
                    partition_keys.append((col.name.lower(), hive_type_of(col.args["kind"])))
    if iceberg:
        storage = Storage(location, PARQUET_SERDE, *STORED_AS["PARQUET"][:2])
        return TableEntry(db, name, ICEBERG, columns, [], parameters, storage, comment)
    storage = storage_from_properties(properties, location)
    return TableEntry(db, name, EXTERNAL, columns, partition_keys, parameters, storage, comment, create_time=now())


def _partition_specs(text: str, entry: TableEntry, sql: str) -> list[tuple[tuple[str, ...], str | None]]:
    """``PARTITION (k='v', ...) [LOCATION '...']`` clauses -> (values in key order, location or None)."""
    specs = []
    names = [n.lower() for n, _ in entry.partition_keys]
    pattern = re.compile(
        r"(?is)\s*,?\s*PARTITION\s*\(((?:[^()']|'(?:[^']|'')*')*)\)(?:\s*LOCATION\s*'((?:[^']|'')*)')?"
    )
    position = 0
    while position < len(text.rstrip()):
        m = pattern.match(text, position)
        if not m:
            raise QueryFailure("SYNTAX_ERROR", f"mismatched input '{text[position:].strip()[:20]}'", position=(1, 1))
        values: dict[str, str] = {}
        for item in re.finditer(r"""(?s)\s*([`"]?)([\w$]+)\1\s*=\s*('(?:[^']|'')*'|[^,]+?)\s*(?:,|$)""", m.group(1)):
            raw = item.group(3).strip()
            values[item.group(2).lower()] = raw[1:-1].replace("''", "'") if raw.startswith("'") else raw
        if sorted(values) != sorted(names):
            raise QueryFailure(
                "HIVE_METASTORE_ERROR",
                f"Partition spec ({m.group(1).strip()}) does not match the partition keys ({', '.join(names)}) "
                f"of table {entry.database}.{entry.name}",
            )
        location = m.group(2).replace("''", "'") if m.group(2) is not None else None
        specs.append((tuple(values[n] for n in names), location))
        position = m.end()
    if not specs:
        raise QueryFailure(
            "SYNTAX_ERROR", "mismatched input: expected PARTITION (...)", position=locate(sql, "PARTITION")
        )
    return specs


def _partition_values(folders: list[str], names: list[str]) -> tuple[str, ...] | None:
    """``['dt=2024', 'h=1']`` -> ``('2024', '1')`` if the folders name exactly these keys, in order."""
    from urllib.parse import unquote

    if len(folders) != len(names):
        return None
    values = []
    for folder, name in zip(folders, names, strict=True):
        key, sep, value = folder.partition("=")
        if not sep or key.lower() != name:
            return None
        values.append(unquote(value))
    return tuple(values)


def _matching_paren(text: str, open_at: int) -> int:
    """Index of the parenthesis closing the one at ``open_at`` (quotes and comments respected)."""
    depth = 0
    i = open_at
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            end = text.find(ch, i + 1)
            while end != -1 and end + 1 < len(text) and text[end + 1] == ch:
                end = text.find(ch, end + 2)
            i = len(text) if end == -1 else end + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise QueryFailure("SYNTAX_ERROR", "mismatched input '<EOF>': unbalanced parentheses", position=(1, 1))


def _with_options(text: str) -> dict[str, str]:
    """UNLOAD's ``WITH (key = 'value', partitioned_by = ARRAY['a', 'b'])`` as lower-case keys -> text."""
    options: dict[str, str] = {}
    if not text.strip():
        return options
    tree = parse_trino(f"CREATE TABLE __unload WITH ({text}) AS SELECT 1")
    properties = tree.args["properties"].expressions if tree.args.get("properties") is not None else []
    for key, value in _plain_properties(list(properties)).items():
        options[key.lower()] = value
    for prop in properties:
        if isinstance(prop, exp.FileFormatProperty):
            options["format"] = prop.this.name
    return options


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


def _utility(column: str, values: list[str], substatement: str) -> QueryOutcome:
    """SHOW-style output: Athena reports UTILITY and writes a header-less ``.txt``."""
    info = ColumnInfo(column, "varchar", 2147483647, 0, case_sensitive=True)
    return QueryOutcome("UTILITY", [info], [(v,) for v in values], None, "txt", substatement)


def _ddl(substatement: str) -> QueryOutcome:
    """DDL has no result set; Athena writes an empty ``.txt``."""
    return QueryOutcome("DDL", [], [], None, "txt", substatement)


def _write_outcome(substatement: str, count: int) -> QueryOutcome:
    """INSERT, UPDATE, DELETE, MERGE, CTAS and UNLOAD: a ``rows`` bigint column, the count as UpdateCount,
    no data rows (PyAthena reads the count from ``rowcount``)."""
    return QueryOutcome("DML", [ColumnInfo("rows", "bigint", 19, 0)], [], count, "csv", substatement)
