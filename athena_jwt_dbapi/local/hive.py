"""Hive's vocabulary for tables in S3: SerDes, storage formats, delimiters and table DDL text.

Athena describes a table the way the Hive metastore (Glue) does: a SerDe class, input and output
formats, SerDe parameters and TBLPROPERTIES. This module turns ``CREATE EXTERNAL TABLE`` clauses into
that descriptor, decides which reader a descriptor means (text, OpenCSV, JSON, Parquet, ...), and
renders it back as ``GetTableMetadata`` parameters and ``SHOW CREATE TABLE`` text.
See https://docs.aws.amazon.com/athena/latest/ug/supported-serdes.html.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from .catalog import Storage, TableEntry
from .failures import QueryFailure

__all__ = [
    "FORMAT_CSV",
    "FORMAT_JSON",
    "FORMAT_PARQUET",
    "FORMAT_TEXT",
    "TextOptions",
    "data_format",
    "glue_parameters",
    "hive_type_of",
    "show_create_table",
    "storage_for",
    "storage_from_properties",
    "text_options",
]

LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
OPENX_JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
HIVE_JSON_SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
ORC_SERDE = "org.apache.hadoop.hive.ql.io.orc.OrcSerde"
AVRO_SERDE = "org.apache.hadoop.hive.serde2.avro.AvroSerDe"

TEXT_INPUT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

# STORED AS <keyword> -> (input format, output format, the SerDe it implies)
STORED_AS: dict[str, tuple[str, str, str]] = {
    "TEXTFILE": (TEXT_INPUT, TEXT_OUTPUT, LAZY_SIMPLE_SERDE),
    "PARQUET": (
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        PARQUET_SERDE,
    ),
    "ORC": (
        "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
        "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat",
        ORC_SERDE,
    ),
    "AVRO": (
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
        "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat",
        AVRO_SERDE,
    ),
    "JSONFILE": (TEXT_INPUT, TEXT_OUTPUT, HIVE_JSON_SERDE),
    "JSON": (TEXT_INPUT, TEXT_OUTPUT, HIVE_JSON_SERDE),
}

FORMAT_TEXT = "text"  # LazySimpleSerDe: delimited text (CSV, TSV, custom delimiters), no quoting
FORMAT_CSV = "csv"  # OpenCSVSerDe: quoted CSV
FORMAT_JSON = "json"  # one JSON object per line
FORMAT_PARQUET = "parquet"

# ROW FORMAT DELIMITED clause -> LazySimpleSerDe parameter
_DELIMITED_PARAMETERS = {
    "fields": "field.delim",
    "escaped": "escape.delim",
    "collection_items": "collection.delim",
    "map_keys": "mapkey.delim",
    "lines": "line.delim",
    "null": "serialization.null.format",
}
_DELIMITED_CLAUSES = {
    "field.delim": "FIELDS TERMINATED BY",
    "escape.delim": "ESCAPED BY",
    "collection.delim": "COLLECTION ITEMS TERMINATED BY",
    "mapkey.delim": "MAP KEYS TERMINATED BY",
    "line.delim": "LINES TERMINATED BY",
    "serialization.null.format": "NULL DEFINED AS",
}


def _literal(node: exp.Expression | None) -> str:
    if node is None:
        return ""
    if isinstance(node, exp.Literal):
        return str(node.this)
    return node.name if node.name else node.sql()


def storage_for(stored_as: str, location: str | None, serde_parameters: dict[str, str] | None = None) -> Storage:
    """The descriptor of ``STORED AS <stored_as>`` (TEXTFILE, PARQUET, ORC, AVRO, JSON)."""
    input_format, output_format, serde = STORED_AS[stored_as.upper()]
    parameters = dict(serde_parameters or {})
    if serde == LAZY_SIMPLE_SERDE:
        parameters.setdefault("serialization.format", parameters.get("field.delim", "\x01"))
    return Storage(location, serde, input_format, output_format, parameters)


def storage_from_properties(properties: list[exp.Expression], location: str | None) -> Storage:
    """The storage descriptor of a ``CREATE EXTERNAL TABLE``'s ROW FORMAT / STORED AS clauses.

    Without either, Athena's default is TEXTFILE with LazySimpleSerDe and ``\\001`` between fields.
    """
    stored_as = "TEXTFILE"
    input_output: tuple[str, str] | None = None
    serde: str | None = None
    parameters: dict[str, str] = {}
    delimited = False
    for prop in properties:
        if isinstance(prop, exp.FileFormatProperty):
            value = prop.this
            if isinstance(value, exp.InputOutputFormat):
                input_output = (_literal(value.args.get("input_format")), _literal(value.args.get("output_format")))
            else:
                stored_as = _literal(value).upper()
        elif isinstance(prop, exp.RowFormatSerdeProperty):
            serde = _literal(prop.this)
            serde_properties = prop.args.get("serde_properties")
            for item in serde_properties.expressions if serde_properties is not None else []:
                parameters[item.name] = _literal(item.args.get("value"))
        elif isinstance(prop, exp.RowFormatDelimitedProperty):
            delimited = True
            serde = LAZY_SIMPLE_SERDE
            for clause, parameter in _DELIMITED_PARAMETERS.items():
                if prop.args.get(clause) is not None:
                    parameters[parameter] = _literal(prop.args[clause])
    if stored_as not in STORED_AS:
        stored_as = "TEXTFILE"
    storage = storage_for(stored_as, location, parameters)
    if input_output is not None:
        storage.input_format, storage.output_format = input_output
        storage.serde = serde or LAZY_SIMPLE_SERDE
        if storage.serde != LAZY_SIMPLE_SERDE:
            storage.serde_parameters.pop("serialization.format", None)
    elif serde is not None:
        storage.serde = serde
        if serde != LAZY_SIMPLE_SERDE:
            storage.serde_parameters.pop("serialization.format", None)
    if storage.serde == LAZY_SIMPLE_SERDE and "field.delim" in parameters:
        storage.serde_parameters["serialization.format"] = parameters["field.delim"]
    storage.row_format_delimited = delimited
    return storage


def data_format(storage: Storage) -> str:
    """Which reader/writer the descriptor means: one of the ``FORMAT_*`` names, or the SerDe class."""
    serde = storage.serde
    lowered = serde.lower()
    if serde == LAZY_SIMPLE_SERDE or lowered.endswith("lazysimpleserde"):
        if "parquet" in storage.input_format.lower():
            return FORMAT_PARQUET
        return FORMAT_TEXT
    if lowered.endswith("opencsvserde"):
        return FORMAT_CSV
    if "json" in lowered:
        return FORMAT_JSON
    if "parquet" in lowered or "parquet" in storage.input_format.lower():
        return FORMAT_PARQUET
    return serde


@dataclass(frozen=True)
class TextOptions:
    """How a delimited text file (LazySimpleSerDe) or a CSV file (OpenCSVSerDe) is laid out."""

    field: str
    collection: str
    map_key: str
    null: str | None
    quote: str
    escape: str
    skip_header: int



def supported_format(storage: Storage, action: str) -> str:
    """``data_format(storage)`` if the engine can ``action`` ("read" or "write") such files, else Athena's
    NOT_SUPPORTED (ORC, Avro and other SerDes)."""
    fmt = data_format(storage)
    if fmt not in (FORMAT_TEXT, FORMAT_CSV, FORMAT_JSON, FORMAT_PARQUET):
        raise QueryFailure(
            "NOT_SUPPORTED",
            f"The local engine cannot {action} {'tables' if action == 'read' else 'files'} with SerDe "
            f"{storage.serde} (it {action}s delimited text, OpenCSV, JSON and Parquet)",
        )
    return fmt

def text_options(storage: Storage, table_parameters: dict[str, str]) -> TextOptions:
    """Delimiters from the SerDe parameters, with Hive's and OpenCSV's defaults.

    LazySimpleSerDe: fields ``\\001``, collection items ``\\002``, map keys ``\\003``, NULL ``\\N``, no
    quoting. OpenCSVSerDe: separator ``,``, quote ``"``; every value is a string (no NULL).
    See https://docs.aws.amazon.com/athena/latest/ug/lazy-simple-serde.html and csv-serde.html.
    """
    p = storage.serde_parameters
    skip = table_parameters.get("skip.header.line.count", "0")
    skip_header = int(skip) if skip.strip().isdigit() else 0
    if data_format(storage) == FORMAT_CSV:
        return TextOptions(
            field=_decode(p.get("separatorChar", ",")),
            collection="\x02",
            map_key="\x03",
            null=None,
            quote=_decode(p.get("quoteChar", '"')),
            # OpenCSV reads a doubled quote inside quotes as one; a backslash only when escapeChar says so.
            escape=_decode(p["escapeChar"]) if "escapeChar" in p else _decode(p.get("quoteChar", '"')),
            skip_header=skip_header,
        )
    field = p.get("field.delim", p.get("serialization.format", "\x01"))
    if field == "1" and "field.delim" not in p:  # serialization.format=1 is the default, not a comma
        field = "\x01"
    return TextOptions(
        field=_decode(field),
        collection=_decode(p.get("collection.delim", p.get("colelction.delim", "\x02"))),
        map_key=_decode(p.get("mapkey.delim", "\x03")),
        null=p.get("serialization.null.format", "\\N"),
        quote="",
        escape=_decode(p.get("escape.delim", "")),
        skip_header=skip_header,
    )


def _decode(value: str) -> str:
    """Hive delimiter spellings: a character, ``\\t``-style escapes, octal ``\\001``, ``\\u0001``."""
    if len(value) <= 1:
        return value
    octal = re.fullmatch(r"\\([0-7]{1,3})", value)
    if octal:
        return chr(int(octal.group(1), 8))
    unicode = re.fullmatch(r"\\u([0-9a-fA-F]{4})", value)
    if unicode:
        return chr(int(unicode.group(1), 16))
    simple = {"\\t": "\t", "\\n": "\n", "\\\\": "\\"}
    return simple.get(value, value[0])


# --------------------------------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------------------------------


def hive_type_of(kind: exp.Expression) -> str:
    """The Hive type string of a declared column type, spelled as Glue stores it (``decimal(10,2)``)."""
    text = str(kind.sql("hive")).lower()
    return re.sub(r"\s*([,:<>()])\s*", r"\1", text)


# --------------------------------------------------------------------------------------------------
# Rendering: GetTableMetadata parameters and SHOW CREATE TABLE
# --------------------------------------------------------------------------------------------------


def glue_parameters(entry: TableEntry) -> dict[str, str]:
    """``TableMetadata.Parameters`` as Athena returns them for a Glue table (PyAthena reads these keys)."""
    parameters = {"EXTERNAL": "TRUE"}
    storage = entry.storage
    if storage is not None:
        if storage.location:
            parameters["location"] = storage.location
        parameters["inputformat"] = storage.input_format
        parameters["outputformat"] = storage.output_format
        parameters["serde.serialization.lib"] = storage.serde
        for key, value in storage.serde_parameters.items():
            parameters[f"serde.param.{key}"] = value
    if entry.comment:
        parameters["comment"] = entry.comment
    parameters["transient_lastDdlTime"] = str(int(entry.create_time.timestamp()))
    parameters.update(entry.parameters)
    return parameters


def _quote_property(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _show_char(value: str) -> str:
    """A delimiter as Hive prints it: printable as is, control characters in octal (``\\u0001``)."""
    if len(value) == 1 and not value.isprintable():
        return f"\\u{ord(value):04x}"
    return value.replace("\\", "\\\\").replace("'", "\\'")


def show_create_table(entry: TableEntry) -> list[str]:
    """``SHOW CREATE TABLE`` output, one line per row, in Hive's layout as Athena prints it.

    See https://docs.aws.amazon.com/athena/latest/ug/show-create-table.html.
    """
    name = f"`{entry.database}`.`{entry.name}`"
    columns = ", \n".join(f"  `{c}` {t}" for c, t in entry.columns)
    if entry.is_iceberg:
        lines = [f"CREATE TABLE {name} ("]
        lines += columns.split("\n")
        lines[-1] += ")"
        if entry.partition_keys:
            lines.append("PARTITIONED BY (" + ", ".join(f"`{c}`" for c, _ in entry.partition_keys) + ")")
        if entry.storage is not None and entry.storage.location:
            lines += ["LOCATION", f"  '{entry.storage.location}'"]
        properties = {"table_type": "iceberg", **{k: v for k, v in entry.parameters.items() if k != "table_type"}}
        lines += _tblproperties(properties)
        return lines
    lines = [f"CREATE EXTERNAL TABLE {name}("]
    lines += columns.split("\n")
    lines[-1] += ")"
    if entry.comment:
        lines.append(f"COMMENT '{_show_char(entry.comment)}'")
    if entry.partition_keys:
        lines.append("PARTITIONED BY ( ")
        keys = ", \n".join(f"  `{c}` {t}" for c, t in entry.partition_keys)
        parts = keys.split("\n")
        parts[-1] += ")"
        lines += parts
    storage = entry.storage
    if storage is not None:
        serde_parameters = {k: v for k, v in storage.serde_parameters.items() if k != "serialization.format"}
        if storage.row_format_delimited and storage.serde == LAZY_SIMPLE_SERDE:
            lines.append("ROW FORMAT DELIMITED ")
            for key, clause in _DELIMITED_CLAUSES.items():
                if key in storage.serde_parameters:
                    lines.append(f"  {clause} '{_show_char(storage.serde_parameters[key])}' ")
        else:
            lines += ["ROW FORMAT SERDE ", f"  '{storage.serde}' "]
            if serde_parameters:
                lines.append("WITH SERDEPROPERTIES ( ")
                items = ", \n".join(f"  '{k}'='{_show_char(v)}'" for k, v in serde_parameters.items())
                parts = items.split("\n")
                parts[-1] += ") "
                lines += parts
        lines += [
            "STORED AS INPUTFORMAT ",
            f"  '{storage.input_format}' ",
            "OUTPUTFORMAT ",
            f"  '{storage.output_format}'",
        ]
        if storage.location:
            lines += ["LOCATION", f"  '{storage.location}'"]
    lines += _tblproperties(entry.parameters)
    return lines


def _tblproperties(properties: dict[str, str]) -> list[str]:
    if not properties:
        return []
    items = ", \n".join(f"  {_quote_property(k)}={_quote_property(v)}" for k, v in sorted(properties.items()))
    parts = items.split("\n")
    parts[-1] += ")"
    return ["TBLPROPERTIES (", *parts]
