#!/usr/bin/env bash
# The real PC/SC stack for elcart-sim, without systemd:
#
#   pyscard -> libpcsclite -> pcscd -> vpcd driver -> TCP :35963 -> our virtual phone
#
# Subcommands:
#   install  apt-get the Debian packages pcscd, vsmartcard-vpcd and libpcsclite-dev if missing
#   start    start pcscd in the foreground (backgrounded), wait until it is ready; reuse a
#            pcscd that is already running and ready
#   stop     SIGTERM the pcscd this script started (never one it did not start)
#   status   say whether pcscd runs, who started it, and which vpcd slots listen
#
# Environment:
#   ELCART_PCSC_STATE    state dir (pid, owner, log); default /tmp/elcart-pcsc
#   ELCART_PCSC_TIMEOUT  seconds to wait for readiness; default 5
#   ELCART_VPCD_PORT     vpcd slot-0 TCP port; default 35963 (0x8C7B, /etc/reader.conf.d/vpcd)
#
# Readiness means: the client socket /run/pcscd/pcscd.comm exists AND vpcd LISTENs on the
# port in /proc/net/tcp. We never connect to the port to test it: vpcd would take the probe
# for a card being placed on the reader (docs: /work/shared/reference/pcsc-and-emv.md §8).
set -euo pipefail

readonly STATE_DIR="${ELCART_PCSC_STATE:-/tmp/elcart-pcsc}"
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
            if [ "$owner" = "started" ]; then
                say "pcscd already running (pid $pid, started by this script) and ready"
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
    # quits after 60 s idle with nothing to restart it. setsid detaches it from our session.
    setsid "$PCSCD" --foreground >>"$LOG_FILE" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$PID_FILE"
    echo "started" > "$OWNER_FILE"

    local rc=0
    wait_ready "$pid" || rc=$?
    if [ "$rc" -eq 0 ]; then
        say "pcscd started (pid $pid), ready: $SOCKET, vpcd on TCP $VPCD_PORT; log $LOG_FILE"
        return 0
    fi
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
    local pid owner
    pid="$(our_pid)"
    owner="$(cat "$OWNER_FILE" 2>/dev/null || true)"
    if [ -z "$pid" ]; then
        say "nothing to stop (no pcscd recorded in $STATE_DIR)"
        return 0
    fi
    if [ "$owner" != "started" ]; then
        say "pcscd (pid $pid) was not started by this script; leaving it running"
        rm -f "$PID_FILE" "$OWNER_FILE"
        return 0
    fi
    if ! alive "$pid"; then
        say "pcscd (pid $pid) has already exited"
    elif ! is_pcscd "$pid"; then
        say "pid $pid is no longer pcscd; not signalling it"
    else
        stop_pid "$pid"
        say "pcscd (pid $pid) stopped"
    fi
    rm -f "$PID_FILE" "$OWNER_FILE"
}

cmd_status() {
    local pid owner rc=0 p
    pid="$(running_pcscd)"
    if [ -z "$pid" ]; then
        say "pcscd: not running"
        [ -e "$SOCKET" ] && say "stale $SOCKET present ('start' removes it)"
        rc=3
    else
        owner="not started by this script"
        if [ "$(our_pid)" = "$pid" ] && [ "$(cat "$OWNER_FILE" 2>/dev/null)" = "started" ]; then
            owner="started by this script, log $LOG_FILE"
        fi
        say "pcscd: running, pid $pid ($owner)"
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
usage: $0 {install|start|stop|status}
  install  apt-get install ${PACKAGES[*]} (only what is missing)
  start    start pcscd (or reuse a running one) and wait until vpcd listens on TCP $VPCD_PORT
  stop     stop the pcscd this script started
  status   show pcscd and vpcd state (exit 0 ready, 1 not ready, 3 not running)
state dir: $STATE_DIR
EOF
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
