"""The redaction of secrets from log records and text."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import athena_jwt_dbapi
from athena_jwt_dbapi.redaction import REDACTED, RedactingFilter, Secret, install_log_filter, redact, register_secret

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


def test_four_characters_are_a_secret_three_are_not() -> None:
    """The shortest token STS takes has 4 characters; masking shorter values would mangle ordinary words."""
    register_secret("k9Vw")
    register_secret("x8T")
    assert redact("pin k9Vw, tag x8T") == f"pin {REDACTED}, tag x8T"


def test_a_secret_that_contains_another_is_masked_whole() -> None:
    """Longest first: masking the shorter secret first would leave the rest of the longer one in the text."""
    register_secret("Zx-proxy-pass")
    register_secret("Zx-proxy-pass-and-the-rest-of-a-token")
    assert redact("a Zx-proxy-pass-and-the-rest-of-a-token b") == f"a {REDACTED} b"
    assert redact("a Zx-proxy-pass b") == f"a {REDACTED} b"


def test_secret_holders_compare_by_the_secret_they_hold() -> None:
    first, second = "".join(["holder-a-", "Zq1"]), "".join(["holder-b-", "Zq1"])
    same = "".join(["holder-a", "-Zq1"])  # equal to first, but another object
    assert Secret(first) == Secret(same) and hash(Secret(first)) == hash(Secret(same))
    assert Secret(first) != Secret(second) and Secret(second) != Secret(first)
    assert Secret(first) != first  # never equal to the bare value
    assert str(Secret(first)) == repr(Secret(first)) == f"<Secret {REDACTED}>"


def test_filter_formats_arguments_first() -> None:
    secret = "wJalrXUtnFEMI/K7MDENG-args"
    register_secret(secret)
    record = logging.LogRecord("botocore.parsers", logging.DEBUG, __file__, 1, "Response: %s", (secret,), None)
    RedactingFilter().filter(record)
    assert secret not in record.getMessage()


def logged(caplog: pytest.LogCaptureFixture, message: str, *args: object) -> str:
    """What a handler of the application gets from a botocore logger (the filter is on that logger)."""
    logger = logging.getLogger("botocore.endpoint")
    install_log_filter()
    with caplog.at_level(logging.DEBUG, logger="botocore.endpoint"):
        logger.debug(message, *args)
    assert len(caplog.records) == 1, "the filter keeps the record, it only rewrites it"
    return caplog.text


@pytest.mark.parametrize("secret", ["Tw0-secret-in-the-message", "!Passw0rd-starts-with-a-bang"])
def test_a_secret_in_the_message_itself_is_masked(caplog: pytest.LogCaptureFixture, secret: str) -> None:
    register_secret(secret)
    text = logged(caplog, f"proxy login {secret} accepted")
    assert secret not in text
    assert f"proxy login {REDACTED} accepted" in text


def test_a_secret_in_the_arguments_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("Arg-secret-Zq2")
    text = logged(caplog, "Response body: %s (%d bytes)", "<x>Arg-secret-Zq2</x>", 20)
    assert "Arg-secret-Zq2" not in text
    assert f"Response body: <x>{REDACTED}</x> (20 bytes)" in text


def test_a_message_without_secrets_is_logged_as_is(caplog: pytest.LogCaptureFixture) -> None:
    assert "Sending request to https://athena.us-east-1.amazonaws.com (3 headers)" in logged(
        caplog, "Sending request to %s (%d headers)", "https://athena.us-east-1.amazonaws.com", 3
    )


def test_a_broken_format_string_keeps_the_record_but_not_its_arguments() -> None:
    """A wrong number of arguments must not raise in the filter, nor show the arguments unmasked."""
    record = logging.LogRecord("botocore", logging.DEBUG, __file__, 1, "token %s and %s", ("Fmt-secret-Zq3",), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "token %s and %s"


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


def test_filter_cleans_an_exception_that_was_never_raised() -> None:
    """``log.error(..., exc_info=error)`` with an error built but not raised: it has no traceback."""
    error = ValueError("unraised-secret-Zq4")
    register_secret("unraised-secret-Zq4")
    record = logging.LogRecord("botocore", logging.ERROR, __file__, 1, "failed", (), (ValueError, error, None))
    RedactingFilter().filter(record)
    assert record.exc_text == f"ValueError: {REDACTED}"


def test_install_covers_existing_child_loggers() -> None:
    child = logging.getLogger("botocore.some.child.logger")
    install_log_filter()
    assert any(isinstance(f, RedactingFilter) for f in child.filters)


def test_loggers_created_later_and_the_last_resort_handler() -> None:
    """In a fresh process: a library imported after the filter was installed logs on its top-level logger
    (fsspec does), masked; PyAthena's and our records never reach Python's last-resort stderr handler
    when the application configured no logging (the error is raised to the caller anyway)."""
    code = (
        "import logging\n"
        "from athena_jwt_dbapi.redaction import install_log_filter, register_secret\n"
        "register_secret('fs-secret-Zq5')\n"
        "install_log_filter()\n"
        "logging.getLogger('fsspec').warning('opening s3://bucket/key?token=fs-secret-Zq5')\n"
        "logging.getLogger('pyathena').error('Failed to execute query.')\n"
        "logging.getLogger('athena_jwt_dbapi').error('not shown either')\n"
    )
    package_root = str(Path(athena_jwt_dbapi.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": package_root}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stderr == f"opening s3://bucket/key?token={REDACTED}\n"


def test_the_newest_4096_secret_values_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound the README states: the 4,096 newest values (and URL-encoded forms) are masked; the oldest goes.

    The test runs on a registry of its own, so the secrets other tests registered stay registered.
    """
    from athena_jwt_dbapi import redaction

    monkeypatch.setattr(redaction, "_registry", redaction._SecretRegistry(redaction.MAX_SECRETS))
    first = "oldest-secret-value"
    register_secret(first)
    for index in range(4095):
        register_secret(f"filler-{index:05d}")
    assert redact(f"key={first}") == f"key={REDACTED}"

    register_secret("one-more-secret")
    assert redact(f"key={first}") == f"key={first}"
    assert redact("key=filler-00000 key=one-more-secret") == f"key={REDACTED} key={REDACTED}"


def test_a_secret_registered_again_is_the_newest(monkeypatch: pytest.MonkeyPatch) -> None:
    """A value still in use (a static token read at every refresh) is never the one forgotten."""
    from athena_jwt_dbapi import redaction

    monkeypatch.setattr(redaction, "_registry", redaction._SecretRegistry(3))
    for value in ("static-token", "refresh-one", "refresh-two"):
        register_secret(value)
    register_secret("static-token")
    register_secret("refresh-three")
    shown = redact("static-token refresh-one refresh-two refresh-three")
    assert shown == f"{REDACTED} refresh-one {REDACTED} {REDACTED}"
