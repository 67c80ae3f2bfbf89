"""The engine's Glue Data Catalog: what Athena knows about each table beyond its rows.

DuckDB holds the rows of the tables that live in the engine (CTAS results, Iceberg tables, loaded
files) and a placeholder for every other table, so that ``information_schema`` and DuckDB's binder know
them all. What Glue would hold — declared Hive types, storage descriptor (LOCATION, SerDe, formats),
TBLPROPERTIES, partitions and their locations, a view's SQL text — lives here, keyed by lower-case
(database, table) as Glue keys it. The catalog is shared by concurrent queries: every read and write
goes through one short-held lock, and readers get copies.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from dataclasses import dataclass, field

from .clock import utc_now

__all__ = ["CATALOG", "Catalog", "Partition", "Storage", "TableEntry"]

CATALOG = "awsdatacatalog"

# What a table is, which decides where its rows come from.
EXTERNAL = "external"  # Hive table over files in S3: rows are read from LOCATION at query time
ICEBERG = "iceberg"  # Iceberg table: rows in the engine, INSERT/UPDATE/DELETE/MERGE allowed
MANAGED = "managed"  # CTAS result or a loaded file: rows in the engine
VIEW = "view"


@dataclass
class Storage:
    """A Hive storage descriptor: where the files are and how they are (de)serialised."""

    location: str | None
    serde: str
    input_format: str
    output_format: str
    serde_parameters: dict[str, str] = field(default_factory=dict)
    row_format_delimited: bool = False


@dataclass
class Partition:
    """One registered partition: its key values (as Hive spells them in paths) and its location."""

    values: tuple[str, ...]
    location: str


@dataclass
class TableEntry:
    """One table or view as Glue describes it."""

    database: str
    name: str
    kind: str
    columns: list[tuple[str, str]] = field(default_factory=list)
    partition_keys: list[tuple[str, str]] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    storage: Storage | None = None
    comment: str | None = None
    view_sql: str | None = None
    create_time: dt.datetime = field(default_factory=utc_now)
    partitions: dict[tuple[str, ...], Partition] = field(default_factory=dict)

    @property
    def is_external(self) -> bool:
        return self.kind == EXTERNAL

    @property
    def is_iceberg(self) -> bool:
        return self.kind == ICEBERG

    @property
    def is_view(self) -> bool:
        return self.kind == VIEW


class Catalog:
    """Thread-safe (database, table) -> :class:`TableEntry`; callers always get copies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[tuple[str, str], TableEntry] = {}

    def get(self, database: str, name: str) -> TableEntry | None:
        with self._lock:
            entry = self._tables.get((database.lower(), name.lower()))
            return copy.deepcopy(entry) if entry is not None else None

    def put(self, entry: TableEntry) -> None:
        with self._lock:
            self._tables[(entry.database.lower(), entry.name.lower())] = copy.deepcopy(entry)

    def put_if_absent(self, entry: TableEntry) -> TableEntry:
        """Store ``entry`` unless the table is already known; return what the catalog now holds."""
        with self._lock:
            key = (entry.database.lower(), entry.name.lower())
            current = self._tables.setdefault(key, copy.deepcopy(entry))
            return copy.deepcopy(current)

    def drop(self, database: str, name: str) -> None:
        with self._lock:
            self._tables.pop((database.lower(), name.lower()), None)

    def drop_database(self, database: str) -> None:
        with self._lock:
            for key in [k for k in self._tables if k[0] == database.lower()]:
                del self._tables[key]

    def add_partitions(self, database: str, name: str, partitions: list[Partition], *, replace: bool) -> int:
        """Register partitions; existing ones are kept unless ``replace``. Returns how many were new."""
        with self._lock:
            entry = self._tables.get((database.lower(), name.lower()))
            if entry is None:
                return 0
            added = 0
            for partition in partitions:
                if partition.values not in entry.partitions:
                    added += 1
                elif not replace:
                    continue
                entry.partitions[partition.values] = copy.deepcopy(partition)
            return added

    def drop_partitions(self, database: str, name: str, values: list[tuple[str, ...]]) -> None:
        with self._lock:
            entry = self._tables.get((database.lower(), name.lower()))
            if entry is not None:
                for key in values:
                    entry.partitions.pop(key, None)
