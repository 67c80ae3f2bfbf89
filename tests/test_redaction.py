"""The redaction of secrets from log records and text."""

from __future__ import annotations

import logging

import pytest

from athena_jwt_dbapi.redaction import REDACTED, RedactingFilter, install_log_filter, redact, register_secret

from .helpers import unsigned_jwt


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"body: Action=AssumeRoleWithWebIdentity&WebIdentityToken={unsigned_jwt()}&Version=1", unsigned_jwt()),
        ("<SecretAccessKey>wJalrXUtnFEMI/K7MDENG</SecretAccessKey>", "wJalrXUtnFEMI/K7MDENG"),
        ("<SessionToken>FwoGZXIvYXdzEJr//////////</SessionToken>", "FwoGZXIvYXdzEJr//////////"),
        ("{'SecretAccessKey': 'abcdEFGHijkl', 'x': 1}", "abcdEFGHijkl"),
        ('{"SessionToken": "tok-tok-tok"}', "tok-tok-tok"),
        ("x-amz-security-token:IQoJb3JpZ2luX2VjE", "IQoJb3JpZ2luX2VjE"),
        ("X-Amz-Security-Token=IQoJb3JpZ2luX2VjE&X-Amz-Date=1", "IQoJb3JpZ2luX2VjE"),
        ("token in prose " + unsigned_jwt(sub="prose"), unsigned_jwt(sub="prose")),
    ],
)
def test_patterns(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_registered_values_are_masked_anywhere() -> None:
    register_secret("opaque-value-Zq9")
    assert redact("prefix opaque-value-Zq9 suffix") == f"prefix {REDACTED} suffix"


def test_url_encoded_forms_of_registered_values_are_masked() -> None:
    register_secret("opaque/token+with=Zq8")  # an OAuth token in a form-encoded STS body, a password in a proxy URL
    assert redact("WebToken=opaque%2Ftoken%2Bwith%3DZq8&x=1") == f"WebToken={REDACTED}&x=1"


def test_short_values_are_not_registered() -> None:
    register_secret("ab")
    assert redact("about") == "about"


def test_filter_formats_arguments_first() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG-args"
    register_secret(secret)
    record = logging.LogRecord("botocore.parsers", logging.DEBUG, __file__, 1, "Response: %s", (secret,), None)
    RedactingFilter().filter(record)
    assert secret not in record.getMessage()


def test_filter_cleans_exception_text() -> None:
    secret = "exception-secret-123"
    register_secret(secret)
    try:
        raise ValueError(secret)
    except ValueError:
        import sys

        record = logging.LogRecord("botocore", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RedactingFilter().filter(record)
    assert record.exc_text is not None
    assert secret not in record.exc_text


def test_install_covers_existing_child_loggers() -> None:
    child = logging.getLogger("botocore.some.child.logger")
    install_log_filter()
    assert any(isinstance(f, RedactingFilter) for f in child.filters)
