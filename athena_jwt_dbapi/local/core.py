"""The engine's machinery shared by every kind of statement: connections, cancellation, table sources.

Each statement runs on its own DuckDB connection (a cursor of the one in-memory database), so queries
from different Athena connections run concurrently; :class:`Cancellation` interrupts a stopped
query's connection; the memory limit is DuckDB's ``memory_limit`` plus a bound on the rows a query
returns. References to external tables become scans of their S3 files (:mod:`.scan`) and references
to views become the views' queries, so a query always reads what is in S3 now.

Like Athena, a query sees no filesystem: once the engine has registered its S3 (and the private area
where it hands DuckDB the files an operator loads), DuckDB's external access is turned off for good, so
``read_text('/etc/passwd')``, ``glob``, ``COPY ... TO '/tmp/x'``, ``ATTACH`` and ``INSTALL`` fail, and
those two filesystems are all that DuckDB opens.
"""

from __future__ import annotations

import contextlib
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import duckdb
from sqlglot import exp

from .catalog import CATALOG, EXTERNAL, ICEBERG, MANAGED, VIEW, Catalog, Partition, TableEntry
from .failures import QueryFailure, locate, map_duckdb_error
from .hive import glue_parameters
from .objects import LOAD_PROTOCOL, PROTOCOL, ObjectStore
from .rendering import Answer, ColumnInfo, TableInfo, hive_type, to_text
from .scan import partition_literal, prune, scan_table
from .translate import ENGINE_RELATION, duckdb_type, parse_trino, translate

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "IDENT",
    "NAME",
    "Cancellation",
    "EngineCore",
    "Query",
    "column_names",
    "like_to_regex",
    "qualified",
    "quote_ident",
    "split_name",
    "table_name",
    "unquote",
    "utility_answer",
    "write_answer",
]

DEFAULT_MEMORY_LIMIT = 2 * 1024**3  # bytes: enough for test data, far below what would hurt a laptop
_FETCH_BATCH = 2048
_ROW_OVERHEAD = 64  # bytes per rendered row beyond its text, for the result budget
_MAX_VIEW_DEPTH = 32

IDENT = r'(?:"[^"]+"|`[^`]+`|[\w$]+)'
NAME = rf"({IDENT}(?:\.{IDENT}){{0,2}})"


# --------------------------------------------------------------------------------------------------
# Cancellation
# --------------------------------------------------------------------------------------------------


class Cancellation:
    """StopQueryExecution for one query: interrupts the DuckDB connections running it, now or later.

    Cancelling before the query reaches DuckDB makes it fail as soon as it tries. DuckDB forgets an
    interrupt that arrives between two statements of a connection, so once cancelled the connections
    still running are interrupted again every few milliseconds until they let go.
    """

    _REPEAT = 0.02  # seconds between interrupts of a connection that has not stopped yet

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._cancelled = False
        self._connections: list[Any] = []

    def cancel(self) -> None:
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            self._lock.notify_all()
            busy = bool(self._connections)
        if busy:
            threading.Thread(target=self._interrupt_until_released, name="local-athena-cancel", daemon=True).start()

    def _interrupt_until_released(self) -> None:
        with self._lock:
            while self._connections:
                for connection in list(self._connections):
                    with contextlib.suppress(Exception):
                        connection.interrupt()
                self._lock.wait(self._REPEAT)

    def wait(self, timeout: float | None) -> bool:
        """Block up to ``timeout`` seconds; True once cancelled (a cancellable sleep)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._cancelled, timeout)

    def check(self) -> None:
        if self._cancelled:
            raise QueryFailure("USER_CANCELED", "Query was canceled")

    @contextlib.contextmanager
    def running(self, connection: Any) -> Iterator[None]:
        with self._lock:
            if self._cancelled:
                raise QueryFailure("USER_CANCELED", "Query was canceled")
            self._connections.append(connection)
        try:
            yield
        finally:
            with self._lock:
                self._connections.remove(connection)
                self._lock.notify_all()


@dataclass
class Query:
    """One statement being executed: its text, current database, cancellation and statistics."""

    text: str
    database: str
    cancel: Cancellation
    scanned_bytes: int = 0
    written_files: list[str] = field(default_factory=list)


def unquote(name: str) -> str:
    return name.strip('"`').lower()


def split_name(name: str, database: str) -> tuple[str, str]:
    """Split ``[catalog.][db.]table`` into (db, table), checking the catalog."""
    parts = [unquote(p) for p in re.findall(IDENT, name)]
    if len(parts) == 3:
        if parts[0] != CATALOG:
            raise QueryFailure("CATALOG_NOT_FOUND", f"Catalog '{parts[0]}' does not exist", position=(1, 1))
        parts = parts[1:]
    if len(parts) == 2:
        return parts[0], parts[1]
    return database.lower(), parts[0]


def like_to_regex(pattern: str) -> re.Pattern[str]:
    """Hive SHOW ... LIKE patterns: ``*`` any, ``|`` alternatives (SQL ``%``/``_`` also accepted)."""
    alternatives = []
    for alt in pattern.split("|"):
        rx = "".join(".*" if c in "*%" else "." if c == "_" else re.escape(c) for c in alt.strip().lower())
        alternatives.append(rx)
    return re.compile("^(?:" + "|".join(alternatives) + ")$")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(database: str, name: str) -> str:
    return f"{CATALOG}.{quote_ident(database)}.{quote_ident(name)}"


class EngineCore:
    """One in-memory DuckDB database, its catalog and S3, and what every statement needs from them.

    ``object_store`` is the S3 that external tables, INSERT and UNLOAD read and write (default: a
    private in-memory one). ``memory_limit`` (bytes) bounds the engine's memory, see
    :attr:`memory_limit`.
    """

    def __init__(self, *, object_store: ObjectStore | None = None, memory_limit: int = DEFAULT_MEMORY_LIMIT) -> None:
        self._conn = duckdb.connect(":memory:")
        self._cursor_lock = threading.Lock()
        self._ddl_lock = threading.RLock()
        self._activity = threading.Condition()
        self._running = 0
        self._conn.execute("SET temp_directory = ''")  # never spill to disk: the limit is the limit
        # DuckDB's type pushdown turns a TRY_CAST over a CSV column into the reader's own strict cast,
        # so one malformed field would fail the query; a Hive text table reads it as NULL.
        self._conn.execute("SET GLOBAL disabled_optimizers = 'type_pushdown'")
        self._conn.execute(f"ATTACH ':memory:' AS {CATALOG}")
        self._conn.execute(f'CREATE SCHEMA IF NOT EXISTS {CATALOG}."default"')
        self.catalog = Catalog()
        self.use_object_store(object_store or ObjectStore.in_memory())
        self._staging = ObjectStore.in_memory(LOAD_PROTOCOL)
        self._staging.register(self._conn)
        # One way: DuckDB cannot turn it back on. The allowed prefixes must follow the registrations.
        self._conn.execute(f"SET allowed_directories = ['{PROTOCOL}://', '{LOAD_PROTOCOL}://']")
        self._conn.execute("SET enable_external_access = false")
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
        if store.protocol != PROTOCOL:
            raise ValueError(f"the engine's object store must use the protocol {PROTOCOL}")
        with self._cursor_lock:
            with contextlib.suppress(Exception):
                self._conn.unregister_filesystem(PROTOCOL)
            store.register(self._conn)
        self.objects = store

    def running_queries(self) -> int:
        """How many statements are executing in DuckDB right now."""
        with self._activity:
            return self._running

    def wait_until_running(self, count: int, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for at least ``count`` statements to be executing in DuckDB."""
        with self._activity:
            return self._activity.wait_for(lambda: self._running >= count, timeout)

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for no statement to be executing; True if none is."""
        with self._activity:
            return self._activity.wait_for(lambda: self._running == 0, timeout)

    # ---- metadata ----------------------------------------------------------------------------------

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
    def _session(self, query: Query) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection one statement runs on: Trino's settings, its database current, cancellable."""
        with self._cursor() as cursor:
            cursor.execute("SET integer_division = true")
            cursor.execute("SET TimeZone = 'UTC'")
            if self.database_exists(query.database):
                cursor.execute(f"USE {CATALOG}.{quote_ident(query.database)}")
            with query.cancel.running(cursor):
                with self._activity:
                    self._running += 1
                    self._activity.notify_all()
                try:
                    yield cursor
                finally:
                    with self._activity:
                        self._running -= 1
                        self._activity.notify_all()

    def _run(self, cursor: duckdb.DuckDBPyConnection, duck_sql: str, query: Query) -> duckdb.DuckDBPyConnection:
        """Execute DuckDB SQL, mapping errors (and interrupts) to Athena's."""
        query.cancel.check()
        try:
            return cursor.execute(duck_sql)
        except duckdb.Error as exc:
            query.cancel.check()
            raise map_duckdb_error(exc, query.text, query.database) from exc

    # ---- results ---------------------------------------------------------------------------------

    def _fetch(self, cursor: duckdb.DuckDBPyConnection, types: list[Any], query: Query) -> list[tuple[str | None, ...]]:
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
                        f"memory limit of {mib(self._memory_limit)}",
                    )
                rows.append(row)

    # ---- reading tables: external tables from S3, views inlined ----------------------------------

    def _expand(
        self,
        tree: exp.Expression,
        query: Query,
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
        self, table: exp.Table, db: str, name: str, query: Query, cursor: duckdb.DuckDBPyConnection, depth: int
    ) -> exp.Expression | None:
        alias = exp.TableAlias(this=exp.to_identifier(table.alias or table.name))
        if name.endswith("$partitions"):
            base = self.catalog.get(db, name[: -len("$partitions")])
            if base is not None and base.partition_keys:
                return self._temp_view(cursor, partitions_sql(base), alias)
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
        scan = scan_table(entry, self.objects, partitions, lambda sql: column_names(cursor, sql))
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

    def _require_database(self, database: str, text: str) -> None:
        if not self.database_exists(database):
            raise QueryFailure(
                "SCHEMA_NOT_FOUND", f"Schema '{database}' does not exist", position=locate(text, database)
            )

    def _require_table(self, name: str, database: str, text: str) -> TableInfo:
        db, table = split_name(name, database)
        self._require_database(db, text)
        info = self._table_info(db, table)
        if info is None:
            raise QueryFailure(
                "TABLE_NOT_FOUND",
                f"Table '{CATALOG}.{db}.{table}' does not exist",
                position=locate(text, table),
            )
        return info

    def _require_entry(self, name: str, query: Query) -> TableEntry:
        """The catalog entry of an existing table (tables DuckDB has but the catalog lacks are managed)."""
        info = self._require_table(name, query.database, query.text)
        db, table = split_name(name, query.database)
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
        if entry.kind in (EXTERNAL, ICEBERG) and entry.columns:  # declared by CREATE [EXTERNAL] TABLE
            columns, partition_keys = list(entry.columns), list(entry.partition_keys)
            parameters = glue_parameters(entry)
        else:
            with self._cursor() as cursor:
                cursor.execute(f"SELECT * FROM {qualified(database, name)} LIMIT 0")
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


def mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}MiB"


def column_names(cursor: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    cursor.execute(f"SELECT * FROM ({sql}) AS __d LIMIT 0")
    return [str(d[0]) for d in cursor.description or []]


def table_name(table: exp.Table) -> str:
    return ".".join(quote_ident(p) for p in (table.catalog, table.db, table.name) if p)


def partitions_sql(entry: TableEntry) -> str:
    """``"t$partitions"``: one row per registered partition, its key values typed as declared."""
    names = ", ".join(quote_ident(n) for n, _ in entry.partition_keys)
    if not entry.partitions:
        columns = ", ".join(f"CAST(NULL AS {duckdb_type(t)}) AS {quote_ident(n)}" for n, t in entry.partition_keys)
        return f"SELECT {columns} WHERE false"
    rows = [
        "("
        + ", ".join(partition_literal(v, t) for v, (_, t) in zip(p.values, entry.partition_keys, strict=False))
        + ")"
        for p in entry.partitions.values()
    ]
    return f"SELECT * FROM (VALUES {', '.join(rows)}) AS __p({names})"


def utility_answer(column: str, values: list[str]) -> Answer:
    """SHOW-style output: Athena reports UTILITY and writes a header-less ``.txt``."""
    info = ColumnInfo(column, "varchar", 2147483647, 0, case_sensitive=True)
    return Answer([info], [(v,) for v in values])



def write_answer(count: int) -> Answer:
    """INSERT, UPDATE, DELETE, MERGE, CTAS and UNLOAD: a ``rows`` bigint column, the count as UpdateCount,
    no data rows (PyAthena reads the count from ``rowcount``)."""
    return Answer([ColumnInfo("rows", "bigint", 19, 0)], [], count)
