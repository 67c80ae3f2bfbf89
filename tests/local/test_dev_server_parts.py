"""The dev server's parts on their own: the token file keeper (on a fake clock), private files, the SQL
script splitter and the printed environment and URLs."""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

import pytest

from athena_jwt_dbapi.dsn import parse_jdbc_url
from athena_jwt_dbapi.local.exports import connect_parameters, jdbc_url, shell_lines, sqlalchemy_url
from athena_jwt_dbapi.local.private_files import write_private_file
from athena_jwt_dbapi.local.server_state import NoServerError, ServerState
from athena_jwt_dbapi.local.sql_script import ScriptError, split_statements
from athena_jwt_dbapi.local.token_file import RETRY_SECONDS, TokenFileKeeper


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Minter:
    """Mints numbered tokens and remembers when each expires, by the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.expiry: dict[str, float] = {}

    def __call__(self, lifetime: int) -> str:
        token = f"token-{len(self.expiry) + 1}"
        self.expiry[token] = self.clock.now + lifetime
        return token


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_token_is_replaced_when_80_percent_of_its_lifetime_has_passed(tmp_path: Path) -> None:
    clock = FakeClock()
    minter = Minter(clock)
    path = tmp_path / "token"
    keeper = TokenFileKeeper(path, minter, lifetime=1000, clock=clock)
    assert keeper.tick() == 800  # the first tick writes at once
    assert path.read_text() == "token-1"
    assert _mode(path) == 0o600
    clock.now += 799
    assert keeper.tick() == pytest.approx(1)
    assert path.read_text() == "token-1"
    clock.now += 1
    assert keeper.tick() == 800
    assert path.read_text() == "token-2"


def test_the_file_never_holds_an_expired_token_while_the_keeper_runs(tmp_path: Path) -> None:
    clock = FakeClock()
    minter = Minter(clock)
    path = tmp_path / "token"
    keeper = TokenFileKeeper(path, minter, lifetime=900, clock=clock)
    wait = keeper.tick()
    for _ in range(50):  # the keeper's own loop: sleep as long as tick() says, then tick again
        for step in (0.25, 0.5, 0.999):
            probe = clock.now + wait * step
            assert minter.expiry[path.read_text()] > probe
        clock.now += wait
        wait = keeper.tick()
    assert len(minter.expiry) == 51


def test_a_custom_refresh_interval(tmp_path: Path) -> None:
    clock = FakeClock()
    keeper = TokenFileKeeper(tmp_path / "token", Minter(clock), lifetime=3600, refresh_every=0.5, clock=clock)
    keeper.tick()
    clock.now += 0.5
    keeper.tick()
    assert (tmp_path / "token").read_text() == "token-2"


@pytest.mark.parametrize(("lifetime", "refresh"), [(60, 60), (60, 90), (60, 0), (0, None)])
def test_a_token_must_be_replaced_before_it_expires(tmp_path: Path, lifetime: int, refresh: float | None) -> None:
    with pytest.raises(ValueError, match="lifetime"):
        TokenFileKeeper(tmp_path / "token", lambda _: "t", lifetime=lifetime, refresh_every=refresh)


def test_a_failed_write_is_reported_and_retried(tmp_path: Path) -> None:
    clock = FakeClock()
    errors: list[Exception] = []
    fail = [False]

    def mint(lifetime: int) -> str:
        if fail[0]:
            raise OSError("disk full")
        return f"minted-at-{clock.now:g}"

    path = tmp_path / "token"
    keeper = TokenFileKeeper(path, mint, lifetime=1000, clock=clock, on_error=errors.append)
    keeper.tick()
    fail[0] = True
    clock.now += 800
    assert keeper.tick() == RETRY_SECONDS
    assert [str(e) for e in errors] == ["disk full"]
    assert path.read_text() == "minted-at-1000"  # the old, still valid token stays
    fail[0] = False
    clock.now += RETRY_SECONDS
    keeper.tick()
    assert path.read_text() == f"minted-at-{1800 + RETRY_SECONDS:g}"


def test_stop_removes_the_token_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    keeper = TokenFileKeeper(path, lambda _: "t", lifetime=3600)
    keeper.start()
    assert path.read_text() == "t"
    keeper.stop()
    assert not path.exists()


def test_private_files_are_0600_whatever_was_there(tmp_path: Path) -> None:
    path = tmp_path / "new-dir" / "secret"
    previous = os.umask(0)
    try:
        write_private_file(path, "one")
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
        path.chmod(0o644)
        write_private_file(path, "two")
    finally:
        os.umask(previous)
    assert path.read_text() == "two"
    assert _mode(path) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no temporary file left behind


def test_split_statements_respects_strings_and_comments() -> None:
    script = (
        "-- the sales table\n"
        "CREATE TABLE sales AS SELECT 'a;b' AS s, 1 AS n;\n"
        "/* a ; in a comment */ INSERT INTO sales VALUES ('c', 2);;\n"
        'SELECT "odd;name" FROM sales -- no final semicolon\n'
    )
    assert split_statements(script) == [
        "CREATE TABLE sales AS SELECT 'a;b' AS s, 1 AS n",
        "INSERT INTO sales VALUES ('c', 2)",
        'SELECT "odd;name" FROM sales',
    ]
    assert split_statements(" ;\n-- nothing\n") == []


def test_an_unterminated_string_is_a_script_error() -> None:
    with pytest.raises(ScriptError, match="cannot read the SQL script"):
        split_statements("SELECT 'oops")


def _state(token_file: str = "/home/me/.cache/athena jwt/$token") -> ServerState:
    return ServerState(
        pid=1,
        region="eu-west-1",
        role_arn="arn:aws:iam::123456789012:role/local-athena-analyst",
        session_name="local-session",
        token_file=token_file,
        token_lifetime=3600,
        sts_endpoint="http://127.0.0.1:2847",
        athena_endpoint="http://127.0.0.1:2848",
        s3_endpoint="http://127.0.0.1:2849",
        output_location="s3://local-athena-results/results/",
        admin_url="http://127.0.0.1:2850",
        admin_key="the-admin-key",
    )


def test_shell_lines_survive_the_shell() -> None:
    state = _state()
    exported: dict[str, str] = {}
    unset: list[str] = []
    for line in shell_lines(state):
        words = shlex.split(line)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            exported[name] = value
        else:
            assert words[0] == "unset"
            unset = words[1:]
    assert exported["AWS_WEB_IDENTITY_TOKEN_FILE"] == state.token_file
    assert exported["AWS_REGION"] == exported["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert exported["AWS_ENDPOINT_URL_S3"] == state.s3_endpoint
    assert "AWS_ACCESS_KEY_ID" in unset
    assert "the-admin-key" not in "\n".join(shell_lines(state))
    assert "the-admin-key" not in repr(state)


def test_the_sqlalchemy_url_carries_every_parameter_exactly() -> None:
    from sqlalchemy.engine import make_url

    from athena_jwt_dbapi.sqlalchemy import AthenaJwtDialect

    state = _state("/tmp/a b&c=d+e/token")
    _, options = AthenaJwtDialect().create_connect_args(make_url(sqlalchemy_url(state)))
    assert options == {**connect_parameters(state), "Database": "default"}


def test_the_jdbc_url_parses_back_and_is_left_out_when_it_cannot_carry_a_value() -> None:
    state = _state("/tmp/token")
    url = jdbc_url(state)
    assert url is not None
    assert parse_jdbc_url(url) == connect_parameters(state)
    assert jdbc_url(_state("/tmp/odd;name")) is None


def test_no_state_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NoServerError, match="No local stack is running"):
        ServerState.load(tmp_path)
