"""PEP 249 type objects and constructors.

PyAthena's type objects are reused so that ``cursor.description`` type codes compare equal to them;
``ROWID`` and the ``*FromTicks`` constructors, which PyAthena lacks, are added here.
"""

from __future__ import annotations

import datetime
import time

from pyathena import (
    BINARY,
    BOOLEAN,
    DATE,
    DATETIME,
    JSON,
    NUMBER,
    STRING,
    TIME,
    DBAPITypeObject,
)

__all__ = [
    "BINARY",
    "BOOLEAN",
    "DATE",
    "DATETIME",
    "JSON",
    "NUMBER",
    "ROWID",
    "STRING",
    "TIME",
    "Binary",
    "DBAPITypeObject",
    "Date",
    "DateFromTicks",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
]

#: Athena has no row identifiers; an empty type object compares equal to no column type.
ROWID: DBAPITypeObject = DBAPITypeObject(())

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = bytes


def DateFromTicks(ticks: float) -> datetime.date:
    """The local date of a POSIX timestamp, as PEP 249 specifies."""
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:
    """The local time of day of a POSIX timestamp, as PEP 249 specifies."""
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:
    """The local date and time of a POSIX timestamp, as PEP 249 specifies."""
    return Timestamp(*time.localtime(ticks)[:6])
