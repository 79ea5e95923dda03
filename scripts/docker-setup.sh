#!/usr/bin/env bash
# Makes Docker usable by plinth on a Debian 12 machine with no container registry in reach:
# installs the daemon, starts it when nothing answers (no systemd needed), and makes the
# base image `plinth-base:bookworm` offline with debootstrap + `docker import`.
# Idempotent: a rerun on a ready machine only checks and returns.
#
# The daemon runs with live-restore, so task containers (and the agents' tmux sessions in
# them) keep running while dockerd restarts; plinth reconnects when it is back.
#
# Usage: scripts/docker-setup.sh [--quiet] [--stop-daemon]
#   --quiet: say nothing unless something fails
#   --stop-daemon: stop the daemon (containers keep running) and return; a plain rerun
#     starts it again the same way. For tests of a daemon restart.
# Environment: PLINTH_BASE_IMAGE (a different base: then it is only checked, not built),
# PLINTH_CACHE_DIR (default /var/cache/plinth), PLINTH_DEBIAN_MIRROR;
# PLINTH_DOCKERD_PIDFILE and PLINTH_DOCKERD_SOCKET: the daemon this script owns, when not
# the system's (/var/run/docker.pid, /var/run/docker.sock): it is started with them;
# PLINTH_DOCKERD_LOG (default /var/log/dockerd-plinth.log).
set -euo pipefail

default_base="plinth-base:bookworm"
base_image="${PLINTH_BASE_IMAGE:-$default_base}"
cache_dir="${PLINTH_CACHE_DIR:-/var/cache/plinth}"
mirror="${PLINTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
dockerd_log="${PLINTH_DOCKERD_LOG:-/var/log/dockerd-plinth.log}"
daemon_config=/etc/docker/daemon.json
pidfile="${PLINTH_DOCKERD_PIDFILE:-/var/run/docker.pid}"
socket="${PLINTH_DOCKERD_SOCKET:-/var/run/docker.sock}"
dockerd_args=()
# A daemon of its own: started on its own pid file and socket, and every docker call here
# goes to it.
if [[ -n ${PLINTH_DOCKERD_PIDFILE:-} || -n ${PLINTH_DOCKERD_SOCKET:-} ]]; then
  dockerd_args=(--pidfile "$pidfile" -H "unix://$socket")
  export DOCKER_HOST="unix://$socket"
fi
wait_seconds=60

quiet=0
stop_only=0
for arg in "$@"; do
  case $arg in
    --quiet) quiet=1 ;;
    --stop-daemon) stop_only=1 ;;
    *)
      printf 'docker-setup: unknown argument %s (use --quiet, --stop-daemon)\n' "$arg" >&2
      exit 2
      ;;
  esac
done

log() { ((quiet)) || printf '==> docker-setup: %s\n' "$*"; }
die() {
  printf 'docker-setup: error: %s\n' "$1" >&2
  shift
  for line in "$@"; do printf '  fix: %s\n' "$line" >&2; done
  exit 1
}

as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "'$*' needs root and sudo is not installed" "run scripts/docker-setup.sh as root"
  fi
}

# `docker info` can hang on a half-started daemon; a bounded probe keeps the wait bounded.
daemon_answers() { timeout 10 docker info >/dev/null 2>&1; }

# The pid of the daemon this script starts, if it runs: the one its pid file names, alive
# and a dockerd. Any other dockerd (a second daemon, rootless Docker) is not ours to wait
# for: it does not serve $socket.
our_daemon_pid() {
  local pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] || return 1
  printf '%s\n' "$pid"
}

install_packages() {
  local missing=()
  # The docker client may exist alone (a static binary in /usr/local/bin): the daemon is
  # what matters.
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  ((${#missing[@]})) || return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "installing ${missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq ||
    die "apt-get update failed" "check that deb.debian.org is reachable, then rerun"
  # Recommends stay out (needrestart, apparmor): the daemon needs none of them.
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" ca-certificates >/dev/null ||
    die "apt-get install ${missing[*]} failed" "see the apt output above, then rerun"
}

start_daemon() {
  if daemon_answers; then
    log "Docker daemon answers ($(docker version --format '{{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null))"
    return 0
  fi
  # A daemon that runs but refuses this user is a permission problem, not a start-up one.
  local probe
  probe="$(timeout 10 docker info 2>&1 || true)"
  if [[ ${probe,,} == *"permission denied"* ]]; then
    die "the Docker daemon runs but $(id -un) may not use its socket" \
      "add yourself to the docker group: sudo usermod -aG docker $(id -un), then log in again" \
      "or run plinth as root"
  fi
  local pid
  if ((${#dockerd_args[@]} == 0)) && [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    log "starting docker with systemctl"
    as_root systemctl start docker || true
  elif pid="$(our_daemon_pid)"; then
    log "dockerd ($pid, $pidfile) is running but not answering on $socket yet; waiting"
  else
    # A pid file left by a daemon that died (or by another program since) makes the next
    # one refuse to start.
    if [[ -f $pidfile ]]; then
      as_root rm -f "$pidfile"
    fi
    if pgrep -x dockerd >/dev/null; then
      log "another dockerd runs (not the one of $pidfile and $socket); starting this machine's own"
    fi
    log "starting dockerd in the background (log: $dockerd_log)"
    # setsid: the daemon must outlive this script and the shell's process group. 9<&-: the
    # daemon must not inherit the lock below, or every later run would wait for it forever.
    as_root setsid nohup dockerd "${dockerd_args[@]}" >>"$dockerd_log" 2>&1 </dev/null 9<&- &
  fi
  local waited=0
  until daemon_answers; do
    if ((waited >= wait_seconds)); then
      tail -n 20 "$dockerd_log" >&2 2>/dev/null || true
      die "the Docker daemon did not answer on $socket within ${wait_seconds}s" \
        "read $dockerd_log (last lines above)" \
        "start it by hand with \`dockerd\` or \`systemctl start docker\`, then rerun"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "Docker daemon answers after ${waited}s ($(docker version --format 'API {{.Server.APIVersion}}' 2>/dev/null))"
}

# Root without asking: turning live-restore on is worth a warning, not a password prompt
# or a failed run for a user of the docker group (scripts/plinth runs this quietly).
quietly_as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

live_restore_on() { [[ $(timeout 10 docker info --format '{{.LiveRestoreEnabled}}' 2>/dev/null) == true ]]; }

live_restore_off_warning() {
  log "warning: live-restore is off, so task containers stop when dockerd restarts;" \
    "rerun scripts/docker-setup.sh as root to turn it on ($1)"
}

# live-restore in daemon.json rather than a flag: a systemd-started daemon reads it too, and
# dockerd refuses a setting given both ways. A file that already decides is left alone.
configure_live_restore() {
  if [[ -s $daemon_config ]] && grep -q '"live-restore"' "$daemon_config"; then
    return 0
  fi
  daemon_answers && live_restore_on && return 0
  if [[ ! -s $daemon_config ]]; then
    log "enabling live-restore in $daemon_config (containers outlive a daemon restart)"
    { quietly_as_root mkdir -p "$(dirname "$daemon_config")" &&
      printf '{\n  "live-restore": true\n}\n' | quietly_as_root tee "$daemon_config" >/dev/null; } ||
      live_restore_off_warning "cannot write $daemon_config"
  elif command -v jq >/dev/null; then
    log "adding live-restore to $daemon_config (containers outlive a daemon restart)"
    local merged
    merged="$(mktemp)"
    { jq '. + {"live-restore": true}' "$daemon_config" >"$merged" &&
      quietly_as_root cp "$merged" "$daemon_config"; } ||
      live_restore_off_warning "cannot update $daemon_config"
    rm -f "$merged"
  else
    live_restore_off_warning "$daemon_config has no live-restore and jq is missing to add it"
  fi
}

# live-restore is one of the settings dockerd reloads on SIGHUP, so a daemon that is
# already running gets it without stopping its containers.
reload_live_restore() {
  live_restore_on && return 0
  grep -q '"live-restore": *true' "$daemon_config" 2>/dev/null || return 0
  local pid
  pid="$(our_daemon_pid)" || return 0
  log "reloading dockerd ($pid) to turn live-restore on"
  quietly_as_root kill -HUP "$pid" || {
    live_restore_off_warning "cannot signal dockerd"
    return 0
  }
  local waited=0
  until live_restore_on || ((waited >= 10)); do
    sleep 1
    waited=$((waited + 1))
  done
  live_restore_on || live_restore_off_warning "dockerd did not reload; see $dockerd_log"
}

stop_daemon() {
  if ((${#dockerd_args[@]} == 0)) && [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    log "stopping docker with systemctl"
    as_root systemctl stop docker.socket docker.service
    return 0
  fi
  local pid
  if ! pid="$(our_daemon_pid)"; then
    log "dockerd is not running ($pidfile names no live dockerd)"
    return 0
  fi
  live_restore_on || log "warning: live-restore is off: the task containers stop with dockerd"
  log "stopping dockerd ($pid)"
  as_root kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= wait_seconds)); then
      die "dockerd ($pid) did not stop within ${wait_seconds}s" "read $dockerd_log"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "dockerd stopped after ${waited}s"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The rootfs tarball is cached, so a machine that lost its images re-imports in seconds.
build_base_image() {
  if image_exists "$base_image"; then
    log "base image $base_image is present"
    return 0
  fi
  if [[ $base_image != "$default_base" ]]; then
    die "base image $base_image (PLINTH_BASE_IMAGE) is not in the local Docker" \
      "load or build it (no registry can be pulled from here)" \
      "or unset PLINTH_BASE_IMAGE to use $default_base, which this script builds"
  fi
  local tarball="$cache_dir/bookworm-minbase.tar"
  as_root mkdir -p "$cache_dir"
  if [[ ! -s $tarball ]]; then
    local rootfs="$cache_dir/rootfs.tmp"
    as_root rm -rf "$rootfs"
    log "debootstrap --variant=minbase bookworm (from $mirror; takes a few minutes)"
    as_root debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache_dir/debootstrap.log" 2>&1 || {
      tail -n 20 "$cache_dir/debootstrap.log" >&2
      die "debootstrap failed (log: $cache_dir/debootstrap.log)" \
        "check that $mirror is reachable, or set PLINTH_DEBIAN_MIRROR, then rerun"
    }
    # Security and point-release updates, so images built on top get fixed packages.
    as_root tee "$rootfs/etc/apt/sources.list" >/dev/null <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
    as_root rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    as_root tar -C "$rootfs" -cf "$tarball.tmp" .
    as_root mv "$tarball.tmp" "$tarball"
    as_root rm -rf "$rootfs"
  fi
  log "docker import $tarball as $base_image"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    --change 'LABEL plinth.image=base' \
    "$tarball" "$base_image" >/dev/null
}

main() {
  local started=$SECONDS
  # test.sh and scripts/plinth may run this at the same time: one debootstrap, one dockerd.
  # A read-only descriptor is enough for flock, and lets any user share root's lock file.
  local lockfile=/tmp/plinth-docker-setup.lock
  # A daemon of its own is set up independently of the system's.
  if ((${#dockerd_args[@]})); then lockfile="$pidfile.setup.lock"; fi
  : >>"$lockfile" 2>/dev/null || true
  # Stopping takes no lock: a daemon started before the lock was kept from it may still
  # hold it.
  if ((stop_only)); then
    stop_daemon
    return 0
  fi
  exec 9<"$lockfile"
  flock -w 600 9 || die "another docker-setup.sh has held $lockfile for 10 minutes" \
    "see whether one is stuck (ps -ef | grep docker-setup), then rerun"
  install_packages
  configure_live_restore
  start_daemon
  reload_live_restore
  build_base_image
  log "ready in $((SECONDS - started))s"
}

main
