#!/usr/bin/env bash
# Builds plinth's browser UI (web/ui/, TypeScript + Vite) into web/ui/dist, which the server
# embeds (web/server/src/routes/ui.rs). Run before cargo builds the binary.
#
# Idempotent and quick when nothing changed: `npm ci` runs only when package-lock.json is
# newer than the installed modules, and the build only when a source is newer than
# web/ui/dist/index.html.
#
# Usage: scripts/build-web.sh [--quiet]   (--quiet: print nothing unless it fails)
# Exit status: 0 built or up to date, 3 Node.js/npm missing or too old, 1 the build failed.
set -euo pipefail

# shellcheck source=lib/quiet-flag.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/quiet-flag.sh"

web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web/ui"
cd "$web"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: building plinth's browser UI needs Node.js (20.19 or later) and npm; install them (Debian: apt-get install nodejs npm, or a newer Node.js) and run again" >&2
  exit 3
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if ((major < 20)); then
  echo "error: plinth's browser UI needs Node.js 20.19 or later (Vite's minimum); this is $(node --version)" >&2
  exit 3
fi

run() {
  if $quiet; then
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
      cat "$log" >&2
      rm -f "$log"
      echo "error: '$*' failed in web/ui/ (see above)" >&2
      exit 1
    fi
    rm -f "$log"
  else
    "$@"
  fi
}

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  run npm ci --no-audit --no-fund
fi

stale=true
if [[ -f dist/index.html ]]; then
  newer=$(find src index.html package-lock.json vite.config.ts tsconfig.json -newer dist/index.html -print -quit)
  [[ -z $newer ]] && stale=false
fi
if $stale; then
  run npm run build
elif ! $quiet; then
  echo "web/ui/dist is up to date"
fi
