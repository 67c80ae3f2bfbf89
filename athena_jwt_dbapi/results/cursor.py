"""PyAthena's plain and dict cursors, with result sets that follow ``ResultFetcher``.

PEP 249 says ``arraysize`` (the default of ``fetchmany()``) starts at 1; PyAthena starts it at 1,000
because it doubles as the GetQueryResults page size. Here the two are apart: ``arraysize`` starts at 1
and may be any positive number, while pages stay at 1,000 rows (or ``FetchSize``), so a small
``fetchmany()`` never means small pages.
"""

from __future__ import annotations

from typing import Any

from pyathena.cursor import Cursor as PyAthenaCursor
from pyathena.cursor import DictCursor as PyAthenaDictCursor

from ..errors import ProgrammingError
from ..parameters.rules import PAGE_ROWS
from .result_set import FetcherDictResultSet, FetcherResultSet


class _PagedApart:
    """Mixin: ``arraysize`` is PEP 249's (default 1, any positive number), apart from the page size."""

    _arraysize: int

    def _init_paging(self, kwargs: dict[str, Any]) -> None:
        given = kwargs.get("arraysize")
        self.arraysize = 1 if given is None else given  # checked by the setter
        self._page_size = min(self._arraysize, PAGE_ROWS) if given is not None else PAGE_ROWS

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ProgrammingError(f"arraysize must be a positive integer, not {value!r}.")
        self._arraysize = value

    def fetchmany(self, size: int | None = None) -> Any:
        """PEP 249: without ``size``, the cursor's ``arraysize`` as it is now (set after ``execute()`` too)."""
        return super().fetchmany(size or self._arraysize)  # type: ignore[misc]


class Cursor(_PagedApart, PyAthenaCursor):
    """``pyathena.cursor.Cursor`` whose results come from GetQueryResults and the S3 result file."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{k: v for k, v in kwargs.items() if k != "arraysize"})
        self._init_paging(kwargs)
        self._result_set_class = FetcherResultSet
        self._result_set_kwargs = {"page_size": self._page_size}


class DictCursor(_PagedApart, PyAthenaDictCursor):
    """``pyathena.cursor.DictCursor`` whose results come from GetQueryResults and the S3 result file."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{k: v for k, v in kwargs.items() if k != "arraysize"})
        self._init_paging(kwargs)
        self._result_set_class = FetcherDictResultSet
        self._result_set_kwargs = {**self._result_set_kwargs, "page_size": self._page_size}
