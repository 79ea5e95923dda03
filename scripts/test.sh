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
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

log "guest adapters (WebAssembly components)"
scripts/build-adapters.sh
scripts/build-examples.sh

log "Docker (daemon and base image, for the environment tests)"
scripts/docker-setup.sh

log "cargo test (unit and end-to-end)"
cargo test --workspace --all-targets --no-fail-fast

log "cargo test (the guest adapters' own logic, on the host)"
cargo test --manifest-path actors/adapters/Cargo.toml --no-fail-fast
