"""Which cursor class a connection really hands out for the one the user asked for.

Some PyAthena cursors get a subclass of ours: the plain and dict cursors read large results from the S3
result file (``ResultFetcher``, see :mod:`.results`), the Arrow cursors read through ``S3Endpoint``
(see :mod:`._arrow`). They are matched by name, so that asking for a plain cursor never imports pyarrow.
Then every class, ours or the user's, gets two mixins: JDBC's polling backoff (:mod:`.polling`) and
PEP 249 errors for query parameters that do not fit the query (:class:`ParameterFormatErrors`).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, cast

from .errors import ProgrammingError
from .polling import BackoffPolling

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


class ParameterFormatErrors:
    """Mixin: a query and parameters that do not fit raise ``ProgrammingError`` saying what is wrong.

    PyAthena formats pyformat parameters with ``operation % parameters`` and lets Python's ``KeyError``,
    ``ValueError`` and ``TypeError`` escape, which no PEP 249 ``except Error`` catches.
    """

    def _prepare_query(self, operation: str, parameters: Any = None, paramstyle: str | None = None) -> Any:
        try:
            return super()._prepare_query(operation, parameters, paramstyle)  # type: ignore[misc]
        except KeyError as error:
            name = error.args[0] if error.args else "?"
            raise ProgrammingError(
                f"The query uses the parameter %({name})s, but the parameters have no key {name!r}."
            ) from None
        except (ValueError, TypeError) as error:
            raise ProgrammingError(
                f"The query and its parameters do not fit ({error}). With pyformat parameters, write a literal "
                "% as %% (SELECT 10 %% 3 WHERE x = %(x)s); parameters are a dict for %(name)s markers, or a list "
                "with paramstyle='qmark' for ? markers."
            ) from None


def driver_cursor_class(cursor_class: type[Any]) -> type[Any]:
    """The class a connection instantiates for ``cursor_class``: our substitute if any, with the mixins."""
    made: type[Any] = _with_mixins(cast(Any, substitute_cursor_class(cursor_class)))
    return made


@functools.cache
def _with_mixins(cursor_class: Any) -> Any:
    """One subclass per class, of the same name (``athena_jwt_dbapi.cursors.PandasCursor`` is a
    ``pyathena.pandas.cursor.PandasCursor``)."""
    if issubclass(cursor_class, BackoffPolling):
        return cursor_class
    return type(
        cursor_class.__name__, (BackoffPolling, ParameterFormatErrors, cursor_class), {"__doc__": cursor_class.__doc__}
    )
