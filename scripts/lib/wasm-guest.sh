# shellcheck shell=bash
# How a Rust crate becomes a WebAssembly component on this machine; sourced by
# scripts/build-adapters.sh and scripts/build-examples.sh, which define `say` and `die`.
#
# The route (explained under "Offline route" in docs/adapters.md):
#   1. rustup's wasm32-wasip2 target, where it is already installed;
#   2. otherwise Debian's Rust (rustc-web, cargo-web, rust-web-src; installed with apt-get
#      if missing) building std for wasm32-unknown-unknown (-Zbuild-std), linked into a
#      component by rustup's own wasm-component-ld.
# Never `rustup target add`: rustup's download server is not reachable from every machine.

guest_debian_packages=(rustc-web cargo-web rust-web-src)

# Flags meant for the host would override the per-target ones these builds rely on.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET

guest_have_wasip2() {
  command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2
}

guest_debian_rust_installed() {
  local package
  for package in "${guest_debian_packages[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" == "install ok installed" ]] || return 1
  done
  [[ -x /usr/bin/rustc && -x /usr/bin/cargo ]] || return 1
  # build-std needs the standard library's source of the very same compiler version.
  [[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library/std" ]]
}

guest_install_debian_rust() {
  local install=(apt-get install -y -qq --no-install-recommends "${guest_debian_packages[@]}")
  [[ $EUID -eq 0 ]] || die "Debian's Rust for WebAssembly is missing; run as root: ${install[*]}"
  say "installing ${guest_debian_packages[*]} (Debian's Rust, which can build std for wasm32)"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${install[@]}" >/dev/null; then
    apt-get update -qq || true
    "${install[@]}" >/dev/null ||
      die "could not install ${guest_debian_packages[*]}; install them by hand: apt-get update && ${install[*]}"
  fi
  guest_debian_rust_installed ||
    die "${guest_debian_packages[*]} are installed but /usr/bin/rustc has no std source; reinstall them"
}

# rustup's linker for components, with the wasm-ld it drives; rustup ships both with the
# host toolchain even when it has no wasm target.
guest_find_component_linker() {
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

# Picks the route, installing Debian's Rust if it needs it. Sets GUEST_ROUTE (for people),
# GUEST_TRIPLE, GUEST_TOOLCHAIN (what a build's fingerprint must include) and
# GUEST_LINKER_DIR (route 2 only).
guest_choose_route() {
  GUEST_LINKER_DIR=""
  if guest_have_wasip2; then
    GUEST_ROUTE="rustup wasm32-wasip2"
    GUEST_TRIPLE=wasm32-wasip2
    GUEST_TOOLCHAIN="$GUEST_ROUTE $(rustc --version)"
  else
    GUEST_ROUTE="Debian rustc-web + build-std, wasm32-unknown-unknown"
    GUEST_TRIPLE=wasm32-unknown-unknown
    guest_debian_rust_installed || guest_install_debian_rust
    GUEST_LINKER_DIR="$(guest_find_component_linker)" ||
      die "rustup's wasm-component-ld was not found (it comes with rustup's stable x86_64 toolchain: rustup toolchain install stable)"
    GUEST_TOOLCHAIN="$GUEST_ROUTE $(/usr/bin/rustc --version) $GUEST_LINKER_DIR"
  fi
}

# `cargo build --release --locked --target $GUEST_TRIPLE "$@"` by the chosen route.
guest_cargo_build() {
  if [[ $GUEST_TRIPLE == wasm32-wasip2 ]]; then
    cargo build --quiet --release --locked --target "$GUEST_TRIPLE" "$@"
  else
    # Debian's compiler builds Debian's std source (the two must be one version); rustup's
    # wasm-component-ld turns the core module into a component as it links.
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$GUEST_LINKER_DIR/wasm-component-ld" \
      CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C link-arg=--wasm-ld-path=$GUEST_LINKER_DIR/gcc-ld/wasm-ld" \
      /usr/bin/cargo build --quiet --release --locked --target "$GUEST_TRIPLE" \
      -Zbuild-std=std,panic_abort "$@"
  fi
}

# Whether a file is a WebAssembly component: the wasm magic, then version 0x0d, layer 1
# (a core module has version 1, layer 0: the linker did not run as a component linker).
guest_is_component() {
  [[ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" == 0061736d0d000100 ]]
}
