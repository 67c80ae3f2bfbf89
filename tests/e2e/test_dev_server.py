"""``python -m athena_jwt_dbapi.local`` as a user runs it: a subprocess whose printout configures any AWS tool.

One server (fixed ports, the default directory under a temporary XDG_CACHE_HOME, a token file re-minted
every half second) serves the module; the tests read its printout, export exactly what it says, and
use this driver, plain boto3 and SQLAlchemy. Every server started here is stopped (SIGINT, then kill).
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shlex
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import ProxyHandler, Request, build_opener

import pytest

import athena_jwt_dbapi as db

CLI = [sys.executable, "-m", "athena_jwt_dbapi.local"]
REFRESH = 0.5
VARIABLES = {
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_ATHENA",
    "AWS_ENDPOINT_URL_S3",
}


def _environment(cache: Path) -> dict[str, str]:
    """The test process's environment without AWS settings, with its own cache directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        XDG_CACHE_HOME=str(cache),
        AWS_CONFIG_FILE=str(cache / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(cache / "no-aws-config"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def _free_port_block(count: int) -> int:
    """A base port with ``count`` free ports from it (probed; the OS picks the candidates)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count > 65535:
            continue
        try:
            held = []
            for port in range(base, base + count):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        return base
    raise RuntimeError("no block of free ports")


@dataclass
class DevServer:
    process: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    banner: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, *args: str, env: dict[str, str], stderr: Path) -> DevServer:
        with stderr.open("w") as err:
            process = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=err, text=True, env=env)
        server = cls(process)
        threading.Thread(target=server._pump, daemon=True).start()
        try:
            server._read_banner()
        except BaseException:
            server.stop()
            raise
        return server

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_banner(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"the server exited: {self.process.wait()}; printed {self.banner}")
            self.banner.append(line)
            if " load-csv" in line:  # the banner's last line
                return

    @property
    def exports(self) -> dict[str, str]:
        found = {}
        for line in self.banner:
            if line.startswith("export "):
                name, _, value = shlex.split(line)[1].partition("=")
                found[name] = value
        return found

    def comment(self, label: str) -> str:
        """The value after ``# <label>:`` in the banner."""
        prefix = f"# {label}:"
        return next(line[len(prefix) :].strip() for line in self.banner if line.startswith(prefix))

    def stop(self) -> tuple[int, str]:
        """SIGINT (what Ctrl-C sends); kill if it does not stop in time. Returns (exit code, the rest of stdout)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        rest = []
        while (line := self.lines.get(timeout=10)) is not None:
            rest.append(line)
        return code, "\n".join(rest)


@dataclass
class Running:
    server: DevServer
    env: dict[str, str]
    directory: Path
    port: int
    work: Path

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, env=self.env, timeout=120)

    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.directory / "server.json").read_text())
        return data


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    work = tmp_path_factory.mktemp("dev-server")
    env = _environment(work / "cache")
    port = _free_port_block(5)
    server = DevServer.start("--port", str(port), "--token-refresh", str(REFRESH), env=env, stderr=work / "stderr")
    try:
        yield Running(server, env, work / "cache" / "athena-jwt-dbapi" / "local", port, work)
    finally:
        server.stop()


@pytest.fixture
def exported(running: Running, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This test process's environment set exactly as the printout says (the hermetic fixture cleared AWS_*)."""
    for name, value in running.server.exports.items():
        monkeypatch.setenv(name, value)
    return running.server.exports


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _seed(running: Running, sql: str) -> None:
    script = running.work / "seed.sql"
    script.write_text(sql)
    result = running.cli("seed", str(script))
    assert result.returncode == 0, result.stderr


# --- the printout ----------------------------------------------------------------------------------


def test_the_printout_is_shell_that_sets_the_web_identity_environment(running: Running) -> None:
    assert all(line.startswith(("#", "export ", "unset ")) for line in running.server.banner)
    exports = running.server.exports
    assert set(exports) == VARIABLES
    token_file = Path(exports["AWS_WEB_IDENTITY_TOKEN_FILE"])
    assert token_file == running.directory / "token"  # the default: under the user's cache directory
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(running.directory.stat().st_mode) == 0o700
    assert exports["AWS_ENDPOINT_URL_STS"] == f"http://127.0.0.1:{running.port + 1}"
    assert exports["AWS_ENDPOINT_URL_ATHENA"] == f"http://127.0.0.1:{running.port + 2}"
    assert exports["AWS_ENDPOINT_URL_S3"] == f"http://127.0.0.1:{running.port + 3}"
    assert running.state()["admin_url"] == f"http://127.0.0.1:{running.port + 4}"
    unset = next(line for line in running.server.banner if line.startswith("unset "))
    assert "AWS_ACCESS_KEY_ID" in unset.split()
    assert running.state()["admin_key"] not in "\n".join(running.server.banner)


def test_env_prints_the_same_lines_for_a_second_terminal(running: Running) -> None:
    result = running.cli("env")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        line for line in running.server.banner if line.startswith(("export ", "unset "))
    ]


def test_the_server_prints_where_the_token_is_never_a_token(running: Running) -> None:
    """Issue 10, item 11: the banner and ``env`` name the 0600 token file; only the ``token`` command, asked for
    one, prints a token."""
    printed = "\n".join([*running.server.banner, running.cli("env").stdout])
    assert str(running.directory / "token") in printed
    assert not re.search(r"eyJ[\w-]+\.eyJ[\w-]*\.[\w-]*", printed)
    assert (running.directory / "token").read_text().split(".")[2] not in printed


# --- any tool, with nothing but the printed variables -----------------------------------------------


def test_the_driver_queries_with_only_the_printed_variables(running: Running, exported: dict[str, str]) -> None:
    from pyathena.arrow.cursor import ArrowCursor

    _seed(running, "CREATE TABLE printed AS SELECT * FROM (VALUES (1, 'one'), (2, 'two')) AS t(n, word)")
    output_location = running.server.comment("Results").split()[0]
    with db.connect(CredentialsProvider="JWT", OutputLocation=output_location) as conn:
        with conn.cursor() as cursor:
            cursor.execute("SELECT n, word FROM printed ORDER BY n")
            assert cursor.fetchall() == [(1, "one"), (2, "two")]
        with conn.cursor(ArrowCursor) as cursor:  # pyarrow reads the result file from AWS_ENDPOINT_URL_S3
            cursor.execute("SELECT word FROM printed WHERE n = 2")
            assert cursor.as_arrow().to_pylist() == [{"word": "two"}]


def test_plain_boto3_runs_a_query_and_lists_the_result_bucket(running: Running, exported: dict[str, str]) -> None:
    import boto3

    athena = boto3.client("athena")
    query_id = athena.start_query_execution(QueryString="SELECT 'from boto3' AS source")["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while (state := athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]) in (
        "QUEUED",
        "RUNNING",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert state == "SUCCEEDED"
    output = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["ResultConfiguration"]
    bucket, _, prefix = output["OutputLocation"].removeprefix("s3://").partition("/")
    s3 = boto3.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix="results/")["Contents"]]
    assert prefix in keys
    assert s3.get_object(Bucket=bucket, Key=prefix)["Body"].read() == b'"source"\n"from boto3"\n'
    identity = boto3.client("sts").get_caller_identity()
    assert identity["Arn"].endswith(f"/{exported['AWS_ROLE_SESSION_NAME']}")


def test_the_sqlalchemy_url_needs_no_environment(running: Running) -> None:
    from sqlalchemy import create_engine, text

    url = running.server.comment("SQLAlchemy")
    assert url.startswith("awsathena+jwt://")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 21 * 2")).scalar() == 42
    finally:
        engine.dispose()


def test_the_jdbc_url_needs_no_environment(running: Running) -> None:
    with db.connect(running.server.comment("JDBC URL")) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 'jdbc'")
        assert cursor.fetchone() == ("jdbc",)


# --- the token file ----------------------------------------------------------------------------------


def test_the_token_file_is_rewritten_before_its_token_expires(running: Running) -> None:
    token_file = Path(running.server.exports["AWS_WEB_IDENTITY_TOKEN_FILE"])
    first = token_file.read_text()
    deadline = time.monotonic() + 10 * REFRESH
    while (current := token_file.read_text()) == first:
        assert time.monotonic() < deadline, "the token file was not rewritten"
        assert len(current.split(".")) == 3  # a reader never sees half a token
        time.sleep(REFRESH / 10)
    rewritten_at = time.time()
    assert rewritten_at < _claims(first)["exp"]
    assert _claims(current)["iat"] >= _claims(first)["iat"]
    assert _claims(current)["jti"] != _claims(first)["jti"]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


# --- a second terminal ---------------------------------------------------------------------------------


def test_token_prints_a_fresh_token_the_stack_accepts(running: Running) -> None:
    result = running.cli("token", "--lifetime", "600")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    claims = _claims(token)
    assert claims["exp"] - claims["iat"] == 600
    exports = running.server.exports
    with db.connect(
        CredentialsProvider="JWT",
        JwtWebIdentityToken=token,
        JwtRoleArn=exports["AWS_ROLE_ARN"],
        JwtRoleSessionName="from-token-command",
        Region=exports["AWS_REGION"],
        StsEndpoint=exports["AWS_ENDPOINT_URL_STS"],
        AthenaEndpoint=exports["AWS_ENDPOINT_URL_ATHENA"],
        S3Endpoint=exports["AWS_ENDPOINT_URL_S3"],
    ) as conn:
        assert conn.cursor().execute("SELECT 1").fetchone() == (1,)


def test_seed_and_load_csv_reach_the_running_stack(running: Running, exported: dict[str, str]) -> None:
    script = running.work / "shop.sql"
    script.write_text(
        "-- two statements, a semicolon in a string\n"
        "CREATE TABLE orders AS SELECT * FROM (VALUES (1, 'ada;lovelace', 3)) AS t(id, customer, items);\n"
        "INSERT INTO orders VALUES (2, 'linus', 4);\n"
    )
    result = running.cli("seed", str(script))
    assert (result.returncode, result.stdout) == (0, "Ran 2 statements in default.\n"), result.stderr
    result = running.cli("seed", "-", stdin="CREATE TABLE from_stdin AS SELECT 'piped' AS how")
    assert result.returncode == 0, result.stderr
    csv_file = running.work / "prices.csv"
    csv_file.write_text("id,price\n1,9.5\n2,12.25\n")
    result = running.cli("load-csv", "Prices", str(csv_file))
    assert (result.returncode, result.stdout) == (0, "Loaded 2 rows into default.prices.\n"), result.stderr

    with db.connect(CredentialsProvider="JWT") as conn, conn.cursor() as cursor:
        cursor.execute("SELECT o.customer, o.items * p.price FROM orders o JOIN prices p ON p.id = o.id ORDER BY o.id")
        assert cursor.fetchall() == [("ada;lovelace", 28.5), ("linus", 49.0)]
        cursor.execute("SELECT how FROM from_stdin")
        assert cursor.fetchall() == [("piped",)]


def test_second_terminal_mistakes_get_clear_messages(running: Running) -> None:
    script = running.work / "broken.sql"
    script.write_text("CREATE TABLE fine AS SELECT 1 AS x;\nSELECT * FROM no_such_table;\n")
    result = running.cli("seed", str(script))
    assert result.returncode == 1
    assert "Statement 2 of 2 failed (1 ran)" in result.stderr
    assert "no_such_table" in result.stderr
    result = running.cli("load-csv", "bad-name", str(script))
    assert result.returncode == 1
    assert "Invalid table name 'bad-name'" in result.stderr
    result = running.cli("load-csv", "missing", str(running.work / "missing.csv"))
    assert result.returncode == 1
    assert "No such CSV file" in result.stderr
    result = running.cli("token", "--dir", str(running.work / "nowhere"))
    assert result.returncode == 1
    assert "No local stack is running" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_admin_endpoint_does_nothing_without_its_key(running: Running, exported: dict[str, str]) -> None:
    state_file = running.directory / "server.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    state = running.state()
    opener = build_opener(ProxyHandler({}))

    def post(path: str, body: bytes, key: str | None, method: str = "POST") -> int:
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        try:
            with opener.open(Request(state["admin_url"] + path, data=body, headers=headers, method=method)) as answer:
                return int(answer.status)
        except HTTPError as error:
            return error.code

    intrusion = b"CREATE TABLE intruder AS SELECT 1 AS x"
    assert post("/seed", intrusion, None) == 401
    assert post("/seed", intrusion, "wrong-key") == 401
    assert post("/token", b"", state["admin_key"][:-1]) == 401
    assert post("/token", b"", state["admin_key"], method="PUT") == 405
    with db.connect(CredentialsProvider="JWT") as conn, pytest.raises(db.OperationalError, match="intruder"):
        conn.cursor().execute("SELECT * FROM intruder")
    assert post("/ping", b"", state["admin_key"]) == 200


# --- starting and stopping -------------------------------------------------------------------------------


def test_seed_at_start_then_ctrl_c_stops_the_server_and_removes_its_files(tmp_path: Path, running: Running) -> None:
    env = _environment(tmp_path / "cache")
    directory = tmp_path / "server"
    token_file = tmp_path / "elsewhere" / "token"
    seed = "CREATE TABLE hello AS SELECT 'world' AS w"
    server = DevServer.start(
        *("--port", "0", "--dir", str(directory), "--token-file", str(token_file), "--seed", seed),
        env=env,
        stderr=tmp_path / "err",
    )
    try:
        assert server.exports["AWS_WEB_IDENTITY_TOKEN_FILE"] == str(token_file)
        # A new session name per server: the AWS CLI's disk cache of credentials is keyed by it.
        assert server.exports["AWS_ROLE_SESSION_NAME"] != running.server.exports["AWS_ROLE_SESSION_NAME"]
        assert token_file.is_file()
        assert (directory / "server.json").is_file()
        with db.connect(server.comment("JDBC URL")) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT w FROM hello")
            assert cursor.fetchall() == [("world",)]
        athena = server.exports["AWS_ENDPOINT_URL_ATHENA"]
    finally:
        code, rest = server.stop()
    assert code == 0
    assert rest.strip() == "Stopped."
    assert not token_file.exists()
    assert not (directory / "server.json").exists()
    host, port = athena.removeprefix("http://").split(":")
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port)), timeout=5):
        pass
    assert "Traceback" not in (tmp_path / "err").read_text()


def test_a_port_in_use_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [*CLI, "--port", str(port), "--dir", str(tmp_path)],
            capture_output=True,
            text=True,
            env=_environment(tmp_path),
            timeout=120,
        )
    assert result.returncode == 1
    assert f"{port} (OIDC issuer)" in result.stderr
    assert "in use" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "server.json").exists()


def test_a_second_server_for_the_same_directory_is_refused(running: Running) -> None:
    result = subprocess.run([*CLI, "--port", "0"], capture_output=True, text=True, env=running.env, timeout=120)
    assert result.returncode == 1
    assert "already running" in result.stderr
    assert str(running.state()["pid"]) in result.stderr
    assert running.cli("env").returncode == 0  # the first server's state is untouched


def test_the_readmes_second_terminal_commands_work_as_written(running: Running, exported: dict[str, str]) -> None:
    root = Path(__file__).resolve().parents[2]
    blocks = re.findall(r"```bash\n(.*?)```", (root / "README.md").read_text(), re.S)
    block = next(b for b in blocks if "athena_jwt_dbapi.local token" in b)
    script = block.replace(".venv/bin/python", shlex.quote(sys.executable))  # this test's environment
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{script}\nprintenv AWS_ENDPOINT_URL_ATHENA"],
        cwd=root,
        capture_output=True,
        text=True,
        env=running.env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout.splitlines()
    assert output[-1] == exported["AWS_ENDPOINT_URL_ATHENA"]  # eval "$(... env)" set the variables
    assert len(output[0].split(".")) == 3  # the token
    with db.connect(CredentialsProvider="JWT") as conn, conn.cursor() as cursor:
        cursor.execute("SELECT s.region, count(*) FROM sales s JOIN customers c ON c.region = s.region GROUP BY 1")
        assert sorted(cursor.fetchall()) == [("eu", 4), ("us", 1)]


def test_without_the_local_extra_the_command_says_what_to_install() -> None:
    script = (
        "import runpy, sys\n"
        "sys.modules['werkzeug'] = None  # as if the local extra were not installed\n"
        "runpy.run_module('athena_jwt_dbapi.local', run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "werkzeug is not installed" in result.stderr
    assert "pip install 'athena-jwt-dbapi[local]'" in result.stderr
    assert "Traceback" not in result.stderr
