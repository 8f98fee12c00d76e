"""The command line: clear errors for the usual mistakes, accounts, environment variables."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import requests

from tests.conftest import Server, free_port, wartemarke


def serve(*args: str, env=None, timeout=30):
    return subprocess.run(
        [sys.executable, "-m", "wartemarke", "serve", "--host", "127.0.0.1", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = serve("--port", str(port), "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"port {port}" in result.stderr and "already in use" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_data_dir_as_user(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = serve("--port", str(free_port()), "--data-dir", str(locked / "sub"))
    assert result.returncode == 2 and "not writable" in result.stderr


def test_data_dir_that_is_a_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = serve("--port", str(free_port()), "--data-dir", str(blocker / "data"))
    assert result.returncode == 2
    assert "not writable" in result.stderr and "Traceback" not in result.stderr


def test_broken_config(tmp_path):
    bad = tmp_path / "site.toml"
    bad.write_text("[venue\nname = 'x'\n")
    result = serve("--port", str(free_port()), "--data-dir", str(tmp_path), "--config", str(bad))
    assert result.returncode == 2
    assert "site.toml" in result.stderr and "line 1" in result.stderr
    missing = serve(
        "--port", str(free_port()), "--data-dir", str(tmp_path), "--config", "nope.toml"
    )
    assert missing.returncode == 2 and "cannot read the site file" in missing.stderr


def test_user_add_and_list(tmp_path):
    added = wartemarke(
        "user",
        "add",
        "anna",
        "--role",
        "admin",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="long-enough\n",
    )
    assert added.returncode == 0 and "Added admin anna" in added.stdout
    short = wartemarke("user", "add", "bob", "--password-stdin", data_dir=tmp_path, stdin="123\n")
    assert short.returncode == 2 and "at least" in short.stderr
    listed = wartemarke("user", "list", data_dir=tmp_path)
    assert listed.stdout.splitlines() == ["anna\tadmin\tactive\tanna"]


def test_first_start_offers_the_pop_up_services_and_an_admin(tmp_path):
    (tmp_path / "fresh").mkdir()
    server = Server(tmp_path / "fresh").start()
    try:
        services = requests.get(server.url + "/api/services").json()
        assert [s["name"] for s in services] == [
            "Personalausweis",
            "Reisepass",
            "Meldeangelegenheiten",
        ]
        assert len(requests.get(server.url + "/api/counters").json()) == 2
        user, password = (server.data_dir / "initial-admin-password.txt").read_text().split()
        assert server.login(user, password)
        assert password in server.log()
    finally:
        server.stop()


def test_demo_and_environment_variables(tmp_path):
    data = tmp_path / "demo"
    port = free_port()
    env = {"WARTEMARKE_DATA_DIR": str(data), "WARTEMARKE_PORT": str(port), "WARTEMARKE_DEMO": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wartemarke", "serve", "--host", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
    )
    try:
        banner = ""
        while "serving on" not in banner:
            line = proc.stdout.readline()
            assert line, banner
            banner += line
        assert "clerk1" in banner and "demo-clerk1" in banner
        url = f"http://127.0.0.1:{port}"
        assert len(requests.get(url + "/api/services").json()) >= 5
        assert len(requests.get(url + "/api/counters").json()) >= 3
        session = requests.Session()
        r = session.post(url + "/api/login", json={"username": "clerk1", "password": "demo-clerk1"})
        assert r.status_code == 200
        assert (data / "wartemarke.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(10)


def test_printer_test_page(tmp_path):
    from wartemarke.printers.decode import decode
    from wartemarke.printers.virtual_tcp import VirtualPrinter

    with VirtualPrinter() as printer:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "wartemarke",
                "printer",
                "test",
                "--printer",
                printer.url,
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "online" in result.stdout and "paper ok" in result.stdout
        text = decode(printer.wait_for_jobs(1)[0]).text
        assert "äöüß" in text.lower() or all(c in text for c in "äöüß")
    port = free_port()  # nothing listens there
    down = subprocess.run(
        [
            sys.executable,
            "-m",
            "wartemarke",
            "printer",
            "test",
            "--printer",
            f"tcp://127.0.0.1:{port}",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1 and "OFFLINE" in down.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "wartemarke",
            "printer",
            "test",
            "--printer",
            "lpt://x",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "scheme" in bad.stderr


def test_a_restart_keeps_the_demo_venue(tmp_path):
    server = Server(tmp_path, extra=["--demo"]).start()
    try:
        assert (
            "Zentralbibliothek" in requests.get(server.url + "/api/state").json()["venue"]["name"]
        )
    finally:
        server.stop()
    again = Server(tmp_path, port=server.port).start()  # no --demo, no site file
    try:
        assert "Zentralbibliothek" in requests.get(again.url + "/api/state").json()["venue"]["name"]
        assert "Zentralbibliothek" in requests.get(again.url + "/display/").text
    finally:
        again.stop()


def test_retention_command_and_its_exit_codes(tmp_path):
    unset = wartemarke("retention", data_dir=tmp_path)
    assert unset.returncode == 2 and "no retention configured" in unset.stderr
    assert len(unset.stderr.strip().splitlines()) == 1 and "Traceback" not in unset.stderr
    for bad in ("0", "3651"):
        out = wartemarke("retention", "--days", bad, data_dir=tmp_path)
        assert out.returncode == 2 and "from 1 to 3650" in out.stderr, out.stderr
    empty = wartemarke("retention", "--days", "30", data_dir=tmp_path)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.startswith("nothing to archive: no raw data before ")

    site = tmp_path / "other-site.toml"
    site.write_text("[data]\nretention_days = 0\n", encoding="utf-8")
    broken = wartemarke("retention", "--config", str(site), data_dir=tmp_path)
    assert broken.returncode == 2 and "[data] retention_days" in broken.stderr
    site.write_text("[data]\nretention_days = 'many'\n", encoding="utf-8")
    broken = wartemarke("retention", "--config", str(site), data_dir=tmp_path)
    assert broken.returncode == 2 and "retention_days" in broken.stderr
    site.write_text("[data]\nretention_days = 400\n", encoding="utf-8")
    from_file = wartemarke("retention", "--config", str(site), data_dir=tmp_path)
    assert from_file.returncode == 0 and "(keeping 400 days)" in from_file.stdout
