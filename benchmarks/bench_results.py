"""Result-fetching throughput of ``athena_jwt_dbapi`` against plain PyAthena, on the offline stack.

What it measures: rows/s for one ``SELECT * FROM bench`` of ``--rows`` rows (default 200,000; columns
bigint, varchar, double, date, timestamp, boolean, decimal(10,2)) through

* the plain cursor (``GetQueryResults``, 1,000 rows per page, ``fetchall()``),
* PyAthena's ``PandasCursor`` (``as_pandas()``), ``ArrowCursor`` (``as_arrow()``) and ``S3FSCursor``
  (``fetchall()``), which read the CSV result file from S3,

each end to end (cursor, execute, fetch), on one :class:`athena_jwt_dbapi.local.LocalAthena`. It also
times ``connect()``: ours with an empty credentials cache (an STS AssumeRoleWithWebIdentity) and with a
cached identity, against ``pyathena.connect()`` with static keys.

Why ratios: the absolute figures say more about the local stack (DuckDB rendering every value as text,
moto's S3 behind a SigV4-verifying proxy, all in this process and under its GIL) than about the driver.
Our driver *is* PyAthena with another session, S3 client and Arrow filesystem, so the number that
means something is ours / plain PyAthena, measured in the same run against the same stack with the
same temporary credentials: a ratio near 1.0 means the wrapper costs nothing. Runs alternate between
the two (ABBA order) so drift hits both; each figure is the median of ``--repeat`` runs after a warm-up.
The "server floor" (StartQueryExecution until SUCCEEDED, polled like the cursors) is in both sides of
every ratio; the last column removes it to show the client-side ratio alone.

Plain PyAthena drops ``endpoint_url`` from its S3 client, so its S3-reading runs set
``AWS_ENDPOINT_URL_S3`` (which botocore honours) for their duration only. pyarrow's ``S3FileSystem``
ignores that variable, so plain PyAthena's ``ArrowCursor`` cannot reach the local S3 (it is tried once
and its error printed); Arrow is reported for our driver only.

Run from the repository root: ``python benchmarks/bench_results.py [--rows 20000] [--repeat 3]
[--plain-repeat 1] [--json results.json]``. Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import pyathena
from botocore.credentials import ReadOnlyCredentials
from pyathena.arrow.cursor import ArrowCursor
from pyathena.pandas.cursor import PandasCursor
from pyathena.s3fs.cursor import S3FSCursor

import athena_jwt_dbapi
from athena_jwt_dbapi.local import LocalAthena

QUERY = "SELECT * FROM bench"
PYATHENA_VERSION: str = getattr(pyathena, "__version__", "?")
S3_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_S3"
ARROW_UNREACHABLE = (
    "plain PyAthena's ArrowCursor opens the result with pyarrow's S3FileSystem, which has no endpoint "
    f"and ignores {S3_ENDPOINT_VARIABLE}, so it cannot reach the local S3"
)

Fetch = Callable[[Any], int]


@dataclass
class CursorKind:
    """One way of reading the result: a cursor class (None: the connection's default) and a fetch."""

    name: str
    cursor_class: type[Any] | None
    fetch: Fetch
    reads_s3: bool
    plain_pyathena_possible: bool = True


@dataclass
class CursorResult:
    name: str
    ours_seconds: list[float] = field(default_factory=list)
    pyathena_seconds: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def ours_median(self) -> float | None:
        return statistics.median(self.ours_seconds) if self.ours_seconds else None

    @property
    def pyathena_median(self) -> float | None:
        return statistics.median(self.pyathena_seconds) if self.pyathena_seconds else None


def _fetch_rows(cursor: Any) -> int:
    return len(cursor.fetchall())


def _fetch_pandas(cursor: Any) -> int:
    return len(cursor.as_pandas())


def _fetch_arrow(cursor: Any) -> int:
    return int(cursor.as_arrow().num_rows)


CURSOR_KINDS: tuple[CursorKind, ...] = (
    CursorKind("Cursor (GetQueryResults)", None, _fetch_rows, reads_s3=False),
    CursorKind("PandasCursor", PandasCursor, _fetch_pandas, reads_s3=True),
    CursorKind("ArrowCursor", ArrowCursor, _fetch_arrow, reads_s3=True, plain_pyathena_possible=False),
    CursorKind("S3FSCursor", S3FSCursor, _fetch_rows, reads_s3=True),
)


def seed_sql(rows: int) -> str:
    """Trino SQL (the engine translates it to DuckDB) creating ``bench`` with ``rows`` typed rows."""
    return f"""
        CREATE TABLE bench AS
        SELECT CAST(n AS bigint) AS id,
               concat('name-', CAST(n AS varchar)) AS name,
               CAST(n AS double) / 7 AS score,
               date_add('day', CAST(n % 3650 AS integer), DATE '2015-01-01') AS day,
               date_add('second', n, TIMESTAMP '2020-01-01 00:00:00') AS ts,
               n % 2 = 0 AS flag,
               CAST(CAST(n % 100000 AS double) / 100 AS decimal(10,2)) AS amount
        FROM UNNEST(sequence(0, {rows - 1})) AS t(n)
    """


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@contextmanager
def s3_endpoint_variable(endpoint: str | None) -> Iterator[None]:
    """``AWS_ENDPOINT_URL_S3=endpoint`` for the duration (None: leave the environment alone)."""
    if endpoint is None:
        yield
        return
    previous = os.environ.get(S3_ENDPOINT_VARIABLE)
    os.environ[S3_ENDPOINT_VARIABLE] = endpoint
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(S3_ENDPOINT_VARIABLE, None)
        else:
            os.environ[S3_ENDPOINT_VARIABLE] = previous


def timed_query(connection: Any, kind: CursorKind, query: str, expected_rows: int | None) -> float:
    """Seconds for cursor + execute + fetch of ``query``; checks the row count when given."""
    start = time.perf_counter()
    cursor = connection.cursor(kind.cursor_class) if kind.cursor_class is not None else connection.cursor()
    try:
        cursor.execute(query)
        fetched = kind.fetch(cursor)
    finally:
        cursor.close()
    elapsed = time.perf_counter() - start
    if expected_rows is not None and fetched != expected_rows:
        raise RuntimeError(f"{kind.name}: fetched {fetched} rows, expected {expected_rows}")
    return elapsed


def server_floor(connection: Any, poll_interval: float, repeat: int) -> list[float]:
    """StartQueryExecution → SUCCEEDED with the cursors' poll interval, through the bare boto3 client."""
    client = connection.client
    seconds: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        query_id = client.start_query_execution(
            QueryString=QUERY, ResultConfiguration={"OutputLocation": connection.s3_staging_dir}
        )["QueryExecutionId"]
        while True:
            state = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
            if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            time.sleep(poll_interval)
        seconds.append(time.perf_counter() - start)
        if state != "SUCCEEDED":
            raise RuntimeError(f"server floor query ended {state}")
    return seconds


def page_latency(connection: Any) -> float:
    """One 1,000-row GetQueryResults round trip on a finished ``QUERY`` (the plain cursor's unit of work)."""
    cursor = connection.cursor()
    try:
        cursor.execute(QUERY)
        query_id = cursor.query_id
    finally:
        cursor.close()
    start = time.perf_counter()
    connection.client.get_query_results(QueryExecutionId=query_id, MaxResults=1000)
    return time.perf_counter() - start


def try_plain_arrow(plain: Any, s3_endpoint: str) -> str:
    """Try plain PyAthena's ArrowCursor once on a one-row query; the error text (or "" if it worked)."""
    pyathena_log = logging.getLogger("pyathena")
    level = pyathena_log.level
    pyathena_log.setLevel(logging.CRITICAL)  # PyAthena logs the failure with a traceback
    try:
        with s3_endpoint_variable(s3_endpoint):
            cursor = plain.cursor(ArrowCursor, connect_timeout=5, request_timeout=5)
            cursor.execute(f"{QUERY} LIMIT 1")
            cursor.as_arrow()
        return ""
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
    finally:
        pyathena_log.setLevel(level)


def bench_cursor(
    kind: CursorKind,
    ours: Any,
    plain: Any,
    s3_endpoint: str,
    rows: int,
    repeat: int,
) -> CursorResult:
    result = CursorResult(kind.name)
    run_plain = kind.plain_pyathena_possible
    plain_endpoint = s3_endpoint if kind.reads_s3 else None
    # Warm-up (imports, clients, first-call caches). The plain cursor's is a one-page query: a full
    # GetQueryResults fetch is too slow on the local stack to spend on a warm-up.
    warm_query, warm_rows = (QUERY, rows) if kind.reads_s3 else (f"{QUERY} LIMIT 1000", min(rows, 1000))
    timed_query(ours, kind, warm_query, warm_rows)
    if run_plain:
        with s3_endpoint_variable(plain_endpoint):
            timed_query(plain, kind, warm_query, warm_rows)
    for index in range(repeat):
        order = ("ours", "plain") if index % 2 == 0 else ("plain", "ours")
        for who in order:
            if who == "ours":
                result.ours_seconds.append(timed_query(ours, kind, QUERY, rows))
            elif run_plain:
                with s3_endpoint_variable(plain_endpoint):
                    result.pyathena_seconds.append(timed_query(plain, kind, QUERY, rows))
        log(
            f"{kind.name} run {index + 1}/{repeat}: ours {result.ours_seconds[-1]:.2f}s"
            + (f", PyAthena {result.pyathena_seconds[-1]:.2f}s" if run_plain else "")
        )
    return result


def bench_connect(stack: LocalAthena, repeat: int) -> dict[str, list[float]]:
    """connect() seconds: ours with an empty credentials cache, ours cached, plain PyAthena (static keys)."""
    parameters = stack.connect_parameters(ConnectionTest=False)  # one token: one cache identity
    timings: dict[str, list[float]] = {"ours, first (STS)": [], "ours, cached credentials": [], "pyathena.connect": []}
    for _ in range(repeat):
        athena_jwt_dbapi.clear_credentials_cache()
        start = time.perf_counter()
        connection = athena_jwt_dbapi.connect(**parameters)
        timings["ours, first (STS)"].append(time.perf_counter() - start)
        connection.close()
        start = time.perf_counter()
        connection = athena_jwt_dbapi.connect(**parameters)
        timings["ours, cached credentials"].append(time.perf_counter() - start)
        frozen = frozen_credentials(connection)
        connection.close()
        start = time.perf_counter()
        plain = plain_connect(stack, frozen, poll_interval=0.1)
        timings["pyathena.connect"].append(time.perf_counter() - start)
        plain.close()
    return timings


def frozen_credentials(connection: Any) -> ReadOnlyCredentials:
    """The temporary credentials our connection got from the local STS (its Athena and S3 verify SigV4)."""
    credentials = connection.session.get_credentials()
    if credentials is None:
        raise RuntimeError("the connection has no credentials")
    frozen: ReadOnlyCredentials = credentials.get_frozen_credentials()
    return frozen


def plain_connect(stack: LocalAthena, frozen: ReadOnlyCredentials, poll_interval: float) -> Any:
    return pyathena.connect(
        s3_staging_dir=stack.output_location,
        region_name=stack.region,
        endpoint_url=stack.athena_endpoint,
        aws_access_key_id=frozen.access_key,
        aws_secret_access_key=frozen.secret_key,
        aws_session_token=frozen.token,
        poll_interval=poll_interval,
    )


def _rate(rows: int, seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{rows / seconds:,.0f}"


def _ratio(ours: float | None, theirs: float | None, floor: float = 0.0) -> str:
    if ours is None or theirs is None:
        return "n/a"
    if theirs - floor <= 0:
        return "n/a"
    return f"{(ours - floor) / (theirs - floor):.3f}"


def report(
    rows: int,
    repeat: int,
    plain_repeat: int,
    results: list[CursorResult],
    connect_timings: dict[str, list[float]],
    connect_repeat: int,
    floor: float,
    page_seconds: float,
    arrow_error: str,
    total_seconds: float,
) -> str:
    lines = [
        f"## Result throughput, {rows:,} rows (`{QUERY}`), median of {repeat} runs "
        f"({plain_repeat} for the plain cursor) after a warm-up",
        "",
        f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs; PyAthena {PYATHENA_VERSION}; "
        "LocalAthena in this process.",
        "",
        "| cursor | ours rows/s | PyAthena rows/s | ratio (ours/PyAthena time) | ratio excl. server floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for result in results:
        ours, theirs = result.ours_median, result.pyathena_median
        lines.append(
            f"| {result.name} | {_rate(rows, ours)} | {_rate(rows, theirs)} | {_ratio(ours, theirs)} "
            f"| {_ratio(ours, theirs, floor)} |"
        )
    lines += [
        "",
        "Ratio ≈ 1.0: no overhead from the wrapper; > 1.0: ours is slower.",
        f"Server floor (StartQueryExecution → SUCCEEDED, 0.1 s polls, no fetch): {floor:.2f} s median, "
        "included in both sides of every ratio.",
        f"One 1,000-row GetQueryResults page: {page_seconds:.3f} s round trip "
        f"(x {-(-rows // 1000)} pages ≈ {page_seconds * -(-rows // 1000):.0f} s for a full plain-cursor fetch).",
        f"ArrowCursor: ours only — {ARROW_UNREACHABLE}."
        + (f" Tried once: {arrow_error}" if arrow_error else " (Tried once and it worked: the ratio is worth adding.)"),
        "",
        f"### connect() (median of {connect_repeat}, seconds)",
        "",
        "| connect | median s | min s |",
        "|---|---:|---:|",
    ]
    for name, seconds in connect_timings.items():
        lines.append(f"| {name} | {statistics.median(seconds):.4f} | {min(seconds):.4f} |")
    lines += ["", f"Total benchmark time: {total_seconds:.0f} s."]
    return "\n".join(lines)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the result (default 200000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per cursor and driver (default 3)")
    parser.add_argument(
        "--plain-repeat",
        type=int,
        default=1,
        help="timed runs of the plain GetQueryResults cursor per driver (default 1: it is slow locally)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the raw numbers to PATH as JSON")
    arguments = parser.parse_args(argv)
    if arguments.rows < 1 or arguments.repeat < 1 or arguments.plain_repeat < 1:
        parser.error("--rows, --repeat and --plain-repeat must be at least 1")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    rows: int = arguments.rows
    repeat: int = arguments.repeat
    began = time.perf_counter()
    with LocalAthena() as stack:
        log(f"seeding {rows:,} rows")
        stack.seed(seed_sql(rows))
        counted = int(stack.seed("SELECT count(*) FROM bench").rows[0][0] or 0)
        if counted != rows:
            raise RuntimeError(f"bench has {counted} rows, expected {rows}")

        log("timing connect()")
        connect_repeat = max(repeat, 5)
        connect_timings = bench_connect(stack, connect_repeat)

        ours = athena_jwt_dbapi.connect(**stack.connect_parameters(), ConnectionTest=False)
        frozen = frozen_credentials(ours)
        # The same poll interval as ours (MinQueryExecutionPollingIntervalMillis, default 100 ms); PyAthena's
        # own default (1 s) would measure a setting, not the wrapper.
        plain = plain_connect(stack, frozen, poll_interval=ours.poll_interval)
        try:
            log("measuring the server floor")
            floor_seconds = server_floor(ours, ours.poll_interval, repeat)
            floor = statistics.median(floor_seconds)
            page_seconds = page_latency(ours)
            log(f"server floor {floor:.2f}s; one GetQueryResults page {page_seconds:.3f}s")
            arrow_error = try_plain_arrow(plain, stack.s3_endpoint)
            results: list[CursorResult] = []
            for kind in CURSOR_KINDS:
                kind_repeat = repeat if kind.reads_s3 else arguments.plain_repeat
                if not kind.reads_s3:
                    estimate = 2 * kind_repeat * (page_seconds * -(-rows // 1000) + floor)
                    log(f"{kind.name}: about {estimate:.0f}s ({kind_repeat} run(s) per driver) — measuring anyway")
                result = bench_cursor(kind, ours, plain, stack.s3_endpoint, rows, kind_repeat)
                if not kind.plain_pyathena_possible:
                    result.note = ARROW_UNREACHABLE
                results.append(result)
        finally:
            ours.close()
            plain.close()
    total = time.perf_counter() - began
    print(
        report(
            rows,
            repeat,
            arguments.plain_repeat,
            results,
            connect_timings,
            connect_repeat,
            floor,
            page_seconds,
            arrow_error,
            total,
        )
    )
    if arguments.json:
        payload: dict[str, Any] = {
            "rows": rows,
            "repeat": repeat,
            "plain_repeat": arguments.plain_repeat,
            "query": QUERY,
            "machine": {
                "python": platform.python_version(),
                "implementation": platform.python_implementation(),
                "platform": platform.platform(),
                "cpu_count": os.cpu_count(),
                "pyathena": PYATHENA_VERSION,
            },
            "cursors": [
                {
                    **asdict(result),
                    "ours_median": result.ours_median,
                    "pyathena_median": result.pyathena_median,
                    "ours_rows_per_second": rows / result.ours_median if result.ours_median else None,
                    "pyathena_rows_per_second": rows / result.pyathena_median if result.pyathena_median else None,
                    "ratio": (
                        result.ours_median / result.pyathena_median
                        if result.ours_median and result.pyathena_median
                        else None
                    ),
                }
                for result in results
            ],
            "server_floor_seconds": floor_seconds,
            "get_query_results_page_seconds": page_seconds,
            "plain_pyathena_arrow_error": arrow_error,
            "connect_seconds": connect_timings,
            "total_seconds": total,
        }
        with open(arguments.json, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
        log(f"raw numbers written to {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
