#!/usr/bin/env bash
# The test suite from nothing: create .venv if it is missing, install the package with its test extra
# (again only when pyproject.toml, the checkout's path or the interpreter changed), then run pytest.
# Arguments go to pytest (bash scripts/test.sh -k token). PYTHON picks the interpreter for a new .venv.
# Delete .venv to start over.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.installed-test-extra"

if ! "$venv/bin/python" -c '' 2>/dev/null; then
    echo "Creating $venv ..." >&2
    "${PYTHON:-python3}" -m venv --clear "$venv"
fi

wanted="$(pwd)
$("$venv/bin/python" -c 'import sys; print(sys.version)')
$(cat pyproject.toml)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "Installing the package with its test extra into $venv ..." >&2
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -e '.[test]'
    printf '%s' "$wanted" > "$stamp"
fi

exec "$venv/bin/python" -m pytest -q "$@"
