"""A statement's text before parsing: its tokens, its execution parameters bound, its comments gone, and
Athena's statement type.

sqlglot's tokenizer (Trino's rules, with Hive's as Athena's fallback for DDL such as ``ESCAPED BY '\\''``)
knows where strings, quoted identifiers and comments begin and end, so a ``?`` or a ``--`` inside them is
never mistaken for a marker. Each ``ExecutionParameters`` value must parse as one constant expression, as
Trino's ``EXECUTE ... USING`` requires, and is bound as that one expression: a parameter cannot add a
column, close a parenthesis or comment out the rest of the statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar

import sqlglot
from sqlglot import Token, TokenType, exp
from sqlglot.dialects.hive import Hive
from sqlglot.dialects.trino import Trino
from sqlglot.errors import ParseError, TokenError

from .failures import QueryFailure
from .quiet import quiet_sqlglot

__all__ = ["StatementText", "classify", "closing_paren", "prepare"]


class _TrinoTokenizer(Trino.Tokenizer):
    COMMANDS: ClassVar[set[TokenType]] = set()  # SHOW, EXECUTE, ...: word by word, not one opaque string
    IDENTIFIERS: ClassVar[list[str | tuple[str, str]]] = ['"', "`"]  # Athena's DDL quotes names with backticks


class _HiveTokenizer(Hive.Tokenizer):
    COMMANDS: ClassVar[set[TokenType]] = set()


@dataclass(frozen=True)
class StatementText:
    """What the engine runs: parameters bound, comments blanked (lines and columns kept), no trailing ``;``."""

    text: str
    statement_type: str
    substatement_type: str


def prepare(sql: str, parameters: Sequence[str] | None = None) -> StatementText:
    """Bind ``parameters`` to the ``?`` markers of ``sql`` and classify it; :class:`QueryFailure` if it cannot."""
    tokens = _tokens(sql, strict=True)
    while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
        tokens.pop()
    if not tokens:
        raise QueryFailure("SYNTAX_ERROR", "mismatched input '<EOF>'", position=(1, 1))
    markers = [t for t in tokens if t.token_type == TokenType.PLACEHOLDER]
    values = list(parameters or [])
    if len(markers) != len(values):
        raise QueryFailure(
            "INVALID_PARAMETER_USAGE",
            f"Incorrect number of parameters: expected {len(markers)} but found {len(values)}",
            position=(1, 1),
        )
    bound = {
        id(marker): _parameter(i, value, _position(sql, marker.start))
        for i, (marker, value) in enumerate(zip(markers, values, strict=True), start=1)
    }
    text = _text(sql, tokens, lambda token: bound.get(id(token)))
    return StatementText(text, *_classify(tokens))


def classify(sql: str) -> tuple[str, str]:
    """Athena's (StatementType, SubstatementType) for a statement, known before it runs.

    Athena reports SELECT/INSERT/CTAS as DML, CREATE/DROP/ALTER as DDL and SHOW/DESCRIBE/EXPLAIN as
    UTILITY (per the QueryExecution API reference and PyAthena's handling of ``.txt`` output). Text that
    does not even tokenize is a (failing) query.
    """
    return _classify(_tokens(sql, strict=False))


def closing_paren(sql: str, open_at: int) -> int:
    """Index of the parenthesis closing the one at ``open_at`` (strings, quoted names and comments hold none)."""
    depth = 0
    for token in _tokens(sql, strict=True):
        if token.start >= open_at and token.token_type in (TokenType.L_PAREN, TokenType.R_PAREN):
            depth += 1 if token.token_type == TokenType.L_PAREN else -1
            if depth == 0:
                return token.start
    raise QueryFailure("SYNTAX_ERROR", "mismatched input '<EOF>': unbalanced parentheses", position=(1, 1))


# ---- tokens -----------------------------------------------------------------------------------------


def _tokens(sql: str, *, strict: bool) -> list[Token]:
    """The statement's tokens (a new tokenizer each time: a tokenizer keeps state while it works)."""
    try:
        return list(_TrinoTokenizer().tokenize(sql))
    except TokenError:
        try:
            return list(_HiveTokenizer().tokenize(sql))
        except TokenError as exc:
            if not strict:
                return []
            raise QueryFailure("SYNTAX_ERROR", "mismatched input '<EOF>'", position=_where(exc)) from exc


def _where(exc: TokenError) -> tuple[int, int]:
    """sqlglot says ``Missing ' from 1:7`` for an unterminated string; Trino counts columns from 1."""
    cause = str(exc.__cause__ or "")
    _, _, at = cause.rpartition(" from ")
    line, _, column = at.partition(":")
    return (int(line), int(column) + 1) if line.isdigit() and column.isdigit() else (1, 1)


def _position(sql: str, offset: int) -> tuple[int, int]:
    """Line and column (from 1) of a character of ``sql``, as Trino reports positions."""
    return sql.count("\n", 0, offset) + 1, offset - (sql.rfind("\n", 0, offset) + 1) + 1


def _text(sql: str, tokens: Sequence[Token], replace: Callable[[Token], str | None]) -> str:
    """The tokens' own text, with what lies between them (whitespace and comments) kept as whitespace."""
    parts: list[str] = []
    previous: Token | None = None
    for token in tokens:
        if previous is not None:
            gap = sql[previous.end + 1 : token.start]
            parts.append(gap if gap.isspace() or not gap else "".join(c if c == "\n" else " " for c in gap))
        replacement = replace(token)
        parts.append(sql[token.start : token.end + 1] if replacement is None else replacement)
        previous = token
    return "".join(parts)


# ---- parameters ---------------------------------------------------------------------------------------

# Bound without parentheses: nothing around them can change how they group.
_ATOMIC = (exp.Literal, exp.Null, exp.Boolean, exp.HexString, exp.Func, exp.Paren)


def _parameter(index: int, value: str, marker: tuple[int, int]) -> str:
    """One ``ExecutionParameters`` value as one expression in the statement's text (errors point at its ``?``)."""
    try:
        with quiet_sqlglot():
            node = sqlglot.parse_one(value, read="trino", into=exp.Condition)
    except (ParseError, TokenError) as exc:
        errors = getattr(exc, "errors", None) or [{}]
        token = str(errors[0].get("highlight") or "").strip()
        found = f": mismatched input '{token}'" if token else ""
        raise QueryFailure(
            "INVALID_PARAMETER_USAGE",
            f"Execution parameter {index} must be one expression, as in EXECUTE ... USING{found}",
            position=marker,
        ) from exc
    if node.find(exp.Query) is not None:
        raise QueryFailure("EXPRESSION_NOT_CONSTANT", "Constant expression cannot contain a subquery", position=marker)
    if node.find(exp.Column, exp.Placeholder) is not None:
        raise QueryFailure(
            "EXPRESSION_NOT_CONSTANT", "Constant expression cannot contain column references", position=marker
        )
    text = _text(value, _tokens(value, strict=True), lambda token: None)
    return text if isinstance(node, _ATOMIC) else f"({text})"


# ---- statement types ------------------------------------------------------------------------------------

_UTILITY = {
    ("SHOW", "DATABASES"): "SHOW_DATABASES",
    ("SHOW", "SCHEMAS"): "SHOW_DATABASES",
    ("SHOW", "TABLES"): "SHOW_TABLES",
    ("SHOW", "COLUMNS"): "SHOW_COLUMNS",
    ("SHOW", "PARTITIONS"): "SHOW_PARTITIONS",
    ("SHOW", "CREATE", "TABLE"): "SHOW_CREATE_TABLE",
    ("SHOW", "CREATE", "VIEW"): "SHOW_CREATE_VIEW",
    ("DESCRIBE",): "DESCRIBE",
    ("DESC",): "DESCRIBE",
    ("EXPLAIN",): "EXPLAIN",
    ("SHOW",): "SHOW",
}
_DDL = {
    ("CREATE", "DATABASE"): "CREATE_DATABASE",
    ("CREATE", "SCHEMA"): "CREATE_DATABASE",
    ("DROP", "DATABASE"): "DROP_DATABASE",
    ("DROP", "SCHEMA"): "DROP_DATABASE",
    ("CREATE", "VIEW"): "CREATE_VIEW",
    ("CREATE", "OR", "REPLACE", "VIEW"): "CREATE_VIEW",
    ("DROP", "VIEW"): "DROP_VIEW",
    ("DROP", "TABLE"): "DROP_TABLE",
    ("MSCK", "REPAIR"): "MSCK_REPAIR_TABLE",
    ("ALTER",): "ALTER_TABLE",
    ("MSCK",): "ALTER_TABLE",
}
_DML = {("UNLOAD",): "UNLOAD", ("INSERT",): "INSERT", ("UPDATE",): "UPDATE", ("DELETE",): "DELETE", ("MERGE",): "MERGE"}
_QUOTED = (TokenType.STRING, TokenType.IDENTIFIER, TokenType.NATIONAL_STRING, TokenType.RAW_STRING)


def _classify(tokens: Sequence[Token]) -> tuple[str, str]:
    words = [None if t.token_type in _QUOTED else t.text.upper() for t in tokens]
    while words and words[0] == "(":
        words.pop(0)
    if words[:1] == ["CREATE"] and "TABLE" in words[1:4] and "VIEW" not in words[1:4]:  # [EXTERNAL|OR REPLACE]
        queries = ("SELECT", "WITH", "VALUES")
        rest = [w for w in words if w != "("]
        ctas = any(w == "AS" and nxt in queries for w, nxt in pairwise(rest))
        return ("DML", "CREATE_TABLE_AS_SELECT") if ctas else ("DDL", "CREATE_TABLE")
    if words[:2] == ["ALTER", "TABLE"] and (partition := _partition_change(words[3:])):
        return "DDL", partition
    for statement_type, table in (("UTILITY", _UTILITY), ("DDL", _DDL), ("DML", _DML)):
        for prefix, substatement in table.items():
            if tuple(words[: len(prefix)]) == prefix:
                return statement_type, substatement
    return "DML", "SELECT"


def _partition_change(words: Sequence[str | None]) -> str | None:
    """``ADD [IF NOT EXISTS] PARTITION`` / ``DROP [IF EXISTS] PARTITION`` after ``ALTER TABLE <name>``."""
    for i, word in enumerate(words):
        if word in ("ADD", "DROP"):
            rest = [w for w in words[i + 1 : i + 5] if w not in ("IF", "NOT", "EXISTS")]
            return f"ALTER_TABLE_{word}_PARTITION" if rest[:1] == ["PARTITION"] else None
    return None
