"""Test isolation: no AWS configuration of the machine leaks in, and nothing can reach real AWS."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from athena_jwt_dbapi import clear_credentials_cache


@pytest.fixture(autouse=True)
def hermetic_aws_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Every test starts with no AWS environment, no config files and the metadata service disabled."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    clear_credentials_cache()
    yield
    clear_credentials_cache()


@pytest.fixture(autouse=True)
def secrets_registered_by_a_test_are_forgotten_after_it() -> Iterator[None]:
    """The secret registry is process-wide by design. Property tests register generated values as secrets
    (any text of four characters or more, such as "then"); left registered, they would mask that text inside
    the messages later tests compare ("https://a***a.example.com")."""
    from athena_jwt_dbapi import redaction

    registry = redaction._registry
    with registry._lock:
        saved = (dict(registry._values), registry._ordered)
    yield
    with registry._lock:
        registry._values, registry._ordered = saved
