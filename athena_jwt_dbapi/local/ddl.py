"""DDL as Athena runs it: databases, Hive external tables and their partitions, Iceberg tables, views.

``CREATE EXTERNAL TABLE`` records the table in the catalog (columns, SerDe, LOCATION) and its rows are
read from S3 at query time; ``CREATE TABLE`` without ``EXTERNAL`` is refused unless the table is
Iceberg; CTAS keeps its rows in the engine. Partitions are registered with ``ALTER TABLE ADD
PARTITION`` or ``MSCK REPAIR TABLE``, as Athena needs them to be.
"""

from __future__ import annotations

import re

from sqlglot import exp

from .catalog import CATALOG, EXTERNAL, ICEBERG, MANAGED, VIEW, Partition, Storage, TableEntry
from .clock import utc_now
from .core import (
    IDENT,
    NAME,
    EngineCore,
    Query,
    qualified,
    quote_ident,
    unquote,
    write_answer,
)
from .failures import QueryFailure, locate
from .hive import PARQUET_SERDE, STORED_AS, hive_type_of, storage_from_properties
from .rendering import Answer, ColumnInfo
from .translate import duckdb_type, translate
from .write import partition_path

__all__ = ["DdlStatements", "plain_properties"]


class DdlStatements(EngineCore):
    """CREATE/DROP DATABASE, CREATE [EXTERNAL] TABLE, CTAS, CREATE VIEW, DROP, partitions, MSCK."""

    def _create_database(self, query: Query) -> Answer | None:
        m = re.match(rf"(?is)CREATE\s+(?:DATABASE|SCHEMA)\s+(IF\s+NOT\s+EXISTS\s+)?{NAME}", query.text)
        if not m:
            return None
        db = unquote(re.findall(IDENT, m.group(2))[-1])
        with self._ddl_lock:
            if self.database_exists(db):
                if m.group(1):
                    return Answer()
                raise QueryFailure("ALREADY_EXISTS", f"Database {db} already exists", position=(1, 1))
            with self._session(query) as cursor:
                self._run(cursor, f"CREATE SCHEMA {CATALOG}.{quote_ident(db)}", query)
        return Answer()

    def _drop_database(self, query: Query) -> Answer | None:
        m = re.fullmatch(
            rf"(?is)DROP\s+(?:DATABASE|SCHEMA)\s+(IF\s+EXISTS\s+)?{NAME}(\s+CASCADE|\s+RESTRICT)?", query.text
        )
        if not m:
            return None
        db = unquote(re.findall(IDENT, m.group(2))[-1])
        with self._ddl_lock:
            if not self.database_exists(db):
                if m.group(1):
                    return Answer()
                raise QueryFailure("SCHEMA_NOT_FOUND", f"Schema '{db}' does not exist", position=locate(query.text, db))
            cascade = " CASCADE" if (m.group(3) or "").strip().upper() == "CASCADE" else ""
            with self._cursor() as cursor:
                self._run(cursor, f"DROP SCHEMA {CATALOG}.{quote_ident(db)}{cascade}", query)
            self.catalog.drop_database(db)
        return Answer()

    # ---- partitions --------------------------------------------------------------------------------

    def _alter_partitions(self, query: Query) -> Answer | None:
        """``ALTER TABLE t ADD [IF NOT EXISTS] PARTITION (k='v') [LOCATION '...'] ...`` and ``DROP PARTITION``.

        See https://docs.aws.amazon.com/athena/latest/ug/alter-table-add-partition.html.
        """
        m = re.fullmatch(
            rf"(?is)ALTER\s+TABLE\s+{NAME}\s+(ADD|DROP)\s+(IF\s+(?:NOT\s+)?EXISTS\s+)?(PARTITION\b.*)", query.text
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
                return Answer()
            missing = [values for values, _ in specs if values not in existing]
            if missing and not m.group(3):
                raise QueryFailure("HIVE_METASTORE_ERROR", f"Partition not found: {partition_path(names, missing[0])}")
            self.catalog.drop_partitions(entry.database, entry.name, [values for values, _ in specs])
        return Answer()

    def _msck_repair(self, query: Query) -> Answer | None:
        """``MSCK REPAIR TABLE t``: register the ``key=value/`` folders under LOCATION as partitions.

        See https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html.
        """
        m = re.fullmatch(rf"(?is)MSCK\s+REPAIR\s+TABLE\s+{NAME}", query.text)
        if not m:
            return None
        entry = self._require_entry(m.group(1), query)
        if not entry.is_external or entry.storage is None or not entry.storage.location:
            raise QueryFailure("NOT_SUPPORTED", f"MSCK REPAIR TABLE needs a partitioned external table: {entry.name}")
        location = entry.storage.location.rstrip("/") + "/"
        names = [n.lower() for n, _ in entry.partition_keys]
        found: dict[tuple[str, ...], str] = {}
        for file in self.objects.list_files(location) if names else []:
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
        column = ColumnInfo("result", "varchar", 2147483647, 0, case_sensitive=True)
        return Answer([column], [(line,) for line in lines])

    # ---- tables and views ----------------------------------------------------------------------------

    def _create(self, tree: exp.Create, query: Query) -> Answer:
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
        parameters = plain_properties(properties)
        external = any(isinstance(p, exp.ExternalProperty) for p in properties)
        iceberg = parameters.get("table_type", "").upper() == "ICEBERG"
        with self._ddl_lock:
            exists = self._table_info(db, name) is not None
            if tree.expression is not None:
                return self._ctas(tree, query, db, name, properties, parameters, exists)
            if exists:
                if tree.args.get("exists"):
                    return Answer()
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
            location = entry.storage.location if entry.storage is not None else None
            if location is not None and not re.match(r"(?i)s3a?://[^/]+", location):
                raise QueryFailure(
                    "INVALID_TABLE_PROPERTY",
                    f"LOCATION must be an Amazon S3 location (s3://bucket/prefix/), got '{location}'",
                    position=locate(query.text, "LOCATION"),
                )
            columns = ", ".join(
                f"{quote_ident(c)} {duckdb_type(t)}" for c, t in [*entry.columns, *entry.partition_keys]
            )
            with self._session(query) as cursor:
                self._run(cursor, f"CREATE TABLE {qualified(db, name)} ({columns})", query)
            self.catalog.put(entry)
        return Answer()

    def _ctas(
        self,
        tree: exp.Create,
        query: Query,
        db: str,
        name: str,
        properties: list[exp.Expression],
        parameters: dict[str, str],
        exists: bool,
    ) -> Answer:
        """CREATE TABLE AS: Athena answers with a ``rows`` bigint column and the count as UpdateCount."""
        if exists:
            if tree.args.get("exists"):
                return write_answer(0)
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
        return write_answer(count)

    def _create_view(self, tree: exp.Create, table: exp.Table, db: str, name: str, query: Query) -> Answer:
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
        return Answer()

    def _drop(self, tree: exp.Drop, query: Query) -> Answer:
        kind = (tree.args.get("kind") or "").upper()
        tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
        table = tables[0] if len(tables) == 1 else None
        if kind not in ("TABLE", "VIEW") or not isinstance(table, exp.Table):
            raise QueryFailure("NOT_SUPPORTED", f"DROP {kind} is not supported", position=(1, 1))
        db, name = (table.db or query.database).lower(), table.name.lower()
        with self._ddl_lock:
            if self._table_info(db, name) is None:
                if tree.args.get("exists"):
                    return Answer()
                raise QueryFailure(
                    "TABLE_NOT_FOUND",
                    f"Table '{CATALOG}.{db}.{name}' does not exist",
                    position=locate(query.text, name),
                )
            actual = self._relation_kind(db, name)
            with self._session(query) as cursor:
                self._run(cursor, f"DROP {actual} {qualified(db, name)}", query)
            self.catalog.drop(db, name)  # an external table's files stay in S3, as in Athena
        return Answer()


def plain_properties(properties: list[exp.Expression]) -> dict[str, str]:
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
    return TableEntry(db, name, EXTERNAL, columns, partition_keys, parameters, storage, comment, create_time=utc_now())


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
