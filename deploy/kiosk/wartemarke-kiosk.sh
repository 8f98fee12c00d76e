#!/bin/sh
# wartemarke-kiosk.sh URL
#
# Shows one Wartemarke screen full screen in Chromium, for a wall display or a touch kiosk on a
# Linux laptop or a Raspberry Pi, and keeps it there:
#   * kiosk mode, no error dialogs, no info bars, no "restore pages?" bubble, no translate bar,
#     no swipe-back, no pinch zoom; sound may play without a click (the display's chime/voice);
#   * the screen never blanks or sleeps (xset on X11; systemd-inhibit where logind runs; on
#     GNOME, also on Wayland, the session's idle, lock, sleep and on-screen keyboard settings);
#   * the mouse pointer hides (unclutter, if installed);
#   * waits (up to WARTEMARKE_KIOSK_WAIT s) until the server answers, so the screen does not
#     start on an error page, and starts the browser again whenever it exits or crashes;
#     Chromium itself reloads an error page once the server is back, and the pages reconnect
#     their live connection after a server restart;
#   * HTTPS with the server's own CA: WARTEMARKE_KIOSK_CA=ca.crt is added to the user's
#     certificate store (certutil, Debian package libnss3-tools) before the browser starts.
#
# Environment (all optional):
#   WARTEMARKE_KIOSK_BROWSER        the browser command (default: the first of chromium,
#                                   chromium-browser, google-chrome-stable, google-chrome)
#   WARTEMARKE_KIOSK_PROFILE        the browser profile dir
#                                   (default: $XDG_CONFIG_HOME/wartemarke-kiosk)
#   WARTEMARKE_KIOSK_FLAGS          extra browser flags, e.g. "--force-device-scale-factor=1.5"
#   WARTEMARKE_KIOSK_WAIT           seconds to wait for the server before starting (default 60)
#   WARTEMARKE_KIOSK_RESTART_DELAY  seconds before a restart (default 2; doubles while the
#                                   browser keeps dying within 10 s, up to 30)
#   WARTEMARKE_KIOSK_RUNS           stop after this many browser runs (default 0: never; tests
#                                   and one-off starts use 1)
#   WARTEMARKE_KIOSK_CA             a CA certificate (PEM) to trust, from 'wartemarke cert'
#   WARTEMARKE_KIOSK_DESKTOP        "keep": leave the GNOME settings alone (default: set them)
#
# Exit codes: 2 usage, 3 no browser found; otherwise the browser's last exit code.

set -u

me=$(basename "$0")
log() { echo "$me: $*" >&2; }
usage() {
    echo "usage: $me URL   e.g. $me http://192.168.1.10:8080/display/" >&2
    exit 2
}

[ $# -eq 1 ] || usage
url=$1
case $url in
    http://?* | https://?*) ;;
    *) usage ;;
esac

browser=${WARTEMARKE_KIOSK_BROWSER:-}
if [ -z "$browser" ]; then
    for candidate in chromium chromium-browser google-chrome-stable google-chrome; do
        if command -v "$candidate" >/dev/null 2>&1; then
            browser=$candidate
            break
        fi
    done
fi
if [ -z "$browser" ] || ! command -v "$browser" >/dev/null 2>&1; then
    log "no Chromium found; install it (Debian: apt install chromium; Raspberry Pi OS:" \
        "apt install chromium-browser) or set WARTEMARKE_KIOSK_BROWSER"
    exit 3
fi

profile=${WARTEMARKE_KIOSK_PROFILE:-${XDG_CONFIG_HOME:-${HOME:-/tmp}/.config}/wartemarke-kiosk}
wait_s=${WARTEMARKE_KIOSK_WAIT:-60}
delay=${WARTEMARKE_KIOSK_RESTART_DELAY:-2}
max_runs=${WARTEMARKE_KIOSK_RUNS:-0}
mkdir -p "$profile"

# --- HTTPS with the server's own CA ('wartemarke cert'): Chromium trusts the user's NSS store --
ca=${WARTEMARKE_KIOSK_CA:-}
if [ -n "$ca" ]; then
    nssdb=${HOME:-/tmp}/.pki/nssdb
    if [ ! -r "$ca" ]; then
        log "WARTEMARKE_KIOSK_CA: cannot read $ca"
    elif ! command -v certutil >/dev/null 2>&1; then
        log "certutil is missing (Debian: apt install libnss3-tools): $ca is not trusted"
    else
        mkdir -p "$nssdb"
        [ -f "$nssdb/cert9.db" ] || certutil -d "sql:$nssdb" -N --empty-password || true
        # Replaced, not added: after 'wartemarke cert --new-ca' the new CA takes over.
        certutil -d "sql:$nssdb" -D -n "Wartemarke CA" >/dev/null 2>&1 || true
        certutil -d "sql:$nssdb" -A -t "C,," -n "Wartemarke CA" -i "$ca" ||
            log "could not add $ca to $nssdb"
    fi
fi

# --- the screen stays on, the pointer hides ------------------------------------------------
if [ -n "${DISPLAY:-}" ] && command -v xset >/dev/null 2>&1; then
    xset s off || true
    xset s noblank || true
    xset -dpms || true
fi
# GNOME (X11 and Wayland, where xset does nothing): no blank screen, no lock, no suspend, and no
# on-screen keyboard sliding over the kiosk (it has its own keypad). This user is the screen's.
if [ "${WARTEMARKE_KIOSK_DESKTOP:-}" != keep ] && command -v gsettings >/dev/null 2>&1 &&
    gsettings list-keys org.gnome.desktop.session >/dev/null 2>&1; then
    gsettings set org.gnome.desktop.session idle-delay 0 || true
    gsettings set org.gnome.desktop.screensaver lock-enabled false || true
    gsettings set org.gnome.desktop.screensaver idle-activation-enabled false || true
    gsettings set org.gnome.settings-daemon.plugins.power sleep-inactive-ac-type nothing || true
    gsettings set org.gnome.settings-daemon.plugins.power sleep-inactive-battery-type nothing ||
        true
    gsettings set org.gnome.desktop.a11y.applications screen-keyboard-enabled false || true
fi

helper=""
browser_pid=""
cleanup() {
    for pid in $browser_pid $helper; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    browser_pid=""
    helper=""
}
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 130' INT
trap cleanup EXIT

if [ -n "${DISPLAY:-}" ] && command -v unclutter >/dev/null 2>&1; then
    unclutter -idle 0.5 -root &
    helper=$!
fi

# On a laptop, logind would suspend it after a while on battery or idle: hold it off.
inhibit=""
if command -v systemd-inhibit >/dev/null 2>&1 && systemd-inhibit --list >/dev/null 2>&1; then
    inhibit="systemd-inhibit --what=idle:sleep --who=wartemarke --why=wall-screen"
fi

# --- wait for the server (a kiosk in front of "This site can't be reached" helps nobody) -----
# Only whether it answers: an HTTPS certificate is the browser's to check (hence -k).
answers() {
    if command -v curl >/dev/null 2>&1; then
        curl -kfsS -o /dev/null --max-time 3 "$url" 2>/dev/null
    elif command -v wget >/dev/null 2>&1; then
        wget -q --no-check-certificate -O /dev/null -T 3 "$url" 2>/dev/null
    else
        return 0 # nothing to ask with: start anyway
    fi
}
waited=0
while [ "$waited" -lt "$wait_s" ] && ! answers; do
    [ "$waited" -eq 0 ] && log "waiting for $url ..."
    sleep 1
    waited=$((waited + 1))
done
[ "$waited" -ge "$wait_s" ] && [ "$wait_s" -gt 0 ] && log "$url does not answer; starting anyway"

# --- the browser, again and again ----------------------------------------------------------
# After a crash or a power cut Chromium offers to restore the last session in a bubble that
# nobody can click on a wall: mark the last exit as clean before every start.
mark_clean_exit() {
    prefs="$profile/Default/Preferences"
    if [ -f "$prefs" ]; then
        sed -i -e 's/"exited_cleanly":false/"exited_cleanly":true/' \
            -e 's/"exit_type":"[^"]*"/"exit_type":"Normal"/' "$prefs" || true
    fi
}

# shellcheck disable=SC2086 # WARTEMARKE_KIOSK_FLAGS and $inhibit are word lists on purpose
set -- $inhibit "$browser" \
    --kiosk \
    --noerrdialogs \
    --disable-infobars \
    --autoplay-policy=no-user-gesture-required \
    --check-for-update-interval=31536000 \
    --disable-session-crashed-bubble \
    --overscroll-history-navigation=0 \
    --disable-pinch \
    --no-first-run \
    --password-store=basic \
    --disable-features=Translate \
    --user-data-dir="$profile" \
    ${WARTEMARKE_KIOSK_FLAGS:-} \
    "$url"

runs=0
pause=$delay
while :; do
    mark_clean_exit
    started=$(date +%s)
    "$@" &
    browser_pid=$!
    wait "$browser_pid"
    rc=$?
    browser_pid=""
    runs=$((runs + 1))
    if [ "$max_runs" -gt 0 ] && [ "$runs" -ge "$max_runs" ]; then
        exit "$rc"
    fi
    if [ $(($(date +%s) - started)) -lt 10 ]; then
        now=$pause # dying at once again and again: wait longer each time
        pause=$((pause * 2))
        [ "$pause" -lt 1 ] && pause=1
        [ "$pause" -gt 30 ] && pause=30
    else
        now=$delay
        pause=$delay
    fi
    log "the browser exited ($rc); starting it again in ${now}s"
    sleep "$now"
done
