#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install Switchboard into it. Idempotent.
# Usage: scripts/bootstrap.sh [--test]   (--test also installs the test dependencies)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "Switchboard needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1). Set PYTHON=python3.11." >&2
  exit 2
fi
if ! [ -x .venv/bin/python ]; then
  fresh=$([ -e .venv ] || echo 1)
  if ! "$PY" -m venv .venv; then
    # Debian's python3 without python3-venv stops after making .venv/bin/python: a later run would take it.
    [ -n "$fresh" ] && rm -rf .venv
    version=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    echo "could not create .venv with $PY -m venv; on Debian or Ubuntu install python3-venv" \
      "(sudo apt install python$version-venv), then run this again" >&2
    exit 2
  fi
fi
if ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  # made by something else (an editor makes .venv with the default python3): pip would refuse to install
  echo ".venv uses $(.venv/bin/python --version 2>&1) and Switchboard needs Python 3.11 or newer: remove it" \
    "(rm -rf .venv), then run this again (with PYTHON=python3.11 if python3 is older)" >&2
  exit 2
fi
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  echo ".venv has no pip (was it made by a python -m venv that failed half-way?): remove it (rm -rf .venv)," \
    "then run this again" >&2
  exit 2
fi
extra=""
needed=(mcp server.cli)  # what .venv must hold (found there, not in this folder as a bare `python -c` would)
if [ "${1:-}" = "--test" ]; then extra="[test]"; needed+=(pytest); fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
pip_status=0
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra}" 2>&1 \
  | { grep -v "^WARNING: Location" || true; } >&2 || pip_status=$?
if ! [ -x .venv/bin/switchboard ] || ! .venv/bin/python -P -c \
  'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in sys.argv[1:]))' "${needed[@]}" 2>/dev/null
then
  echo "install failed: pip could not install Switchboard${extra:+ and its test dependencies} into .venv (its" \
    "messages are above). It needs to reach PyPI; without network, set PIP_INDEX_URL or PIP_FIND_LINKS to a" \
    "mirror or a folder of wheels, then run this again." >&2
  exit 1
fi
if [ "$pip_status" -ne 0 ]; then
  echo "warning: pip could not update .venv (offline?); going on with what is installed there" >&2
fi
