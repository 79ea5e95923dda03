#!/usr/bin/env bash
# Builds plinth's guest adapters (the cargo workspace in actors/adapters) into WebAssembly
# components, relative to the repository root:
#   target/adapters/scripted.wasm, target/adapters/claude-code.wasm   built-ins, embedded in plinth
#   target/adapters/test/{probe,minimal,foreign}.wasm                 for the host's tests
#
# The route (see "Building WASM guests on these machines" in the design notes):
#   1. rustup's wasm32-wasip2 target, where it is already installed;
#   2. otherwise Debian's Rust (rustc-web, cargo-web, rust-web-src; installed here with
#      apt-get if missing) building std for wasm32-unknown-unknown (-Zbuild-std), linked
#      into a component by rustup's own wasm-component-ld.
# Never `rustup target add`: rustup's download server is not reachable from every machine.
#
# Idempotent and quick when nothing changed: cargo rebuilds only what changed, and a
# component is copied only when its bytes differ.
#
# Usage: scripts/build-adapters.sh [--quiet]   (--quiet: print nothing unless it fails)
set -euo pipefail

quiet=false
case "${1:-}" in
  --quiet) quiet=true ;;
  "") ;;
  *)
    printf 'usage: %s [--quiet]\n' "$0" >&2
    exit 2
    ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workspace="$root/actors/adapters"
# Apart from the host-side unit tests' target dir, since another compiler builds here.
guest_target="$workspace/target/guest"
# $PLINTH_ADAPTERS_DIR moves the output, as it moves where actors/build.rs embeds from;
# a relative one is taken from the repository root, there as here.
out="${PLINTH_ADAPTERS_DIR:-$root/target/adapters}"
[[ "$out" == /* ]] || out="$root/$out"
builtins=(scripted claude-code)
test_only=(probe minimal foreign)
debian_packages=(rustc-web cargo-web rust-web-src)

say() { printf 'build-adapters: %s\n' "$*" >&2; }
die() {
  say "error: $*"
  exit 1
}

started=$SECONDS

# Flags meant for the host would override the per-target ones this build relies on.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET

packages=()
for name in "${builtins[@]}" "${test_only[@]}"; do
  packages+=(-p "$name")
done

have_wasip2() {
  command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2
}

debian_rust_installed() {
  local package
  for package in "${debian_packages[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" == "install ok installed" ]] || return 1
  done
  [[ -x /usr/bin/rustc && -x /usr/bin/cargo ]] || return 1
  # build-std needs the standard library's source of the very same compiler version.
  [[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/std" ]]
}

install_debian_rust() {
  local install=(apt-get install -y -qq --no-install-recommends "${debian_packages[@]}")
  [[ $EUID -eq 0 ]] || die "Debian's Rust for WebAssembly is missing; run as root: ${install[*]}"
  say "installing ${debian_packages[*]} (Debian's Rust, which can build std for wasm32)"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${install[@]}" >/dev/null; then
    apt-get update -qq || true
    "${install[@]}" >/dev/null ||
      die "could not install ${debian_packages[*]}; install them by hand: apt-get update && ${install[*]}"
  fi
  debian_rust_installed || die "${debian_packages[*]} are installed but /usr/bin/rustc has no std source; reinstall them"
}

# rustup's linker for components, with the wasm-ld it drives; rustup ships both with the
# host toolchain even when it has no wasm target.
find_component_linker() {
  local sysroot candidate
  if command -v rustup >/dev/null; then
    sysroot="$(rustup run stable rustc --print sysroot 2>/dev/null || true)"
    candidate="$sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin"
    if [[ -n "$sysroot" && -x "$candidate/wasm-component-ld" && -x "$candidate/gcc-ld/wasm-ld" ]]; then
      printf '%s\n' "$candidate"
      return
    fi
  fi
  for candidate in "${RUSTUP_HOME:-$HOME/.rustup}"/toolchains/*/lib/rustlib/x86_64-unknown-linux-gnu/bin; do
    if [[ -x "$candidate/wasm-component-ld" && -x "$candidate/gcc-ld/wasm-ld" ]]; then
      printf '%s\n' "$candidate"
      return
    fi
  done
  return 1
}

if have_wasip2; then
  route="rustup wasm32-wasip2"
  triple=wasm32-wasip2
  cargo build --quiet --release --locked \
    --manifest-path "$workspace/Cargo.toml" --target-dir "$guest_target" \
    --target "$triple" "${packages[@]}" ||
    die "cargo build --target wasm32-wasip2 failed (see above)"
else
  route="Debian rustc-web + build-std, wasm32-unknown-unknown"
  triple=wasm32-unknown-unknown
  debian_rust_installed || install_debian_rust
  linker_dir="$(find_component_linker)" ||
    die "rustup's wasm-component-ld was not found (it comes with rustup's stable x86_64 toolchain: rustup toolchain install stable)"
  RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$linker_dir/wasm-component-ld" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C link-arg=--wasm-ld-path=$linker_dir/gcc-ld/wasm-ld" \
    /usr/bin/cargo build --quiet --release --locked \
    --manifest-path "$workspace/Cargo.toml" --target-dir "$guest_target" \
    --target "$triple" -Zbuild-std=std,panic_abort "${packages[@]}" ||
    die "cargo build with Debian's Rust failed (see above); it needs: apt-get install ${debian_packages[*]}"
fi

built="$guest_target/$triple/release"
# A component starts with the wasm magic and version 0x0d, layer 1; a core module with
# version 1. A core module here means the linker did not run as a component linker.
component_header=0061736d0d000100

install_component() {
  local name="$1" dest_dir="$2"
  local artifact="$built/${name//-/_}.wasm" dest="$dest_dir/$name.wasm"
  [[ -f "$artifact" ]] || die "cargo built no $artifact"
  [[ "$(od -An -tx1 -N8 "$artifact" | tr -d ' \n')" == "$component_header" ]] ||
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
