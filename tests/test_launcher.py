"""deploy/kiosk/wartemarke-kiosk.sh: the command line it gives Chromium, and what it does around.

The browser, xset, unclutter and systemd-inhibit are fakes placed first on PATH that record how
they were called. That matters: the headless test browser runs with autoplay allowed, so a
launcher that forgot --autoplay-policy=no-user-gesture-required would pass every browser test
and leave the real wall display mute.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "deploy" / "kiosk" / "wartemarke-kiosk.sh"
URL = "http://127.0.0.1:9/display/"  # the discard port: nothing answers there

REQUIRED_FLAGS = [
    "--kiosk",
    "--noerrdialogs",
    "--disable-infobars",
    "--autoplay-policy=no-user-gesture-required",
    "--check-for-update-interval=31536000",
    "--disable-session-crashed-bubble",
    "--overscroll-history-navigation=0",
    "--disable-pinch",
]

# Each fake appends one line per call: its name and its arguments, separated by the ASCII unit
# separator, written at once (the fakes run concurrently and share the log).
RECORDER = """#!/bin/sh
line="{name}"
for a in "$@"; do line="$line$(printf '\\037')$a"; done
printf '%s\\n' "$line" >> "$FAKE_LOG"
{body}
"""


def fake(bin_dir: Path, name: str, body: str = "exit 0") -> None:
    path = bin_dir / name
    path.write_text(RECORDER.format(name=name, body=body))
    path.chmod(0o755)


@pytest.fixture
def sandbox(tmp_path):
    """A PATH with the fakes and only the few real tools the script needs (no real browser)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "sed", "sleep", "date", "mkdir", "basename", "cat", "kill"):
        real = shutil.which(tool)
        if real:
            (bin_dir / tool).symlink_to(real)
    fake(bin_dir, "xset")
    # unclutter runs until the launcher ends it.
    fake(bin_dir, "unclutter", 'echo $$ > "$FAKE_LOG.unclutter"; exec sleep 30')
    # A working logind: the browser runs under systemd-inhibit.
    fake(
        bin_dir,
        "systemd-inhibit",
        '[ "$1" = --list ] && exit 0\n'
        'while [ $# -gt 0 ]; do case $1 in --*) shift ;; *) break ;; esac; done\nexec "$@"',
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": str(bin_dir),
        "HOME": str(home),
        "DISPLAY": ":0",
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "WARTEMARKE_KIOSK_RUNS": "1",
        "WARTEMARKE_KIOSK_WAIT": "0",
        "WARTEMARKE_KIOSK_RESTART_DELAY": "0",
    }
    return bin_dir, env, tmp_path


def run(env: dict, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def calls(env: dict, name: str | None = None) -> list[list[str]]:
    log = Path(env["FAKE_LOG"])
    if not log.exists():
        return []
    out = [line.split("\x1f") for line in log.read_text().splitlines()]
    return [c[1:] for c in out if name is None or c[0] == name]


def test_chromium_starts_as_a_kiosk_that_may_play_sound(sandbox):
    bin_dir, env, tmp = sandbox
    # A browser that runs until unclutter (started just before it) is up, as a real one would.
    fake(
        bin_dir,
        "chromium",
        'i=0; while [ ! -s "$FAKE_LOG.unclutter" ] && [ $i -lt 250 ]; do sleep 0.02; '
        "i=$((i + 1)); done",
    )
    result = run(env, URL)
    assert result.returncode == 0, result.stderr
    [argv] = calls(env, "chromium")
    for flag in REQUIRED_FLAGS:
        assert flag in argv, f"{flag} missing from {argv}"
    assert argv[-1] == URL
    profile = Path(env["HOME"]) / ".config" / "wartemarke-kiosk"
    assert f"--user-data-dir={profile}" in argv  # its own profile, not the user's browser
    assert profile.is_dir()
    # The screen never blanks, the pointer hides and is cleaned up, the laptop stays awake.
    assert sorted(calls(env, "xset")) == [["-dpms"], ["s", "noblank"], ["s", "off"]]
    assert calls(env, "unclutter") == [["-idle", "0.5", "-root"]]
    unclutter = int(Path(env["FAKE_LOG"] + ".unclutter").read_text())
    assert not Path(f"/proc/{unclutter}").exists(), "unclutter was left running"
    inhibit = [c for c in calls(env, "systemd-inhibit") if c != ["--list"]]
    assert inhibit and inhibit[0][0] == "--what=idle:sleep"


def test_restarts_the_browser_when_it_exits(sandbox):
    bin_dir, env, _ = sandbox
    fake(bin_dir, "chromium", "exit 1")  # crashes at once
    result = run({**env, "WARTEMARKE_KIOSK_RUNS": "2"}, URL)
    assert result.returncode == 1
    assert len(calls(env, "chromium")) == 2
    assert "starting it again" in result.stderr


def test_terminating_the_launcher_ends_the_browser(sandbox):
    bin_dir, env, tmp = sandbox
    fake(bin_dir, "chromium", 'echo $$ > "$FAKE_LOG.pid"; exec sleep 30')
    proc = subprocess.Popen(
        [str(SCRIPT), URL], env={**env, "WARTEMARKE_KIOSK_RUNS": "0"}, stderr=subprocess.PIPE
    )
    pid_file = Path(env["FAKE_LOG"] + ".pid")
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the browser never started"
        time.sleep(0.05)
    browser = int(pid_file.read_text())
    proc.terminate()
    assert proc.wait(10) == 143
    deadline = time.monotonic() + 5
    while Path(f"/proc/{browser}").exists():
        assert time.monotonic() < deadline, "the browser outlived the launcher"
        time.sleep(0.05)


def test_raspberry_pi_os_names_it_chromium_browser(sandbox):
    bin_dir, env, _ = sandbox
    fake(bin_dir, "chromium-browser")
    assert run(env, URL).returncode == 0
    [argv] = calls(env, "chromium-browser")
    assert "--autoplay-policy=no-user-gesture-required" in argv and "--kiosk" in argv


def test_without_a_browser_or_url_it_says_why(sandbox):
    _, env, _ = sandbox
    missing = run(env, URL)
    assert missing.returncode == 3
    assert "no Chromium found" in missing.stderr
    for args in ((), ("not-a-url",), (URL, "extra")):
        wrong = run(env, *args)
        assert wrong.returncode == 2
        assert "usage:" in wrong.stderr


def test_no_restore_bubble_after_a_power_cut(sandbox):
    bin_dir, env, _ = sandbox
    fake(bin_dir, "chromium")
    prefs = Path(env["HOME"]) / ".config" / "wartemarke-kiosk" / "Default" / "Preferences"
    prefs.parent.mkdir(parents=True)
    prefs.write_text('{"profile":{"exit_type":"Crashed","exited_cleanly":false,"name":"x"}}')
    assert run(env, URL).returncode == 0
    text = prefs.read_text()
    assert '"exited_cleanly":true' in text and '"exit_type":"Normal"' in text


def test_waits_for_the_server_then_starts_anyway(sandbox):
    bin_dir, env, _ = sandbox
    fake(bin_dir, "chromium")
    fake(bin_dir, "curl", "exit 7")  # connection refused
    started = time.monotonic()
    result = run({**env, "WARTEMARKE_KIOSK_WAIT": "2"}, URL)
    assert result.returncode == 0
    assert time.monotonic() - started >= 1.9
    assert len(calls(env, "curl")) >= 2
    assert "does not answer; starting anyway" in result.stderr
    assert len(calls(env, "chromium")) == 1


def test_extra_flags_and_no_x11(sandbox):
    bin_dir, env, _ = sandbox
    fake(bin_dir, "chromium")
    env = {k: v for k, v in env.items() if k != "DISPLAY"}  # e.g. a Wayland session
    result = run({**env, "WARTEMARKE_KIOSK_FLAGS": "--force-device-scale-factor=1.5"}, URL)
    assert result.returncode == 0, result.stderr
    [argv] = calls(env, "chromium")
    assert argv[-2:] == ["--force-device-scale-factor=1.5", URL]
    assert calls(env, "xset") == [] and calls(env, "unclutter") == []


@pytest.mark.skipif(not shutil.which("dash"), reason="dash is not installed")
def test_is_plain_posix_sh():
    """Raspberry Pi OS and Debian run /bin/sh as dash: no bashisms."""
    assert SCRIPT.read_text().startswith("#!/bin/sh\n")
    assert os.access(SCRIPT, os.X_OK)
    result = subprocess.run(["dash", "-n", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_gnome_never_blanks_locks_sleeps_or_shows_a_keyboard(sandbox):
    """xset does nothing on Wayland: GNOME's own settings keep the screen on there."""
    bin_dir, env, _ = sandbox
    fake(bin_dir, "chromium")
    fake(bin_dir, "gsettings")  # list-keys succeeds: a GNOME session
    assert run(env, URL).returncode == 0
    settings = {tuple(c[1:3]): c[3] for c in calls(env, "gsettings") if c[0] == "set"}
    assert settings == {
        ("org.gnome.desktop.session", "idle-delay"): "0",
        ("org.gnome.desktop.screensaver", "lock-enabled"): "false",
        ("org.gnome.desktop.screensaver", "idle-activation-enabled"): "false",
        ("org.gnome.settings-daemon.plugins.power", "sleep-inactive-ac-type"): "nothing",
        ("org.gnome.settings-daemon.plugins.power", "sleep-inactive-battery-type"): "nothing",
        ("org.gnome.desktop.a11y.applications", "screen-keyboard-enabled"): "false",
    }
    Path(env["FAKE_LOG"]).unlink()
    assert run({**env, "WARTEMARKE_KIOSK_DESKTOP": "keep"}, URL).returncode == 0
    assert calls(env, "gsettings") == []


def test_https_readiness_check_accepts_the_local_ca(sandbox):
    """The wait for the server must not fail on a certificate curl does not know: the browser
    checks it (with the CA it was given), curl only asks whether anything answers."""
    bin_dir, env, _ = sandbox
    fake(bin_dir, "chromium")
    fake(bin_dir, "curl")
    assert (
        run({**env, "WARTEMARKE_KIOSK_WAIT": "5"}, "https://192.0.2.1:8080/kiosk/").returncode == 0
    )
    [argv] = calls(env, "curl")
    assert "-kfsS" in argv and argv[-1] == "https://192.0.2.1:8080/kiosk/"


CERTUTIL = shutil.which("certutil")


@pytest.mark.skipif(not CERTUTIL, reason="certutil missing (Debian package libnss3-tools)")
def test_the_servers_ca_goes_into_the_users_certificate_store(sandbox):
    from tests.conftest import wartemarke

    bin_dir, env, tmp = sandbox
    fake(bin_dir, "chromium")
    (bin_dir / "certutil").symlink_to(CERTUTIL)
    assert wartemarke("cert", data_dir=tmp / "server").returncode == 0
    ca = tmp / "server" / "tls" / "ca.crt"
    for _ in range(2):  # again (every start): replaced, not added twice
        result = run({**env, "WARTEMARKE_KIOSK_CA": str(ca)}, URL)
        assert result.returncode == 0, result.stderr
    nssdb = Path(env["HOME"]) / ".pki" / "nssdb"
    listed = subprocess.run(
        [CERTUTIL, "-L", "-d", f"sql:{nssdb}"], capture_output=True, text=True, check=True
    ).stdout
    rows = [line for line in listed.splitlines() if line.startswith("Wartemarke CA")]
    assert len(rows) == 1 and rows[0].split()[-1] == "C,,", listed
    missing = run({**env, "WARTEMARKE_KIOSK_CA": str(tmp / "nope.crt")}, URL)
    assert missing.returncode == 0 and "cannot read" in missing.stderr


# --- the real thing: this launcher, Debian's Chromium, a real server ---------------------------

CHROMIUM = Path("/usr/bin/chromium")


def needs_chromium():
    if not CHROMIUM.exists():
        if os.environ.get("WARTEMARKE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required here")
        pytest.skip(f"{CHROMIUM} is missing (Debian package 'chromium')")


class Screens:
    """What staff see of the venue's screens: the /staff snapshot's device list, asked anew."""

    def __init__(self, server, **options):
        from tests.integration.test_flow import Listener

        session = server.session() if hasattr(server, "session") else requests.Session()
        login = session.post(
            server.url + "/api/login", json={"username": "clerk1", "password": "secret-1"}
        )
        assert login.status_code == 200, login.text
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        self.staff = Listener(server.url, "/staff", headers={"Cookie": cookie}, **options)
        self.staff.next("snapshot")

    def device(self, device: str) -> dict:
        self.staff.client.emit("snapshot", namespace="/staff")
        for found in self.staff.next("snapshot")["devices"]:
            if found["id"] == device:
                return found
        return {"connected": None, "last_seen": 0}

    def wait(self, device: str, connected: bool, timeout: float = 45, since: float = 0) -> None:
        """Until staff see the device (dis)connected, by a change after ``since`` (epoch s)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.device(device)
            if found["connected"] is connected and found["last_seen"] > since:
                return
            assert time.monotonic() < deadline, f"{device} never became connected={connected}"
            time.sleep(0.25)

    def close(self):
        self.staff.close()


def start_launcher(url: str, home: Path, **extra) -> subprocess.Popen:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "WARTEMARKE_KIOSK_BROWSER": str(CHROMIUM),
        # Headless here; as root Chromium needs --no-sandbox (a real kiosk user does not).
        "WARTEMARKE_KIOSK_FLAGS": "--headless=new --no-sandbox --disable-gpu",
        "WARTEMARKE_KIOSK_RESTART_DELAY": "0",
        "WARTEMARKE_KIOSK_DESKTOP": "keep",
        **extra,
    }
    return subprocess.Popen(
        [str(SCRIPT), url], env=env, stderr=subprocess.PIPE, start_new_session=True
    )


def browser_of(launcher: subprocess.Popen) -> int:
    children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text().split()
    [pid] = [int(c) for c in children if "chrom" in Path(f"/proc/{c}/cmdline").read_text()]
    return pid


def stop_launcher(launcher: subprocess.Popen) -> None:
    launcher.terminate()
    try:
        launcher.wait(15)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(launcher.pid, signal.SIGKILL)  # Chromium's helpers, if any are left
        launcher.stderr.close()


def test_wall_display_comes_up_with_the_server_and_back_after_restart_and_crash(tmp_path):
    """The launcher started before the server (the error page reloads by itself once the server
    answers), the server restarted (the page reconnects), the browser killed (the launcher
    starts it again): each time staff see the wall display connected again."""
    needs_chromium()
    from tests.conftest import Server, site_with_counters

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "site.toml").write_text(site_with_counters(1), encoding="utf-8")
    server = Server(data_dir, extra=["--config", str(data_dir / "site.toml")])
    url = f"{server.url}/display/?id=wand-test&sound=off"
    # Do not wait for the server: Chromium starts on its error page.
    launcher = start_launcher(url, tmp_path / "home", WARTEMARKE_KIOSK_WAIT="0")
    screens = None
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "home" / ".config" / "wartemarke-kiosk" / "Default").exists():
            assert time.monotonic() < deadline, "Chromium never started"
            time.sleep(0.2)
        server.add_users([("clerk1", "secret-1", "clerk")])
        server.start()
        screens = Screens(server)
        screens.wait("wand-test", True)

        server.kill()
        screens.close()
        server.start()
        screens = Screens(server)
        screens.wait("wand-test", True)

        # The browser killed: the launcher starts a new one, which connects again. Its new
        # connection may come before the server has noticed the old one's end (then staff never
        # see "disconnected"), so what counts is a connection made after the kill.
        killed = browser_of(launcher)
        killed_at = time.time()
        os.kill(killed, signal.SIGKILL)
        screens.wait("wand-test", True, since=killed_at)
        assert launcher.poll() is None
        assert browser_of(launcher) != killed
    finally:
        if screens:
            screens.close()
        stop_launcher(launcher)
        server.stop()


@pytest.mark.skipif(not CERTUTIL, reason="certutil missing (Debian package libnss3-tools)")
def test_wall_display_over_https_trusts_the_servers_ca(tmp_path):
    """HTTPS end to end: 'wartemarke cert', 'serve --certfile', the launcher given ca.crt; the
    real browser loads the wall display over https and its live connection (wss) arrives."""
    needs_chromium()
    from tests.conftest import site_with_counters, wartemarke
    from tests.integration.test_https import TLSServer

    data_dir = tmp_path / "data"
    assert wartemarke("cert", "--host=127.0.0.1", data_dir=data_dir).returncode == 0
    tls = data_dir / "tls"
    (data_dir / "site.toml").write_text(site_with_counters(1), encoding="utf-8")
    extra = ["--config", str(data_dir / "site.toml")]
    extra += ["--certfile", str(tls / "server.crt"), "--keyfile", str(tls / "server.key")]
    server = TLSServer(data_dir, extra=extra, ca=tls / "ca.crt")
    server.add_users([("clerk1", "secret-1", "clerk")])
    server.start()
    launcher = start_launcher(
        f"{server.url}/display/?id=wand-tls&sound=off",
        tmp_path / "home",
        WARTEMARKE_KIOSK_CA=str(tls / "ca.crt"),
    )
    screens = None
    try:
        screens = Screens(server, http_session=server.session())
        screens.wait("wand-tls", True)
    finally:
        if screens:
            screens.close()
        stop_launcher(launcher)
        server.stop()
