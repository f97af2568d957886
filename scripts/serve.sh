#!/usr/bin/env bash
# Install into .venv and run the MCP server on stdio with the embedded defaults (no API keys needed).
# Extra arguments go to `switchboard serve` (e.g. --http --port 8765).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/switchboard serve "$@"
