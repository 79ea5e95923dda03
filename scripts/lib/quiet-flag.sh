# shellcheck shell=bash
# The one argument plinth's build scripts take: `--quiet` (print nothing unless it fails).
# Sourced by scripts/build-adapters.sh, build-examples.sh and build-web.sh with "$@"; sets
# `quiet` to true or false, and stops with the usage line on anything else.
quiet=false
case "${1:-}" in
  --quiet) quiet=true ;;
  "") ;;
  *)
    printf 'usage: %s [--quiet]\n' "$0" >&2
    exit 2
    ;;
esac
