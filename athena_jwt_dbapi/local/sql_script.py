"""A SQL script split into its statements, for ``python -m athena_jwt_dbapi.local seed file.sql``.

The engine runs one statement at a time, as Athena does. Splitting on every ``;`` would cut string
literals and comments that contain one, so the script goes through sqlglot's Trino tokenizer and is cut
at the semicolon tokens only; each statement keeps its original text.
"""

from __future__ import annotations


class ScriptError(ValueError):
    """The script cannot be tokenized (an unterminated string or comment)."""


def split_statements(script: str) -> list[str]:
    """The statements of ``script`` in order, without the semicolons between them; empty ones dropped."""
    import sqlglot
    from sqlglot.errors import TokenError

    try:
        tokens = sqlglot.Dialect.get_or_raise("trino").tokenize(script)
    except TokenError as error:
        raise ScriptError(f"cannot read the SQL script: {error}") from None
    statements: list[str] = []
    first: int | None = None
    last = 0
    for token in tokens:
        if token.token_type == sqlglot.TokenType.SEMICOLON:
            if first is not None:
                statements.append(script[first : last + 1])
            first = None
            continue
        if first is None:
            first = token.start
        last = token.end
    if first is not None:
        statements.append(script[first : last + 1])
    return statements
