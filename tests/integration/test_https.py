"""HTTPS on the LAN: ``wartemarke cert`` makes a local CA and a server certificate, ``serve
--certfile/--keyfile`` speaks TLS with it; pages, the API and the websocket (wss) work for a
client that trusts the CA, the login cookie is Secure, and nothing works for one that does not."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import Server, site_with_counters, wartemarke
from tests.integration.test_flow import Listener

# 'wartemarke cert' runs the openssl command (Debian: package openssl, with ca-certificates).
pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is missing")


def openssl(*args: str) -> str:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def make_cert(data_dir: Path, *hosts: str) -> subprocess.CompletedProcess:
    args = ["cert"] + [f"--host={h}" for h in hosts]
    return wartemarke(*args, data_dir=data_dir)


@dataclass
class TLSServer(Server):
    """The harness' server process, over HTTPS: its health is asked with the CA trusted."""

    ca: Path | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 20.0) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(self.url + "/api/health", timeout=1, verify=str(self.ca)).ok:
                    return time.monotonic() - start
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def session(self) -> requests.Session:
        session = requests.Session()
        session.verify = str(self.ca)
        session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify
        return session


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tls")
    made = make_cert(data_dir, "127.0.0.1")
    assert made.returncode == 0, made.stderr
    tls = data_dir / "tls"
    (data_dir / "site.toml").write_text(site_with_counters(2), encoding="utf-8")
    extra = ["--config", str(data_dir / "site.toml")]
    extra += ["--certfile", str(tls / "server.crt"), "--keyfile", str(tls / "server.key")]
    server = TLSServer(data_dir, extra=extra, ca=tls / "ca.crt")
    server.add_users([("clerk1", "secret-1", "clerk")])
    server.start()
    yield server
    server.stop()


def test_cert_makes_a_constrained_ca_and_a_server_certificate_for_the_lan(tmp_path):
    made = make_cert(tmp_path, "127.0.0.1", "Schalter-Laptop.local")
    assert made.returncode == 0, made.stderr
    tls = tmp_path / "tls"
    assert f"--certfile {tls / 'server.crt'} --keyfile {tls / 'server.key'}" in made.stdout
    for key in ("ca.key", "server.key"):
        assert (tls / key).stat().st_mode & 0o777 == 0o600, key
    ca = openssl("x509", "-in", str(tls / "ca.crt"), "-noout", "-text")
    assert "CA:TRUE" in ca and "Name Constraints: critical" in ca
    assert "IP:192.168.0.0/255.255.0.0" in ca and "DNS:local" in ca
    server = openssl("x509", "-in", str(tls / "server.crt"), "-noout", "-text")
    names = re.search(r"Subject Alternative Name:\s*\n\s*(.+)", server).group(1)
    for name in ("DNS:wartemarke.local", "DNS:schalter-laptop.local", "IP Address:127.0.0.1"):
        assert name in names
    assert "CA:FALSE" in server and "TLS Web Server Authentication" in server
    assert openssl("verify", "-CAfile", str(tls / "ca.crt"), str(tls / "server.crt")).strip()

    # Next venue, another address: a new server certificate from the same CA (devices keep it).
    ca_before = (tls / "ca.crt").read_bytes()
    serial = openssl("x509", "-in", str(tls / "server.crt"), "-noout", "-serial")
    again = make_cert(tmp_path, "10.20.30.40")
    assert again.returncode == 0, again.stderr
    assert "local CA (kept)" in again.stdout
    assert (tls / "ca.crt").read_bytes() == ca_before
    assert openssl("x509", "-in", str(tls / "server.crt"), "-noout", "-serial") != serial
    assert "IP Address:10.20.30.40" in openssl("x509", "-in", str(tls / "server.crt"), "-text")

    # The CA may not vouch for a public address: refused, and nothing replaced.
    public = make_cert(tmp_path, "8.8.8.8")
    assert public.returncode == 2
    assert "not a private address" in public.stderr
    assert (tls / "ca.crt").read_bytes() == ca_before


def test_https_api_secure_cookie_and_live_events_over_wss(tls_server):
    url = tls_server.url
    health = requests.get(url + "/api/health", verify=str(tls_server.ca), timeout=5)
    assert health.json()["ok"] is True
    # A client that does not trust the local CA gets no answer at all.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url + "/api/health", timeout=5)
    # Plain HTTP on the TLS port: refused, and the server serves on.
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls_server.port}/api/health", timeout=5)

    clerk = tls_server.session()
    login = clerk.post(url + "/api/login", json={"username": "clerk1", "password": "secret-1"})
    assert login.status_code == 200, login.text
    cookie_header = login.headers["Set-Cookie"]
    assert re.search(r";\s*Secure", cookie_header), cookie_header
    assert re.search(r";\s*HttpOnly", cookie_header), cookie_header
    clerk.headers["X-CSRFToken"] = login.json()["csrf_token"]
    cookie = "; ".join(f"{k}={v}" for k, v in clerk.cookies.items())

    display = Listener(url, "/display", http_session=tls_server.session())
    staff = Listener(url, "/staff", headers={"Cookie": cookie}, http_session=tls_server.session())
    try:
        assert display.client.transport() == "websocket"  # i.e. wss://
        display.next("snapshot")
        assert [c["id"] for c in staff.next("snapshot")["counters"]] == [1, 2]
        issued = tls_server.session().post(url + "/api/tickets", json={"service": 1})
        assert issued.status_code == 201, issued.text
        # The QR code a phone scans leads to the HTTPS address, not to http://.
        assert issued.json()["status_url"].startswith("https://")
        called = clerk.post(url + "/api/counters/1/next")
        assert called.status_code == 200, called.text
        call = display.next("call", timeout=10)
        assert call["number"] == issued.json()["number"] and call["counter"] == 1
        assert staff.next("ticket", timeout=10)["number"] == issued.json()["number"]
    finally:
        display.close()
        staff.close()
    assert "Traceback" not in tls_server.log()


def test_doctor_finds_the_running_https_server(tls_server):
    done = subprocess.run(
        [sys.executable, "-m", "wartemarke", "doctor", "--json", "--host", "127.0.0.1"]
        + ["--port", str(tls_server.port), "--data-dir", str(tls_server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["port"]["status"] == "OK", checks["port"]
    assert "läuft bereits" in checks["port"]["message"]


@pytest.mark.parametrize(
    "public_url, secure", [("https://wartemarke.example", True), (None, False)]
)
def test_cookie_is_secure_behind_an_https_public_url_only(make_server, public_url, secure):
    """TLS at a proxy in front (nginx): --public-url https://… makes the cookie Secure too;
    plain HTTP on an isolated LAN (the default) keeps it usable over http://."""
    server = make_server(
        site=site_with_counters(1),
        clerks=1,
        extra=["--public-url", public_url] if public_url else [],
    )
    r = requests.post(
        server.url + "/api/login", json={"username": "clerk1", "password": "secret-1"}
    )
    assert r.status_code == 200, r.text
    assert bool(re.search(r";\s*Secure", r.headers["Set-Cookie"])) is secure


def test_a_wrong_certificate_or_key_ends_serve_with_one_clear_line(tmp_path):
    assert make_cert(tmp_path).returncode == 0
    tls = tmp_path / "tls"
    cases = [
        (["--certfile", str(tmp_path / "missing.crt")], "cannot read the TLS certificate"),
        # The CA's key is not the server certificate's.
        (
            ["--certfile", str(tls / "server.crt"), "--keyfile", str(tls / "ca.key")],
            "are not PEM files of one key pair",
        ),
    ]
    for args, message in cases:
        done = wartemarke("serve", "--host", "127.0.0.1", "--port", "0", *args, data_dir=tmp_path)
        assert done.returncode == 2, done.stderr
        [line] = [x for x in done.stderr.splitlines() if x.startswith("wartemarke: error:")]
        assert message in line, line
