"""The server's route inventory, read from the real app's url_map (and its Socket.IO handlers),
and who may use each route.

Shared by test_access.py (the access matrix, the headers), test_fuzz_http.py (hostile input
on every route) and test_fuzz_sockets.py (every Socket.IO event). A route added to the app but
not classified here fails test_access.test_every_route_is_classified, so no new route escapes;
a new Socket.IO event fails test_fuzz_sockets.test_every_event_is_known.
"""

from __future__ import annotations

import contextlib
import functools
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# (rule, method) → why anybody may use it.
PUBLIC = {
    ("/", "GET"): "start page with links to the screens",
    ("/kiosk/", "GET"): "the kiosk screen",
    ("/join", "GET"): "the kiosk on a visitor's phone (QR code on the wall)",
    ("/display/", "GET"): "the wall display",
    ("/display/join.svg", "GET"): "the wall's QR code to /join",
    ("/display/announce.wav", "GET"): "spoken calls for the wall display",
    ("/kiosk/speech.wav", "GET"): "the kiosk's screen read aloud, from its own texts only",
    ("/t/<token>", "GET"): "a visitor's status page, guarded by the unguessable token",
    ("/counter/", "GET"): "the clerk's page; its data needs a login",
    ("/admin/", "GET"): "the admin page shell; its data needs an admin login",
    ("/admin/stats", "GET"): "the admin page shell opened at the statistics tab",
    ("/static/<path:filename>", "GET"): "shared CSS/JS/fonts",
    ("/kiosk/static/<path:filename>", "GET"): "kiosk assets",
    ("/counter/static/<path:filename>", "GET"): "counter assets",
    ("/display/static/<path:filename>", "GET"): "display and phone assets",
    ("/admin/static/<path:filename>", "GET"): "admin assets (no data in them)",
    ("/api/health", "GET"): "liveness probe",
    ("/api/services", "GET"): "services and waits, shown on the kiosk and wall",
    ("/api/counters", "GET"): "counter names, shown on the wall",
    ("/api/state", "GET"): "the wall display's snapshot",
    ("/api/districts", "GET"): "the kiosk's district question",
    ("/api/tickets", "POST"): "the kiosk (and other city systems) issue tickets",
    ("/api/checkin", "POST"): "a booked visitor checks in with the booking code",
    ("/api/login", "POST"): "staff log in here",
    ("/api/tickets/<token>", "GET"): "the phone's status, guarded by the token",
    ("/api/tickets/<token>/qr.svg", "GET"): "the kiosk's QR code, guarded by the token",
    ("/api/tickets/<token>/cancel", "POST"): "the visitor gives up, token proves ownership",
    ("/api/tickets/<token>/district", "POST"): "the kiosk's district answer, by token",
    ("/api/tickets/<token>/feedback", "POST"): "the visitor's rating, by token",
}

STAFF = {
    ("/api/logout", "POST"),
    ("/api/me", "GET"),
    ("/api/printer", "GET"),
    ("/api/queue", "GET"),
    ("/api/counters/<int:counter_id>", "GET"),
    ("/api/counters/<int:counter_id>/<action>", "POST"),
    ("/api/services/<int:service_id>/open", "POST"),
    ("/api/tickets/<number>/reprint", "POST"),
}

ADMIN = {
    ("/api/stats", "GET"),
    ("/api/stats.csv", "GET"),
    ("/api/stats.xlsx", "GET"),
    ("/api/admin/appointments", "GET"),
    ("/api/admin/appointments", "POST"),
    ("/api/admin/appointments/<int:appointment_id>/cancel", "POST"),
    ("/api/admin/appointments/import", "POST"),
    ("/api/admin/counters", "GET"),
    ("/api/admin/counters", "POST"),
    ("/api/admin/counters/<int:counter_id>", "PUT"),
    ("/api/admin/day/close", "POST"),
    # The LAN addresses and QR codes for setting up tablets: no secret on the LAN, but a map
    # of the server's interfaces is for the admin only, like the rest of the set-up.
    ("/api/admin/devices/urls", "GET"),
    ("/api/admin/events", "GET"),
    ("/api/admin/events", "POST"),
    ("/api/admin/events/<int:event_id>", "PUT"),
    ("/api/admin/printer/test", "POST"),
    ("/api/admin/printer/tickets", "GET"),
    ("/api/admin/services", "GET"),
    ("/api/admin/services", "POST"),
    ("/api/admin/services/<int:service_id>", "PUT"),
    ("/api/admin/site", "GET"),
    ("/api/admin/site", "PUT"),
    ("/api/admin/site.toml", "GET"),
    ("/api/admin/users", "GET"),
    ("/api/admin/users", "POST"),
    ("/api/admin/users/<int:user_id>", "PUT"),
    ("/api/admin/users/<int:user_id>/password", "POST"),
    ("/api/admin/venue", "GET"),
    ("/api/admin/venue", "PUT"),
    ("/admin/report", "GET"),
    ("/admin/stats/chart/<name>.svg", "GET"),
    ("/admin/printer/tickets/<name>", "GET"),
}

# A valid body per (rule, method) that changes something: the fuzzer replaces one field at a
# time with hostile values, so each check behind the first one is reached too. None: the route
# reads no body (it is still sent malformed ones). Placeholders in <> are filled in by the test
# (ids of throw-away objects it created). Every changing route must be listed.
BODIES: dict[tuple[str, str], dict | None] = {
    ("/api/tickets", "POST"): {"service": 1, "lang": "de", "priority": True},
    ("/api/checkin", "POST"): {"code": "ABC234", "lang": "en"},
    ("/api/login", "POST"): {"username": "clerk1", "password": "wrong-password"},
    ("/api/logout", "POST"): None,
    ("/api/tickets/<token>/cancel", "POST"): None,
    ("/api/tickets/<token>/district", "POST"): {"district": "3"},
    ("/api/tickets/<token>/feedback", "POST"): {"rating": 4, "district": "Bilk"},
    ("/api/tickets/<number>/reprint", "POST"): None,
    ("/api/services/<int:service_id>/open", "POST"): {"open": None},
    ("/api/counters/<int:counter_id>/<action>", "POST"): {
        "service": 2,
        "number": "A001",
        "cases": [{"service": 1, "count": 2}],
        "services": [1, 2, 3],
    },
    ("/api/admin/appointments", "POST"): {
        "day": "2030-01-07",
        "slot": "09:00",
        "service": 1,
        "name": "Frau Test",
        "code": "",
    },
    ("/api/admin/appointments/<int:appointment_id>/cancel", "POST"): None,
    ("/api/admin/appointments/import", "POST"): None,  # multipart: see the fuzz test
    ("/api/admin/counters", "POST"): {"name": "Fuzz", "enabled": True, "services": [1]},
    ("/api/admin/counters/<int:counter_id>", "PUT"): {
        "name": "Fuzz 2",
        "enabled": True,
        "services": [1, 2],
    },
    ("/api/admin/day/close", "POST"): {"confirm": True},
    ("/api/admin/events", "POST"): {
        "id": "fuzz-1",
        "name": "Fuzz",
        "place": "Halle",
        "address": "Weg 1",
        "district": "3",
        "first_day": "2030-01-01",
        "last_day": "2030-01-02",
        "current": False,
    },
    ("/api/admin/events/<int:event_id>", "PUT"): {
        "name": "Fuzz",
        "place": "Halle",
        "district": 3,
        "first_day": "2030-01-01",
        "last_day": "2030-01-03",
        "current": False,
    },
    ("/api/admin/printer/test", "POST"): None,
    ("/api/admin/services", "POST"): {
        "name": "Fuzz",
        "prefix": "Z",
        "minutes": 7.5,
        "description": "d",
        "names": {"en": "Fuzz"},
        "descriptions": {"en": "d"},
        "enabled": False,
        "priority": 0,
        "sort": 5,
    },
    ("/api/admin/services/<int:service_id>", "PUT"): {
        "name": "Fuzz",
        "prefix": "Y",
        "minutes": 9,
        "description": "d",
        "names": {"en": "Fuzz"},
        "descriptions": {"en": "d"},
        "enabled": False,
        "priority": 1,
        "sort": 5,
    },
    ("/api/admin/site", "PUT"): {"toml": "<site>"},
    ("/api/admin/users", "POST"): {
        "username": "fuzzer",
        "password": "fuzz-password",
        "role": "clerk",
        "name": "Fuzz",
    },
    ("/api/admin/users/<int:user_id>", "PUT"): {
        "name": "Fuzz",
        "role": "clerk",
        "active": True,
        "password": "victim-password",
    },
    ("/api/admin/users/<int:user_id>/password", "POST"): {"password": "victim-password"},
    ("/api/admin/venue", "PUT"): {
        "name": "Fuzz-Büro",
        "ticker": "t",
        "ticket_text": "x",
        "opening": {
            "hours": "08:00-18:00",
            "weekdays": {"sat": "closed"},
            "dates": [],
            "closing_margin_min": 0,
        },
    },
}

# The fields each counter action reads from the body above (the simple actions read none).
COUNTER_ACTION_FIELDS = {
    "next": ("cases",),
    "finish": ("cases",),
    "transfer": ("service",),
    "serve": ("service",),
    "call": ("number",),
    "cases": ("cases",),
    "services": ("services",),
}

# The query parameters a route reads, with valid values (a fresh server answers 200); the fuzzer
# replaces one at a time (and adds junk to every route's query).
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("/api/stats", "GET"): {"from": "2030-01-01", "to": "2030-01-02", "event": "1"},
    ("/api/stats.csv", "GET"): {"from": "2030-01-01", "to": "2030-01-02", "table": "by_day"},
    ("/api/stats.xlsx", "GET"): {"from": "2030-01-01", "to": "2030-01-02", "event": "1"},
    ("/api/admin/appointments", "GET"): {"day": "2030-01-07"},
    ("/display/announce.wav", "GET"): {"number": "A017", "counter": "1", "lang": "de"},
    ("/kiosk/speech.wav", "GET"): {
        "language": "tr",
        "say": "choose,services,your_number,number,ahead,wait_time",
        "services": "1,2",
        "number": "A017",
        "n": "3",
        "min": "75",
    },
    ("/admin/report", "GET"): {"from": "2030-01-01", "to": "2030-01-02", "event": "1"},
    ("/admin/stats/chart/<name>.svg", "GET"): {"from": "2030-01-01", "to": "2030-01-02"},
}


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    endpoint: str
    arguments: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.method)

    @property
    def access(self) -> str | None:
        if self.key in PUBLIC:
            return "public"
        if self.key in STAFF:
            return "staff"
        if self.key in ADMIN:
            return "admin"
        return None

    @property
    def changing(self) -> bool:
        return self.method in CHANGING

    @property
    def static(self) -> bool:
        return self.endpoint == "static" or self.endpoint.endswith(".static")

    def url(self, **values: object) -> str:
        """The rule with its arguments filled in (quoted as given: callers pass raw tricks)."""
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m[1]]), self.rule)


@dataclass(frozen=True)
class Inventory:
    routes: tuple[Route, ...]
    # URL prefix of each static route → its folder on disk.
    static_folders: tuple[tuple[str, Path], ...]
    # (namespace, event) of every Socket.IO handler the server registered.
    events: tuple[tuple[str, str], ...] = ()

    def static_urls(self) -> list[str]:
        """Every file the server serves from a static folder, as a URL path."""
        urls = []
        for prefix, folder in self.static_folders:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    urls.append(prefix + quote(path.relative_to(folder).as_posix()))
        return urls


@functools.cache
def inventory() -> Inventory:
    """Build the real app in this process against a throw-away data dir and read its url_map."""
    from wartemarke.app import create_app
    from wartemarke.config import Settings

    data_dir = Path(tempfile.mkdtemp(prefix="wartemarke-routes-"))
    try:
        app = create_app(Settings(data_dir=data_dir, printer="none"), async_mode="threading")
        app.extensions["wartemarke"].store.dispose()
        routes = []
        folders = []
        for rule in app.url_map.iter_rules():
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append(
                    Route(rule.rule, method, rule.endpoint, tuple(sorted(rule.arguments)))
                )
            if rule.endpoint == "static":
                folders.append((rule.rule.split("<")[0], Path(app.static_folder)))
            elif rule.endpoint.endswith(".static"):
                blueprint = app.blueprints[rule.endpoint.rsplit(".", 1)[0]]
                folders.append((rule.rule.split("<")[0], Path(blueprint.static_folder)))
        handlers = app.extensions["socketio"].server.handlers
        events = tuple(sorted((ns, event) for ns, found in handlers.items() for event in found))
        return Inventory(
            tuple(sorted(routes, key=lambda r: (r.rule, r.method))), tuple(sorted(folders)), events
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def routes() -> tuple[Route, ...]:
    return inventory().routes


def db_digest(data_dir: Path) -> dict[str, int]:
    """Row count of every table of a server's SQLite database (read-only, while it runs)."""
    db = data_dir / "wartemarke.sqlite3"
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
        tables = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not row[0].startswith("sqlite_")
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
