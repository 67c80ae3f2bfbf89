"""The examples the README points at run, on the local stack, and print real query results; the
README's first command installs everything they and the README's own snippets import."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PACKAGE = "athena-jwt-dbapi"


def run(script: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)], capture_output=True, text=True, env=env, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_quickstart_prints_real_results() -> None:
    output = run("quickstart.py")
    assert "Connecting to the local stack" in output
    assert "  us | 1 | 20.25\n" in output
    assert "  eu | 2 | 14.50\n" in output
    assert "(datetime.date(2024, 3, 1), [1, 2, 3], 3, None)" in output
    assert "apac       1   7.10" in output  # the pandas frame


def test_jwt_tip_example_queries_as_each_user() -> None:
    output = run("jwt_tip.py")
    for user in ("alice", "bob"):
        assert f"{user}: [('eu', 15), ('us', 20)]" in output
        assert f"assumed-role/local-athena-identity-center-access/report-{user}\n" in output
        assert f"identity-enhanced credentials of Identity Center user '{user}'" in output
    assert "CredentialsProvider=JWT in the same workgroup is refused" in output
    assert "requires identity-enhanced credentials" in output


def test_custom_provider_example() -> None:
    assert "signed by the JsonFile provider" in run("custom_provider.py")


def _first_command_extras() -> set[str]:
    first = re.search(r"```bash\n(.*?)\n", README)
    assert first is not None
    extras = re.search(r"pip install -e '\.\[([a-z,]+)\]'", first.group(1))
    assert extras is not None, first.group(1)
    return set(extras.group(1).split(","))


def _requirements(extras: set[str]) -> list[Requirement]:
    """What installing the package with ``extras`` installs directly (its own extras followed)."""
    found: list[Requirement] = []
    pending, seen = set(extras), set()
    while pending:
        extra = pending.pop()
        seen.add(extra)
        for text in importlib.metadata.requires(PACKAGE) or []:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
                continue
            if canonicalize_name(requirement.name) == PACKAGE:
                pending |= set(requirement.extras) - seen
            else:
                found.append(requirement)
    return found


def _imports(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def _example_sources() -> dict[str, str]:
    sources = {
        f"README python block {i}": block for i, block in enumerate(re.findall(r"```python\n(.*?)```", README, re.S))
    }
    sources.update({f"examples/{path.name}": path.read_text() for path in sorted((ROOT / "examples").glob("*.py"))})
    return sources


def test_the_first_command_installs_what_every_example_imports() -> None:
    requirements = _requirements(_first_command_extras())
    installed = {canonicalize_name(r.name) for r in requirements}
    distributions = importlib.metadata.packages_distributions()
    pyathena_extras = set(importlib.metadata.metadata("PyAthena").get_all("Provides-Extra") or [])
    missing = []
    for where, source in _example_sources().items():
        for module in _imports(source):
            top, _, rest = module.partition(".")
            if top in sys.stdlib_module_names or top == "athena_jwt_dbapi":
                continue
            names = {canonicalize_name(d) for d in distributions.get(top, [top])}
            if not names & installed:
                missing.append(f"{where}: {module}")
            sub = rest.partition(".")[0]  # pyathena.pandas needs pyathena[pandas]
            with_extra = any(canonicalize_name(r.name) == "pyathena" and sub in r.extras for r in requirements)
            if top == "pyathena" and sub in pyathena_extras and not with_extra:
                missing.append(f"{where}: {module} (pyathena[{sub}])")
    assert not missing, f"the README's first command does not install: {missing}"
