"""The driver's cost against plain PyAthena, side by side in one run, on the local stack in its own process.

One command: ``python benchmarks/bench.py`` (``--quick`` for 20k/100k rows instead of 200k/1M). It
prints a Markdown report (the README's performance section is a copy) and writes the raw numbers with
``--json PATH``. What it measures, each against plain PyAthena with the same temporary keys, the same
poll interval and the same stack:

* ``import athena_jwt_dbapi`` vs ``import pyathena`` (fresh processes, best of 15);
* connect + query + fetch + close with **default parameters** and warm credentials, vs
  ``pyathena.connect`` with static keys;
* 200k and 1M mixed-type rows: the default cursor (``ResultFetcher=auto``) vs ``ResultFetcher=
  GetQueryResults`` and vs plain PyAthena's cursors, with 30 ms added to every GetQueryResults call and
  S3 read (a real round trip is 100-300 ms); results come from Athena's result reuse, so every run
  measures fetching, not the engine;
* the client's peak memory growth over ``fetchmany()`` of the 1M rows (in a child process);
* requests: a 3-row result's GetQueryResults calls and S3 requests; STS calls for 10 connections x 5
  queries on 900 s credentials;
* polling (issue 7): GetQueryExecution calls for a 30 s query with the defaults, and the time from a
  0.2 s query finishing to ``execute()`` returning.

Ratios are ours / PyAthena (time): below 1.0 means faster. Runs alternate between the two (ABBA; the
throughput cases round-robin) so that drift hits both; each figure is a median.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
QUERY = "SELECT * FROM bench_{rows}"
LATENCY = 0.030


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Stack:
    """The local stack in a child process (see ``stack_process.py``)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "stack_process.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        ready = json.loads(self._read())["ready"]
        self.parameters: dict[str, Any] = ready["parameters"]
        self.s3_endpoint: str = ready["s3_endpoint"]
        self.output_location: str = ready["output_location"]
        self.region: str = ready["region"]

    def _read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the stack process ended")
        return line

    def call(self, op: str, **arguments: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        reply: dict[str, Any] = json.loads(self._read())
        if "error" in reply:
            raise RuntimeError(f"stack: {reply['error']}")
        return reply

    def counts(self) -> dict[str, int]:
        return self.call("counts")

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps({"op": "stop"}) + "\n")
            self.process.stdin.flush()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def seed_sql(rows: int) -> str:
    """Trino SQL (the engine translates it) for ``bench_<rows>``: bigint, varchar, double, date,
    timestamp, boolean, decimal, with NULLs."""
    return f"""
        CREATE TABLE IF NOT EXISTS bench_{rows} AS
        SELECT CAST(n AS bigint) AS id,
               CASE WHEN n % 10 = 0 THEN NULL ELSE concat('name-', CAST(n AS varchar)) END AS name,
               CAST(n AS double) / 7 AS score,
               date_add('day', CAST(n % 3650 AS integer), DATE '2015-01-01') AS day,
               date_add('second', n, TIMESTAMP '2020-01-01 00:00:00') AS ts,
               n % 2 = 0 AS flag,
               CAST(CAST(n % 100000 AS double) / 100 AS decimal(10,2)) AS amount
        FROM UNNEST(sequence(0, {rows - 1})) AS t(n)
    """


@contextmanager
def environment(**values: str) -> Iterator[None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def median(values: list[float]) -> float:
    return statistics.median(values)


def alternate(ours: Callable[[], float], theirs: Callable[[], float], repeat: int) -> tuple[list[float], list[float]]:
    """ABBA: each run of one is next to a run of the other, so drift hits both."""
    a: list[float] = []
    b: list[float] = []
    for index in range(repeat):
        for who in ("ours", "theirs") if index % 2 == 0 else ("theirs", "ours"):
            (a if who == "ours" else b).append((ours if who == "ours" else theirs)())
    return a, b


# --- import ------------------------------------------------------------------------------------------


def import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def bench_import(repeat: int = 15) -> dict[str, Any]:
    ours, theirs = alternate(lambda: import_seconds("athena_jwt_dbapi"), lambda: import_seconds("pyathena"), repeat)
    return {"ours_best": min(ours), "pyathena_best": min(theirs), "ratio": min(ours) / min(theirs)}


# --- connect + query + fetch + close -----------------------------------------------------------------


def plain_connect(stack: Stack, keys: Any, **options: Any) -> Any:
    import pyathena

    return pyathena.connect(
        s3_staging_dir=stack.output_location,
        region_name=stack.region,
        endpoint_url=stack.parameters["AthenaEndpoint"],
        aws_access_key_id=keys.access_key,
        aws_secret_access_key=keys.secret_key,
        aws_session_token=keys.token,
        poll_interval=0.1,
        **options,
    )


def frozen_keys(connection: Any) -> Any:
    return connection.session.get_credentials().get_frozen_credentials()


def bench_connect(stack: Stack, repeat: int) -> dict[str, Any]:
    import athena_jwt_dbapi

    parameters = dict(stack.parameters)  # default parameters: ConnectionTest on, ResultFetcher=auto
    query = "SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) AS t(x, y)"
    warm = athena_jwt_dbapi.connect(**parameters)  # warm credentials: STS once, before timing
    keys = frozen_keys(warm)
    warm.close()

    def ours() -> float:
        start = time.perf_counter()
        with athena_jwt_dbapi.connect(**parameters) as connection, connection.cursor() as cursor:
            cursor.execute(query)
            assert len(cursor.fetchall()) == 3
        return time.perf_counter() - start

    def theirs() -> float:
        start = time.perf_counter()
        with plain_connect(stack, keys) as connection, connection.cursor() as cursor:
            cursor.execute(query)
            assert len(cursor.fetchall()) == 3
        return time.perf_counter() - start

    ours(), theirs()  # warm-up: imports and first-call caches
    a, b = alternate(ours, theirs, repeat)
    return {"ours_median": median(a), "pyathena_median": median(b), "ratio": median(a) / median(b)}


# --- throughput ---------------------------------------------------------------------------------------


def fetch_rows(cursor: Any) -> int:
    return len(cursor.fetchall())


def fetch_pandas(cursor: Any) -> int:
    return len(cursor.as_pandas())


def timed(connection: Any, cursor_class: Any, fetch: Callable[[Any], int], query: str, rows: int) -> float:
    start = time.perf_counter()
    cursor = connection.cursor(cursor_class) if cursor_class is not None else connection.cursor()
    try:
        cursor.execute(query)
        fetched = fetch(cursor)
    finally:
        cursor.close()
    elapsed = time.perf_counter() - start
    if fetched != rows:
        raise RuntimeError(f"fetched {fetched} rows, expected {rows}")
    return elapsed


def bench_throughput(stack: Stack, rows: int, repeat: int) -> dict[str, Any]:
    """Seconds to read ``rows`` rows: ours (auto, GetQueryResults, PandasCursor) and plain PyAthena's
    cursors, every query answered from Athena's result reuse (so the engine's time is out of it)."""
    from pyathena.pandas.cursor import PandasCursor
    from pyathena.s3fs.cursor import S3FSCursor

    import athena_jwt_dbapi

    query = QUERY.format(rows=rows)
    reuse = {"EnableResultReuseByAge": True, "MaxResultReuseAgeInMinutes": 60}
    ours = athena_jwt_dbapi.connect(**stack.parameters, **reuse)
    api = athena_jwt_dbapi.connect(**stack.parameters, **reuse, ResultFetcher="GetQueryResults")
    plain = plain_connect(stack, frozen_keys(ours), result_reuse_enable=True, result_reuse_minutes=60)
    stack.call("knobs", api_latency=0)
    timed(ours, None, fetch_rows, query, rows)  # runs the query once; every later run reuses its result
    stack.call("knobs", api_latency=LATENCY)
    plain_s3 = {"AWS_ENDPOINT_URL_S3": stack.s3_endpoint}  # plain PyAthena drops endpoint_url from S3
    figures: dict[str, list[float]] = {}
    try:
        cases: list[tuple[str, Callable[[], float]]] = [
            ("ours: default cursor (auto)", lambda: timed(ours, None, fetch_rows, query, rows)),
            ("ours: PandasCursor", lambda: timed(ours, PandasCursor, fetch_pandas, query, rows)),
        ]
        for name, cursor_class, fetch in (
            ("PyAthena: PandasCursor", PandasCursor, fetch_pandas),
            ("PyAthena: S3FSCursor", S3FSCursor, fetch_rows),
        ):
            cases.append((name, _plain_run(plain, cursor_class, fetch, query, rows, plain_s3)))
        for name, run in cases:
            log(f"{rows:,} rows: {name} (warm-up)")
            run()  # warm-up: first imports (pyarrow, pandas) and first-call caches are not what is measured
        for index in range(repeat):  # round-robin, so that drift on the machine hits every case alike
            log(f"{rows:,} rows: round {index + 1} of {repeat}")
            for name, run in cases:
                figures.setdefault(name, []).append(run())
        log(f"{rows:,} rows: GetQueryResults pages (ours, and plain PyAthena's default cursor), once each")
        figures["ours: ResultFetcher=GetQueryResults"] = [timed(api, None, fetch_rows, query, rows)]
        figures["PyAthena: Cursor (GetQueryResults)"] = [timed(plain, None, fetch_rows, query, rows)]
    finally:
        stack.call("knobs", api_latency=0)
        for connection in (ours, api, plain):
            connection.close()
    medians = {name: median(values) for name, values in figures.items()}
    default = medians["ours: default cursor (auto)"]
    fastest_plain = min(v for k, v in medians.items() if k.startswith("PyAthena"))
    return {
        "rows": rows,
        "seconds": figures,
        "medians": medians,
        "default_vs_get_query_results": default / medians["ours: ResultFetcher=GetQueryResults"],
        "default_vs_fastest_pyathena": default / fastest_plain,
        "fastest_pyathena": min((v, k) for k, v in medians.items() if k.startswith("PyAthena"))[1],
    }


def _plain_run(
    plain: Any, cursor_class: Any, fetch: Callable[[Any], int], query: str, rows: int, env: dict[str, str]
) -> Callable[[], float]:
    def run() -> float:
        with environment(**env):
            return timed(plain, cursor_class, fetch, query, rows)

    return run


def bench_memory(stack: Stack, rows: int) -> dict[str, Any]:
    """Peak RSS growth of a client process doing ``fetchmany()`` over the whole result: in a process that
    has pyarrow loaded already, and in one where the first S3 row loads it (pyarrow's own ~75 MB)."""

    def child(preload: str | None) -> dict[str, Any]:
        # On stdin, not in argv: the parameters hold a token, and any user of the machine can read argv.
        argument = json.dumps({"parameters": stack.parameters, "rows": rows, "preload": preload})
        output = subprocess.run(
            [sys.executable, __file__, "--memory-child"], input=argument, check=True, capture_output=True, text=True
        ).stdout
        result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
        return result

    loaded = child("pyarrow.csv")
    cold = child(None)
    return {**loaded, "peak_growth_with_pyarrow_load_mb": cold["peak_growth_mb"]}


def memory_child(argument: str) -> None:
    import athena_jwt_dbapi

    given = json.loads(argument)
    rows = given["rows"]
    loaded_first = given.get("preload")
    if loaded_first:
        __import__(loaded_first)  # a process that already uses pyarrow (pandas, arrow) pays no load
    connection = athena_jwt_dbapi.connect(**given["parameters"], EnableResultReuseByAge=True)
    cursor = connection.cursor()
    cursor.execute(QUERY.format(rows=rows))
    cursor.fetchmany(10)  # the first page is in; the result file is not opened yet
    before = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS
    fetched = 10
    while batch := cursor.fetchmany(1000):
        fetched += len(batch)
    peak = _status_kb("VmHWM")
    if fetched != rows:
        raise RuntimeError(f"fetched {fetched}, expected {rows}")
    print(json.dumps({"rows": rows, "peak_growth_mb": (peak - before) / 1024, "rss_before_mb": before / 1024}))


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status (Linux), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


# --- requests -----------------------------------------------------------------------------------------


def bench_requests(stack: Stack) -> dict[str, Any]:
    import athena_jwt_dbapi

    athena_jwt_dbapi.clear_credentials_cache()
    token = stack.call("mint")["token"]
    parameters = {**stack.parameters, "JwtWebIdentityToken": token, "RoleSessionDuration": 900}
    before = stack.counts()
    for _ in range(10):
        with athena_jwt_dbapi.connect(**parameters) as connection:
            for _ in range(5):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                    cursor.fetchall()
    sts_calls = stack.counts()["sts"] - before["sts"]

    with athena_jwt_dbapi.connect(**parameters) as connection, connection.cursor() as cursor:
        before = stack.counts()
        cursor.execute("SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL)) AS t(x, y)")
        assert len(cursor.fetchall()) == 3
        after = stack.counts()
    return {
        "sts_calls_10_connections_x_5_queries": sts_calls,
        "three_rows_get_query_results_calls": after["GetQueryResults"] - before["GetQueryResults"],
        "three_rows_s3_requests": after["s3"] - before["s3"],
    }


# --- polling ------------------------------------------------------------------------------------------


def bench_polling(stack: Stack, long_query: float) -> dict[str, Any]:
    import athena_jwt_dbapi

    with athena_jwt_dbapi.connect(**stack.parameters) as connection:
        stack.call("knobs", query_delay=long_query)
        before = stack.counts()["GetQueryExecution"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        long_polls = stack.counts()["GetQueryExecution"] - before
        stack.call("knobs", query_delay=0.2)
        lags = []
        for _ in range(5):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                returned = time.time()
                lags.append(returned - stack.call("completed", id=cursor.query_id)["epoch"])
        stack.call("knobs", query_delay=0)
    return {"long_query_seconds": long_query, "long_query_polls": long_polls, "finish_to_return_median": median(lags)}


# --- report -------------------------------------------------------------------------------------------


def report(figures: dict[str, Any], command: str) -> str:
    machine = figures["machine"]
    lines = [
        f"Measured {figures['date']} with `{command}`: Python {machine['python']}, {machine['cpus']} CPUs, "
        f"PyAthena {machine['pyathena']}; the local stack in its own process; {LATENCY * 1000:.0f} ms added to "
        "every GetQueryResults call and S3 read in the throughput rows.",
        "",
        "| case | goal | measured |",
        "|---|---|---|",
    ]
    imp, con, req, poll = figures["import"], figures["connect"], figures["requests"], figures["polling"]
    lines.append(
        f"| `import athena_jwt_dbapi` vs `import pyathena` (best of 15) | ≤ 1.1x | {imp['ratio']:.2f}x "
        f"({imp['ours_best'] * 1000:.0f} ms vs {imp['pyathena_best'] * 1000:.0f} ms) |"
    )
    lines.append(
        f"| connect + query + fetch + close, default parameters, warm credentials, vs `pyathena.connect` | ≤ 0.6x "
        f"| {con['ratio']:.2f}x ({con['ours_median'] * 1000:.0f} ms vs {con['pyathena_median'] * 1000:.0f} ms) |"
    )
    for run in figures["throughput"]:
        m = run["medians"]
        lines.append(
            f"| {run['rows']:,} rows, default cursor vs `ResultFetcher=GetQueryResults` | ≤ 0.35x "
            f"| {run['default_vs_get_query_results']:.3f}x ({m['ours: default cursor (auto)']:.2f} s vs "
            f"{m['ours: ResultFetcher=GetQueryResults']:.2f} s) |"
        )
        lines.append(
            f"| {run['rows']:,} rows, default cursor vs the fastest PyAthena cursor ({run['fastest_pyathena']}) "
            f"| within 10% | {run['default_vs_fastest_pyathena']:.2f}x |"
        )
    mem = figures["memory"]
    lines.append(
        f"| client peak memory growth, `fetchmany` over {mem['rows']:,} rows | ≤ 100 MB | "
        f"{mem['peak_growth_mb']:.0f} MB ({mem['peak_growth_with_pyarrow_load_mb']:.0f} MB when the first S3 row "
        "also loads pyarrow) |"
    )
    lines.append(
        f"| 3-row result, default cursor | 1 GetQueryResults call, 0 S3 requests | "
        f"{req['three_rows_get_query_results_calls']} call(s), {req['three_rows_s3_requests']} S3 request(s) |"
    )
    lines.append(
        "| STS calls, 10 connections x 5 queries on 900 s credentials | 1 "
        f"| {req['sts_calls_10_connections_x_5_queries']} |"
    )
    lines.append(
        f"| `GetQueryExecution` calls for a {poll['long_query_seconds']:.0f} s query, defaults | ≤ 15 "
        f"| {poll['long_query_polls']} |"
    )
    lines.append(
        f"| time from the query finishing to `execute()` returning, 0.2 s query | ≤ 0.25 s "
        f"| {poll['finish_to_return_median']:.3f} s |"
    )
    lines += ["", "Seconds per case (median; GetQueryResults cases once):", ""]
    lines += ["| rows | " + " | ".join(figures["throughput"][0]["medians"]) + " |"]
    lines += ["|---:|" + "---:|" * len(figures["throughput"][0]["medians"])]
    for run in figures["throughput"]:
        lines.append(f"| {run['rows']:,} | " + " | ".join(f"{v:.2f}" for v in run["medians"].values()) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="20k/100k rows, a 5 s long query, fewer repeats")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per S3-reading case (default 5)")
    parser.add_argument("--json", metavar="PATH", help="also write the raw numbers here")
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.memory_child:
        memory_child(sys.stdin.read())
        return 0
    sizes = (20_000, 100_000) if arguments.quick else (200_000, 1_000_000)
    began = time.perf_counter()
    figures: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "pyathena": __import__("pyathena").__version__,
        },
    }
    log("import (fresh processes)")
    figures["import"] = bench_import()
    stack = Stack()
    try:
        for rows in sizes:
            log(f"seeding {rows:,} rows")
            stack.call("seed", sql=seed_sql(rows))
        log("connect + query + fetch + close")
        figures["connect"] = bench_connect(stack, repeat=10 if arguments.quick else 20)
        log("requests")
        figures["requests"] = bench_requests(stack)
        log("polling")
        figures["polling"] = bench_polling(stack, 5.0 if arguments.quick else 30.0)
        figures["throughput"] = [bench_throughput(stack, rows, arguments.repeat) for rows in sizes]
        log("memory")
        figures["memory"] = bench_memory(stack, sizes[-1])
    finally:
        stack.stop()
    figures["total_seconds"] = time.perf_counter() - began
    command = "python benchmarks/bench.py" + (" --quick" if arguments.quick else "")
    print(report(figures, command))
    if arguments.json:
        Path(arguments.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
