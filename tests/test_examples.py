"""The examples the README points at run, on the local stack, and print real query results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def test_custom_provider_example() -> None:
    assert "signed by the JsonFile provider" in run("custom_provider.py")
