#!/usr/bin/env bash
# Builds the two worked examples of docs/adapters.md into WebAssembly components:
#   target/adapters/examples/echo-rust.wasm   from docs/examples/rust-adapter   (wit-bindgen)
#   target/adapters/examples/echo-py.wasm     from docs/examples/python-adapter (componentize-py)
#   target/adapters/examples/echo-py-narrow.wasm  the same app.py for its own narrower world
# tests/adapter_examples.rs loads both with the real host. $PLINTH_ADAPTERS_DIR moves the
# output to $PLINTH_ADAPTERS_DIR/examples (relative: from the repository root), as it does
# for scripts/build-adapters.sh and the tests.
#
# Rust takes the route scripts/build-adapters.sh takes (scripts/lib/wasm-guest.sh).
# Python installs componentize-py (pinned below) from PyPI into a venv under target/tools/
# and runs the guide's two commands on a copy of app.py.
#
# Idempotent and quick when nothing changed: an example whose inputs (its sources, wit/,
# the toolchain) match its last build's is skipped without running any compiler.
#
# Usage: scripts/build-examples.sh [--quiet]   (--quiet: print nothing unless it fails)
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1

# shellcheck source=lib/quiet-flag.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/quiet-flag.sh"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${PLINTH_ADAPTERS_DIR:-$root/target/adapters}"
[[ "$out" == /* ]] || out="$root/$out"
out="$out/examples"
work="$root/target/adapters-examples-build"
wit="$root/wit"

say() { $quiet || printf 'build-examples: %s\n' "$*" >&2; }
die() {
  printf 'build-examples: error: %s\n' "$*" >&2
  exit 1
}

# shellcheck source=lib/wasm-guest.sh
source "$root/scripts/lib/wasm-guest.sh"

# Installs Debian packages when we may (root); otherwise says how.
apt_install() {
  local install=(apt-get install -y -qq --no-install-recommends "$@")
  [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null ||
    die "$* missing; install them as root: ${install[*]}"
  say "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${install[@]}" >/dev/null; then
    apt-get update -qq || true
    "${install[@]}" >/dev/null ||
      die "could not install $*; install them by hand: apt-get update && ${install[*]}"
  fi
}

# One hash over everything an example is built from, and the toolchain that builds it.
fingerprint() {
  local toolchain="$1"
  shift
  {
    printf '%s\n' "$toolchain"
    find "$@" -type f ! -path '*/target/*' ! -path '*/__pycache__/*' -print0 |
      sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
}

# Whether $1 exists and was built from inputs with fingerprint $2.
up_to_date() {
  [[ -s "$1" && -f "$1.stamp" && "$(cat "$1.stamp")" == "$2" ]]
}

# A component starts with the wasm magic and version 0x0d, layer 1 (a core module: 1, 0).
install_component() {
  local built="$1" dest="$2" stamp="$3"
  [[ -s "$built" ]] || die "the build produced no $built"
  guest_is_component "$built" ||
    die "$built is not a WebAssembly component"
  cp "$built" "$dest.tmp"
  mv -f "$dest.tmp" "$dest"
  printf '%s\n' "$stamp" >"$dest.stamp"
}

report() {
  local dest="$1" started="$2"
  say "$(printf '%-40s %9d bytes, %d s' "${dest#"$root"/}" "$(stat -c %s "$dest")" $((SECONDS - started)))"
}

# --- Rust: docs/examples/rust-adapter ------------------------------------------------

build_rust() {
  local src="$root/docs/examples/rust-adapter"
  local dest="$out/echo-rust.wasm"
  # The guest adapters' target dir: std, built from source for wasm32, is built once for both.
  local target_dir="$root/actors/adapters/target/guest"
  local stamp started=$SECONDS

  guest_choose_route
  stamp="$(fingerprint "$GUEST_TOOLCHAIN" "$src/Cargo.toml" "$src/Cargo.lock" "$src/src" "$wit")"
  if up_to_date "$dest" "$stamp"; then
    say "echo-rust.wasm is up to date"
    return
  fi

  say "building echo-rust.wasm ($GUEST_ROUTE)"
  guest_cargo_build --manifest-path "$src/Cargo.toml" --target-dir "$target_dir" ||
    die "cargo build of docs/examples/rust-adapter ($GUEST_ROUTE) failed (see above)"
  install_component "$target_dir/$GUEST_TRIPLE/release/echo_rust.wasm" "$dest" "$stamp"
  report "$dest" "$started"
}

# --- Python: docs/examples/python-adapter --------------------------------------------

# Sets $cpy to componentize-py, installing the pinned version into a venv first.
cpy=""
ensure_componentize_py() {
  local venv="$root/target/tools/componentize-py-$COMPONENTIZE_PY_VERSION"
  cpy="$venv/bin/componentize-py"
  [[ -x "$cpy" ]] && return
  command -v python3 >/dev/null || apt_install python3 python3-venv
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
  say "installing componentize-py $COMPONENTIZE_PY_VERSION from PyPI into ${venv#"$root"/}"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv $venv failed"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "componentize-py==$COMPONENTIZE_PY_VERSION" || {
    rm -rf "$venv"
    die "pip could not install componentize-py==$COMPONENTIZE_PY_VERSION from PyPI"
  }
}

# Builds app.py into $1 for the world named by the remaining arguments (componentize-py's
# -d/-w options), running the guide's two commands on a copy in a scratch directory so the
# generated bindings stay out of docs/.
componentize() {
  local dest="$1" stage="$2"
  shift 2
  local src="$root/docs/examples/python-adapter"
  local stamp started=$SECONDS
  stamp="$(fingerprint "componentize-py $COMPONENTIZE_PY_VERSION $*" "$src" "$wit")"
  if up_to_date "$dest" "$stamp"; then
    say "${dest##*/} is up to date"
    return
  fi
  ensure_componentize_py
  say "building ${dest##*/} (componentize-py $COMPONENTIZE_PY_VERSION, $*)"
  rm -rf "$stage"
  mkdir -p "$stage"
  cp -r "$src/app.py" "$src/wit" "$stage/"
  (
    cd "$stage"
    "$cpy" --quiet "$@" bindings . &&
      "$cpy" --quiet "$@" componentize app -o "$stage/out.wasm"
  ) || die "componentize-py failed on docs/examples/python-adapter (see above)"
  install_component "$stage/out.wasm" "$dest" "$stamp"
  report "$dest" "$started"
}

build_python() {
  # Against plinth's `adapter` world: imports all five capabilities.
  componentize "$out/echo-py.wasm" "$work/python" -d "$wit" -w adapter
  # Against docs/examples/python-adapter/wit/echo.wit: imports only events, log, state.
  componentize "$out/echo-py-narrow.wasm" "$work/python-narrow" -d "$wit" -d wit -w example:echo/echo
}

mkdir -p "$out" "$work"
build_rust
build_python
