#!/usr/bin/env bash
# Install the real MCP hosts the host tests drive, offline-capable once installed:
#   npm: Claude Code, Gemini CLI, Codex, MCP Inspector -> <repo>/.hosts (npm install --prefix)
#   apt: chromium (headless dashboard tests)
# Idempotent: a package already at the pinned version is not reinstalled; apt-get update runs at most once.
# Versions are pinned to the ones verified in shared/docs/mcp-sdk-and-clients.md (override with env vars).
# Usage: scripts/setup-hosts.sh [--no-npm] [--no-chromium]
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOSTS_DIR="${SWITCHBOARD_HOSTS_DIR:-$REPO/.hosts}"
PACKAGES=(
  "@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION:-2.1.197}"
  "@google/gemini-cli@${GEMINI_CLI_VERSION:-0.61.0}"
  "@openai/codex@${CODEX_VERSION:-0.169.0}"
  "@modelcontextprotocol/inspector@${INSPECTOR_VERSION:-0.15.0}"
)
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false npm_config_loglevel=error

do_npm=1
do_chromium=1
for arg in "$@"; do
  case "$arg" in
    --no-npm) do_npm=0 ;;
    --no-chromium) do_chromium=0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

status=0
log() { echo "setup-hosts: $*" >&2; }

installed_version() {  # $1 = package name -> prints the installed version or nothing
  local pj="$HOSTS_DIR/node_modules/$1/package.json"
  [[ -f "$pj" ]] && node -e 'process.stdout.write(require(process.argv[1]).version)' "$pj" 2>/dev/null
}

if (( do_npm )); then
  if ! command -v npm >/dev/null 2>&1; then
    log "npm not found: cannot install the MCP hosts"; status=1
  else
    mkdir -p "$HOSTS_DIR"
    [[ -f "$HOSTS_DIR/package.json" ]] || echo '{"name": "switchboard-hosts", "private": true}' >"$HOSTS_DIR/package.json"
    missing=()
    for spec in "${PACKAGES[@]}"; do
      name="${spec%@*}"; want="${spec##*@}"
      have="$(installed_version "$name")"
      if [[ "$have" == "$want" ]]; then log "$name $have already installed"; else missing+=("$spec"); fi
    done
    if (( ${#missing[@]} )); then
      log "npm install --prefix $HOSTS_DIR ${missing[*]}"
      start=$SECONDS
      if npm install --prefix "$HOSTS_DIR" "${missing[@]}" >&2; then
        log "npm install took $((SECONDS - start)) s"
      else
        log "npm install failed"; status=1
      fi
    fi
  fi
fi

if (( do_chromium )); then
  if command -v chromium >/dev/null 2>&1; then
    log "chromium already installed: $(command -v chromium)"
  elif ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get not found: cannot install chromium"; status=1
  else
    start=$SECONDS
    sudo_cmd=()
    (( EUID == 0 )) || sudo_cmd=(sudo)
    if "${sudo_cmd[@]}" apt-get update -qq >&2 \
      && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends chromium >&2; then
      log "chromium installed in $((SECONDS - start)) s"
    else
      log "could not install chromium"; status=1
    fi
  fi
fi

exit $status
