"""Which cursor class a connection really hands out for the one the user asked for.

Some PyAthena cursors get a subclass of ours: the plain and dict cursors read large results from the S3
result file (``ResultFetcher``, see :mod:`.results`), the Arrow cursors read through ``S3Endpoint``
(see :mod:`._arrow`). They are matched by name, so that asking for a plain cursor never imports pyarrow.
"""

from __future__ import annotations

import importlib
from typing import Any

#: PyAthena's class (module, name) → our subclass ("module:name"), imported when first asked for.
_SUBSTITUTES: dict[tuple[str, str], str] = {
    ("pyathena.cursor", "Cursor"): "athena_jwt_dbapi.results.cursor:Cursor",
    ("pyathena.cursor", "DictCursor"): "athena_jwt_dbapi.results.cursor:DictCursor",
    ("pyathena.arrow.cursor", "ArrowCursor"): "athena_jwt_dbapi._arrow:ArrowCursor",
    ("pyathena.arrow.async_cursor", "AsyncArrowCursor"): "athena_jwt_dbapi._arrow:AsyncArrowCursor",
}


def substitute_cursor_class(cursor_class: type[Any]) -> type[Any]:
    """Our subclass for one of PyAthena's cursors that has one; any other class unchanged."""
    target = _SUBSTITUTES.get((cursor_class.__module__, cursor_class.__qualname__))
    if target is None:
        return cursor_class
    module, _, name = target.partition(":")
    substitute: type[Any] = getattr(importlib.import_module(module), name)
    return substitute
