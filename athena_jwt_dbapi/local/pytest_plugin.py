"""pytest plugin (entry point ``pytest11``): the ``local_athena`` fixture for your own tests.

    def test_report(local_athena):
        conn = athena_jwt_dbapi.connect(**local_athena.connect_parameters())
        ...

The stack is started once per test session (starting it takes about a second) and its fault knobs are
reset after each test. Nothing heavy is imported unless a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .stack import LocalAthena


@pytest.fixture(scope="session")
def local_athena_session() -> Iterator[LocalAthena]:
    """One running stack for the whole test session."""
    try:
        from .stack import LocalAthena
    except ImportError as error:
        pytest.fail(
            f"The local_athena fixture needs the 'local' extra of athena-jwt-dbapi ({error}): "
            "pip install 'athena-jwt-dbapi[local]'",
            pytrace=False,
        )

    with LocalAthena() as stack:
        yield stack


@pytest.fixture
def local_athena(local_athena_session: LocalAthena) -> Iterator[LocalAthena]:
    """The session's stack, with its fault knobs back to normal after the test."""
    yield local_athena_session
    local_athena_session.reset_faults()
