#!/usr/bin/env bash
# Runs every test of plinth on a fresh Debian 12 machine: installs what the tests need,
# then the unit and end-to-end suites. Idempotent; safe to run again.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

log() { printf '\n==> %s\n' "$*"; }

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v cc >/dev/null || need_apt+=(gcc libc6-dev)
# Agent hosts drive real tmux sessions.
command -v tmux >/dev/null || need_apt+=(tmux)
# The browser UI is built with npm and tested in Debian's Chromium.
command -v npm >/dev/null || need_apt+=(nodejs npm)
command -v chromium >/dev/null || need_apt+=(chromium)
# One browser test calls the model proxy from a scripted task with curl.
command -v curl >/dev/null || need_apt+=(curl)
# Docker tests that need a daemon in a state the machine's must not be put in (a first
# start, --bridge=none, a firewall) run one of their own in a network namespace.
command -v ip >/dev/null || need_apt+=(iproute2)
command -v iptables >/dev/null || need_apt+=(iptables)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

log "guest adapters (WebAssembly components)"
scripts/build-adapters.sh
scripts/build-examples.sh

log "browser UI (web/ui/: npm ci, then the Vite build the binary serves)"
scripts/build-web.sh

log "Docker (daemon and base image, for the environment tests)"
scripts/docker-setup.sh

log "cargo test (unit and end-to-end)"
cargo test --workspace --all-targets --no-fail-fast

log "cargo test (the guest adapters' own logic, on the host)"
cargo test --manifest-path actors/adapters/Cargo.toml --no-fail-fast

log "browser UI: unit tests (Vitest)"
(cd web/ui && npm test)

log "browser UI: end-to-end in Chromium against the real server (screenshots in target/ui-artifacts)"
# cargo test built target/debug/plinth, which reads web/ui/dist from disk.
(cd web/ui && timeout 1200 npm run e2e)
