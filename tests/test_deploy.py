"""deploy/systemd: the unit passes systemd's own checks, and its command line, started as systemd
would start it (environment, working directory, kill signal), serves, reads the site file from
/etc/wartemarke and stops cleanly; the user and directories come out as the unit expects them.

No systemd runs as PID 1 here (nor in CI), so the paths are moved into a temporary directory:
/var/lib/wartemarke → TMP/var/lib/wartemarke, /etc/wartemarke → TMP/etc/wartemarke, and the
installed /opt/wartemarke/bin/wartemarke → this checkout's.
"""

from __future__ import annotations

import getpass
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
SYSTEMD = ROOT / "deploy" / "systemd"
UNIT = SYSTEMD / "wartemarke.service"
INSTALLED = "/opt/wartemarke/bin/wartemarke"
HERE = str(Path(sys.executable).with_name("wartemarke"))


def unit_settings(path: Path = UNIT) -> dict[str, list[str]]:
    """Every ``Key=value`` of the unit's [Service] section, in order (keys repeat)."""
    settings: dict[str, list[str]] = {}
    section = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service":
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def moved(value: str, root: Path) -> str:
    for system in ("/var/lib/wartemarke", "/etc/wartemarke"):
        value = value.replace(system, f"{root}{system}")
    return value.replace(INSTALLED, HERE)


def service_env(settings: dict[str, list[str]], root: Path, port: int) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8"}
    for assignment in settings.get("Environment", []):
        for word in shlex.split(assignment):
            key, _, value = word.partition("=")
            env[key] = moved(value, root)
    # Not on every interface, and no multicast announcement from a test.
    env.update(WARTEMARKE_HOST="127.0.0.1", WARTEMARKE_PORT=str(port), WARTEMARKE_MDNS="0")
    return env


@pytest.fixture
def installed(tmp_path):
    """TMP laid out as the set-up in the unit's header leaves the machine."""
    (tmp_path / "var/lib/wartemarke").mkdir(parents=True)  # StateDirectory=
    (tmp_path / "etc/wartemarke").mkdir(parents=True)
    shutil.copy(SYSTEMD / "site.toml", tmp_path / "etc/wartemarke/site.toml")
    return tmp_path


def start(settings, root: Path, port: int) -> subprocess.Popen:
    [exec_start] = settings["ExecStart"]
    argv = [moved(word, root) for word in shlex.split(exec_start)]
    [workdir] = settings["WorkingDirectory"]
    return subprocess.Popen(
        argv,
        cwd=moved(workdir, root),
        env=service_env(settings, root, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is missing")
def test_unit_passes_systemd_analyze_verify(tmp_path):
    # verify insists that ExecStart's program exists: point it at this checkout's.
    unit = tmp_path / "wartemarke.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED, HERE))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    # Unknown keys and bad values are only warnings (exit code 0): there must be none.
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), (
        done.stdout + done.stderr
    )


def test_unit_command_line_serves_the_site_and_stops_on_the_kill_signal(installed):
    settings = unit_settings()
    assert settings["User"] == ["wartemarke"] and "lp" in settings["SupplementaryGroups"][0]
    port = free_port()
    proc = start(settings, installed, port)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                if requests.get(url + "/api/health", timeout=1).json()["ok"]:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "no /api/health"
            time.sleep(0.1)
        # The site file came from /etc/wartemarke, the data went to /var/lib/wartemarke.
        state = requests.get(url + "/api/state", timeout=5).json()
        assert state["venue"]["name"] == "Pop-Up Bürgerbüro"
        assert [s["prefix"] for s in state["services"]] == ["A", "P", "M"]
        data = installed / "var/lib/wartemarke"
        assert (data / "wartemarke.sqlite3").is_file()
        assert (data / "initial-admin-password.txt").is_file()  # the README says to look here
    finally:
        [kill_signal] = settings["KillSignal"]
        [stop_timeout] = settings["TimeoutStopSec"]
        started = time.monotonic()
        proc.send_signal(getattr(signal, kill_signal))
        code = proc.wait(int(stop_timeout))
    # Exit code 0: Restart=on-failure does not restart a service that was stopped.
    assert code == 0, proc.stdout.read()
    assert time.monotonic() - started < int(stop_timeout)


def test_a_configuration_error_exits_with_the_code_the_unit_does_not_restart_on(installed):
    settings = unit_settings()
    assert settings["Restart"] == ["on-failure"]
    [no_restart] = settings["RestartPreventExitStatus"]
    (installed / "etc/wartemarke/site.toml").write_text("[venue\nname = 'x'\n")
    proc = start(settings, installed, free_port())
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == int(no_restart), output
    assert "site.toml" in output and "line 1" in output


@pytest.mark.skipif(
    not shutil.which("systemd-sysusers") or not shutil.which("systemd-tmpfiles"),
    reason="systemd-sysusers/systemd-tmpfiles are missing",
)
def test_sysusers_and_tmpfiles_make_the_user_and_directories_the_unit_needs(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    # A copy of this machine's account files (as an image would have them), not the real ones.
    for name in ("passwd", "group"):
        shutil.copy(f"/etc/{name}", root / "etc" / name)
    sysusers = subprocess.run(
        ["systemd-sysusers", f"--root={root}", str(SYSTEMD / "wartemarke.sysusers")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sysusers.returncode == 0, sysusers.stderr
    users = {line.split(":")[0]: line.split(":") for line in (root / "etc/passwd").open()}
    groups = {line.split(":")[0]: line.strip().split(":") for line in (root / "etc/group").open()}
    user = users["wartemarke"]
    assert user[5] == "/var/lib/wartemarke" and user[6].strip() == "/usr/sbin/nologin"
    for group in ("lp", "dialout"):
        assert "wartemarke" in groups[group][3].split(","), groups[group]
    tmpfiles = subprocess.run(
        ["systemd-tmpfiles", f"--root={root}", "--create", str(SYSTEMD / "wartemarke.tmpfiles")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tmpfiles.returncode == 0, tmpfiles.stderr
    settings = unit_settings()
    writable = settings["ReadWritePaths"][0].split()
    for path in ("/var/lib/wartemarke", "/etc/wartemarke"):
        made = (root / path.lstrip("/")).stat()
        assert (made.st_uid, made.st_gid) == (int(user[2]), int(user[3])), path
        assert made.st_mode & 0o777 == 0o750, path
        assert path in writable, f"{path} is not in ReadWritePaths"


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root")
def test_cli_wrapper_runs_as_the_service_user_with_its_paths():
    """``sudo wartemarke …`` (deploy/systemd/wartemarke-cli.sh): as the service's user, with its
    data dir and site file, so nothing it writes ends up owned by root."""
    user = "nobody"
    pwd.getpwnam(user)
    done = subprocess.run(
        [str(SYSTEMD / "wartemarke-cli.sh")],
        env={
            "PATH": os.environ["PATH"],
            "WARTEMARKE_SERVICE_USER": user,
            "WARTEMARKE_BIN": shutil.which("env"),  # prints the environment it runs with
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    seen = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert seen["USER"] == user
    assert seen["WARTEMARKE_DATA_DIR"] == "/var/lib/wartemarke"
    assert seen["WARTEMARKE_CONFIG"] == "/etc/wartemarke/site.toml"
    # As the service user itself it runs the command directly.
    me = getpass.getuser()
    direct = subprocess.run(
        [str(SYSTEMD / "wartemarke-cli.sh"), "-u", "HOME"],
        env={"PATH": os.environ["PATH"], "WARTEMARKE_SERVICE_USER": me, "WARTEMARKE_BIN": "env"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert direct.returncode == 0 and "WARTEMARKE_DATA_DIR=/var/lib/wartemarke" in direct.stdout
