"""deploy/kiosk/wartemarke-kiosk.sh: the command line it gives Chromium, and what it does around.

The browser, xset, unclutter and systemd-inhibit are fakes placed first on PATH that record how
they were called. That matters: the headless test browser runs with autoplay allowed, so a
launcher that forgot --autoplay-policy=no-user-gesture-required would pass every browser test
and leave the real wall display mute.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

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
