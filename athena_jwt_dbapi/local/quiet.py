"""Keep sqlglot's chatter about statements it half-understands out of the user's stderr.

sqlglot logs a warning ("... contains unsupported syntax. Falling back to parsing as a 'Command'",
"Unsupported property ...") whenever it meets Hive DDL it has no node for. The engine handles those
statements itself, so the warnings say nothing to the user, and with no logging configured Python's
last-resort handler prints them to stderr. A filter on sqlglot's logger drops records emitted while
*this thread* is inside the engine's own sqlglot calls; sqlglot used elsewhere in the process (by the
user's code, or another thread) keeps its warnings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["quiet_sqlglot"]

_state = threading.local()


class _DropInsideEngine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_state, "depth", 0)


_FILTER = _DropInsideEngine()
_install_lock = threading.Lock()


def _install() -> None:
    logger = logging.getLogger("sqlglot")
    with _install_lock:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@contextmanager
def quiet_sqlglot() -> Iterator[None]:
    """Silence sqlglot's log records from this thread for the duration of the block (re-entrant)."""
    _install()
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
