"""The PEP 249 module surface."""

from __future__ import annotations

import datetime
import sys
import time

import pyathena.error
import pytest

import athena_jwt_dbapi as db

EXCEPTIONS = [
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
]


def test_globals() -> None:
    assert db.apilevel == "2.0"
    assert db.threadsafety == 2
    assert db.paramstyle == "pyformat"


@pytest.mark.parametrize("name", EXCEPTIONS)
def test_exceptions_are_pyathenas_own(name: str) -> None:
    assert getattr(db, name) is getattr(pyathena.error, name)
    assert name in db.__all__


def test_exception_hierarchy() -> None:
    assert issubclass(db.Error, Exception)
    assert issubclass(db.Warning, Exception)
    for name in ("InterfaceError", "DatabaseError"):
        assert issubclass(getattr(db, name), db.Error)
    for name in (
        "DataError",
        "OperationalError",
        "IntegrityError",
        "InternalError",
        "ProgrammingError",
        "NotSupportedError",
    ):
        assert issubclass(getattr(db, name), db.DatabaseError)
    assert issubclass(db.ParameterError, db.InterfaceError)
    assert issubclass(db.CredentialsError, db.OperationalError)


def test_type_objects_compare_with_athena_type_names() -> None:
    assert db.STRING == "varchar"
    assert db.NUMBER == "bigint"
    assert db.DATETIME == "timestamp"
    assert db.BINARY == "varbinary"
    assert db.ROWID != "varchar"
    assert db.ROWID != "bigint"


def test_constructors() -> None:
    ticks = time.mktime((2024, 5, 6, 7, 8, 9, 0, 0, -1))
    assert db.Date(2024, 5, 6) == datetime.date(2024, 5, 6)
    assert db.Time(7, 8, 9) == datetime.time(7, 8, 9)
    assert db.Timestamp(2024, 5, 6, 7, 8, 9) == datetime.datetime(2024, 5, 6, 7, 8, 9)
    assert db.DateFromTicks(ticks) == datetime.date(2024, 5, 6)
    assert db.TimeFromTicks(ticks) == datetime.time(7, 8, 9)
    assert db.TimestampFromTicks(ticks) == datetime.datetime(2024, 5, 6, 7, 8, 9)
    assert db.Binary(b"x") == b"x"


def test_all_is_explicit_and_importable() -> None:
    for name in db.__all__:
        assert hasattr(db, name), name


def test_import_does_not_load_heavy_packages() -> None:
    import subprocess

    code = (
        "import sys, athena_jwt_dbapi; "
        "heavy = ('pandas', 'pyarrow', 'sqlalchemy', 'duckdb', 'moto', 'sqlglot', 'jwt', 'boto3', 'botocore', "
        "'s3transfer', 'fsspec', 'pyathena.connection', 'pyathena.arrow', 'pyathena.pandas', 'pyathena.s3fs', "
        "'pyathena.polars', 'pyathena.sqlalchemy'); "
        "heavy = [m for m in sys.modules if m.startswith(heavy)]; "
        "print(sorted(heavy))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        (
            "CredentialsProvider='JWT', Region='us-east-1', JwtWebIdentityToken='opaque-token', JwtRoleArn='bad', "
            "JwtRoleSessionName='lazy'",
            "JwtRoleArn",
        ),
        (
            "CredentialsProvider='JWT_TIP', JwtWebIdentityToken='opaque-token', JwtRoleSessionName='lazy', "
            "WorkGroupArn='arn:aws:athena:us-east-1:123456789012:workgroup/primary', ApplicationRoleArn='bad'",
            "ApplicationRoleArn",
        ),
    ],
    ids=["JWT", "JWT_TIP"],
)
def test_refusing_a_bad_parameter_does_not_load_the_aws_sdk(arguments: str, parameter: str) -> None:
    """Bad input fails fast: a connect refused for a bad parameter (after loading the credentials provider, its
    token source and the credentials cache) loads no botocore; the first real connection does."""
    import subprocess

    code = (
        "import sys, athena_jwt_dbapi as db\n"
        "db.clear_credentials_cache()\n"
        "try:\n"
        f"    db.connect({arguments})\n"
        "except db.ParameterError as error:\n"
        "    print(error.parameter)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('botocore', 'boto3'))))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split() == [parameter, "[]"]


def test_the_lazy_connection_class_is_the_real_one() -> None:
    from athena_jwt_dbapi.connection import Connection

    assert db.Connection is Connection
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        db.Nope  # noqa: B018
