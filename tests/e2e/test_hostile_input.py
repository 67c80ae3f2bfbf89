"""Hostile input and edge cases (issue 10): only PEP 249 errors, checked before any network call, and no
secret in any message. Each test names the item of the issue it holds to."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import traceback
from pathlib import Path
from typing import Any

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena

ENDPOINT_PARAMETERS = ["AthenaEndpoint", "S3Endpoint", "StsEndpoint"]
BAD_HOSTS = ["foo_bar.example", "a;b=c", ("x" * 300) + ".example", "ünï.example", "https://has space.example"]


def refused_before_sts(stack: LocalAthena, error: type[Exception], match: str, **parameters: Any) -> Exception:
    """Connect with ``parameters`` over the stack's defaults; the error must come before any STS call."""
    before = stack.sts.call_count
    with pytest.raises(error, match=match) as info:
        db.connect(**{**stack.connect_parameters(), **parameters})
    assert stack.sts.call_count == before, "refused only after calling STS"
    return info.value


# --- 1. endpoints --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENDPOINT_PARAMETERS)
@pytest.mark.parametrize("host", BAD_HOSTS)
def test_invalid_endpoint_hosts_are_parameter_errors_before_sts(
    local_athena: LocalAthena, name: str, host: str
) -> None:
    error = refused_before_sts(local_athena, db.ParameterError, name, **{name: host})
    assert isinstance(error, db.ParameterError) and error.parameter == name


# --- 2. token files --------------------------------------------------------------------------------------


def _token_file_error(stack: LocalAthena, path: str) -> db.ParameterError:
    error = refused_before_sts(
        stack, db.ParameterError, "JwtWebIdentityTokenFile", JwtWebIdentityToken=None, JwtWebIdentityTokenFile=path
    )
    assert isinstance(error, db.ParameterError)
    return error


def test_a_binary_token_file_is_refused(local_athena: LocalAthena, tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_bytes(b"\xff\xfe\x00binary")
    assert "not UTF-8" in str(_token_file_error(local_athena, str(path)))


def test_a_nul_in_the_token_path_is_refused(local_athena: LocalAthena) -> None:
    assert "NUL" in str(_token_file_error(local_athena, "/tmp/to\x00ken"))


def test_special_files_are_refused_not_read(local_athena: LocalAthena, tmp_path: Path) -> None:
    assert "not a regular file" in str(_token_file_error(local_athena, "/dev/zero"))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    assert "not a regular file" in str(_token_file_error(local_athena, str(fifo)))
    assert "not a regular file" in str(_token_file_error(local_athena, str(tmp_path)))


def test_token_file_reads_are_bounded(local_athena: LocalAthena, tmp_path: Path) -> None:
    path = tmp_path / "huge"
    path.write_bytes(b"a" * 10_000_000)
    assert "longer than any token" in str(_token_file_error(local_athena, str(path)))


def test_a_symlink_to_a_token_file_is_read(local_athena: LocalAthena, tmp_path: Path) -> None:
    """Kubernetes mounts the projected token as a symlink into a timestamped directory."""
    real = tmp_path / "..2026_11_29" / "token"
    real.parent.mkdir()
    real.write_text(local_athena.mint_token())
    link = tmp_path / "token"
    link.symlink_to(real)
    db.connect(**local_athena.connect_parameters(JwtWebIdentityToken=None, JwtWebIdentityTokenFile=str(link))).close()


# --- 3. query parameters ---------------------------------------------------------------------------------


@pytest.fixture
def conn(local_athena: LocalAthena) -> Any:
    with db.connect(**local_athena.connect_parameters(), ConnectionTest=False) as connection:
        yield connection


def test_a_literal_percent_with_pyformat_parameters_says_how_to_write_it(conn: Any) -> None:
    with pytest.raises(db.ProgrammingError, match="%%") as info:
        conn.cursor().execute("SELECT 10 % 3 WHERE 1 = %(a)s", {"a": 1})
    assert isinstance(info.value, db.Error)
    assert conn.cursor().execute("SELECT 10 %% 3 AS r WHERE 1 = %(a)s", {"a": 1}).fetchall() == [(1,)]


def test_a_missing_parameter_key_names_it(conn: Any) -> None:
    with pytest.raises(db.ProgrammingError, match=r"%\(missing\)s.*no key 'missing'"):
        conn.cursor().execute("SELECT %(missing)s", {"present": 1})


def test_parameters_of_the_wrong_shape_are_programming_errors(conn: Any) -> None:
    with pytest.raises(db.ProgrammingError):
        conn.cursor().execute("SELECT %(a)s", {"a": object()})


# --- 4. ApplicationName and LogPath ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "name"),
    [
        ({"ApplicationName": "report\r\nX-Injected: 1"}, "ApplicationName"),
        ({"ApplicationName": "naïve"}, "ApplicationName"),
        ({"LogPath": " "}, "LogPath"),
        ({"LogPath": "a\nb"}, "LogPath"),
    ],
)
def test_header_and_path_values_are_checked_locally(
    local_athena: LocalAthena, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parameters: dict[str, str], name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    refused_before_sts(local_athena, db.ParameterError, name, **parameters)
    assert list(tmp_path.iterdir()) == [], "nothing may be created in the working directory"


# --- 5. a token callable that never returns --------------------------------------------------------------


def test_a_token_callable_that_hangs_is_bounded(local_athena: LocalAthena) -> None:
    release = threading.Event()

    def never_returns() -> str:
        release.wait(30)
        return "too-late"

    before = local_athena.sts.call_count
    try:
        with pytest.raises(db.CredentialsError, match=r"JwtWebIdentityTokenCallable did not return .* 0\.3 s"):
            db.connect(
                **local_athena.connect_parameters(
                    JwtWebIdentityToken=None, JwtWebIdentityTokenCallable=never_returns, NetworkTimeoutMillis=300
                )
            )
    finally:
        release.set()
    assert local_athena.sts.call_count == before


# --- 6. URL text that may be part of a secret --------------------------------------------------------------


def test_text_after_a_secret_in_a_url_never_reaches_a_message(local_athena: LocalAthena) -> None:
    parameters = local_athena.connect_parameters()
    url = f"jdbc:athena://CredentialsProvider=JWT;Region={parameters['Region']};JwtWebIdentityToken=abc;SECRET=def"
    with pytest.raises(db.ParameterError) as info:
        db.connect(url)
    message = str(info.value)
    assert "SECRET" not in message and "def" not in message and "abc" not in message
    assert "JDBC URL" in message and "keyword arguments" in message
    duplicate = "jdbc:athena://CredentialsProvider=JWT;JwtWebIdentityToken=abc;Region=us-east-1;Region=x"
    with pytest.raises(db.ParameterError) as again:
        db.connect(duplicate)
    assert "Region" not in str(again.value) and "x" not in str(again.value).split("(")[0]


# --- 7. tracebacks that show locals ------------------------------------------------------------------------


def test_frames_of_a_refused_token_show_no_token_and_every_repr_works(local_athena: LocalAthena) -> None:
    token = local_athena.mint_token(audience="not-sts")  # STS refuses it: a CredentialsError from deep inside
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**local_athena.connect_parameters(token))
    shown: list[str] = []
    credentials_frames = 0
    for frame, _ in traceback.walk_tb(info.value.__traceback__):
        # The caller's frame and connect()'s keyword arguments hold what the caller passed; from the
        # credentials machinery down (load, the cache, the refreshing credentials, fetch) the token
        # must only be in its masking holder.
        if os.sep + "credentials" + os.sep not in frame.f_code.co_filename:
            continue
        credentials_frames += 1
        for name, value in frame.f_locals.items():
            shown.append(f"{name}={value!r}")  # what pytest -l and error reporters print; must not raise
    assert credentials_frames >= 3 and any(line.startswith("token=") for line in shown)
    assert not [line for line in shown if token in line], "the raw token is in a frame's locals"


def test_repr_of_half_built_refreshing_credentials_never_raises() -> None:
    from athena_jwt_dbapi.credentials.refreshing import ScaledRefreshableCredentials

    half = ScaledRefreshableCredentials.__new__(ScaledRefreshableCredentials)
    assert "ScaledRefreshableCredentials" in repr(half)


# --- 8. region ----------------------------------------------------------------------------------------------


def test_aws_region_is_taken_as_the_sdks_do(local_athena: LocalAthena, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", local_athena.region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")  # AWS_REGION wins, as in current SDKs
    with db.connect(**local_athena.connect_parameters(Region=None)) as connection:
        assert connection.region_name == local_athena.region


def test_no_region_anywhere_is_a_parameter_error_before_sts(local_athena: LocalAthena) -> None:
    error = refused_before_sts(
        local_athena, db.ParameterError, "Missing required connection property: Region", Region=None
    )
    assert "AWS_REGION" in str(error)


# --- 9. proxy port and the JDBC 2.x host form ----------------------------------------------------------------


def test_proxy_host_without_a_port_is_refused(local_athena: LocalAthena) -> None:
    refused_before_sts(local_athena, db.ParameterError, "ProxyHost needs ProxyPort", ProxyHost="proxy.corp")


def test_the_jdbc2_host_form_is_named_as_athena_endpoint(local_athena: LocalAthena) -> None:
    with (
        pytest.warns(DeprecationWarning, match="jdbc:awsathena"),
        pytest.raises(db.ParameterError, match=r"the host before the first ';' counts as AthenaEndpoint"),
    ):
        db.connect("jdbc:awsathena://athena.us-east-1.amazonaws.com:443;AthenaEndpoint=other.example")


# --- 10. raising the public errors ---------------------------------------------------------------------------


def test_the_public_errors_are_easy_to_raise() -> None:
    plain = db.ParameterError("Missing required connection property: VaultRole.")
    assert str(plain) == "Missing required connection property: VaultRole." and plain.parameter is None
    named = db.ParameterError("Bad VaultRole.", parameter="VaultRole")
    assert named.parameter == "VaultRole" and isinstance(named, db.InterfaceError)
    refused = db.CredentialsError("Vault refused.", code="PermissionDenied", role_arn=None)
    assert refused.code == "PermissionDenied" and isinstance(refused, db.OperationalError)


# --- 15. PEP 249 ----------------------------------------------------------------------------------------------


def test_connection_exposes_the_exception_classes(conn: Any) -> None:
    for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError"):
        assert getattr(conn, name) is getattr(db, name)
    for name in ("IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError"):
        assert getattr(conn, name) is getattr(db, name)


def test_a_statement_without_a_result_set_has_no_description(conn: Any, local_athena: LocalAthena) -> None:
    cursor = conn.cursor()
    cursor.execute("CREATE TABLE IF NOT EXISTS pep249_no_rows AS SELECT 1 AS a")
    assert [d[0] for d in cursor.description] == ["rows"], "CTAS answers with Athena's rows column"
    for statement in ("INSERT INTO pep249_no_rows VALUES (2)", "CREATE SCHEMA IF NOT EXISTS pep249_schema"):
        cursor.execute(statement)
        assert cursor.description is None, statement
        for fetch in (cursor.fetchone, cursor.fetchall, lambda: cursor.fetchmany(2)):
            with pytest.raises(db.ProgrammingError, match="No result set"):
                fetch()
    cursor.execute("SELECT a FROM pep249_no_rows ORDER BY a")
    assert [d[0] for d in cursor.description] == ["a"]


def test_arraysize_starts_at_one_but_pages_stay_full(local_athena: LocalAthena) -> None:
    with db.connect(
        **local_athena.connect_parameters(), ConnectionTest=False, ResultFetcher="GetQueryResults"
    ) as connection:
        cursor = connection.cursor()
        assert cursor.arraysize == 1
        before = local_athena.athena.calls.count("GetQueryResults")
        cursor.execute("SELECT n FROM UNNEST(sequence(1, 2500)) AS t(n) ORDER BY n")
        assert cursor.fetchmany() == [(1,)]
        cursor.arraysize = 5000  # any positive number: it is fetchmany()'s default, not a page size
        assert len(cursor.fetchmany()) == 2499
        assert local_athena.athena.calls.count("GetQueryResults") - before == 3  # 1,000-row pages
        with pytest.raises(db.ProgrammingError):
            cursor.arraysize = 0


# --- 16. PyAthena's own names ------------------------------------------------------------------------------------


def test_pyathena_result_reuse_names_are_accepted(local_athena: LocalAthena) -> None:
    with db.connect(
        **local_athena.connect_parameters(), result_reuse_enable=True, result_reuse_minutes=5, ConnectionTest=False
    ) as connection:
        assert (connection.result_reuse_enable, connection.result_reuse_minutes) == (True, 5)


# --- 17. nothing on stderr for a failed query -----------------------------------------------------------------------


def test_a_failed_query_prints_nothing(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import athena_jwt_dbapi as db
        from athena_jwt_dbapi.local import LocalAthena
        with LocalAthena() as stack:
            conn = db.connect(**stack.connect_parameters())
            try:
                conn.cursor().execute("SELECT * FROM no_such_table")
            except db.OperationalError as error:
                print("raised", "TABLE_NOT_FOUND" in str(error))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.stdout.strip() == "raised True"
    assert result.stderr == "", result.stderr


# --- 18. the stack's own messages --------------------------------------------------------------------------------


def test_each_injected_sts_code_has_its_own_message(local_athena: LocalAthena) -> None:
    messages = {}
    for code in ("InvalidIdentityToken", "IDPCommunicationError", "AccessDenied"):
        local_athena.fail_sts(5, code)
        with pytest.raises(db.CredentialsError) as info:
            db.connect(**local_athena.connect_parameters(), NumRetries=0)
        local_athena.sts.clear_failures()
        assert info.value.code == code
        messages[code] = str(info.value).split(f"{code}: ", 1)[1]
    assert len(set(messages.values())) == 3, messages


def test_the_fixture_names_the_extra_when_it_is_missing(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("import sys\nsys.modules['werkzeug'] = None  # as if not installed\n")
    (tmp_path / "test_it.py").write_text("def test_it(local_athena):\n    pass\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "needs the 'local' extra" in result.stdout and "pip install 'athena-jwt-dbapi[local]'" in result.stdout


def test_jwt_tip_frames_show_no_secret_of_the_chain(local_athena: LocalAthena) -> None:
    """JWT_TIP fails after step 1 (the application has no tag): the application role's keys signed the steps
    that ran, and no frame of the credentials machinery may show them, or the token, in the clear."""
    setup = local_athena.trusted_identity_propagation("frames-untagged-application", tag_application=False)
    token = local_athena.mint_token(sub="frames")
    before = {c.access_key_id for c in local_athena.credentials.all()}
    with pytest.raises(db.CredentialsError, match="has no tag") as info:
        db.connect(
            **local_athena.connect_parameters(
                token,
                provider="JWT_TIP",
                WorkGroupArn=setup.workgroup_arn,
                ApplicationRoleArn=setup.application_role_arn,
            )
        )
    issued = [c for c in local_athena.credentials.all() if c.access_key_id not in before]
    secrets = [token] + [s for c in issued for s in (c.secret_access_key, c.session_token)]
    assert len(secrets) == 3, "step 1 issued the application role's credentials"
    shown: list[str] = []
    for frame, _ in traceback.walk_tb(info.value.__traceback__):
        if os.sep + "credentials" + os.sep in frame.f_code.co_filename:
            shown += [f"{name}={value!r}" for name, value in frame.f_locals.items()]
    assert shown, "the credentials frames are in the traceback"
    leaked = [line for line in shown for secret in secrets if secret in line]
    assert not leaked, leaked
