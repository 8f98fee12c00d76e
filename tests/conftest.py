"""Shared test harness: real server processes on 127.0.0.1, real HTTP and Socket.IO clients."""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from hypothesis import settings as hypothesis_settings

# Properties, not timings: a loaded CI machine must not fail an example for being slow.
hypothesis_settings.register_profile("wartemarke", deadline=None)
hypothesis_settings.load_profile("wartemarke")

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"


def _share_escpos_cache() -> None:
    """Every test server starts on a fresh data dir, so python-escpos would parse its printer
    database again in each (0.2 s of CPU, a few hundred times a run). One private cache for
    this test process and the servers it starts, built here before any of them reads it."""
    from wartemarke.printers.escpos_env import PICKLE_DIR_ENV

    if os.environ.get(PICKLE_DIR_ENV):
        return
    cache = tempfile.mkdtemp(prefix="wartemarke-escpos-")  # mode 0700: it holds a pickle
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    os.environ[PICKLE_DIR_ENV] = cache
    import escpos.capabilities  # noqa: F401 - writes the cache


_share_escpos_cache()


# Ports for test servers come from 20000-31999, below the kernel's ephemeral range (32768+): a
# port the kernel hands out for bind(0) or an outgoing connection could go to another xdist
# worker while a test has killed its server and is about to restart it there, and a page
# reconnecting would then find a stranger's server. Each worker of a run takes its own residue
# class (so workers never collide); each run starts at its own random offset (so two test runs
# on one machine rarely meet), and a port found in use is skipped.
_PORT_BASE, _PORT_SPAN, _STRIDE = 20000, 12000, 16
_RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"{os.getpid()}-{time.time_ns()}"
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0) % _STRIDE
_port_start = int(hashlib.sha256(_RUN.encode()).hexdigest(), 16) % _PORT_SPAN
_ports_taken = 0


def free_port() -> int:
    global _ports_taken
    while _ports_taken < _PORT_SPAN // _STRIDE:
        offset = (_port_start + _ports_taken * _STRIDE + _WORKER) % _PORT_SPAN
        _ports_taken += 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", _PORT_BASE + offset))
            except OSError:
                continue  # in use by something else on this machine
            return _PORT_BASE + offset
    raise RuntimeError("this test worker used up its ports")


@functools.cache
def password_hash(password: str) -> str:
    """The real (scrypt) hash, made once per password per test process: each costs 0.1 s."""
    from wartemarke.auth import hash_password

    return hash_password(password)


def wartemarke(*args: str, data_dir: Path, stdin: str | None = None, env: dict | None = None):
    """Run the CLI as a user would, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "wartemarke", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


SITE_TOML = """
[venue]
name = "Pop-Up Bürgerbüro Test"

[[services]]
id = 1
name = "Personalausweis"
prefix = "A"
minutes = 15

[[services]]
id = 2
name = "Reisepass"
prefix = "P"
minutes = 15

[[services]]
id = 3
name = "Meldeangelegenheiten"
prefix = "M"
minutes = 10
"""


def site_with_counters(n: int, services=(1, 2, 3)) -> str:
    counters = "".join(
        f'\n[[counters]]\nid = {i}\nname = "Schalter {i}"\nservices = {list(services)}\n'
        for i in range(1, n + 1)
    )
    return SITE_TOML + counters


@dataclass
class Server:
    data_dir: Path
    port: int = field(default_factory=free_port)
    extra: list[str] = field(default_factory=list)
    env: dict = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Server:
        self.log_path = self.data_dir / f"server-{self.port}.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 - stays open for the child's lifetime
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wartemarke",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *self.extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            # No mDNS: a test server bound to 0.0.0.0 must not announce itself on the real LAN
            # (tests/integration/test_mdns.py announces inside network namespaces of its own).
            env={
                **os.environ,
                "WARTEMARKE_LOG_LEVEL": "WARNING",
                "WARTEMARKE_MDNS": "0",
                **self.env,
            },
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 20.0) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(self.url + "/api/health", timeout=1).ok:
                    return time.monotonic() - start
            except requests.RequestException:
                time.sleep(0.02)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def add_users(self, users: list[tuple[str, str, str]]) -> None:
        """(name, password, role) accounts, written straight into the store: the CLI's own
        tests cover ``wartemarke user add``; here it would only cost a process per account."""
        from datetime import UTC, datetime

        from wartemarke.store import open_store

        url = self.env.get("WARTEMARKE_DATABASE") or f"sqlite:///{self.data_dir}/wartemarke.sqlite3"
        store = open_store(url)
        try:
            with store.write(publish=False) as tx:
                for name, password, role in users:
                    tx.add_user(name, password_hash(password), role, datetime.now(UTC))
        finally:
            store.dispose()

    def add_user(self, name: str, password: str, role: str = "clerk") -> None:
        self.add_users([(name, password, role)])

    def client(self) -> requests.Session:
        return requests.Session()

    def login(self, name: str, password: str) -> requests.Session:
        session = requests.Session()
        r = session.post(self.url + "/api/login", json={"username": name, "password": password})
        assert r.status_code == 200, r.text
        session.headers["X-CSRFToken"] = r.json()["csrf_token"]
        return session

    def issue(self, service: int = 1, lang: str = "de") -> dict:
        r = requests.post(self.url + "/api/tickets", json={"service": service, "lang": lang})
        assert r.status_code == 201, r.text
        return r.json()


class ServerFactory:
    """``factory(site=..., clerks=N)`` starts a real server process under ``base``;
    ``stop_all()`` stops every one it started."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.started: list[Server] = []

    def __call__(
        self, site: str | None = SITE_TOML, clerks: int = 0, extra=(), data_dir=None, env=None
    ) -> Server:
        data_dir = data_dir or self.base / f"data{len(self.started)}"
        data_dir.mkdir(parents=True, exist_ok=True)
        args = list(extra)
        if site is not None:
            (data_dir / "site.toml").write_text(site, encoding="utf-8")
            args += ["--config", str(data_dir / "site.toml")]
        server = Server(data_dir, extra=args, env=env or {})
        server.add_users([(f"clerk{i}", f"secret-{i}", "clerk") for i in range(1, clerks + 1)])
        self.started.append(server)
        return server.start()

    def stop_all(self) -> None:
        for server in self.started:
            server.stop()


@pytest.fixture
def make_server(tmp_path):
    """Factory: ``make_server(site=..., clerks=N)`` starts a real server process."""
    factory = ServerFactory(tmp_path)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def make_module_server(tmp_path_factory):
    """As make_server, for one server shared by the tests of a module: for checks that only
    read, or that put back what they change (a server start costs 1.2 s of CPU)."""
    factory = ServerFactory(tmp_path_factory.mktemp("module"))
    yield factory
    factory.stop_all()


@pytest.fixture
def server(make_server):
    """A running server with three services, two counters and two clerks."""
    return make_server(site=site_with_counters(2), clerks=2)


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


# --- PostgreSQL: a private cluster per test session, from Debian's postgresql package --------


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres():
    """Base URL of a throw-away PostgreSQL server on 127.0.0.1 (skipped where none is installed,
    except in CI, which sets WARTEMARKE_REQUIRE_POSTGRES=1 and installs it)."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        if os.environ.get("WARTEMARKE_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required here but not installed")
        pytest.skip("PostgreSQL is not installed")
    with running_postgres(bin_dir) as url:
        yield url


@contextlib.contextmanager
def running_postgres(bin_dir: Path):
    """A throw-away PostgreSQL server (also for the benchmarks); yields its base URL."""
    import shutil
    import tempfile

    # Not under pytest's tmp dir: that is private to root, and PostgreSQL refuses to run as root.
    base = Path(tempfile.mkdtemp(prefix="wartemarke-pg-"))
    data = base / "data"
    port = free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(base, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [
            *as_user,
            str(bin_dir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(base),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"postgresql://postgres@127.0.0.1:{port}"
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            psycopg.connect(url + "/postgres").close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(20)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres, request):
    """A fresh, empty database for one test."""
    import psycopg

    name = "wm_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    with psycopg.connect(postgres + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres}/{name}"


# --- Redis: a private server per test, from Debian's redis-server package ------------------


@pytest.fixture
def redis_url():
    """URL of a throw-away redis-server on 127.0.0.1, for one test: Socket.IO's pub/sub channel is
    one per server, so tests sharing one would hear each other's calls. Skipped where
    redis-server is not installed, except in CI, which sets WARTEMARKE_REQUIRE_REDIS=1."""
    import shutil

    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("WARTEMARKE_REQUIRE_REDIS"):
            pytest.fail("redis-server is required here but not installed")
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    with running_redis(binary) as url:
        yield url


@contextlib.contextmanager
def running_redis(binary: str = "redis-server"):
    """A throw-away redis-server, no persistence (also for the benchmarks); yields its URL."""
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="wartemarke-redis-"))
    port = free_port()
    # fmt: off
    command = [
        binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(base),
        "--save", "", "--appendonly", "no", "--daemonize", "no",
    ]
    # fmt: on
    with open(base / "redis.log", "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=1) as conn,
            ):
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                log_text = (base / "redis.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server did not start:\n{log_text}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(base, ignore_errors=True)
