"""Athena's result CSV as batches of columns of text (``None`` for NULL), with the fastest available parser.

Athena writes a header line, then every value double-quoted with ``"`` doubled, and NULL as an empty
*unquoted* field (``""`` is the empty string). The text of each value is exactly what GetQueryResults
returns as ``VarCharValue``, so the cursor's converter gives the same Python values either way. Parsers,
fastest first (see ``benchmarks/bench_csv_parsers.py``):

1. pyarrow's streaming CSV reader (the ``arrow`` extra), told that only unquoted empty fields are NULL;
2. the standard library's ``csv`` with ``QUOTE_NOTNULL``, where it reads an empty unquoted field as
   ``None`` (Python 3.13; 3.12.1 still reads ``''``, so this is probed, not assumed from the version);
3. PyAthena's ``AthenaCSVReader`` (pure Python, any version).

Each reads the stream incrementally: memory holds a block of the file and one batch of rows. A batch is
a list of columns (each a sequence of the column's values), the shape pyarrow reads and the one a
column-at-a-time conversion wants.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, BinaryIO

Row = Sequence[str | None]
Column = Sequence[str | None]
Batches = Generator[list[Column], None, None]
#: Rows per batch for the text parsers (pyarrow's batches follow its block size instead).
BATCH_ROWS = 10_000
#: pyarrow's read block: each batch holds the rows of about this many bytes. Measured on 300k and 1M rows:
#: 256 KiB reads as fast as 1 MiB (0.6 s for 300k rows, parsed and converted) and keeps the converted
#: batch small (about 25 MB of peak growth, against 75 MB at 1 MiB and 140 MB at 4 MiB).
ARROW_BLOCK_BYTES = 256 * 1024


def _has_pyarrow() -> bool:
    try:
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _stdlib_reads_null() -> bool:
    quoting = getattr(csv, "QUOTE_NOTNULL", None)
    if quoting is None:
        return False
    return list(csv.reader(io.StringIO('"",\n'), quoting=quoting)) == [["", None]]


def available_parsers() -> list[str]:
    """The parsers usable here, fastest first."""
    names = []
    if _has_pyarrow():
        names.append("pyarrow")
    if _stdlib_reads_null():
        names.append("csv")
    names.append("pyathena")
    return names


#: Values a parser may produce itself instead of text, when it can do so exactly as PyAthena's default
#: converter would (``int(text)``, ``float(text)``, ``strtobool(text)``, ``date.fromisoformat(text)``).
NATIVE_KINDS = frozenset({"int", "float", "bool", "date"})


def read_batches(
    stream: BinaryIO,
    columns: int,
    skip: int,
    parser: str | None = None,
    native: Sequence[str | None] = (),
) -> Batches:
    """Batches (lists of ``columns`` columns) of the data rows of ``stream`` after the header and ``skip``
    more rows. ``native`` asks, per column, for Python values of a :data:`NATIVE_KINDS` kind instead of
    text; a parser that cannot (the text parsers) gives text, so the caller checks :func:`gives_native`."""
    chosen = parser or available_parsers()[0]
    return _PARSERS[chosen](stream, columns, skip, native)


def gives_native(parser: str | None = None) -> bool:
    """Whether ``parser`` (default: the fastest available) converts the ``native`` columns itself."""
    return (parser or available_parsers()[0]) == "pyarrow"


def _pyarrow_batches(stream: BinaryIO, columns: int, skip: int, native: Sequence[str | None]) -> Batches:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    arrow_types = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "date": pa.date32()}
    names = [f"c{i}" for i in range(columns)]  # Athena allows duplicate column names; pyarrow does not
    kinds = list(native) + [None] * (columns - len(native))
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            column_names=names, skip_rows_after_names=skip + 1, block_size=ARROW_BLOCK_BYTES, use_threads=False
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={
                name: arrow_types[kind] if kind else pa.string() for name, kind in zip(names, kinds, strict=True)
            },
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            null_values=[""],
        ),
    )
    try:
        for batch in reader:
            if batch.num_rows:
                yield [column.to_pylist() for column in batch.columns]
    finally:
        reader.close()


def _text_batches(rows: Iterator[Row], columns: int, skip: int) -> Batches:
    # A one-column NULL row is an empty line, which the text readers give as [] or [None].
    empty: Row = [None] * columns
    data = itertools.islice(rows, skip + 1, None)
    while batch := [row or empty for row in itertools.islice(data, BATCH_ROWS)]:
        yield [list(column) for column in zip(*batch, strict=True)]


def _csv_batches(stream: BinaryIO, columns: int, skip: int, native: Sequence[str | None]) -> Batches:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    quoting: Any = getattr(csv, "QUOTE_NOTNULL")  # noqa: B009 (3.12+: not in 3.10's stubs)
    return _text_batches(csv.reader(text, quoting=quoting), columns, skip)


def _pyathena_batches(stream: BinaryIO, columns: int, skip: int, native: Sequence[str | None]) -> Batches:
    from pyathena.s3fs.reader import AthenaCSVReader

    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    return _text_batches(AthenaCSVReader(text), columns, skip)


_PARSERS: dict[str, Callable[[BinaryIO, int, int, Sequence[str | None]], Batches]] = {
    "pyarrow": _pyarrow_batches,
    "csv": _csv_batches,
    "pyathena": _pyathena_batches,
}
