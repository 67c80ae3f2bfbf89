"""The README's test command (``scripts/test.sh``) and CI (``.ci/run``), run on a copy of the checkout
whose Python, pip, pytest, ruff and mypy are stand-ins that log their calls: the scripts' own logic
(set-up only when needed, every failure failing CI) is what is tested, in milliseconds."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A stand-in for the interpreter inside .venv: logs its arguments; pytest exits with $PYTEST_STATUS.
VENV_PYTHON = """#!/usr/bin/env bash
echo "venv-python $*" >> "$CALLS"
if [ "$1" = "-c" ]; then echo "3.99.0 (stand-in)"; exit 0; fi
if [ "$1 $2" = "-m pytest" ]; then exit "${PYTEST_STATUS:-0}"; fi
exit 0
"""
# A stand-in for python3: ``-m venv --clear DIR`` makes DIR/bin/python (the stand-in above) and activate.
PYTHON3 = """#!/usr/bin/env bash
echo "python3 $*" >> "$CALLS"
dir="${@: -1}"
mkdir -p "$dir/bin"
cp "$VENV_PYTHON_SOURCE" "$dir/bin/python"
chmod +x "$dir/bin/python"
cat > "$dir/bin/activate" <<'ACTIVATE'
ruff() { echo "ruff $*" >> "$CALLS"; return "${RUFF_STATUS:-0}"; }
mypy() { echo "mypy $*" >> "$CALLS"; return "${MYPY_STATUS:-0}"; }
ACTIVATE
"""


def _checkout(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / ".ci").mkdir()
    shutil.copy(ROOT / "scripts" / "test.sh", repo / "scripts" / "test.sh")
    shutil.copy(ROOT / ".ci" / "run", repo / ".ci" / "run")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    stand_ins = tmp_path / "stand-ins"
    stand_ins.mkdir()
    (stand_ins / "venv-python").write_text(VENV_PYTHON)
    (stand_ins / "python3").write_text(PYTHON3)
    (stand_ins / "python3").chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "CALLS": str(tmp_path / "calls"),
        "PYTHON": str(stand_ins / "python3"),
        "VENV_PYTHON_SOURCE": str(stand_ins / "venv-python"),
    }
    return repo, env


def _run(repo: Path, env: dict[str, str], *command: str, **extra: str) -> tuple[int, list[str]]:
    calls = Path(env["CALLS"])
    calls.unlink(missing_ok=True)
    result = subprocess.run(command, cwd=repo, env={**env, **extra}, capture_output=True, text=True, timeout=60)
    return result.returncode, calls.read_text().splitlines() if calls.exists() else []


def test_the_test_command_sets_up_once_then_only_runs_the_suite(tmp_path: Path) -> None:
    repo, env = _checkout(tmp_path)
    status, calls = _run(repo, env, "bash", "scripts/test.sh")
    assert status == 0
    assert calls[0] == "python3 -m venv --clear .venv"
    assert "venv-python -m pip install --quiet -e .[test]" in calls
    assert calls[-1] == "venv-python -m pytest -q"

    status, calls = _run(repo, env, "bash", "scripts/test.sh", "-k", "token")
    assert status == 0
    assert not [call for call in calls if "pip" in call or call.startswith("python3")]  # up to date: no set-up
    assert calls[-1] == "venv-python -m pytest -q -k token"


def test_the_test_command_reinstalls_when_pyproject_changes(tmp_path: Path) -> None:
    repo, env = _checkout(tmp_path)
    _run(repo, env, "bash", "scripts/test.sh")
    with (repo / "pyproject.toml").open("a") as pyproject:
        pyproject.write("\n# a new dependency\n")
    status, calls = _run(repo, env, "bash", "scripts/test.sh")
    assert status == 0
    assert "venv-python -m pip install --quiet -e .[test]" in calls
    assert not [call for call in calls if call.startswith("python3")]  # the environment itself is kept


def test_the_test_command_fails_when_pytest_fails(tmp_path: Path) -> None:
    repo, env = _checkout(tmp_path)
    status, _ = _run(repo, env, "bash", "scripts/test.sh", PYTEST_STATUS="1")
    assert status == 1


def test_ci_runs_the_test_command_then_ruff_and_mypy(tmp_path: Path) -> None:
    repo, env = _checkout(tmp_path)
    status, calls = _run(repo, env, "bash", ".ci/run")
    assert status == 0
    assert [c for c in calls if c.startswith(("venv-python -m pytest", "ruff", "mypy"))] == [
        "venv-python -m pytest -q",
        "ruff check athena_jwt_dbapi tests examples benchmarks scripts",
        "mypy ",
    ]


def test_ci_fails_when_a_test_fails_and_still_reports_the_checks(tmp_path: Path) -> None:
    repo, env = _checkout(tmp_path)
    status, calls = _run(repo, env, "bash", ".ci/run", PYTEST_STATUS="1")
    assert status != 0
    assert any(call.startswith("ruff") for call in calls)
    assert any(call.startswith("mypy") for call in calls)


def test_ci_fails_when_ruff_or_mypy_fails(tmp_path: Path) -> None:
    repo, env = _checkout(tmp_path)
    assert _run(repo, env, "bash", ".ci/run", RUFF_STATUS="1")[0] != 0
    assert _run(repo, env, "bash", ".ci/run", MYPY_STATUS="2")[0] != 0
