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
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra}" 2>&1 | grep -v "^WARNING: Location" >&2 || true
.venv/bin/python -c "import server.cli" || { echo "install failed" >&2; exit 1; }
