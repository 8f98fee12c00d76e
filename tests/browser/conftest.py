"""Browser fixtures: Debian's Chromium driven by Playwright (sync API), against real servers.

* One browser for the whole session (starting Chromium is the slow part).
* ``open_page(url, viewport=...)`` opens a page in a fresh context. Every request is routed:
  anything not addressed to 127.0.0.1/localhost is aborted and recorded, and so are websockets
  to other hosts; at teardown the test fails if the page tried to leave the machine, threw a
  JavaScript error or broke the Content-Security-Policy.
* ``server_pool.take(site)`` hands out a fresh, running server for a site file and, when the
  worker's next test is from the same module, starts the next one in the background meanwhile,
  so tests do not wait for server start-ups one by one.
* Without /usr/bin/chromium (or the playwright package) the browser tests are skipped with the
  reason, unless WARTEMARKE_REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import Server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}


# This worker's current test and the one it runs next (None: it does not know of one yet).
_running: dict = {"item": None, "next": None}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    _running.update(item=item, next=nextitem)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian package 'chromium')"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package 'playwright' is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _unavailable()
    if reason:
        if os.environ.get("WARTEMARKE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here, but {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class ServerPool:
    """Fresh servers (own data dir, own port) for one site file each, started one ahead."""

    def __init__(self, tmp_path_factory) -> None:
        self.tmp = tmp_path_factory
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="server-pool")
        self.waiting: dict[str, deque[Future]] = {}
        self.handed_out: list[Server] = []

    def _start(self, site: str) -> Future:
        data_dir = self.tmp.mktemp("server")
        (data_dir / "site.toml").write_text(site, encoding="utf-8")
        server = Server(data_dir, extra=["--config", str(data_dir / "site.toml")])
        return self.executor.submit(server.start)

    def warm(self, site: str) -> None:
        """Start a server for this site in the background now, for a test that comes later."""
        queue = self.waiting.setdefault(site, deque())
        if not queue:
            queue.append(self._start(site))

    def take(self, site: str) -> Server:
        queue = self.waiting.setdefault(site, deque())
        if not queue:
            queue.append(self._start(site))
        server = queue.popleft().result()
        if self._more_to_come():
            queue.append(self._start(site))  # the next test's server starts while this one runs
        self.handed_out.append(server)
        return server

    @staticmethod
    def _more_to_come() -> bool:
        """Whether this worker's next test is from the same module (which mostly means the
        same site): a spare started for nothing costs a server start's CPU."""
        current, following = _running["item"], _running["next"]
        return following is not None and (current is None or following.path == current.path)

    def close(self) -> None:
        for queue in self.waiting.values():
            for future in queue:
                if not future.cancel():
                    with contextlib.suppress(Exception):  # a spare that failed to start
                        self.handed_out.append(future.result())
        self.executor.shutdown()
        for server in self.handed_out:
            server.stop()


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory):
    pool = ServerPool(tmp_path_factory)
    yield pool
    pool.close()


@pytest.fixture
def kiosk_server(server_pool, request):
    """A fresh server from the pool for the test module's ``SITE``, stopped after the test."""
    server = server_pool.take(request.module.SITE)
    yield server
    server.stop()


@dataclass
class Guard:
    """What the pages of one test did that they must not do."""

    external: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    ws_sent: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert not self.external, f"requests left 127.0.0.1: {self.external}"
        assert not self.page_errors, f"JavaScript errors: {self.page_errors}"
        assert not self.csp, f"Content-Security-Policy violations: {self.csp}"


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in LOCAL_HOSTS


@pytest.fixture
def guard() -> Guard:
    return Guard()


@pytest.fixture
def open_page(browser, guard):
    """Factory: ``open_page(url, viewport=PORTRAIT, ready=css_selector, **context_options)`` →
    a loaded Page (after ``ready`` is attached, if given)."""
    contexts = []

    def route(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            guard.external.append(url)
            route.abort("blockedbyclient")

    def on_console(message):
        text = message.text
        if re.search(r"Content.Security.Policy", text, re.I):
            guard.csp.append(text)

    def open_(url: str, viewport: dict = PORTRAIT, ready: str | None = None, **options):
        options = {"locale": "de-DE", **options}  # a German device unless a test says
        context = browser.new_context(
            viewport=viewport,
            device_scale_factor=1,
            has_touch=True,
            timezone_id="Europe/Berlin",
            service_workers="block",
            **options,
        )
        contexts.append(context)
        context.route("**/*", route)
        page = context.new_page()
        page.on("request", lambda request: guard.requests.append(request.url))

        def on_websocket(ws):
            if not is_local(ws.url):
                guard.external.append(ws.url)
            ws.on("framesent", lambda payload: guard.ws_sent.append(str(payload)))

        page.on("websocket", on_websocket)
        page.on("pageerror", lambda error: guard.page_errors.append(str(error)))
        page.on("console", on_console)
        page.goto(url)
        if ready:
            page.locator(ready).first.wait_for()
        return page

    yield open_
    for context in contexts:
        context.close()
    guard.check()
