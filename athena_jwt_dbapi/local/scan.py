"""Reading an external table as Athena does: its files in S3, through the table's SerDe, at query time.

A Hive table is schema-on-read: the catalog declares columns and types, and every query reads whatever
files are under the table's LOCATION (or its registered partitions' locations) right now. This module
builds the DuckDB query that does that for one table: it lists the files, reads them with the reader
the SerDe means (delimited text, OpenCSV, JSON lines, Parquet), converts each field to its declared type
the way the SerDe would (a malformed number in a text file is NULL, not an error), and adds the
partition columns' values from the catalog. It also decides which partitions a query needs
(:func:`prune`), so a filter on partition columns reads only their files, as Athena's pruning does.
See https://docs.aws.amazon.com/athena/latest/ug/partitions.html.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlglot import exp

from .catalog import Partition, TableEntry
from .failures import QueryFailure
from .hive import FORMAT_CSV, FORMAT_JSON, FORMAT_PARQUET, TextOptions, supported_format, text_options
from .objects import ObjectStore, S3File
from .quiet import quiet_sqlglot
from .translate import duckdb_type

__all__ = [
    "HIVE_DEFAULT_PARTITION",
    "Scan",
    "partition_literal",
    "prune",
    "require_bucket",
    "scan_table",
    "sql_string",
]

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"

Describe = Callable[[str], list[str]]


@dataclass(frozen=True)
class Scan:
    """A DuckDB SELECT yielding the table's rows (data columns, then partition keys) and what it reads."""

    sql: str
    files: tuple[S3File, ...]

    @property
    def scanned_bytes(self) -> int:
        return sum(f.size for f in self.files)


def sql_string(value: str) -> str:
    """A DuckDB string literal (single quotes doubled; any other character verbatim)."""
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _type(hive: str) -> exp.DataType:
    with quiet_sqlglot():
        return exp.DataType.build(hive, dialect="hive")


def partition_literal(value: str, hive: str) -> str:
    """A partition value (as Hive keeps it: text) cast to the key's declared type."""
    if value == HIVE_DEFAULT_PARTITION:
        return f"CAST(NULL AS {duckdb_type(hive)})"
    return f"TRY_CAST({sql_string(value)} AS {duckdb_type(hive)})"


def scan_table(
    entry: TableEntry,
    store: ObjectStore,
    partitions: Sequence[Partition] | None,
    describe: Describe,
) -> Scan:
    """The query reading ``entry``'s files: the whole LOCATION, or only the given partitions."""
    storage = entry.storage
    if storage is None or not storage.location:
        raise QueryFailure("HIVE_METASTORE_ERROR", f"Table '{entry.database}.{entry.name}' has no location")
    fmt = supported_format(storage, "read")
    groups: list[tuple[list[S3File], list[str]]] = []
    if entry.partition_keys:
        for partition in partitions if partitions is not None else list(entry.partitions.values()):
            constants = [
                partition_literal(value, hive)
                for value, (_, hive) in zip(partition.values, entry.partition_keys, strict=True)
            ]
            groups.append((_list(store, partition.location), constants))
    else:
        groups.append((_list(store, storage.location), []))
    selects = []
    files: list[S3File] = []
    for group_files, constants in groups:
        if not group_files:
            continue
        files.extend(group_files)
        paths = [store.duck_path(f.url) for f in group_files]
        selects.append(_select(entry, fmt, paths, constants, describe))
    if not selects:
        names = [*entry.columns, *entry.partition_keys]
        columns = ", ".join(f"CAST(NULL AS {duckdb_type(t)}) AS {_ident(c)}" for c, t in names)
        return Scan(f"SELECT {columns} WHERE false", ())
    return Scan("\nUNION ALL\n".join(selects), tuple(files))


def _list(store: ObjectStore, location: str) -> list[S3File]:
    try:
        require_bucket(store, location)
        return store.list_files(location)
    except QueryFailure:
        raise
    except ValueError as exc:
        raise QueryFailure("HIVE_INVALID_METADATA", f"Invalid location: {location}") from exc
    except Exception as exc:
        raise QueryFailure("HIVE_FILESYSTEM_ERROR", f"Failed to list directory: {location}: {exc}") from exc


def require_bucket(store: ObjectStore, location: str) -> None:
    """A table or UNLOAD destination in a bucket that does not exist fails, as S3 answers NoSuchBucket."""
    if not store.bucket_exists(location):
        bucket = location.removeprefix("s3://").split("/", 1)[0]
        raise QueryFailure(
            "HIVE_FILESYSTEM_ERROR",
            f"The specified bucket does not exist (Service: Amazon S3; Status Code: 404; Error Code: NoSuchBucket): "
            f"{bucket}",
        )


def _select(entry: TableEntry, fmt: str, paths: list[str], constants: list[str], describe: Describe) -> str:
    file_list = "[" + ", ".join(sql_string(p) for p in paths) + "]"
    partition_columns = [
        f"{value} AS {_ident(name)}" for value, (name, _) in zip(constants, entry.partition_keys, strict=False)
    ]
    if fmt == FORMAT_PARQUET:
        reader = f"read_parquet({file_list}, union_by_name = true, hive_partitioning = false)"
        present = {name.lower(): name for name in describe(f"SELECT * FROM {reader}")}
        columns = [
            f"CAST({_ident(present[name.lower()])} AS {duckdb_type(hive)}) AS {_ident(name)}"
            if name.lower() in present
            else f"CAST(NULL AS {duckdb_type(hive)}) AS {_ident(name)}"
            for name, hive in entry.columns
        ]
    elif fmt == FORMAT_JSON:
        ignore = entry.storage is not None and (
            entry.storage.serde_parameters.get("ignore.malformed.json", "false").lower() == "true"
        )
        reader = f"read_ndjson_objects({file_list}, ignore_errors = {'true' if ignore else 'false'})"
        columns = [f"{_from_json(name, hive)} AS {_ident(name)}" for name, hive in entry.columns]
        return (
            f"SELECT {', '.join([*columns, *partition_columns]) or 'NULL'} FROM {reader} AS __j "
            "WHERE __j.json IS NOT NULL"
        )
    else:
        assert entry.storage is not None
        options = text_options(entry.storage, entry.parameters)
        count = max(len(entry.columns), 1)
        spec = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(count)) + "}"
        settings = [
            f"delim = {sql_string(options.field)}",
            f"quote = {sql_string(options.quote)}",
            f"escape = {sql_string(options.escape)}",
            "header = false",
            "auto_detect = false",
            f"columns = {spec}",
            "null_padding = true",
            "strict_mode = false",
            "hive_partitioning = false",
            f"skip = {options.skip_header}",
        ]
        if fmt == FORMAT_CSV:
            settings.append("force_not_null = [" + ", ".join(f"'c{i}'" for i in range(count)) + "]")
        else:
            settings.append(f"nullstr = {sql_string(options.null or chr(0))}")
        reader = f"read_csv({file_list}, {', '.join(settings)})"
        convert = _from_csv if fmt == FORMAT_CSV else _from_text
        columns = [
            f"{convert(_ident(f'c{i}'), hive, options, 0)} AS {_ident(name)}"
            for i, (name, hive) in enumerate(entry.columns)
        ]
    return f"SELECT {', '.join([*columns, *partition_columns]) or 'NULL'} FROM {reader}"


# --------------------------------------------------------------------------------------------------
# Field conversion, per SerDe
# --------------------------------------------------------------------------------------------------

_STRINGS = {exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.NCHAR}


def _is_string(t: exp.DataType) -> bool:
    return t.this in _STRINGS


def _type_sql(t: exp.DataType) -> str:
    with quiet_sqlglot():
        return str(t.sql("duckdb"))


def _text_delimiter(options: TextOptions, depth: int, *, map_key: bool = False) -> str:
    """Hive's nested separators: items ``\\002``, map keys ``\\003``, then ``\\004`` and onwards."""
    if depth == 0:
        return options.map_key if map_key else options.collection
    return chr(3 + depth + (1 if map_key else 0))


def _from_text(value: str, hive: str | exp.DataType, options: TextOptions, depth: int) -> str:
    """LazySimpleSerDe: a field's text to its declared type; what does not parse is NULL."""
    t = hive if isinstance(hive, exp.DataType) else _type(hive)
    if _is_string(t):
        return value
    if t.this == exp.DataType.Type.BOOLEAN:
        return f"(CASE lower({value}) WHEN 'true' THEN true WHEN 'false' THEN false END)"
    if t.this in (exp.DataType.Type.BINARY, exp.DataType.Type.VARBINARY):
        return f"TRY(from_base64({value}))"
    var = f"__x{depth}"
    if t.this == exp.DataType.Type.ARRAY:
        inner = _from_text(var, t.expressions[0], options, depth + 1)
        delimiter = sql_string(_text_delimiter(options, depth))
        return f"list_transform(string_split({value}, {delimiter}), lambda {var}: {inner})"
    if t.this == exp.DataType.Type.MAP:
        key = _from_text(
            f"split_part({var}, {sql_string(_text_delimiter(options, depth, map_key=True))}, 1)",
            t.expressions[0],
            options,
            depth + 1,
        )
        item = _from_text(
            f"split_part({var}, {sql_string(_text_delimiter(options, depth, map_key=True))}, 2)",
            t.expressions[1],
            options,
            depth + 1,
        )
        delimiter = sql_string(_text_delimiter(options, depth))
        return (
            f"map_from_entries(list_transform(string_split({value}, {delimiter}), "
            f"lambda {var}: struct_pack(k := {key}, v := {item})))"
        )
    if t.this == exp.DataType.Type.STRUCT:
        delimiter = sql_string(_text_delimiter(options, depth))
        fields = []
        for i, field in enumerate(t.expressions):
            name = field.name
            kind = field.args.get("kind") if isinstance(field, exp.ColumnDef) else field
            if not isinstance(kind, exp.DataType):
                kind = exp.DataType.build("string")
            part = f"list_extract(string_split({value}, {delimiter}), {i + 1})"
            fields.append(f"{_ident(name)} := {_from_text(part, kind, options, depth + 1)}")
        return f"(CASE WHEN {value} IS NULL THEN NULL ELSE struct_pack({', '.join(fields)}) END)"
    return f"TRY_CAST({value} AS {_type_sql(t)})"


def _from_csv(value: str, hive: str | exp.DataType, options: TextOptions, depth: int) -> str:
    """OpenCSVSerDe: every field is text; dates may be days and timestamps milliseconds since the epoch."""
    t = hive if isinstance(hive, exp.DataType) else _type(hive)
    if _is_string(t):
        return value
    if t.this == exp.DataType.Type.DATE:
        return (
            f"(CASE WHEN regexp_full_match({value}, '-?[0-9]+') THEN DATE '1970-01-01' + TRY_CAST({value} AS INTEGER)"
            f" ELSE TRY_CAST({value} AS DATE) END)"
        )
    if t.this == exp.DataType.Type.TIMESTAMP:
        return (
            f"(CASE WHEN regexp_full_match({value}, '-?[0-9]+') THEN make_timestamp(TRY_CAST({value} AS BIGINT) * 1000)"
            f" ELSE TRY_CAST({value} AS TIMESTAMP) END)"
        )
    return _from_text(value, t, options, depth)


def _from_json(name: str, hive: str) -> str:
    """Hive's JSON SerDes: keys match column names case-insensitively; a value of the wrong type is NULL."""
    t = _type(hive)
    key = sql_string(name.lower())
    path = (
        f"coalesce('$.\"' || replace(list_filter(json_keys(__j.json), lambda __k: lower(__k) = {key})[1], '\"', '\\\"')"
        f" || '\"', '$.\"{name}\"')"
    )
    if _is_string(t):
        return f"json_extract_string(__j.json, {path})"
    if t.this in (exp.DataType.Type.ARRAY, exp.DataType.Type.MAP, exp.DataType.Type.STRUCT):
        return f"TRY_CAST(json_extract(__j.json, {path}) AS {_type_sql(t)})"
    return f"TRY_CAST(json_extract_string(__j.json, {path}) AS {_type_sql(t)})"


# --------------------------------------------------------------------------------------------------
# Partition pruning
# --------------------------------------------------------------------------------------------------


def prune(
    entry: TableEntry,
    partitions: Sequence[Partition],
    predicates: Sequence[str],
    evaluate: Callable[[str], list[int]],
) -> list[Partition]:
    """The partitions whose key values satisfy every predicate (DuckDB SQL over the key columns).

    ``evaluate`` runs a query returning the indexes of the partitions that pass; if a predicate cannot
    be evaluated on the keys alone, every partition is kept (the query's own WHERE still filters rows).
    """
    if not predicates or not partitions:
        return list(partitions)
    names = [name for name, _ in entry.partition_keys]
    rows = []
    for i, partition in enumerate(partitions):
        values = [
            partition_literal(v, hive) for v, (_, hive) in zip(partition.values, entry.partition_keys, strict=False)
        ]
        rows.append("(" + ", ".join([str(i), *values]) + ")")
    columns = ", ".join(["__i", *(_ident(n) for n in names)])
    sql = (
        f"SELECT __i FROM (VALUES {', '.join(rows)}) AS __p({columns}) "
        f"WHERE {' AND '.join(f'({p})' for p in predicates)}"
    )
    try:
        keep = set(evaluate(sql))
    except Exception:
        return list(partitions)
    return [p for i, p in enumerate(partitions) if i in keep]
