"""``ResultFetcher`` for the plain and dict cursors, as the JDBC 3.4+ driver does it.

* ``auto`` (the default): the first GetQueryResults page gives the column metadata and up to 1,000 rows;
  a result that fits costs that one call. The rest is streamed from the result file
  ``<OutputLocation><QueryExecutionId>.csv`` through the connection's S3 client (``S3Endpoint``, proxy,
  retries, timeouts, ``ExpectedBucketOwner``), skipping the rows already returned. When the file cannot
  be read (access denied, a CSE_KMS result, a missing object) the rest comes from GetQueryResults, with
  one INFO log line saying why. On real Athena a page is a 100-300 ms round trip: a million rows are a
  thousand of them, where the file streams in seconds.
* ``S3``: only the column metadata from GetQueryResults; every row from the file, and an
  ``OperationalError`` if it cannot be read.
* ``GetQueryResults`` (and ``GetQueryResultsStream``, which has no Python client): pages only.

The file holds the same text for each value as GetQueryResults (see :mod:`.csv_rows`), and rows are
converted by the cursor's converter in the same way, so the three paths give identical values.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from itertools import repeat
from typing import Any

from pyathena.converter import DefaultTypeConverter
from pyathena.error import DataError, Error, OperationalError, ProgrammingError
from pyathena.result_set import AthenaDictResultSet, AthenaResultSet
from pyathena.util import parse_output_location

from ..redaction import redact
from . import csv_rows

_logger = logging.getLogger(__name__)

#: Statements whose result file is not the rows GetQueryResults gives (PyAthena's S3 cursors skip them too).
_NO_RESULT_FILE = frozenset({"UPDATE", "DELETE", "MERGE", "VACUUM_TABLE"})


@functools.cache
def native_kinds() -> dict[Any, str]:
    """PyAthena's default conversion functions that a CSV parser reproduces exactly, by the kind of value:
    ``int(text)``, ``float(text)``, ``strtobool(text)`` ("true"/"false") and ``date.fromisoformat(text)``.
    They are PyAthena's private names: ``tests/e2e/test_result_fetcher.py`` checks they are still the
    default converter's, and that every type reads back identically."""
    from pyathena import converter

    return {
        converter._to_int: "int",
        converter._to_float: "float",
        converter._to_boolean: "bool",
        converter._to_date: "date",
    }


class _Fallback(Exception):
    """The result file cannot be read; the message says why (never a secret: S3 error codes only)."""


class FetcherResultSet(AthenaResultSet):
    """PyAthena's GetQueryResults result set, with the rows after the first page read from S3."""

    def __init__(
        self,
        connection: Any,
        converter: Any,
        query_execution: Any,
        arraysize: int,
        *args: Any,
        page_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        self._fetcher: str = getattr(connection, "result_fetcher", "GetQueryResults")
        self._page_size = page_size or arraysize
        self._batches: csv_rows.Batches | None = None
        self._body: Any = None
        self._use_api = self._fetcher not in ("auto", "S3")
        self._delivered = 0
        self._native: list[str | None] = []
        # The first page: only the column labels (and at most one row) when every row comes from the file.
        first_page = 1 if self._fetcher == "S3" else self._page_size
        super().__init__(connection, converter, query_execution, first_page, *args, **kwargs)
        self._arraysize = arraysize  # fetchmany()'s default, apart from the page size

    def _get_query_results(self, max_results: int, next_token: str | None = None) -> dict[str, Any]:
        # PyAthena pages by ``_arraysize``, which here is fetchmany()'s default: later pages are full pages.
        return super()._get_query_results(self._page_size if next_token else max_results, next_token)

    # --- PEP 249: a statement without a result set --------------------------------------------------

    @property
    def description(self) -> Any:
        """None for a statement without a result set (DDL, INSERT, ...), as PEP 249 says; not ``[]``."""
        described = super().description
        return described or None

    def _check_result_set(self) -> None:
        # Only when the buffer is empty: PyAthena builds ``description`` anew at every read, and this runs
        # for every fetchone().
        if not self._rows and self.description is None:
            raise ProgrammingError("No result set: the statement returned no rows (DDL, INSERT, ...).")

    def fetchone(self) -> Any:
        self._check_result_set()
        return super().fetchone()

    def fetchmany(self, size: int | None = None) -> Any:
        self._check_result_set()
        return super().fetchmany(size)

    def fetchall(self) -> Any:
        self._check_result_set()
        return super().fetchall()

    # --- where the rows after the first page come from -------------------------------------------

    def _fetch(self) -> None:
        if not self._next_token:
            return
        if not self._use_api and self._batches is None:
            self._batches = self._open_file()
        if self._batches is None:
            super()._fetch()
            return
        try:
            batch = next(self._batches, None)
            if batch is None:
                self._close_file()
                self._next_token = None
                return
            self._rows.extend(self._make_rows(self._convert_columns(batch)))
        except Error:
            self._close_file()
            raise
        except Exception as error:  # the stream broke, or the file is not what Athena writes
            self._close_file()
            raise self._stream_error(error) from error

    def _stream_error(self, error: Exception) -> Error:
        """A PEP 249 error for a failure while streaming the result file: a transport failure is an
        OperationalError (run the query again), anything else a DataError (the file is not Athena's CSV)."""
        from botocore.exceptions import BotoCoreError
        from urllib3.exceptions import HTTPError

        where = f"the result file of query {self.query_id}"
        if isinstance(error, (BotoCoreError, HTTPError, OSError)):
            return OperationalError(f"Reading {where} from S3 failed: {type(error).__name__}.")
        return DataError(f"Could not read {where}: {type(error).__name__}: {redact(str(error))[:300]}")

    def _open_file(self) -> csv_rows.Batches | None:
        """The file's rows after those already returned, or None to go on with GetQueryResults."""
        location = self._result_file()
        if location is None:
            self._use_api = True
            return None
        bucket, key = location
        try:
            if (self.encryption_option or "").upper() == "CSE_KMS":
                raise _Fallback("the result file is client-side encrypted (CSE_KMS)")
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                s3: Any = self.connection.s3_client
                self._body = s3.get_object(Bucket=bucket, Key=key)["Body"]
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "Unknown")
                raise _Fallback(f"S3 refused GetObject on s3://{bucket}/{key} ({code})") from None
            except BotoCoreError as error:
                raise _Fallback(f"S3 could not be reached for s3://{bucket}/{key} ({type(error).__name__})") from None
        except _Fallback as reason:
            if self._fetcher == "S3":
                raise OperationalError(f"ResultFetcher=S3: cannot read the result file: {reason}.") from None
            _logger.info(
                "Query %s: reading the rest of the result with GetQueryResults: %s.", self.query_id, reason
            )
            self._use_api = True
            return None
        columns = len(self._metadata or ())
        native = self._native_kinds() if csv_rows.gives_native() else []
        self._native = native
        return csv_rows.read_batches(self._body, columns, self._delivered, native=native)

    def _result_file(self) -> tuple[str, str] | None:
        """The bucket and key of the result's CSV file; None when the rows are not in one (DDL results are
        ``.txt``, UPDATE/DELETE/MERGE files hold no rows, managed result storage has no location)."""
        location = self.output_location
        if not location or not location.endswith(".csv"):
            return None
        if (self.substatement_type or "").upper() in _NO_RESULT_FILE:
            return None
        bucket, key = parse_output_location(location)
        return bucket, key

    def _pre_fetch(self) -> None:
        super()._pre_fetch()
        self._delivered = len(self._rows)  # data rows of the first page, which the file must skip

    def _convert_columns(self, columns: list[csv_rows.Column]) -> Iterator[tuple[Any, ...]]:
        """The batch's rows, converted as PyAthena converts a GetQueryResults page.

        With PyAthena's own ``DefaultTypeConverter`` and no type hints, ``convert(type, value)`` is
        ``None`` for ``None`` and else ``converter.get(type)(value)``: so each column is converted with its
        function in one pass, several times faster than a call per value. Any other converter, or type
        hints, take PyAthena's per-value path.
        """
        names, types = self._get_column_names_and_types(self._metadata or ())
        functions = self._column_functions(types)
        if functions is None:
            hints = self._column_type_hints or repeat(None)
            convert = self._convert_values
            rows = zip(*columns, strict=True)
            return (tuple(convert(self._converter, row, names, types, hints)) for row in rows)
        converted = []
        native = self._native or repeat(None)
        for name, function, kind, column in zip(names, functions, native, columns, strict=False):
            if kind:  # the parser already made the value PyAthena's function would make
                converted.append(column)
                continue
            try:
                converted.append([None if value is None else function(value) for value in column])
            except DataError as error:
                raise DataError(f"Column {name!r}: {error}") from error
        return zip(*converted, strict=True)

    def _column_functions(self, types: tuple[Any, ...]) -> list[Any] | None:
        converter = self._converter
        if type(converter).convert is not DefaultTypeConverter.convert or self._column_type_hints:
            return None
        return [converter.get(type_) for type_ in types]

    def _native_kinds(self) -> list[str | None]:
        """Per column, the kind the parser may produce itself: where the converter's function for the
        column's type is PyAthena's own ``int``/``float``/``bool``/``date`` one (see ``native_kinds``)."""
        _, types = self._get_column_names_and_types(self._metadata or ())
        functions = self._column_functions(types)
        if functions is None:
            return []
        kinds = native_kinds()
        return [kinds.get(function) for function in functions]

    def _make_rows(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[Any]:
        return rows

    def _close_file(self) -> None:
        batches, self._batches = self._batches, None
        if batches is not None:
            batches.close()  # the parser's own reader (pyarrow's) is closed by its generator
        body, self._body = self._body, None
        if body is not None:
            body.close()

    def close(self) -> None:
        self._close_file()
        super().close()


class FetcherDictResultSet(FetcherResultSet, AthenaDictResultSet):
    """The dict variant: each row a ``dict_type`` keyed by column name."""

    def _make_rows(self, rows: Iterator[tuple[Any, ...]]) -> Iterator[Any]:
        names, _ = self._get_column_names_and_types(self._metadata or ())
        return (self.dict_type(zip(names, row, strict=False)) for row in rows)
