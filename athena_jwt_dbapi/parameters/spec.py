"""What a connection parameter is: its names, type, default, secrecy and check.

Only the vocabulary lives here; the parameters themselves are declared in :mod:`.parameters` (the
common ones) and by each credentials provider (its own), so a provider never touches the parser.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: A check returns ``None`` when the value is fine, else a sentence saying what is wrong.
Validator = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Alias:
    """Another accepted name; a deprecated one still works but warns."""

    name: str
    deprecated: bool = True


@dataclass(frozen=True)
class Parameter:
    """One connection parameter.

    ``applied`` says where the value goes (for the README table); ``not_applied`` is set for a JDBC
    parameter that has no meaning in Python: giving it warns with that reason instead of being dropped.
    ``kind`` is ``str``, ``int``, ``float``, ``bool`` or ``object`` (passed through untouched).
    ``passed_as`` names the keyword argument of the connection (PyAthena's, or ours) that takes the value as
    it is, when it is not None; a parameter without it is applied by the code that reads it.
    """

    name: str
    kind: type
    description: str
    default: Any = None
    required: bool = False
    secret: bool = False
    aliases: tuple[Alias, ...] = ()
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    validator: Validator | None = None
    applied: str = ""
    not_applied: str | None = None
    group: str = "common"
    extension: bool = field(default=False)
    #: For the README when a provider enforces required-ness itself (e.g. "yes, or AWS_ROLE_ARN").
    required_note: str = ""
    passed_as: str = ""

    def names(self) -> tuple[str, ...]:
        return (self.name, *(alias.name for alias in self.aliases))


# --- reusable checks -----------------------------------------------------------------------------


def pattern(regex: str, meaning: str) -> Validator:
    """A check that the whole string matches ``regex``; ``meaning`` describes the expected shape."""
    compiled = re.compile(regex, re.ASCII)  # AWS patterns are ASCII: \w must not accept "é"

    def check(value: Any) -> str | None:
        if isinstance(value, str) and compiled.fullmatch(value):
            return None
        return f"It must be {meaning}."

    return check


def length(low: int, high: int) -> Validator:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and low <= len(value) <= high:
            return None
        size = len(value) if isinstance(value, str) else "?"
        return f"Its length must be between {low} and {high} characters; it has {size}."

    return check


def printable(*, ascii_only: bool, meaning: str) -> Validator:
    """No control characters (CR, LF, NUL, ...), not blank; ``ascii_only`` for what goes in an HTTP header."""

    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return f"It must be {meaning}, not blank."
        if not value.isprintable() or (ascii_only and not value.isascii()):
            kind = "printable ASCII characters" if ascii_only else "printable characters"
            return f"It must be {meaning} of {kind} (no line breaks or control characters)."
        return None

    return check


def all_of(*checks: Validator) -> Validator:
    def check(value: Any) -> str | None:
        for one in checks:
            problem = one(value)
            if problem:
                return problem
        return None

    return check


def endpoint(*, allow_path: bool = True) -> Validator:
    """A host name or an http(s) URL whose port (if any) is valid; ``https://`` is assumed when absent."""

    def check(value: Any) -> str | None:
        meaning = "a host name or an http(s) URL" + ("" if allow_path else " without a path")
        if not isinstance(value, str) or not value or any(c.isspace() for c in value):
            return f"It must be {meaning}."
        url = value if "://" in value else f"https://{value}"
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return f"It must be {meaning} with a port between 1 and 65535."
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return f"It must be {meaning}."
        if parts.username or parts.password:
            return f"It must be {meaning} (no user name or password in it)."
        if port == 0 or (not allow_path and parts.path not in ("", "/")) or parts.query or parts.fragment:
            return f"It must be {meaning}."
        if not _botocore_accepts(url):
            return (
                f"It must be {meaning} whose host is a valid DNS name (letters, digits and hyphens, labels of "
                "at most 63 characters) or IP address."
            )
        return None

    return check


def _botocore_accepts(url: str) -> bool:
    """botocore's own endpoint check, which it runs only when it builds a client (after STS is called)."""
    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    return bool(is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url))


def instance_of(*kinds: type | str, meaning: str) -> Validator:
    """An isinstance check; a kind given as ``"module:Class"`` is imported only when a value is checked,
    so declaring a parameter of a botocore or PyAthena type costs no import."""

    def check(value: Any) -> str | None:
        resolved = tuple(_import_kind(kind) if isinstance(kind, str) else kind for kind in kinds)
        return None if isinstance(value, resolved) else f"It must be {meaning}, not {type(value).__name__}."

    return check


def _import_kind(spec: str) -> type:
    module, _, name = spec.partition(":")
    kind: type = getattr(importlib.import_module(module), name)
    return kind


def a_class(value: Any) -> str | None:
    return None if isinstance(value, type) else f"It must be a class, not {type(value).__name__}."


S3_URI = pattern(r"s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?", "an S3 URI such as s3://bucket/prefix/")
ENDPOINT = endpoint()
CALLABLE: Validator = lambda value: None if callable(value) else "It must be a callable."  # noqa: E731
