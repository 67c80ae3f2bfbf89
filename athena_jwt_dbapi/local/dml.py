"""Statements that write: INSERT INTO, UPDATE/DELETE/MERGE (Iceberg tables only) and UNLOAD.

INSERT INTO a Hive external table and UNLOAD write files to S3 (:mod:`.write`), as Athena does; an
Iceberg or CTAS table keeps its rows in the engine. Every one of them answers with Athena's write
result: a ``rows`` bigint column and the count as UpdateCount.
"""

from __future__ import annotations

import re

import duckdb
from sqlglot import exp

from .catalog import CATALOG, Partition, TableEntry
from .core import EngineCore, Query, quote_ident, table_name, write_answer
from .ddl import plain_properties
from .failures import QueryFailure, locate, map_duckdb_error
from .hive import storage_for
from .rendering import Answer, hive_type
from .scan import require_bucket
from .statement_text import closing_paren
from .translate import duckdb_type, parse_trino, translate
from .write import write_rows

__all__ = ["WriteStatements"]


class WriteStatements(EngineCore):
    """INSERT, UPDATE, DELETE, MERGE and UNLOAD."""

    def _unload(self, query: Query) -> Answer | None:
        """``UNLOAD (SELECT ...) TO 's3://...' WITH (format = ..., compression = ..., partitioned_by = ...)``.

        See https://docs.aws.amazon.com/athena/latest/ug/unload.html: the destination must be empty;
        PARQUET, JSON and TEXTFILE are written (ORC and AVRO are refused by the local engine).
        """
        if not re.match(r"(?is)UNLOAD\s*\(", query.text):
            return None
        open_at = query.text.index("(")
        close_at = closing_paren(query.text, open_at)
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
            require_bucket(self.objects, destination)
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
        return write_answer(written.rows)

    def _insert(self, tree: exp.Insert, query: Query) -> Answer:
        target = tree.this
        given: list[str] | None = None
        if isinstance(target, exp.Schema):
            given = [c.name.lower() for c in target.expressions]
            target = target.this
        if not isinstance(target, exp.Table):
            raise QueryFailure("NOT_SUPPORTED", "INSERT target must be a table", position=(1, 1))
        entry = self._require_entry(table_name(target), query)
        if entry.is_view:
            raise QueryFailure("NOT_SUPPORTED", f"Inserting into views is not supported: {entry.name}", position=(1, 1))
        with self._session(query) as cursor:
            if not entry.is_external:
                statement = self._expand(tree, query, cursor, skip=target)
                rows = self._run(cursor, translate(statement), query).fetchall()
                return write_answer(int(rows[0][0]) if rows else 0)
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
        return write_answer(written.rows)

    def _insert_projection(
        self, cursor: duckdb.DuckDBPyConnection, source: str, entry: TableEntry, given: list[str] | None, query: Query
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
            projection.append(f"CAST({value} AS {duckdb_type(hive)}) AS {quote_ident(name)}")
        return f"SELECT {', '.join(projection)} FROM ({source}) AS __s({aliases})"

    def _modify(self, tree: exp.Expression, query: Query) -> Answer:
        """UPDATE, DELETE and MERGE: Iceberg tables only, as in Athena."""
        kind = {exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE"}[type(tree)]
        target = tree.this
        if not isinstance(target, exp.Table):
            raise QueryFailure("NOT_SUPPORTED", f"{kind} target must be a table", position=(1, 1))
        entry = self._require_entry(table_name(target), query)
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
        return write_answer(int(rows[0][0]) if rows and rows[0] and rows[0][0] is not None else 0)


def _with_options(text: str) -> dict[str, str]:
    """UNLOAD's ``WITH (key = 'value', partitioned_by = ARRAY['a', 'b'])`` as lower-case keys -> text."""
    options: dict[str, str] = {}
    if not text.strip():
        return options
    tree = parse_trino(f"CREATE TABLE __unload WITH ({text}) AS SELECT 1")
    properties = tree.args["properties"].expressions if tree.args.get("properties") is not None else []
    for key, value in plain_properties(list(properties)).items():
        options[key.lower()] = value
    for prop in properties:
        if isinstance(prop, exp.FileFormatProperty):
            options["format"] = prop.this.name
    return options
