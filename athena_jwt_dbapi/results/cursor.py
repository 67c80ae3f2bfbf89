"""PyAthena's plain and dict cursors, with result sets that follow ``ResultFetcher``."""

from __future__ import annotations

from typing import Any

from pyathena.cursor import Cursor as PyAthenaCursor
from pyathena.cursor import DictCursor as PyAthenaDictCursor

from .result_set import FetcherDictResultSet, FetcherResultSet


class Cursor(PyAthenaCursor):
    """``pyathena.cursor.Cursor`` whose results come from GetQueryResults and the S3 result file."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._result_set_class = FetcherResultSet


class DictCursor(PyAthenaDictCursor):
    """``pyathena.cursor.DictCursor`` whose results come from GetQueryResults and the S3 result file."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._result_set_class = FetcherDictResultSet
