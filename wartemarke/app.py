"""The application factory: store, operations, live hub, auth, API and the screens."""

from __future__ import annotations

import logging
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, has_request_context, jsonify, render_template, request
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import housekeeping, i18n
from .admin_api import admin_api
from .api import api
from .auth import init_auth
from .bootstrap import StartReport, apply_site, ensure_accounts
from .clock import Clock
from .config import ConfigError, Settings
from .domain.model import DomainError
from .hub import Hub
from .operations import Operations
from .printers import PrinterConfigError
from .printing import Spooler
from .speech import Speaker
from .store import Store, open_store
from .store.database import StorageError, storage_error
from .throttle import DeviceThrottle

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


@dataclass
class Wartemarke:
    """Everything a request needs, kept in ``app.extensions['wartemarke']``."""

    settings: Settings
    store: Store
    ops: Operations
    hub: Hub
    clock: Clock
    socketio: SocketIO
    report: StartReport
    throttle: DeviceThrottle
    speaker: Speaker
    public_base_url: Callable[[], str]


def secret_key(data_dir: Path) -> bytes:
    """Kept in the data dir, so clerks stay logged in across a restart."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_bytes(secrets.token_bytes(32))
        path.chmod(0o600)
    return path.read_bytes()


def lan_address() -> str:
    """The address other devices on the LAN reach this machine by (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.254.254.254", 1))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def public_base_url(settings: Settings) -> Callable[[], str]:
    """The base URL phones reach this server by: configured, else what the requesting device
    used, else (a kiosk on the server itself opens 127.0.0.1, which no phone can reach) the LAN
    address."""
    fixed = settings.public_url or settings.site.public_url
    lan = f"{'https' if settings.certfile else 'http'}://{lan_address()}:{settings.port}"

    def base() -> str:
        if fixed:
            return fixed
        if not has_request_context():
            return lan
        host = request.host.rsplit(":", 1)[0]
        return lan if host in ("localhost", "127.0.0.1", "[::1]") else request.host_url

    return base


def status_url_builder(settings: Settings) -> Callable[[str], str]:
    base = public_base_url(settings)
    return lambda token: f"{base().rstrip('/')}/t/{token}"


def start_spooler(settings: Settings, store: Store, clock: Clock, hub: Hub) -> Spooler | None:
    if settings.printer_url.lower() == "none":
        return None
    try:
        spooler = Spooler(
            store, clock, settings.printer_url, settings.data_dir, on_change=hub.publish_printer
        )
    except PrinterConfigError as exc:
        raise ConfigError(str(exc)) from None
    spooler.start()
    return spooler


class IdConverter(IntegerConverter):
    """``<int:…>`` in a URL is an id: one past the database's integers is 404, not a 500."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(settings: Settings, async_mode: str = "gevent") -> Flask:
    app = Flask("wartemarke")
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        SECRET_KEY=secret_key(settings.data_dir),
        MAX_CONTENT_LENGTH=MAX_BODY,
        LOGIN_LIMIT=settings.login_limit,
        CHECKIN_LIMIT=settings.checkin_limit,
        TICKET_LIMIT=None if settings.ticket_limit == "off" else settings.ticket_limit,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    app.json.ensure_ascii = False  # umlauts as text, not \u escapes
    app.json.sort_keys = False
    clock = Clock(settings.site.timezone, start=settings.clock_start, file=settings.clock_file)
    if settings.clock_start is not None:
        log.warning(
            "WARTEMARKE_CLOCK_START is set: the clock started at %s and runs on from there "
            "(rehearsals and tests only, never in normal operation)",
            settings.clock_start.isoformat(),
        )
    if settings.clock_file is not None:
        log.warning(
            "WARTEMARKE_CLOCK_FILE is set: the time stands still at what %s says, now %s "
            "(rehearsals and tests only, never in normal operation)",
            settings.clock_file,
            clock.local().isoformat(),
        )
    store = open_store(settings.database_url)
    apply_site(store, settings, clock)
    report = ensure_accounts(store, settings, clock)

    socketio = SocketIO(
        app,
        async_mode=async_mode,
        ping_interval=settings.ping_interval,
        ping_timeout=settings.ping_timeout,
        message_queue=settings.message_queue,
        manage_session=False,
    )
    if settings.proxy_hops:
        # Outermost (around Socket.IO too): the client's address and scheme as the proxy saw
        # them. Never by default: without a proxy the header would be the client's own word.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    hub = Hub(socketio)
    ops = Operations(store, clock, publish=hub.publish, status_url=status_url_builder(settings))
    ops.rules_source = lambda: settings.site.appointments
    hub.bind(ops)
    ops.spooler = start_spooler(settings, store, clock, hub)
    app.extensions["wartemarke"] = Wartemarke(
        settings,
        store,
        ops,
        hub,
        clock,
        socketio,
        report,
        DeviceThrottle(**settings.kiosk_pace),
        Speaker(settings.data_dir / "speech"),
        public_base_url(settings),
    )

    housekeeping.start(socketio, ops, settings.housekeeping_interval)

    init_auth(app, store)
    i18n.init_app(app)
    # Over HTTPS a login cookie never travels in clear text (a plain LAN keeps HTTP's default).
    app.config.update(SESSION_COOKIE_SECURE=settings.secure, REMEMBER_COOKIE_SECURE=settings.secure)
    app.register_blueprint(api)
    app.register_blueprint(admin_api)
    _register_screens(app)
    _error_handlers(app)
    _security_headers(app)
    return app


def _register_screens(app: Flask) -> None:
    from .admin import bp as admin
    from .counter import bp as counter
    from .display import bp as display
    from .display import phone
    from .kiosk import bp as kiosk
    from .kiosk import join

    for blueprint in (kiosk, join, counter, display, phone, admin):
        app.register_blueprint(blueprint)

    @app.get("/")
    def start_page():
        state = app.extensions["wartemarke"]
        return render_template(
            "index.html", venue=state.ops.venue().get("name", ""), base_url=state.public_base_url()
        )


def _error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        code = {404: "not_found", 400: "bad_request", 429: "too_many_requests"}.get(
            exc.status, "conflict"
        )
        # A use case may name the error more precisely (details["error"], e.g. "slot_full").
        return jsonify({"error": code, "message": exc.message, **exc.details}), exc.status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return jsonify(error="csrf", message=f"CSRF check failed: {exc.description}"), 403

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        name = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(error=name, message=exc.description), exc.code

    @app.errorhandler(StorageError)
    def storage_unavailable(exc: StorageError):
        # The database's trouble, not the program's: one line in the log (a full disk would
        # otherwise bury it in tracebacks), the user a message and when to try again.
        log.error("storage error on %s %s: %s", request.method, request.path, exc)
        body = {"error": exc.error, "message": exc.message, "retry_after": exc.retry_after}
        return jsonify(body), 503, {"Retry-After": str(exc.retry_after)}

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        if (problem := storage_error(exc)) is not None:  # raised past the Store
            return storage_unavailable(problem)
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(error="internal", message="Unexpected error; it has been logged."), 500

    socketio = app.extensions.get("socketio")
    if socketio is not None:

        @socketio.on_error_default
        def socket_error(exc: Exception):
            """A Socket.IO handler met a storage error: log one line; a connecting screen is
            refused (it reconnects by itself), any other event goes unanswered."""
            problem = storage_error(exc)
            if problem is None:
                raise exc  # as without this handler: python-socketio logs it in full
            event = getattr(request, "event", None) or {}
            name = event.get("message")
            log.error("storage error on Socket.IO %s %s: %s", request.namespace, name, problem)
            return False if name == "connect" else None


def _security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "no-referrer")  # status pages carry a secret token
        h.setdefault("X-Frame-Options", "SAMEORIGIN")
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
            "connect-src 'self' ws: wss:; frame-ancestors 'self'; base-uri 'self'; "
            "form-action 'self'",
        )
        if request.path.startswith("/api/"):
            h.setdefault("Cache-Control", "no-store")
        return response
