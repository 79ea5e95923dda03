#!/usr/bin/env bash
# Builds plinth's guest adapters (the cargo workspace in actors/adapters) into WebAssembly
# components, relative to the repository root:
#   target/adapters/{scripted,claude-code,gemini,codex}.wasm          built-ins, embedded in plinth
#   target/adapters/test/{probe,minimal,foreign,legacy}.wasm          for the host's tests
#
# The route is in scripts/lib/wasm-guest.sh (explained under "Offline route" in
# docs/adapters.md).
#
# Idempotent and quick when nothing changed: cargo rebuilds only what changed, and a
# component is copied only when its bytes differ.
#
# Usage: scripts/build-adapters.sh [--quiet]   (--quiet: print nothing unless it fails)
set -euo pipefail

# shellcheck source=lib/quiet-flag.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/quiet-flag.sh"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workspace="$root/actors/adapters"
# Apart from the host-side unit tests' target dir, since another compiler builds here.
guest_target="$workspace/target/guest"
# $PLINTH_ADAPTERS_DIR moves the output, as it moves where actors/build.rs embeds from;
# a relative one is taken from the repository root, there as here.
out="${PLINTH_ADAPTERS_DIR:-$root/target/adapters}"
[[ "$out" == /* ]] || out="$root/$out"
builtins=(scripted claude-code gemini codex)
test_only=(probe minimal foreign legacy)

say() { printf 'build-adapters: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

started=$SECONDS

# shellcheck source=lib/wasm-guest.sh
source "$root/scripts/lib/wasm-guest.sh"

packages=()
for name in "${builtins[@]}" "${test_only[@]}"; do
  packages+=(-p "$name")
done

guest_choose_route
guest_cargo_build --manifest-path "$workspace/Cargo.toml" --target-dir "$guest_target" "${packages[@]}" ||
  die "cargo build of the guest adapters ($GUEST_ROUTE) failed (see above)"
route="$GUEST_ROUTE"
triple="$GUEST_TRIPLE"

built="$guest_target/$triple/release"
install_component() {
  local name="$1" dest_dir="$2"
  local artifact="$built/${name//-/_}.wasm" dest="$dest_dir/$name.wasm"
  [[ -f "$artifact" ]] || die "cargo built no $artifact"
  guest_is_component "$artifact" ||
    die "$artifact is not a WebAssembly component (was it linked by wasm-component-ld?)"
  mkdir -p "$dest_dir"
  if ! cmp -s "$artifact" "$dest"; then
    cp "$artifact" "$dest.tmp"
    mv -f "$dest.tmp" "$dest"
  fi
  $quiet || printf '  %-34s %7d bytes\n' "${dest#"$root"/}" "$(stat -c %s "$dest")" >&2
}

$quiet || say "built with $route in $((SECONDS - started)) s:"
for name in "${builtins[@]}"; do
  install_component "$name" "$out"
done
for name in "${test_only[@]}"; do
  install_component "$name" "$out/test"
done
