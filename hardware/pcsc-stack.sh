#!/usr/bin/env bash
# The real PC/SC stack for elcart-sim, without systemd:
#
#   pyscard -> libpcsclite -> pcscd -> vpcd driver -> TCP :35963 -> our virtual phone
#
# Subcommands:
#   install  apt-get the Debian packages pcscd, vsmartcard-vpcd and libpcsclite-dev if missing
#   start    start pcscd in the foreground (backgrounded), wait until it is ready; reuse a
#            pcscd that is already running and ready
#   stop     end this checkout's use of pcscd; stop pcscd if this script started it (here or in
#            another checkout) and no other checkout still uses it; never one it did not start
#   status   say whether pcscd runs, who started it, who uses it, and which vpcd slots listen
#   run CMD  take the reader (one checkout at a time), start, run CMD, stop: what bin/test does
#
# pcscd and its vpcd reader are one per machine; checkouts share them and keep their own state:
#   - this checkout's state (pcscd pid, whether we started or reused it, pcscd's log) lives in
#     its own .pcsc/ folder (gitignored), so no other checkout reads or changes it;
#   - while a checkout uses pcscd it holds a lease: one file, keyed by the checkout's state
#     folder, in a folder of leases shared by the machine. It names the pcscd pid and the
#     process holding the lease (the one that ran 'start', or 'run' itself); a lease whose
#     holder has exited no longer counts. 'stop' stops pcscd only when no other lease remains;
#   - 'run' also takes the reader lock, so that two checkouts' test runs take turns with the one
#     virtual reader instead of presenting two phones on it at once.
#
# Environment:
#   ELCART_PCSC_STATE    this checkout's state dir (pid, owner, log); default <checkout>/.pcsc
#   ELCART_PCSC_LEASES   the machine's lease folder (and reader lock); default $TMPDIR or /tmp
#                        + /elcart-pcsc-leases
#   ELCART_PCSC_TIMEOUT  seconds to wait for readiness; default 5
#   ELCART_VPCD_PORT     vpcd slot-0 TCP port; default 35963 (0x8C7B, /etc/reader.conf.d/vpcd)
#
# Readiness means: the client socket /run/pcscd/pcscd.comm exists AND vpcd LISTENs on the
# port in /proc/net/tcp. We never connect to the port to test it: vpcd would take the probe
# for a card being placed on the reader (docs/sources.md, vsmartcard).
set -euo pipefail

CHECKOUT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
readonly CHECKOUT
readonly STATE_DIR="${ELCART_PCSC_STATE:-$CHECKOUT/.pcsc}"
readonly LEASE_DIR="${ELCART_PCSC_LEASES:-${TMPDIR:-/tmp}/elcart-pcsc-leases}"
readonly TIMEOUT_S="${ELCART_PCSC_TIMEOUT:-5}"
readonly VPCD_PORT="${ELCART_VPCD_PORT:-35963}"
readonly PCSCD=/usr/sbin/pcscd
readonly RUN_DIR=/run/pcscd
readonly SOCKET="$RUN_DIR/pcscd.comm"
readonly DAEMON_PIDFILE="$RUN_DIR/pcscd.pid"
readonly VPCD_CONF=/etc/reader.conf.d/vpcd
readonly PACKAGES=(pcscd vsmartcard-vpcd libpcsclite-dev)

readonly PID_FILE="$STATE_DIR/pcscd.pid"     # pid of the pcscd we know about
readonly OWNER_FILE="$STATE_DIR/owner"       # "started" (ours) or "reused" (someone else's)
readonly LOG_FILE="$STATE_DIR/pcscd.log"
# This checkout's lease: "<pcscd pid> <holder pid> <state dir>". A pcscd this script started
# (in any checkout) is marked by pcscd-<pid>.started in the lease folder.
LEASE_FILE="$LEASE_DIR/$(printf '%s' "$STATE_DIR" | sha1sum | cut -c1-16).lease"
readonly LEASE_FILE
readonly READER_LOCK="$LEASE_DIR/reader.lock"
HOLDER="${PPID}"  # who uses pcscd after 'start' returns: the caller (bin/test, a terminal)

say() { printf 'pcsc-stack: %s\n' "$*"; }
die() { printf 'pcsc-stack: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# process helpers

# alive PID: the process exists and is not a zombie (a zombie has exited but not been reaped;
# it still answers kill -0, which is what makes a restart after SIGKILL fail).
alive() {
    local pid="$1" state
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -r "/proc/$pid/stat" ] || return 1
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [ "$state" != "Z" ] && [ "$state" != "X" ]
}

is_pcscd() {
    local pid="$1"
    alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "pcscd" ]
}

# The pid of any live pcscd on this machine, or nothing.
running_pcscd() {
    local pid
    if [ -r "$DAEMON_PIDFILE" ]; then
        pid="$(tr -d '\0[:space:]' < "$DAEMON_PIDFILE")"
        if is_pcscd "$pid"; then echo "$pid"; return 0; fi
    fi
    for pid in $(pgrep -x pcscd 2>/dev/null || true); do
        if is_pcscd "$pid"; then echo "$pid"; return 0; fi
    done
    return 0
}

our_pid() {
    [ -r "$PID_FILE" ] && tr -d '[:space:]' < "$PID_FILE" || true
}

# ---------------------------------------------------------------------------------------------
# leases: which checkouts use pcscd now

lease_dir() {
    [ -d "$LEASE_DIR" ] || mkdir -p -m 1777 "$LEASE_DIR"  # shared by every user of the machine
}

take_lease() {  # take_lease PCSCD_PID
    lease_dir
    echo "$1 $HOLDER $STATE_DIR" > "$LEASE_FILE"
}

drop_lease() {
    rm -f "$LEASE_FILE"
}

# other_users PCSCD_PID: the state dirs of the other checkouts whose lease on PCSCD_PID is held
# by a live process; leases whose holder has exited are removed on the way.
other_users() {
    local pid="$1" lease lease_pid holder dir
    [ -d "$LEASE_DIR" ] || return 0
    for lease in "$LEASE_DIR"/*.lease; do
        [ -e "$lease" ] && [ "$lease" != "$LEASE_FILE" ] || continue
        read -r lease_pid holder dir < "$lease" || continue
        if ! alive "$holder"; then
            rm -f "$lease"
        elif [ "$lease_pid" = "$pid" ]; then
            echo "$dir"
        fi
    done
}

started_marker() { echo "$LEASE_DIR/pcscd-$1.started"; }

started_by_us_somewhere() {  # started_by_us_somewhere PID: this script started it, in some checkout
    [ -e "$(started_marker "$1")" ]
}

# ---------------------------------------------------------------------------------------------
# readiness

port_hex() { printf '%04X' "$1"; }

listening() {  # listening PORT: something LISTENs (state 0A) on 0.0.0.0:PORT
    grep -q ":$(port_hex "$1") 00000000:0000 0A" /proc/net/tcp 2>/dev/null
}

ready() {
    [ -S "$SOCKET" ] && listening "$VPCD_PORT"
}

# wait_ready PID: poll every 50 ms until ready, PID dies, or the timeout passes.
wait_ready() {
    local pid="$1" tries
    tries=$(awk -v t="$TIMEOUT_S" 'BEGIN { printf "%d", t * 20 }')
    for _ in $(seq "$tries"); do
        ready && return 0
        if [ -n "$pid" ] && ! alive "$pid"; then
            return 2
        fi
        sleep 0.05
    done
    ready
}

why_not_ready() {
    local reasons=()
    [ -S "$SOCKET" ] || reasons+=("no client socket $SOCKET")
    if ! listening "$VPCD_PORT"; then
        if [ ! -e "$VPCD_CONF" ]; then
            reasons+=("vpcd driver not configured ($VPCD_CONF missing: run '$0 install')")
        else
            reasons+=("vpcd is not listening on TCP $VPCD_PORT (0x$(port_hex "$VPCD_PORT")) in /proc/net/tcp")
        fi
    fi
    local IFS='; '
    echo "${reasons[*]}"
}

# ---------------------------------------------------------------------------------------------
# subcommands

cmd_install() {
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "packages already installed: ${PACKAGES[*]}"
        return 0
    fi
    command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} with your package manager"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "not root and no sudo; install ${missing[*]} as root"
        sudo=(sudo)
    fi
    # Refresh the package lists only when apt does not know a candidate for every package.
    local need_update=0
    for pkg in "${missing[@]}"; do
        if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
            need_update=1
        fi
    done
    if [ "$need_update" -eq 1 ]; then
        say "apt-get update"
        "${sudo[@]}" apt-get update -qq >/dev/null
    fi
    say "installing ${missing[*]}"
    # Without systemd the postinst prints 'invoke-rc.d: policy-rc.d denied execution of start';
    # that is expected: pcscd is started by '$0 start'.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    say "installed ${missing[*]}"
}

clean_stale_files() {
    # Only called when no live pcscd exists: pcscd would refuse to start while the socket
    # exists and the pid in its pid file still answers (a zombie does).
    if [ -e "$SOCKET" ] || [ -e "$DAEMON_PIDFILE" ]; then
        local old=""
        [ -r "$DAEMON_PIDFILE" ] && old="$(tr -d '\0[:space:]' < "$DAEMON_PIDFILE")"
        if [ -n "$old" ] && is_pcscd "$old"; then
            die "pcscd pid $old is alive; refusing to remove $SOCKET"
        fi
        say "removing stale $SOCKET and $DAEMON_PIDFILE (old pid ${old:-unknown} is gone)"
        rm -f "$SOCKET" "$DAEMON_PIDFILE"
    fi
}

cmd_start() {
    [ -x "$PCSCD" ] || die "$PCSCD not found: run '$0 install' first"
    [ -e "$VPCD_CONF" ] || die "$VPCD_CONF not found (package vsmartcard-vpcd): run '$0 install' first"
    mkdir -p "$STATE_DIR"

    local pid
    pid="$(running_pcscd)"
    if [ -n "$pid" ]; then
        local owner="reused"
        if [ "$(our_pid)" = "$pid" ] && [ "$(cat "$OWNER_FILE" 2>/dev/null)" = "started" ]; then
            owner="started"
        fi
        if wait_ready "$pid"; then
            echo "$pid" > "$PID_FILE"
            echo "$owner" > "$OWNER_FILE"
            take_lease "$pid"
            if [ "$owner" = "started" ]; then
                say "pcscd already running (pid $pid, started by this checkout) and ready"
            elif started_by_us_somewhere "$pid"; then
                say "reusing pcscd (pid $pid, started by the checkout of $(cat "$(started_marker "$pid")")); 'stop' stops it once no checkout uses it"
            else
                say "reusing pcscd already running (pid $pid, not started by this script; 'stop' will leave it)"
            fi
            return 0
        fi
        die "pcscd (pid $pid) is running but not ready after ${TIMEOUT_S}s: $(why_not_ready). It is a singleton per machine: stop it and run '$0 start' again"
    fi

    if listening "$VPCD_PORT"; then
        die "TCP port $VPCD_PORT is already in use by another process and no pcscd runs (see: ss -ltnp 'sport = :$VPCD_PORT')"
    fi
    clean_stale_files

    : > "$LOG_FILE"
    # --foreground keeps pcscd as our child (no fork, no syslog); never --auto-exit, which
    # quits after 60 s idle with nothing to restart it. setsid detaches it from our session;
    # it must not inherit the reader lock ('run' holds it on fd 9).
    setsid "$PCSCD" --foreground >>"$LOG_FILE" 2>&1 < /dev/null 9>&- &
    pid=$!
    echo "$pid" > "$PID_FILE"
    echo "started" > "$OWNER_FILE"
    lease_dir
    echo "$STATE_DIR" > "$(started_marker "$pid")"

    local rc=0
    wait_ready "$pid" || rc=$?
    if [ "$rc" -eq 0 ]; then
        take_lease "$pid"
        say "pcscd started (pid $pid), ready: $SOCKET, vpcd on TCP $VPCD_PORT; log $LOG_FILE"
        return 0
    fi
    rm -f "$(started_marker "$pid")"
    if [ "$rc" -eq 2 ]; then
        rm -f "$PID_FILE" "$OWNER_FILE"
        die "pcscd (pid $pid) exited during start-up; last log lines:
$(tail -n 5 "$LOG_FILE" 2>/dev/null)"
    fi
    local why
    why="$(why_not_ready)"
    stop_pid "$pid"
    rm -f "$PID_FILE" "$OWNER_FILE"
    die "pcscd (pid $pid) was not ready after ${TIMEOUT_S}s: $why; stopped it. Log: $LOG_FILE"
}

# stop_pid PID: SIGTERM, wait up to 5 s (pcscd needs <= 2 s); SIGKILL only as a last resort,
# then clean the files a killed pcscd leaves behind.
stop_pid() {
    local pid="$1"
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        alive "$pid" || return 0
        sleep 0.05
    done
    say "pcscd (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 40); do
        alive "$pid" || break
        sleep 0.05
    done
    alive "$pid" && die "pcscd (pid $pid) survived SIGKILL"
    rm -f "$SOCKET" "$DAEMON_PIDFILE"
}

cmd_stop() {
    local pid owner users
    pid="$(our_pid)"
    owner="$(cat "$OWNER_FILE" 2>/dev/null || true)"
    drop_lease
    if [ -z "$pid" ]; then
        say "nothing to stop (no pcscd recorded in $STATE_DIR)"
        return 0
    fi
    rm -f "$PID_FILE" "$OWNER_FILE"
    if ! alive "$pid"; then
        rm -f "$(started_marker "$pid")"
        say "pcscd (pid $pid) has already exited"
        return 0
    fi
    if [ "$owner" != "started" ] && ! started_by_us_somewhere "$pid"; then
        say "pcscd (pid $pid) was not started by this script; leaving it running"
        return 0
    fi
    users="$(other_users "$pid")"
    if [ -n "$users" ]; then
        say "pcscd (pid $pid) left running: still used by the checkout of $(echo "$users" | paste -sd ' ')"
        return 0
    fi
    if ! is_pcscd "$pid"; then
        say "pid $pid is no longer pcscd; not signalling it"
    else
        stop_pid "$pid"
        say "pcscd (pid $pid) stopped"
    fi
    rm -f "$(started_marker "$pid")"
}

# run CMD...: the reader for this checkout alone while CMD runs (other checkouts' runs wait),
# pcscd started or reused for it and released afterwards; exits with CMD's status.
cmd_run() {
    [ $# -gt 0 ] || die "run needs a command, e.g. $0 run pytest tests/hardware"
    lease_dir
    exec 9>>"$READER_LOCK"
    if ! flock -n 9; then
        say "another checkout is using the PC/SC reader; waiting for it to finish ($READER_LOCK)"
        flock 9
    fi
    HOLDER=$$
    cmd_start
    trap 'cmd_stop' EXIT
    local rc=0
    "$@" || rc=$?
    return "$rc"
}

cmd_status() {
    local pid owner users rc=0 p
    pid="$(running_pcscd)"
    if [ -z "$pid" ]; then
        say "pcscd: not running"
        [ -e "$SOCKET" ] && say "stale $SOCKET present ('start' removes it)"
        rc=3
    else
        owner="not started by this script"
        if [ "$(our_pid)" = "$pid" ] && [ "$(cat "$OWNER_FILE" 2>/dev/null)" = "started" ]; then
            owner="started by this checkout, log $LOG_FILE"
        elif started_by_us_somewhere "$pid"; then
            owner="started by the checkout of $(cat "$(started_marker "$pid")")"
        fi
        say "pcscd: running, pid $pid ($owner)"
        users="$(other_users "$pid")"
        if [ -n "$users" ]; then say "used by the checkouts of: $(echo "$users" | paste -sd ' ')"; fi
        if ready; then
            say "ready: $SOCKET exists, vpcd listens on TCP $VPCD_PORT"
        else
            say "not ready: $(why_not_ready)"
            rc=1
        fi
    fi
    for p in "$VPCD_PORT" $((VPCD_PORT + 1)); do
        if listening "$p"; then
            if grep -q ":$(port_hex "$p") [0-9A-F]\{8\}:[0-9A-F]\{4\} 01" /proc/net/tcp; then
                say "vpcd slot on TCP $p: listening, a card (phone) is connected"
            else
                say "vpcd slot on TCP $p: listening, no card"
            fi
        fi
    done
    return "$rc"
}

usage() {
    cat <<EOF
usage: $0 {install|start|stop|status|run CMD...}
  install  apt-get install ${PACKAGES[*]} (only what is missing)
  start    start pcscd (or reuse a running one) and wait until vpcd listens on TCP $VPCD_PORT
  stop     release pcscd; stop it if this script started it and no other checkout uses it
  status   show pcscd and vpcd state (exit 0 ready, 1 not ready, 3 not running)
  run CMD  wait for the reader, start, run CMD, stop; exit with CMD's status
state dir: $STATE_DIR
leases:    $LEASE_DIR
EOF
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    run) shift; cmd_run "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
