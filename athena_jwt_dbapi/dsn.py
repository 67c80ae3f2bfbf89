"""Parse an Athena JDBC URL (``jdbc:athena://Name=Value;Name=Value``) into a name → value mapping.

Everything after the first ``=`` of a segment is the value, so values may contain ``=`` but not ``;``
(such values go in keyword arguments). The legacy prefix ``jdbc:awsathena://`` works but warns. A first
segment without ``=`` is the JDBC 2.x host form (``athena.us-east-1.amazonaws.com:443``) and becomes
``AthenaEndpoint``. Names are checked later, by :mod:`.parameters`.
"""

from __future__ import annotations

from ._warn import warn
from .errors import ParameterError

PREFIX = "jdbc:athena://"
LEGACY_PREFIX = "jdbc:awsathena://"


class JdbcUrl(dict[str, str]):
    """The URL's parameters by name as spelled, in order. ``after_secret`` holds the names of the segments
    after a secret parameter's: a secret value cannot contain ``;`` in a URL, so such a "name" may be a
    piece of the secret, and no message may show it."""

    def __init__(self) -> None:
        super().__init__()
        self.after_secret: set[str] = set()


def parse_jdbc_url(url: str, secret_names: frozenset[str] = frozenset()) -> JdbcUrl:
    """The URL's parameters by name as spelled; a name given twice is an error. ``secret_names`` are the
    lower-cased names (and aliases) of secret parameters."""
    if not isinstance(url, str):
        raise ParameterError(f"The connection string must be a str, not {type(url).__name__}.", parameter="dsn")
    lowered = url.lower()
    if lowered.startswith(PREFIX):
        body = url[len(PREFIX) :]
    elif lowered.startswith(LEGACY_PREFIX):
        warn("The jdbc:awsathena:// prefix is deprecated; use jdbc:athena://.", DeprecationWarning)
        body = url[len(LEGACY_PREFIX) :]
    else:
        raise ParameterError(
            "The connection string must be a JDBC URL starting with jdbc:athena:// (for example "
            "jdbc:athena://Region=us-east-1;CredentialsProvider=JWT;...).",
            parameter="dsn",
        )
    result = JdbcUrl()
    seen: dict[str, str] = {}
    follows_secret = False
    for position, segment in enumerate(body.split(";")):
        segment = segment.strip()
        if not segment:
            continue
        name, sep, value = segment.partition("=")
        name = name.strip()
        if not sep:
            if position == 0:
                name, value = "AthenaEndpoint", segment
            else:
                raise ParameterError(
                    f"Segment {position + 1} of the JDBC URL has no '='; segments are Name=Value "
                    "(its text is not shown in case it is a secret).",
                    parameter="dsn",
                )
        if not name:
            raise ParameterError("A JDBC URL segment has a value but no name (it starts with '=').", parameter="dsn")
        key = name.lower()
        if key in seen:
            if follows_secret:
                raise ParameterError(
                    "A connection property is given twice in the JDBC URL (its name is not shown: it follows a "
                    "secret parameter and may be part of its value; a value cannot contain ';' in a URL, so pass "
                    "secrets as keyword arguments).",
                    parameter="dsn",
                )
            host_form = ""
            if key == "athenaendpoint":
                host_form = " (the host before the first ';' counts as AthenaEndpoint)"
            message = f"Connection property {name} is given twice in the JDBC URL{host_form}."
            raise ParameterError(message, parameter=name)
        seen[key] = name
        result[name] = value.strip()
        if follows_secret:
            result.after_secret.add(name)
        # A value cannot contain ';' in a URL, so a secret that did is cut there, and every later segment
        # may hold a piece of it.
        follows_secret = follows_secret or key in secret_names
    return result
