"""Mutation testing of the security- and correctness-critical modules, with cosmic-ray.

    python scripts/mutation.py                 # every module below (about 1¾ hours on 2 CPUs)
    python scripts/mutation.py redaction sts   # only the modules whose path contains one of these words
    python scripts/mutation.py --list          # the modules, their test selections, nothing run

Each module is mutated in a throw-away git worktree of HEAD (cosmic-ray rewrites the file in place, so
the checkout you work in is never touched) and, for each mutant, only the module's own fast test
selection runs. Mutants inside type annotations are skipped (``from __future__ import annotations``:
they are never evaluated). A surviving mutant is either killed by a new test or listed, with the reason
it cannot change behaviour, in ``mutation/equivalents.toml``; the score counts only the others:
``killed / (mutants - skipped - equivalent)``. Needs the ``mutation`` extra (cosmic-ray) in the
environment it runs in; it is not part of CI (it takes too long).
"""

from __future__ import annotations

import argparse
import ast
import shlex
import sqlite3
import subprocess
import sys
import tempfile

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "mutation" / "equivalents.toml"
# The interpreter running this script runs cosmic-ray and the tests too, so ``.venv/bin/python scripts/mutation.py``
# works without activating the environment.
PYTEST = f"{shlex.quote(sys.executable)} -m pytest -x -q -p no:cacheprovider --no-header"
_BESIDE = Path(sys.executable).with_name("cosmic-ray")
COSMIC_RAY = str(_BESIDE) if _BESIDE.exists() else "cosmic-ray"

#: The JWT provider and the web-identity exchange it shares with JWT_TIP are exercised by the same tests.
_JWT_EXCHANGE_TESTS = [
        "tests/test_jwt_provider.py",
        "tests/test_sts_request.py",
        "tests/test_token_source.py",
        "tests/test_pep249.py::test_refusing_a_bad_parameter_does_not_load_the_aws_sdk",
        "tests/test_readme.py::test_parameter_table_matches_the_catalogue",
        "tests/e2e/test_jwt_sts_exchange.py",
        "tests/e2e/test_literal_token_hint.py",
        "tests/e2e/test_identity_and_refresh_edges.py",
        "tests/e2e/test_connect_jwt.py",
    ]

#: Module → the tests that exercise it, fastest first. Keep each selection to a minute or less.
MODULES: dict[str, list[str]] = {
    "athena_jwt_dbapi/redaction.py": ["tests/test_redaction.py", "tests/test_token_source.py"],
    "athena_jwt_dbapi/dsn.py": ["tests/test_dsn.py", "tests/test_parameters.py"],
    "athena_jwt_dbapi/parameters/resolve.py": ["tests/test_coercion.py", "tests/test_parameters.py"],
    "athena_jwt_dbapi/parameters/rules.py": [
        "tests/test_parameter_rules.py",
        "tests/test_parameters.py",
        "tests/test_clients.py",
    ],
    "athena_jwt_dbapi/parameters/spec.py": [
        "tests/test_validators.py",
        "tests/test_coercion.py",
        "tests/test_parameters.py",
        "tests/test_readme.py::test_parameter_table_matches_the_catalogue",
    ],
    "athena_jwt_dbapi/credentials/token_source.py": ["tests/test_token_source.py"],
    "athena_jwt_dbapi/credentials/refreshing.py": [
        "tests/test_refresh.py",
        "tests/e2e/test_identity_and_refresh_edges.py::test_refresh_windows_follow_each_refresh_not_the_first",
    ],
    "athena_jwt_dbapi/credentials/cache.py": [
        "tests/test_cache.py",
        "tests/test_pep249.py::test_refusing_a_bad_parameter_does_not_load_the_aws_sdk",
        "tests/e2e/test_identity_and_refresh_edges.py",
    ],
    "athena_jwt_dbapi/credentials/jwt.py": _JWT_EXCHANGE_TESTS,
    "athena_jwt_dbapi/credentials/web_identity.py": _JWT_EXCHANGE_TESTS,
    "athena_jwt_dbapi/credentials/aws_errors.py": ["tests/test_aws_errors.py", *_JWT_EXCHANGE_TESTS],
    "athena_jwt_dbapi/credentials/jwt_tip.py": [
        "tests/test_pep249.py::test_refusing_a_bad_parameter_does_not_load_the_aws_sdk",
        "tests/test_readme.py::test_parameter_table_matches_the_catalogue",
        "tests/e2e/test_hostile_input.py::test_jwt_tip_frames_show_no_secret_of_the_chain",
        "tests/e2e/test_connect_jwt_tip.py",
    ],
    "athena_jwt_dbapi/local/iam.py": [
        "tests/local/test_credential_store.py",
        "tests/local/test_sts_checks.py",
        "tests/local/test_issuer_sts.py",
    ],
    "athena_jwt_dbapi/local/sts.py": ["tests/local/test_sts_checks.py", "tests/local/test_issuer_sts.py"],
    "athena_jwt_dbapi/local/sigv4.py": [
        "tests/local/test_sigv4_checks.py",
        "tests/local/test_sigv4_s3.py",
        "tests/local/test_issuer_sts.py",
    ],
}


@dataclass
class Result:
    module: str
    mutants: int = 0
    killed: int = 0
    skipped: int = 0
    equivalent: int = 0
    survivors: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        counted = self.mutants - self.skipped - self.equivalent
        return self.killed / counted if counted else 1.0


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) positions of every annotation: mutants there change nothing at run time."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        annotations: list[ast.expr | None] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            annotations.append(node.returns)
            arguments = node.args
            for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
                annotations.append(argument.annotation)
            annotations += [arguments.vararg.annotation if arguments.vararg else None]
            annotations += [arguments.kwarg.annotation if arguments.kwarg else None]
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        for annotation in annotations:
            if annotation is not None and annotation.end_lineno is not None and annotation.end_col_offset is not None:
                spans.append(
                    ((annotation.lineno, annotation.col_offset), (annotation.end_lineno, annotation.end_col_offset))
                )
    return spans


def load_equivalents() -> list[dict[str, str]]:
    if not EQUIVALENTS.exists():
        return []
    entries: list[dict[str, str]] = tomllib.loads(EQUIVALENTS.read_text()).get("equivalent", [])
    return entries


def describe(module: str, operator: str, row: int, line: str, column: int) -> str:
    return f"{module}:{row}:{column} {operator}: {line.strip()}"


def run_module(workdir: Path, module: str, tests: list[str], equivalents: list[dict[str, str]]) -> Result:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    config = workdir / "cosmic-ray.toml"
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        "timeout = 120.0\n"
        "excluded-modules = []\n"
        f'test-command = "{PYTEST} {" ".join(tests)}"\n\n'
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    session = workdir / f"{Path(module).stem}.sqlite"
    session.unlink(missing_ok=True)
    subprocess.run([COSMIC_RAY, "init", str(config), str(session)], cwd=workdir, check=True)
    source = (workdir / module).read_text()
    lines = source.splitlines()
    spans = annotation_spans(source)
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in db.work_items:
            for mutation in item.mutations:
                start = (mutation.start_pos[0], mutation.start_pos[1])
                if any(low <= start < high for low, high in spans):
                    db.set_result(
                        item.job_id,
                        WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="a type annotation"),
                    )
    subprocess.run([COSMIC_RAY, "exec", str(config), str(session)], cwd=workdir, check=True)

    result = Result(module)
    known = {(e["module"], e["operator"], e["line"].strip(), int(e["column"])) for e in equivalents}
    with sqlite3.connect(session) as connection:
        rows = connection.execute(
            "SELECT s.operator_name, s.start_pos_row, s.start_pos_col, r.worker_outcome, r.test_outcome "
            "FROM mutation_specs s LEFT JOIN work_results r ON s.job_id = r.job_id"
        ).fetchall()
    for operator, row, column, worker, test in rows:
        result.mutants += 1
        line = lines[row - 1] if 0 < row <= len(lines) else ""
        if worker == "SKIPPED":
            result.skipped += 1
        elif test in ("KILLED", "INCOMPETENT") or worker == "ABNORMAL":
            result.killed += 1  # a mutant that breaks the tests' run, or hangs them into a timeout, is caught too
        elif (module, operator, line.strip(), column) in known:
            result.equivalent += 1
        else:
            result.survivors.append(describe(module, operator, row, line, column))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("words", nargs="*", help="run only the modules whose path contains one of these")
    parser.add_argument("--list", action="store_true", help="list the modules and their tests, run nothing")
    arguments = parser.parse_args(argv)
    chosen = {m: t for m, t in MODULES.items() if not arguments.words or any(w in m for w in arguments.words)}
    if arguments.list:
        for module, tests in chosen.items():
            print(f"{module}: {' '.join(tests)}")
        return 0
    equivalents = load_equivalents()
    results = []
    with tempfile.TemporaryDirectory(prefix="mutation-") as scratch:
        workdir = Path(scratch) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(workdir), "HEAD"], cwd=ROOT, check=True)
        try:
            for module, tests in chosen.items():
                print(f"[mutation] {module}", file=sys.stderr, flush=True)
                results.append(run_module(workdir, module, tests, equivalents))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(workdir)], cwd=ROOT, check=False)
    print("| module | mutants | skipped (annotations) | equivalent | killed | survived | score |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| `{r.module}` | {r.mutants} | {r.skipped} | {r.equivalent} | {r.killed} | {len(r.survivors)} "
            f"| {r.score:.0%} |"
        )
    counts = (sum(getattr(r, name) for r in results) for name in ("mutants", "killed", "skipped", "equivalent"))
    total = Result("all", *counts)
    total.survivors = [s for r in results for s in r.survivors]
    print(f"| **all** | {total.mutants} | {total.skipped} | {total.equivalent} | {total.killed} "
          f"| {len(total.survivors)} | **{total.score:.0%}** |")
    if total.survivors:
        print("\nSurvivors (kill each with a test, or list it in mutation/equivalents.toml with the reason):")
        for survivor in total.survivors:
            print(f"- {survivor}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
