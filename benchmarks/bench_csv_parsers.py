"""How fast each available parser reads Athena's result CSV: the measurement behind the parser order in
``athena_jwt_dbapi/results/csv_rows.py`` (fastest first).

``python benchmarks/bench_csv_parsers.py [--rows 300000]`` builds a result file in Athena's form (every
value quoted, NULL an empty unquoted field, quotes doubled, a newline inside some values) in memory, and
times each parser that is usable in this interpreter, text only and with PyAthena's default conversion of
the seven column types (as the plain cursor does). Run it under another Python (3.13 has the standard
library's ``QUOTE_NOTNULL`` reader) to see that parser too.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyathena.converter import DefaultTypeConverter

from athena_jwt_dbapi.results import csv_rows

TYPES = ("bigint", "varchar", "double", "date", "timestamp", "boolean", "decimal")


def result_file(rows: int) -> bytes:
    def line(n: int) -> str:
        name = "" if n % 10 == 0 else f'"name ""{n}"",\nx"'
        return f'"{n}",{name},"{n / 7}","2015-01-01","2020-01-01 00:00:{n % 60:02d}.000","true","{n % 1000}.00"\n'

    header = ",".join(f'"{t}"' for t in TYPES) + "\n"
    return (header + "".join(line(n) for n in range(rows))).encode()


def timed(parser: str, data: bytes, convert: bool) -> float:
    converter = DefaultTypeConverter()
    functions = [converter.get(t) for t in TYPES]
    start = time.perf_counter()
    count = 0
    for batch in csv_rows.read_batches(io.BytesIO(data), len(TYPES), 0, parser):
        if convert:
            batch = [[None if v is None else f(v) for v in column] for f, column in zip(functions, batch, strict=True)]
        count += len(list(zip(*batch, strict=True)))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=300_000)
    rows: int = parser.parse_args(argv).rows
    data = result_file(rows)
    print(f"Python {sys.version.split()[0]}, {rows:,} rows, {len(data) / 1e6:.1f} MB\n")
    print("| parser | text only (s) | with conversion (s) |")
    print("|---|---:|---:|")
    for name in csv_rows.available_parsers():
        print(f"| {name} | {timed(name, data, False):.2f} | {timed(name, data, True):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
