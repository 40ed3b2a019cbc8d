#!/usr/bin/env bash
# Run CherryPy 18.10's own test files against this workspace, one file at a time.
#
#   scripts/cherrypy-suite.sh [test_core.py ...]     (default: every test_*.py)
#
# Downloads CherryPy 18.10 from PyPI into a reference venv under $CP_SUITE_DIR (default
# /tmp/cherrypy-suite), copies its test files and the scaffolding modules they import there,
# and runs them with a second venv that has this workspace installed editable.  Nothing of
# CherryPy's lands in this repository.  docs/migration.md lists the tests expected to differ.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${CP_SUITE_DIR:-/tmp/cherrypy-suite}"
uv="${UV:-python3 -m uv}"
mkdir -p "$work"

if [ ! -x "$work/ref/bin/python" ]; then
    $uv venv -q "$work/ref"
    $uv pip install -q -p "$work/ref/bin/python" "cherrypy==18.10.0"
fi
if [ ! -x "$work/ours/bin/python" ]; then
    $uv venv -q "$work/ours"
    editable=()
    for dist in "$repo/core" "$repo"/plugins/* "$repo"/contrib/*; do
        [ -f "$dist/pyproject.toml" ] && editable+=(-e "$dist")
    done
    $uv pip install -q -p "$work/ours/bin/python" "${editable[@]}" \
        pytest pytest-timeout cheroot path portend requests_toolbelt \
        pytest-services python-memcached
fi
# test_session's memcached tests start memcached themselves; as root it needs -u memcache.
if [ "$(id -u)" = 0 ] && command -v memcached >/dev/null 2>&1; then
    mkdir -p "$work/bin"
    printf '#!/bin/sh\nexec %s -u memcache "$@"\n' "$(command -v memcached)" > "$work/bin/memcached"
    chmod +x "$work/bin/memcached"
    export PATH="$work/bin:$PATH"
fi

site="$("$work/ref/bin/python" -c 'import cherrypy, os; print(os.path.dirname(cherrypy.__file__))')"
tests="$work/tests"
if [ ! -d "$tests" ]; then
    mkdir -p "$tests/scaffold"
    cp "$site"/test/test_*.py "$tests/"
    cp -r "$site/test/static" "$site/test/style.css" "$site/test/test.pem" "$tests/"
    for module in _test_decorators checkerdemo sessiondemo _test_states_demo; do
        cp "$site/test/$module.py" "$tests/scaffold/"
    done
    # test_states touches the demo module beside the tests to trigger the autoreloader.
    ln -s scaffold/_test_states_demo.py "$tests/_test_states_demo.py"
    # Our cherrypy.test package serves the scaffolding modules from here, in this process
    # and in the servers it spawns (CHERRYPY_TEST_PATH).
    cat > "$tests/conftest.py" <<'PY'
import os

import cherrypy.test

_scaffold = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scaffold")
cherrypy.test.__path__.append(_scaffold)
os.environ["CHERRYPY_TEST_PATH"] = _scaffold
PY
fi

# testFavicon compares /favicon.ico with the package's favicon.ico, found at tests/../
cp "$repo/core/src/cherrypy/favicon.ico" "$work/favicon.ico"

cd "$tests"
files=("$@")
[ "${#files[@]}" -gt 0 ] || files=(test_*.py)
for file in "${files[@]}"; do
    out="$(timeout 600 "$work/ours/bin/python" -m pytest -q -p no:cacheprovider --timeout 120 -rfE "$file" 2>&1 || true)"
    echo "== $file: $(printf '%s\n' "$out" | grep -E '(passed|failed|error).* in [0-9.]+s' | tail -n 1)"
    printf '%s\n' "$out" | grep -E '^(FAILED|ERROR) ' | cut -c1-160 || true
done
