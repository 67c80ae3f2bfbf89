"""Statement text before parsing: execution parameters, comments and Athena's statement types."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .failures import QueryFailure

__all__ = ["bind_parameters", "classify", "strip_comments"]


def bind_parameters(sql: str, parameters: Sequence[str] | None) -> str:
    """Replace each ``?`` outside literals, quoted identifiers and comments by a parameter's text.

    Athena substitutes ExecutionParameters textually, each being a SQL literal, so this does too.
    """
    params = list(parameters or [])
    out: list[str] = []
    used = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        end = _skip_quoted_or_comment(sql, i)
        if end > i:
            out.append(sql[i:end])
            i = end
            continue
        if ch == "?":
            if used < len(params):
                out.append(params[used])
            used += 1
        else:
            out.append(ch)
        i += 1
    if used != len(params):
        raise QueryFailure(
            "INVALID_PARAMETER_USAGE",
            f"Incorrect number of parameters: expected {used} but found {len(params)}",
            position=(1, 1),
        )
    return "".join(out)


def _skip_quoted_or_comment(sql: str, i: int) -> int:
    """Return the end of the literal/identifier/comment starting at ``i`` (``i`` when none does)."""
    ch = sql[i]
    if ch in "'\"":
        j = i + 1
        while j < len(sql):
            if sql[j] == ch:
                if j + 1 < len(sql) and sql[j + 1] == ch:
                    j += 2
                    continue
                return j + 1
            j += 1
        return len(sql)
    if sql.startswith("--", i):
        j = sql.find("\n", i)
        return len(sql) if j < 0 else j
    if sql.startswith("/*", i):
        j = sql.find("*/", i + 2)
        return len(sql) if j < 0 else j + 2
    return i


def strip_comments(sql: str) -> str:
    """Remove comments (keeping literals) so statement classification sees the first keyword."""
    out: list[str] = []
    i = 0
    while i < len(sql):
        end = _skip_quoted_or_comment(sql, i)
        if end > i:
            if sql[i] in "'\"":
                out.append(sql[i:end])
            else:
                out.append(" ")
            i = end
        else:
            out.append(sql[i])
            i += 1
    return "".join(out).strip().rstrip(";").strip()


_CLASSIFIERS: list[tuple[str, str, str]] = [
    (r"SHOW\s+(?:DATABASES|SCHEMAS)\b", "UTILITY", "SHOW_DATABASES"),
    (r"SHOW\s+TABLES\b", "UTILITY", "SHOW_TABLES"),
    (r"SHOW\s+COLUMNS\b", "UTILITY", "SHOW_COLUMNS"),
    (r"SHOW\s+PARTITIONS\b", "UTILITY", "SHOW_PARTITIONS"),
    (r"SHOW\s+CREATE\s+TABLE\b", "UTILITY", "SHOW_CREATE_TABLE"),
    (r"SHOW\s+CREATE\s+VIEW\b", "UTILITY", "SHOW_CREATE_VIEW"),
    (r"(?:DESCRIBE|DESC)\b", "UTILITY", "DESCRIBE"),
    (r"EXPLAIN\b", "UTILITY", "EXPLAIN"),
    (r"SHOW\b", "UTILITY", "SHOW"),
    (r"CREATE\s+(?:DATABASE|SCHEMA)\b", "DDL", "CREATE_DATABASE"),
    (r"DROP\s+(?:DATABASE|SCHEMA)\b", "DDL", "DROP_DATABASE"),
    (r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\b", "DDL", "CREATE_VIEW"),
    (
        r"CREATE\s+(?:EXTERNAL\s+)?TABLE\b[\s\S]*\bAS\s*\(?\s*(?:SELECT|WITH|VALUES)\b",
        "DML",
        "CREATE_TABLE_AS_SELECT",
    ),
    (r"CREATE\s+(?:EXTERNAL\s+)?TABLE\b", "DDL", "CREATE_TABLE"),
    (r"DROP\s+VIEW\b", "DDL", "DROP_VIEW"),
    (r"DROP\s+TABLE\b", "DDL", "DROP_TABLE"),
    (r"ALTER\s+TABLE\s+\S+\s+ADD\s+(?:IF\s+NOT\s+EXISTS\s+)?PARTITION\b", "DDL", "ALTER_TABLE_ADD_PARTITION"),
    (r"ALTER\s+TABLE\s+\S+\s+DROP\s+(?:IF\s+EXISTS\s+)?PARTITION\b", "DDL", "ALTER_TABLE_DROP_PARTITION"),
    (r"MSCK\s+REPAIR\b", "DDL", "MSCK_REPAIR_TABLE"),
    (r"(?:ALTER|MSCK)\b", "DDL", "ALTER_TABLE"),
    (r"UNLOAD\b", "DML", "UNLOAD"),
    (r"INSERT\b", "DML", "INSERT"),
    (r"(?:UPDATE)\b", "DML", "UPDATE"),
    (r"(?:DELETE)\b", "DML", "DELETE"),
    (r"(?:MERGE)\b", "DML", "MERGE"),
]


def classify(sql: str) -> tuple[str, str]:
    """Athena's (StatementType, SubstatementType) for a statement, known before it runs.

    Athena reports SELECT/INSERT/CTAS as DML, CREATE/DROP/ALTER as DDL and SHOW/DESCRIBE/EXPLAIN
    as UTILITY (per the QueryExecution API reference and PyAthena's handling of ``.txt`` output).
    """
    text = strip_comments(sql).lstrip("( \n\t")
    for pattern, statement_type, substatement in _CLASSIFIERS:
        if re.match(pattern, text, re.IGNORECASE):
            return statement_type, substatement
    return "DML", "SELECT"
