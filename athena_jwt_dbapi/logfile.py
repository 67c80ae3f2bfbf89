"""``LogPath``/``LogLevel``: the JDBC driver's file log, redacted like every other log of ours.

As in JDBC, nothing is written without ``LogPath``. The handler carries the redacting filter itself, so
records from any child logger (``botocore.endpoint``, ``botocore.parsers``, ...) are cleaned before they
reach the file.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

from .errors import ParameterError
from .redaction import RedactingFilter

if TYPE_CHECKING:
    from .parameters import Settings

FILE_NAME = "athena-jwt-dbapi.log"
_LEVELS = {
    "ERROR": logging.ERROR,
    "WARN": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
    "TRACE": logging.DEBUG,
}
_OWN_LOGGERS = ("athena_jwt_dbapi", "pyathena")
_lock = threading.Lock()
_handlers: dict[str, logging.Handler] = {}


def configure(directory: str | None, level_name: str, *, include_botocore: bool = False) -> str | None:
    """Attach (once per file) a redacted file handler; returns the file's path, or None if not logging.

    botocore joins only when ``LogLevel`` is given explicitly: lowering botocore's level to DEBUG also
    sends its records to the application's own handlers, which the default (TRACE) should not impose.
    """
    if not directory or level_name == "OFF":
        return None
    path = os.path.join(os.path.abspath(os.path.expanduser(directory)), FILE_NAME)
    level = _LEVELS[level_name]
    loggers = (*_OWN_LOGGERS, "botocore") if include_botocore else _OWN_LOGGERS
    with _lock:
        handler = _handlers.get(path)
        if handler is None:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            handler = logging.FileHandler(path, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            handler.addFilter(RedactingFilter())
            _handlers[path] = handler
        handler.setLevel(level)
        for name in loggers:
            if handler not in logging.getLogger(name).handlers:
                logging.getLogger(name).addHandler(handler)
            logger = logging.getLogger(name)
            if logger.getEffectiveLevel() > level:
                logger.setLevel(level)
    return path


def configure_from(settings: Settings) -> None:
    """:func:`configure` from the ``LogPath`` and ``LogLevel`` parameters; a directory that cannot be made is
    the user's ``LogPath`` error."""
    try:
        configure(settings["LogPath"], settings["LogLevel"], include_botocore=settings.given("LogLevel"))
    except (OSError, ValueError) as error:
        raise ParameterError(
            f"Invalid value specified for connection property: LogPath. {type(error).__name__}: {error}",
            parameter="LogPath",
        ) from None
