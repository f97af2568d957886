#!/usr/bin/env bash
# Install everything the tests need (venv, test deps, host CLIs from npm, Chromium) and run the whole suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --test
if [ -f scripts/setup-hosts.sh ] && [ "${SWITCHBOARD_SKIP_HOSTS:-0}" != "1" ]; then
  # Host CLIs and Chromium; tests that need one skip with a reason if it could not be installed.
  bash scripts/setup-hosts.sh || echo "warning: scripts/setup-hosts.sh failed; host tests will skip" >&2
fi
exec .venv/bin/python -m pytest "$@"
