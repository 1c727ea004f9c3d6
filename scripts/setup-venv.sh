#!/usr/bin/env bash
# scripts/setup-venv.sh VERSION [REQUIREMENT ...]: makes .venv-VERSION with
# the development requirements (or, given REQUIREMENTs, only those: the
# demo's way; CLOOP_VENV_MINIMAL=1 for none at all) and cloop installed
# editable (the C core built in place, warnings as errors). Prints the
# venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
ver="${1:-3.12}"
shift || true
venv=".venv-$ver"
if [ ! -x "$venv/bin/python" ]; then
    "$(bash scripts/python-path.sh "$ver")" -m venv "$venv" >&2
fi
pip_install() {
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" >&2
}
if [ "$#" -gt 0 ] || [ -n "${CLOOP_VENV_MINIMAL:-}" ]; then
    # What building cloop needs, and the REQUIREMENTs.
    pip_install "setuptools>=77" wheel "$@"
else
    pip_install -r requirements-dev.txt
    # anyio's test suite (tests/test_anyio_suite.py) runs from the sdist of the
    # installed anyio, kept in the venv (fetched once per anyio version).
    anyio_ver="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("anyio"))')"
    [ -f "$venv/sdists/anyio-$anyio_ver.tar.gz" ] \
        || "$venv/bin/python" -m pip download -q --disable-pip-version-check \
            --no-deps --no-binary :all: -d "$venv/sdists" "anyio==$anyio_ver" >&2
    # aiohttp's own tests (tests/test_aiohttp_suite.py) run from the sdist of the
    # installed aiohttp, kept in the venv (fetched once per aiohttp version).
    aiohttp_ver="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("aiohttp"))')"
    [ -f "$venv/sdists/aiohttp-$aiohttp_ver.tar.gz" ] \
        || "$venv/bin/python" -m pip download -q --disable-pip-version-check \
            --no-deps --no-binary :all: -d "$venv/sdists" "aiohttp==$aiohttp_ver" >&2
    # pytest-asyncio, for the project that tests/test_pytest_plugin.py runs
    # with `pytest --cloop`: kept as a wheel in the venv, not installed (it
    # would load into cloop's own suite too).
    pytest_asyncio_whl="pytest_asyncio-1.5.0-py3-none-any.whl"
    [ -f "$venv/wheels/$pytest_asyncio_whl" ] \
        || "$venv/bin/python" -m pip download -q --disable-pip-version-check \
            --no-deps --only-binary :all: -d "$venv/wheels" "pytest-asyncio==1.5.0" >&2
fi
CLOOP_WERROR=1 pip_install --no-build-isolation -e .
echo "$PWD/$venv/bin/python"
