#!/usr/bin/env bash
# Install into .venv and run the MCP server on stdio with the embedded defaults (no API keys needed).
# Extra arguments go to `switchboard serve` (e.g. --http --port 8765).
set -euo pipefail
cd "$(dirname "$0")/.." >/dev/null  # (with CDPATH set, cd prints where it went)
scripts/bootstrap.sh >&2  # stdout is the MCP stream: whatever set-up prints (venv's notices too) goes to stderr
exec .venv/bin/switchboard serve "$@"
