"""Parse an Athena JDBC URL (``jdbc:athena://Name=Value;Name=Value``) into a name → value mapping.

Everything after the first ``=`` of a segment is the value, so values may contain ``=`` but not ``;``
(such values go in keyword arguments). The legacy prefix ``jdbc:awsathena://`` works but warns. A first
segment without ``=`` is the JDBC 2.x host form (``athena.us-east-1.amazonaws.com:443``) and becomes
``AthenaEndpoint``. Names are checked later, by the parameter catalogue.
"""

from __future__ import annotations

from ._warn import warn
from .errors import ParameterError

PREFIX = "jdbc:athena://"
LEGACY_PREFIX = "jdbc:awsathena://"


def parse_jdbc_url(url: str) -> dict[str, str]:
    """The URL's parameters by name as spelled; a name given twice is an error."""
    if not isinstance(url, str):
        raise ParameterError("dsn", f"The connection string must be a str, not {type(url).__name__}.")
    lowered = url.lower()
    if lowered.startswith(PREFIX):
        body = url[len(PREFIX) :]
    elif lowered.startswith(LEGACY_PREFIX):
        warn("The jdbc:awsathena:// prefix is deprecated; use jdbc:athena://.", DeprecationWarning)
        body = url[len(LEGACY_PREFIX) :]
    else:
        raise ParameterError(
            "dsn",
            "The connection string must be a JDBC URL starting with jdbc:athena:// (for example "
            "jdbc:athena://Region=us-east-1;CredentialsProvider=JWT;...).",
        )
    result: dict[str, str] = {}
    seen: dict[str, str] = {}
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
                    "dsn",
                    f"Segment {position + 1} of the JDBC URL has no '='; segments are Name=Value "
                    "(its text is not shown in case it is a secret).",
                )
        if not name:
            raise ParameterError("dsn", "A JDBC URL segment has a value but no name (it starts with '=').")
        key = name.lower()
        if key in seen:
            raise ParameterError(name, f"Connection property {name} is given twice in the JDBC URL.")
        seen[key] = name
        result[name] = value.strip()
    return result
