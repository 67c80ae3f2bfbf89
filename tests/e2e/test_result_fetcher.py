"""``ResultFetcher``: the first page from GetQueryResults, the rest streamed from the S3 result file.

Everything here runs over HTTP against the local stack, which writes the result file as Athena does
(every value quoted, NULL an empty unquoted field) and counts its GetQueryResults calls and S3 requests.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pyathena.converter import DefaultTypeConverter
from pyathena.cursor import DictCursor

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena
from athena_jwt_dbapi.results import csv_rows

ROWS = 2_600  # three GetQueryResults pages' worth: the first page, then the file (or two more pages)

# Every Athena type the local engine returns, with the strings a CSV reader gets wrong: NULL next to '',
# the text 'NULL', quotes, commas, LF and CR inside values, backslashes, spaces, non-ASCII.
EVERY_TYPE = f"""
SELECT n AS id,
  CASE n % 9 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'quote " and "" doubled' WHEN 3 THEN 'comma, and
newline' WHEN 4 THEN 'NULL' WHEN 5 THEN ' spaced \\ back\\slash ' WHEN 6 THEN '"' WHEN 7 THEN 'cr' || chr(13) || 'lf'
    ELSE 'ünï ✓ ' || CAST(n AS varchar) END AS s,
  CASE WHEN n % 5 = 0 THEN NULL ELSE CAST(n AS integer) END AS i,
  CAST(n AS double) / 3 AS d,
  CASE n % 5 WHEN 0 THEN CAST('NaN' AS double) WHEN 1 THEN CAST('Infinity' AS double)
    WHEN 2 THEN CAST('-Infinity' AS double) WHEN 3 THEN 1e-5 ELSE NULL END AS special,
  CAST(-9223372036854775807 - 1 AS bigint) AS lowest,
  CAST(n % 100 AS tinyint) AS tiny,
  CASE WHEN n % 3 = 0 THEN NULL ELSE n % 2 = 0 END AS maybe,
  CASE WHEN n % 4 = 0 THEN NULL ELSE DATE '0001-01-01' END AS early,
  CAST(n AS real) AS f,
  CAST(n AS decimal(12, 3)) AS amount,
  date_add('day', n, DATE '2020-01-01') AS day,
  date_add('millisecond', n, TIMESTAMP '2020-01-01 00:00:00.000') AS ts,
  from_iso8601_timestamp('2024-01-02T03:04:05.123+02:00') AS tz,
  n % 2 = 0 AS b,
  CAST(CAST(n AS varchar) AS varbinary) AS bin,
  ARRAY[n, n + 1] AS arr,
  MAP(ARRAY['k'], ARRAY[CAST(n AS varchar)]) AS m,
  CAST(ROW(n, 'x,"y"') AS ROW(a integer, b varchar)) AS r,
  JSON '{{"a": [1, "b,\\"c"]}}' AS j
FROM UNNEST(sequence(0, {ROWS - 1})) AS t(n)
ORDER BY n
"""


def _comparable(row: Any) -> tuple[Any, ...]:
    """A row with NaN made comparable (NaN != NaN) and each float's exact repr, so -0.0 and 0.0 differ."""
    return tuple(("float", repr(value)) if isinstance(value, float) else value for value in row)


def _rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [_comparable(row) for row in rows]


@pytest.fixture
def stack(local_athena: LocalAthena) -> LocalAthena:
    return local_athena


def _connect(stack: LocalAthena, **overrides: Any) -> db.Connection:
    return db.connect(**stack.connect_parameters(), ConnectionTest=False, **overrides)


def _fetch_all(stack: LocalAthena, cursor_class: Any = None, **overrides: Any) -> list[Any]:
    with _connect(stack, **overrides) as conn, conn.cursor(cursor_class) as cursor:
        cursor.execute(EVERY_TYPE)
        return list(cursor.fetchall())


@pytest.fixture(scope="module")
def from_the_api(local_athena_session: LocalAthena) -> list[Any]:
    """The reference: every row through GetQueryResults pages."""
    return _fetch_all(local_athena_session, ResultFetcher="GetQueryResults")


def test_api_reference_has_every_hostile_value(from_the_api: list[Any]) -> None:
    strings = {row[1] for row in from_the_api}
    assert {None, "", "NULL", '"', 'quote " and "" doubled', "comma, and\nnewline", "cr\rlf"} <= strings
    assert len(from_the_api) == ROWS


@pytest.mark.parametrize("fetcher", ["auto", "S3"])
def test_rows_are_identical_to_get_query_results(stack: LocalAthena, from_the_api: list[Any], fetcher: str) -> None:
    before_s3 = len(stack.s3_requests)
    rows = _fetch_all(stack, ResultFetcher=fetcher)
    assert _rows(rows) == _rows(from_the_api)
    reads = [path for method, path in stack.s3_requests[before_s3:] if method == "GET"]
    assert len(reads) == 1 and reads[0].endswith(".csv"), "the rest must come from the result file"


def test_auto_makes_one_get_query_results_call_and_streams_the_rest(stack: LocalAthena) -> None:
    before = stack.athena.calls.count("GetQueryResults")
    rows = _fetch_all(stack)
    assert len(rows) == ROWS
    assert stack.athena.calls.count("GetQueryResults") - before == 1


def test_dict_cursor_rows_are_identical_too(stack: LocalAthena, from_the_api: list[Any]) -> None:
    rows = _fetch_all(stack, DictCursor)
    names = ["id", "s", "i", "d", "special", "lowest", "tiny", "maybe", "early"]
    names += ["f", "amount", "day", "ts", "tz", "b", "bin", "arr", "m", "r", "j"]
    assert [_comparable(tuple(row.values())) for row in rows] == [_comparable(row) for row in from_the_api]
    assert list(rows[0]) == names


class _TaggingConverter(DefaultTypeConverter):
    """A user's converter: its own ``convert`` must be called for every value, wherever the row came from."""

    def convert(self, type_: str, value: str | None, type_hint: str | None = None) -> Any:
        converted = super().convert(type_, value, type_hint)
        return ("tagged", converted) if type_ == "varchar" else converted


def test_a_custom_converter_sees_every_value(stack: LocalAthena) -> None:
    api = _fetch_all(stack, ResultFetcher="GetQueryResults", converter=_TaggingConverter())
    streamed = _fetch_all(stack, converter=_TaggingConverter())
    assert _rows(streamed) == _rows(api)
    assert all(isinstance(row[1], tuple) and row[1][0] == "tagged" for row in streamed)


def test_type_hints_apply_to_rows_from_the_file(stack: LocalAthena) -> None:
    query = f"SELECT n, ARRAY[CAST(n AS varchar)] AS a FROM UNNEST(sequence(1, {ROWS})) AS t(n) ORDER BY n"
    with _connect(stack) as conn, conn.cursor() as cursor:
        cursor.execute(query, result_set_type_hints={"a": "array(varchar)"})
        rows = cursor.fetchall()
    assert rows[-1] == (ROWS, [str(ROWS)]), "the hint keeps the elements as strings, past the first page too"


def test_a_small_result_costs_one_call_and_no_s3_request(stack: LocalAthena) -> None:
    with _connect(stack) as conn, conn.cursor() as cursor:
        before_calls, before_s3 = stack.athena.calls.count("GetQueryResults"), len(stack.s3_requests)
        cursor.execute("SELECT * FROM (VALUES (1, 'a'), (2, NULL), (3, '')) AS t(x, y)")
        assert cursor.fetchall() == [(1, "a"), (2, None), (3, "")]
        assert stack.athena.calls.count("GetQueryResults") - before_calls == 1
        assert stack.s3_requests[before_s3:] == []


def test_fetchmany_and_fetchone_walk_the_file_in_order(stack: LocalAthena, from_the_api: list[Any]) -> None:
    with _connect(stack) as conn, conn.cursor() as cursor:
        cursor.execute(EVERY_TYPE)
        taken = [cursor.fetchone()]
        while batch := cursor.fetchmany(333):
            taken.extend(batch)
        assert cursor.fetchone() is None
    assert _rows(taken) == _rows(from_the_api)


def test_unreadable_file_falls_back_to_the_api_with_one_info_line(
    stack: LocalAthena, from_the_api: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    stack.refuse_s3_reads()
    before = stack.athena.calls.count("GetQueryResults")
    with caplog.at_level(logging.INFO, logger="athena_jwt_dbapi"):
        rows = _fetch_all(stack)
    assert _rows(rows) == _rows(from_the_api)
    assert stack.athena.calls.count("GetQueryResults") - before == 3  # all pages: nothing came from S3
    lines = [r for r in caplog.records if r.name.startswith("athena_jwt_dbapi.results")]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert "AccessDenied" in lines[0].getMessage() and "GetQueryResults" in lines[0].getMessage()


def test_result_fetcher_s3_fails_clearly_when_the_file_cannot_be_read(stack: LocalAthena) -> None:
    stack.refuse_s3_reads()
    with _connect(stack, ResultFetcher="S3") as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1 AS x")
        with pytest.raises(db.OperationalError, match=r"ResultFetcher=S3.*AccessDenied"):
            cursor.fetchall()


def test_get_query_results_never_touches_s3(stack: LocalAthena, from_the_api: list[Any]) -> None:
    before_s3 = len(stack.s3_requests)
    assert _rows(_fetch_all(stack, ResultFetcher="GetQueryResults")) == _rows(from_the_api)
    assert stack.s3_requests[before_s3:] == []


def test_ddl_results_keep_working(stack: LocalAthena) -> None:
    """SHOW/DESCRIBE results are ``.txt`` files (no header, tab-separated): they are paged, not parsed."""
    stack.seed("CREATE TABLE IF NOT EXISTS fetcher_ddl AS SELECT 1 AS a")
    for fetcher in ("auto", "S3"):
        with _connect(stack, ResultFetcher=fetcher) as conn, conn.cursor() as cursor:
            cursor.execute("SHOW TABLES")
            assert ("fetcher_ddl",) in cursor.fetchall()


@pytest.fixture(scope="module")
def result_file(local_athena_session: LocalAthena) -> Iterator[tuple[bytes, list[list[str | None]]]]:
    """A real result file of :data:`EVERY_TYPE`, and the text values GetQueryResults gives for it."""
    stack = local_athena_session
    with _connect(stack, ResultFetcher="GetQueryResults") as conn:
        client: Any = conn.client
        query_id = client.start_query_execution(
            QueryString=EVERY_TYPE, ResultConfiguration={"OutputLocation": stack.output_location}
        )["QueryExecutionId"]
        cursor = conn.cursor()
        cursor._poll(query_id)  # wait for it, as execute() does
        texts: list[list[str | None]] = []
        token: str | None = None
        while True:
            page = client.get_query_results(QueryExecutionId=query_id, **({"NextToken": token} if token else {}))
            texts += [[d.get("VarCharValue") for d in row["Data"]] for row in page["ResultSet"]["Rows"]]
            token = page.get("NextToken")
            if not token:
                break
        s3: Any = conn.s3_client
        body = s3.get_object(Bucket=stack.bucket, Key=f"results/{query_id}.csv")["Body"].read()
    yield body, texts[1:]  # the first row of a SELECT's first page is the column labels


@pytest.mark.parametrize("parser", csv_rows.available_parsers())
@pytest.mark.parametrize("skip", [0, 1000, ROWS - 1, ROWS])
def test_each_parser_reads_the_text_get_query_results_gives(
    result_file: tuple[bytes, list[list[str | None]]], parser: str, skip: int
) -> None:
    body, texts = result_file
    columns = len(texts[0])
    batches = list(csv_rows.read_batches(io.BytesIO(body), columns, skip, parser))
    assert all(len(batch) == columns for batch in batches)
    rows = [list(row) for batch in batches for row in zip(*batch, strict=True)]
    assert rows == texts[skip:]


def test_the_functions_the_parser_replaces_are_still_pyathenas_defaults() -> None:
    """Guard: pyarrow makes int/float/bool/date values itself only where the converter would call these."""
    from athena_jwt_dbapi.results.result_set import native_kinds

    converter = DefaultTypeConverter()
    kinds = native_kinds()
    expected = {"bigint": "int", "integer": "int", "tinyint": "int", "smallint": "int", "double": "float"}
    expected |= {"real": "float", "float": "float", "boolean": "bool", "date": "date"}
    assert {name: kinds.get(converter.get(name)) for name in expected} == expected
    assert kinds.get(converter.get("varchar")) is None and kinds.get(converter.get("decimal")) is None


def test_the_fallback_parser_is_always_available() -> None:
    assert csv_rows.available_parsers()[-1] == "pyathena"
    assert csv_rows.available_parsers()[0] == "pyarrow"  # the test extra installs pyarrow: the fastest


def test_a_result_file_that_is_not_athenas_csv_is_a_data_error(stack: LocalAthena) -> None:
    """The file is replaced after the query (as a broken or foreign writer would): the failure while
    streaming is one of the module's errors, and the cursor is not left holding the stream."""
    with _connect(stack) as conn, conn.cursor() as cursor:
        cursor.execute(EVERY_TYPE)
        key = f"results/{cursor.query_id}.csv"
        good = b"".join(b'"%d","a"\n' % n for n in range(1500))  # past the first page...
        stack.s3.put_object(stack.bucket, key, b'"id","s"\n' + good + b'"1","2","3"\n')  # ...a row of 3 fields
        with pytest.raises(db.DataError, match=f"result file of query {cursor.query_id}"):
            cursor.fetchall()


@pytest.mark.parametrize("size", [0, -5, "10"])
def test_arraysize_is_checked_when_given_to_the_cursor(stack: LocalAthena, size: Any) -> None:
    with _connect(stack) as conn, pytest.raises(db.ProgrammingError, match="arraysize"):
        conn.cursor(arraysize=size)
