"""``wartemarke doctor`` against real things: a running server, printers over real TCP, the
machine's own disk, network interfaces and time tools."""

from __future__ import annotations

import json
import shutil
import socket

import pytest

from tests.conftest import free_port, site_with_counters, wartemarke
from wartemarke.backup import known_revisions
from wartemarke.doctor import DISK_FAIL, DISK_WARN, ip_addr_json, lan_addresses
from wartemarke.printers.virtual_tcp import VirtualPrinter


def doctor(data_dir, *args: str):
    """(exit code, {check name: check}) of ``wartemarke doctor --json``."""
    result = wartemarke("doctor", "--json", *args, data_dir=data_dir)
    assert result.returncode in (0, 1), result.stderr
    body = json.loads(result.stdout)
    checks = {c["name"]: c for c in body["checks"]}
    assert (
        body["ok"]
        == (result.returncode == 0)
        == all(c["status"] != "FEHLER" for c in checks.values())
    )
    return result.returncode, checks


def expected_disk(path) -> str:
    free = shutil.disk_usage(path).free
    return "FEHLER" if free < DISK_FAIL else "WARNUNG" if free < DISK_WARN else "OK"


def test_running_server_with_the_virtual_printer(make_server):
    site = site_with_counters(2)
    server = make_server(site=site, extra=["--host", "0.0.0.0"])
    config = str(server.data_dir / "site.toml")
    code, checks = doctor(server.data_dir, "--port", str(server.port), "--config", config)
    assert checks["site"]["status"] == "OK" and "3 Dienste, 2 Schalter" in checks["site"]["message"]
    assert checks["printer"]["status"] == "OK"
    assert "virtueller Drucker" in checks["printer"]["message"]
    assert checks["data_dir"]["status"] == "OK"
    assert checks["disk"]["status"] == expected_disk(server.data_dir)
    assert checks["database"]["status"] == "OK"
    assert checks["database"]["data"]["revision"] == known_revisions()[-1]
    assert checks["port"]["status"] == "OK" and "läuft bereits" in checks["port"]["message"]
    assert checks["time"]["status"] in ("OK", "WARNUNG")  # depends on the machine's NTP
    if checks["time"]["status"] == "WARNUNG":
        assert "timedatectl set-ntp true" in checks["time"]["hint"]
    addresses = lan_addresses(ip_addr_json(), None)
    if addresses:  # a machine on a network: every address offered, and the server answers
        urls = checks["lan"]["data"]["urls"]
        assert checks["lan"]["status"] == "OK"
        assert {f"http://{a}:{server.port}/" for a in addresses} <= set(urls)
        assert f"http://{addresses[0]}:{server.port}/kiosk/" in checks["lan"]["message"]
        assert checks["lan_reachable"]["status"] == "OK"
    else:
        assert checks["lan"]["status"] == "WARNUNG"
    assert code == (1 if checks["disk"]["status"] == "FEHLER" else 0)
    # The database was only looked at: no upgrade, no new file.
    assert not list(server.data_dir.glob(".doctor-*"))


def test_server_bound_to_loopback_is_not_reachable_from_the_lan(make_server):
    server = make_server(site=None)  # the harness binds 127.0.0.1
    if not lan_addresses(ip_addr_json(), None):
        pytest.skip("this machine has no LAN address to reach a server by")
    code, checks = doctor(server.data_dir, "--port", str(server.port))
    assert checks["port"]["status"] == "OK"
    assert checks["lan_reachable"]["status"] == "FEHLER"
    assert "--host 0.0.0.0" in checks["lan_reachable"]["hint"]
    assert code == 1


def test_printer_at_a_closed_port_and_a_busy_port(tmp_path):
    closed = free_port()  # nothing listens there
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = wartemarke(
            "doctor", "--printer", f"tcp://127.0.0.1:{closed}", "--port", str(port),
            data_dir=tmp_path / "data",
        )  # fmt: skip
    assert result.returncode == 1
    lines = result.stdout.splitlines()

    def line(start: str) -> str:
        (found,) = [text for text in lines if text.startswith(start)]
        return found

    printer = line(f"FEHLER   Drucker tcp://127.0.0.1:{closed}: nicht bereit (unreachable: ")
    assert "Connection refused" in printer and "→ Drucker einschalten" in printer
    assert line(f"FEHLER   Port {port}: ").endswith(
        f"von einem anderen Programm belegt → das Programm beenden (welches: sudo ss -ltnp "
        f"'sport = :{port}') oder einen anderen Port wählen (--port, WARTEMARKE_PORT)"
    )
    assert line("WARNUNG  Erreichbarkeit im LAN: nicht geprüft")  # no Wartemarke there
    # A data dir that does not exist yet is fine: serve creates it (the doctor does not).
    assert line("OK       Datenverzeichnis: ").endswith("fehlt noch, wird beim Start angelegt")
    assert line("OK       Datenbank: ").endswith("fehlt noch, wird beim Start angelegt")
    assert not (tmp_path / "data").exists()
    assert result.stdout.splitlines()[-1].startswith("Ergebnis: 2 FEHLER")


def test_network_printer_ready_and_paper_near_end(tmp_path):
    with VirtualPrinter() as printer:
        code, checks = doctor(tmp_path, "--printer", printer.url, "--port", str(free_port()))
        assert checks["printer"]["status"] == "OK", checks["printer"]
        assert checks["printer"]["message"] == "bereit, Papier ok"
        printer.state = "near_end"
        _, checks = doctor(tmp_path, "--printer", printer.url, "--port", str(free_port()))
        assert checks["printer"]["status"] == "WARNUNG"
        assert checks["printer"]["hint"] == "Ersatzrolle bereitlegen"
        printer.state = "paper_out"
        code, checks = doctor(tmp_path, "--printer", printer.url, "--port", str(free_port()))
        assert (
            checks["printer"]["status"] == "FEHLER" and "paper out" in checks["printer"]["message"]
        )
        assert code == 1
    assert checks["data_dir"]["status"] == "OK" and checks["port"]["status"] == "OK"
    assert printer.jobs == []  # asked for its status only, nothing printed


def test_unusable_data_dir_and_broken_site_file(tmp_path):
    plain = tmp_path / "plain-file"
    plain.write_text("not a directory")
    broken = tmp_path / "site.toml"
    broken.write_text("[venue\nname = 1\n")
    code, checks = doctor(plain / "data", "--config", str(broken), "--port", str(free_port()))
    assert code == 1
    assert checks["data_dir"]["status"] == "FEHLER"
    assert checks["data_dir"]["message"] == f"{plain / 'data'}: {plain} ist kein Verzeichnis"
    assert "--data-dir" in checks["data_dir"]["hint"]
    assert checks["site"]["status"] == "FEHLER" and "line 1" in checks["site"]["message"]
    assert checks["printer"]["status"] == "OK"  # virtual: nothing to reach
    assert plain.read_text() == "not a directory"
