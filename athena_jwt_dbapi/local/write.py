"""Writing query output as files in S3, as Athena's INSERT INTO (Hive tables) and UNLOAD do.

Rows are first materialised in a temporary table of the query's own DuckDB connection, then written
per partition with DuckDB's ``COPY ... TO`` into the local S3 (see :mod:`.objects`), in the table's
format: delimited text as LazySimpleSerDe reads it (``\\N`` for NULL, Hive's nested separators), quoted
CSV for OpenCSVSerDe, JSON lines, or Parquet. Partition directories are named ``key=value`` with Hive's
escaping. See https://docs.aws.amazon.com/athena/latest/ug/insert-into.html and unload.html.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlglot import exp

from .catalog import Storage
from .failures import QueryFailure
from .hive import FORMAT_CSV, FORMAT_JSON, FORMAT_PARQUET, TextOptions, supported_format, text_options
from .objects import ObjectStore, S3File
from .quiet import quiet_sqlglot
from .scan import HIVE_DEFAULT_PARTITION, require_bucket, sql_string

__all__ = ["Written", "partition_path", "write_rows"]

_COMPRESSIONS = {"GZIP": "gzip", "SNAPPY": "snappy", "ZSTD": "zstd", "NONE": None, "UNCOMPRESSED": None}
_EXTENSIONS = {"gzip": ".gz", "zstd": ".zst"}


@dataclass(frozen=True)
class Written:
    """What a write produced: the row count, the files, and each partition's key values and location."""

    rows: int
    files: tuple[S3File, ...]
    partitions: tuple[tuple[tuple[str, ...], str], ...]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def partition_path(names: Sequence[str], values: Sequence[str]) -> str:
    """``k1=v1/k2=v2`` with Hive's escaping of path-unsafe characters in values."""
    return "/".join(f"{n}={quote(v, safe=' ')}" for n, v in zip(names, values, strict=True))


def write_rows(
    cursor: Any,
    store: ObjectStore,
    source: str,
    columns: Sequence[tuple[str, str]],
    partition_keys: Sequence[str],
    storage: Storage,
    table_parameters: dict[str, str],
    *,
    location: str,
    locations: dict[tuple[str, ...], str] | None = None,
    compression: str | None = None,
    file_prefix: str = "",
) -> Written:
    """Run ``source`` (DuckDB SQL whose columns are ``columns`` then the partition keys) and write its rows.

    ``locations`` maps existing partitions to their registered locations; others go to
    ``location/key=value/``.
    """
    fmt = supported_format(storage, "write")
    codec = _codec(fmt, compression, table_parameters)
    require_bucket(store, location)
    temp = f"__write_{uuid.uuid4().hex}"
    cursor.execute(f"CREATE TEMP TABLE {temp} AS {source}")
    try:
        count_row = cursor.execute(f"SELECT count(*) FROM {temp}").fetchone()
        count = int(count_row[0]) if count_row else 0
        names = [name for name, _ in columns]
        all_names = [*names, *partition_keys]
        cursor.execute(f"SELECT * FROM {temp} LIMIT 0")
        given = [d[0] for d in cursor.description]
        if len(given) != len(all_names):
            raise QueryFailure(
                "TYPE_MISMATCH",
                f"Insert query has {len(given)} columns, target table has {len(all_names)}",
                position=(1, 1),
            )
        groups: list[tuple[tuple[str, ...], str]] = [((), "true")]
        if partition_keys:
            keys = ", ".join(f"CAST({_ident(g)} AS VARCHAR)" for g in given[len(names) :])
            distinct = cursor.execute(f"SELECT DISTINCT {keys} FROM {temp}").fetchall()
            groups = []
            for row in distinct:
                # Hive names a NULL or empty partition value __HIVE_DEFAULT_PARTITION__.
                values = tuple(HIVE_DEFAULT_PARTITION if v is None or str(v) == "" else str(v) for v in row)
                condition = " AND ".join(
                    f"{_ident(g)} IS NULL" if v is None else f"CAST({_ident(g)} AS VARCHAR) = {sql_string(str(v))}"
                    for g, v in zip(given[len(names) :], row, strict=True)
                )
                groups.append((values, condition))
        files: list[S3File] = []
        partitions: list[tuple[tuple[str, ...], str]] = []
        options = text_options(storage, {})
        for values, condition in groups:
            if partition_keys:
                target = (locations or {}).get(values) or (
                    location.rstrip("/") + "/" + partition_path(partition_keys, values) + "/"
                )
                partitions.append((values, target))
            else:
                target = location
            projection = ", ".join(
                f"{_to_file(_ident(g), hive, fmt, options)} AS {_ident(name)}"
                for g, (name, hive) in zip(given, columns, strict=False)
            )
            name = f"{file_prefix}{uuid.uuid4()}{_EXTENSIONS.get(codec or '', '') if fmt != FORMAT_PARQUET else ''}"
            url = target.rstrip("/") + "/" + name
            if count == 0:
                continue
            copy = f"COPY (SELECT {projection} FROM {temp} WHERE {condition}) TO {sql_string(store.duck_path(url))} "
            cursor.execute(copy + _copy_options(fmt, options, codec))
            files.append(S3File(url, store.size(url)))
        return Written(count, tuple(files), tuple(partitions))
    finally:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")


def _codec(fmt: str, requested: str | None, parameters: dict[str, str]) -> str | None:
    """The compression Athena would use: asked for, else the table's, else GZIP (its default)."""
    name = requested or parameters.get("write.compression") or parameters.get("write_compression")
    if fmt == FORMAT_PARQUET:
        name = name or parameters.get("parquet.compression") or parameters.get("parquet.compress")
    name = (name or "GZIP").upper()
    if name not in _COMPRESSIONS:
        raise QueryFailure("NOT_SUPPORTED", f"Unsupported compression: {name}", position=(1, 1))
    codec = _COMPRESSIONS[name]
    if codec == "snappy" and fmt != FORMAT_PARQUET:
        raise QueryFailure("NOT_SUPPORTED", "The local engine writes SNAPPY only to Parquet files", position=(1, 1))
    return codec


def _copy_options(fmt: str, options: TextOptions, codec: str | None) -> str:
    if fmt == FORMAT_PARQUET:
        return f"(FORMAT parquet, COMPRESSION {sql_string(codec or 'uncompressed')})"
    compression = f", COMPRESSION {sql_string(codec)}" if codec else ""
    if fmt == FORMAT_JSON:
        return f"(FORMAT json{compression})"
    if fmt == FORMAT_CSV:
        quote_char = sql_string(options.quote or '"')
        return (
            f"(FORMAT csv, DELIMITER {sql_string(options.field)}, QUOTE {quote_char}, ESCAPE {quote_char}, "
            f"HEADER false, FORCE_QUOTE *{compression})"
        )
    return (
        f"(FORMAT csv, DELIMITER {sql_string(options.field)}, QUOTE '', ESCAPE '', HEADER false, "
        f"NULLSTR {sql_string(options.null or '')}{compression})"
    )


def _to_file(value: str, hive: str, fmt: str, options: TextOptions) -> str:
    """A column as the file format stores it: Parquet/JSON typed, text in Hive's text forms."""
    with quiet_sqlglot():
        t = exp.DataType.build(hive, dialect="hive")
        duck = t.sql("duckdb")
    if fmt in (FORMAT_PARQUET, FORMAT_JSON):
        return f"CAST({value} AS {duck})"
    return _text(value, t, options, 0)


def _text(value: str, t: exp.DataType, options: TextOptions, depth: int) -> str:
    """Hive's text form: booleans ``true``/``false``, binary base64, collections joined by separators."""
    var = f"__y{depth}"
    if t.this == exp.DataType.Type.ARRAY:
        delimiter = sql_string(options.collection if depth == 0 else chr(4 + depth))
        inner = _text(var, t.expressions[0], options, depth + 1)
        return f"array_to_string(list_transform({value}, lambda {var}: coalesce({inner}, '\\N')), {delimiter})"
    if t.this == exp.DataType.Type.MAP:
        items = sql_string(options.collection if depth == 0 else chr(4 + depth))
        keys = sql_string(options.map_key if depth == 0 else chr(5 + depth))
        key = _text(f"{var}.key", t.expressions[0], options, depth + 1)
        item = _text(f"{var}.value", t.expressions[1], options, depth + 1)
        return (
            f"array_to_string(list_transform(map_entries({value}), lambda {var}: {key} || {keys} || {item}), {items})"
        )
    if t.this == exp.DataType.Type.STRUCT:
        delimiter = sql_string(options.collection if depth == 0 else chr(4 + depth))
        parts = [
            f"coalesce({_text(f'struct_extract({value}, {sql_string(f.name)})', f.args['kind'], options, depth + 1)},"
            " '\\N')"
            for f in t.expressions
            if isinstance(f, exp.ColumnDef)
        ]
        return f"(CASE WHEN {value} IS NULL THEN NULL ELSE concat_ws({delimiter}, {', '.join(parts)}) END)"
    if t.this in (exp.DataType.Type.BINARY, exp.DataType.Type.VARBINARY):
        return f"to_base64(CAST({value} AS BLOB))"
    with quiet_sqlglot():
        duck = t.sql("duckdb")
    return f"CAST(CAST({value} AS {duck}) AS VARCHAR)"
