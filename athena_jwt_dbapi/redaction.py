"""Keep secrets out of logs, messages and reprs.

botocore logs STS request bodies (the JWT) and response bodies (the issued secret key and session token)
at DEBUG, and SigV4 logs the canonical request with the session token. We cannot stop those libraries
from formatting the text, so a filter on their loggers rewrites each record before any handler sees it:
first every secret value this process has handed to AWS or received from it, then patterns that catch
secrets we were never told about (JWT-shaped strings, XML/JSON/form fields named like secrets, IAM Identity
Center's tokens and identity contexts included).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import weakref
from urllib.parse import quote

REDACTED = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A JWT: three base64url segments, the first two JSON objects ("eyJ" = '{"').
    (re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"), REDACTED),
    # XML elements of STS responses and similar.
    (
        re.compile(r"(<(SecretAccessKey|SessionToken|WebIdentityToken|Password)>)[^<]*(</\2>)"),
        r"\1" + REDACTED + r"\3",
    ),
    # Form-encoded request bodies (query protocol) and query strings.
    (
        re.compile(
            r"((?:WebIdentityToken|SecretAccessKey|SessionToken|X-Amz-Security-Token|Password|ContextAssertion)=)"
            r"[^&\s'\"]+",
            re.IGNORECASE,
        ),
        r"\1" + REDACTED,
    ),
    # JSON / Python-repr dictionaries.
    (
        re.compile(
            r"""(['"](?:SecretAccessKey|SessionToken|WebIdentityToken|secret_key|token|"""
            r"""aws_secret_access_key|aws_session_token|Password|ProxyPassword|"""
            # IAM Identity Center (JWT_TIP): CreateTokenWithIAM's request and answer, AssumeRole's context.
            r"""assertion|accessToken|refreshToken|idToken|identityContext|ContextAssertion)['"]\s*:\s*)"""
            r"""(['"])[^'"]*\2""",
            re.IGNORECASE,
        ),
        r"\1\2" + REDACTED + r"\2",
    ),
    # HTTP headers as logged by botocore.auth / urllib3, and botocore.endpoint's header dict
    # ('X-Amz-Security-Token': b'...').
    (
        re.compile(r"""(x-amz-security-token['"]?\s*[:=]\s*b?['"]?)[^'"\s,}]+""", re.IGNORECASE),
        r"\1" + REDACTED,
    ),
)

_MIN_SECRET_LENGTH = 4


class _SecretRegistry:
    """The secret values this process has seen lately, longest first so no secret is half-masked.

    Bounded: a long-lived process refreshes credentials for days (and a JWT_TIP server does so per user), so
    the least recently registered values are forgotten past :data:`MAX_SECRETS` — by then their credentials
    have long expired (a value still in use is registered again at each read, which makes it the newest), and
    the patterns still mask every field named like a secret.
    """

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._values: dict[str, None] = {}  # insertion-ordered: the oldest first
        self._ordered: tuple[str, ...] = ()

    def add(self, value: str | None) -> None:
        """Remember ``value`` and its URL-encoded form (as in a proxy URL or a form-encoded request body)."""
        if not isinstance(value, str) or len(value) < _MIN_SECRET_LENGTH:
            return
        forms = (value, quote(value, safe=""))
        with self._lock:
            known = all(form in self._values for form in forms)
            for form in forms:  # the newest now, known or not: a value still in use is never the oldest
                self._values.pop(form, None)
                self._values[form] = None
            if known:
                return  # the same values: the longest-first order stands
            while len(self._values) > self._limit:
                del self._values[next(iter(self._values))]
            self._ordered = tuple(sorted(self._values, key=len, reverse=True))

    def values(self) -> tuple[str, ...]:
        return self._ordered


#: How many secret values (each with its URL-encoded form) are remembered for masking.
MAX_SECRETS = 4096
_registry = _SecretRegistry(MAX_SECRETS)


class Secret:
    """A secret string in a holder that shows as ``***``: tracebacks that print locals (``pytest -l``,
    error reporters) see the holder, never the value, which is revealed only where it goes on the wire."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        register_secret(value)
        self._value = value

    def reveal(self) -> str:
        return self._value

    def digest(self) -> str:
        """The value's SHA-256 (hex): how a secret enters a cache key."""
        return hashlib.sha256(self._value.encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"<Secret {REDACTED}>"

    __str__ = __repr__


def register_secret(value: str | None) -> None:
    """Remember ``value`` as secret so that it is masked wherever it shows up in a log or message."""
    _registry.add(value)


def redact(text: str) -> str:
    """``text`` with every known secret value and every secret-shaped field masked."""
    for value in _registry.values():
        if value in text:
            text = text.replace(value, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with :func:`redact` (formatting it first, so args cannot leak)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the record, but never its arguments
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = ()
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
        return True


_FILTER = RedactingFilter()
_LOGGER_PREFIXES = ("botocore", "boto3", "urllib3", "pyathena", "s3fs", "fsspec", "athena_jwt_dbapi")
_filtered: weakref.WeakSet[logging.Logger] = weakref.WeakSet()
_install_lock = threading.Lock()
_loggers_seen = -1


def install_log_filter() -> None:
    """Attach the redacting filter to every logger of the libraries that see our secrets.

    Filters on a logger apply only to records created on that very logger, not to its children, so
    each existing logger of those libraries gets it. Called at every ``connect()`` and every new cursor,
    so loggers that the libraries create lazily are covered too; it rescans only when loggers were added.
    """
    global _loggers_seen
    with _install_lock:
        if len(logging.root.manager.loggerDict) == _loggers_seen:
            return
        _loggers_seen = len(logging.root.manager.loggerDict)
        names = [name for name in list(logging.root.manager.loggerDict) if name.split(".", 1)[0] in _LOGGER_PREFIXES]
        for prefix in _LOGGER_PREFIXES:
            if prefix not in names:
                names.append(prefix)
        for name in names:
            logger = logging.getLogger(name)
            if logger not in _filtered:
                logger.addFilter(_FILTER)
                _filtered.add(logger)
        # A library logs only where the application configured logging. Without these, Python's last-resort
        # handler prints PyAthena's "Failed to execute query." and its traceback to stderr although the
        # error is raised to the caller anyway (handlers the application adds still get every record).
        for name in ("pyathena", "athena_jwt_dbapi"):
            logger = logging.getLogger(name)
            if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
                logger.addHandler(logging.NullHandler())
