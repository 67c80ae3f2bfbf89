"""The README stays true: its parameter table is the code's, and CI runs the test command it gives."""

from __future__ import annotations

import re
from pathlib import Path

from athena_jwt_dbapi.reference import BEGIN, END, parameter_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_parameter_table_matches_the_catalogue() -> None:
    start, end = README.index(BEGIN), README.index(END) + len(END)
    assert README[start:end] == parameter_table(), "run: python -m athena_jwt_dbapi.reference > table and paste"


def test_every_parameter_and_alias_is_in_the_readme() -> None:
    from athena_jwt_dbapi.credentials import BUILT_IN_PROVIDERS
    from athena_jwt_dbapi.parameters import COMMON_PARAMETERS

    for parameter in (*COMMON_PARAMETERS, *(p for provider in BUILT_IN_PROVIDERS for p in provider.parameters)):
        for name in parameter.names():
            assert f"`{name}`" in README, name


def _commands(text: str) -> list[str]:
    return [line.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S) for line in block.splitlines()]


def _test_command() -> str:
    """The command of the bash block right after "Run the tests"."""
    after = README[README.index("Run the tests") :]
    return _commands(after)[0]


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    command = _test_command()
    interpreter, script = command.split()
    assert interpreter == "bash"
    assert (ROOT / script).is_file()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    runnable = [line.strip() for line in ci if line.strip() and not line.strip().startswith("#")]
    assert command in runnable


def test_main_example_command_names_a_real_file() -> None:
    first = _commands(README)[0]
    assert first.endswith("python examples/quickstart.py")
    assert (ROOT / "examples" / "quickstart.py").is_file()
