"""Hostile input on every HTTP route, as anonymous, clerk and admin, against a real server.

Every (rule, method) of the app's url_map (routes.py) gets tricky path values, tricky query
strings, odd headers, malformed bodies, wrong content types and, one field of a valid body at a
time, hostile values. For every answer: never a 5xx; a 4xx is a JSON error with "error" and
"message" (or a page in words); the server stays healthy and logs no traceback; and a batch of
requests that were all refused (or only read) changes nothing: neither /api/state nor the row
count of any table. test_bad_input.py has the first, hand-picked cases; this file is the sweep.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Server, site_with_counters
from tests.integration.routes import (
    BODIES,
    COUNTER_ACTION_FIELDS,
    QUERIES,
    Route,
    db_digest,
    routes,
)
from wartemarke.api import SIMPLE_ACTIONS

SITE = (
    site_with_counters(2)
    + """
[appointments]
prefix = "T"
slot_minutes = 20
counters = 1
"""
)
# The login and check-in limits would lock the fuzzer out after ten wrong passwords; they have
# their own tests (test_auth.py, test_appointments.py).
ENV = {"WARTEMARKE_LOGIN_LIMIT": "100000/minute", "WARTEMARKE_CHECKIN_LIMIT": "100000/minute"}
BODY_LIMIT = 64 * 1024  # wartemarke.app.MAX_BODY

HOSTILE: list = [
    None,
    True,
    False,
    0,
    -1,
    2**31,
    2**63,
    -(2**70),
    10**400,
    1.5,
    -0.0,
    1e308,
    float("inf"),  # sent as Infinity, which Python's JSON parser accepts
    "",
    "   ",
    "x" * 5000,
    "Ä€𝄞ß",
    "\u202eevil\u202c",
    "zero\u200bwidth\ufeff",
    "😀" * 40,
    "\ud800",  # a lone surrogate: valid JSON ("\ud800"), no valid text
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "nul\x00byte",
    "1",
    " 2 ",
    "²",  # isdigit() but not int()-able
    "٣",
    "9" * 30,
    "2030-02-30",
    [],
    [None, "a", 1.5],
    [{"service": "x"}] * 3,
    {},
    {"a": {"b": [None, {}]}},
    {"en": None, "__proto__": 1},
]
# Always sent; the staff runs add a few more of HOSTILE per field (the anonymous run all).
CORE = [None, True, 2**63, 1.5, "", "x" * 5000, "\ud800", "²", [], {}]
# Routes where every accepted password costs a scrypt hash (0.15 s): fewer string values.
SLOW = {
    ("/api/login", "POST"),
    ("/api/admin/users", "POST"),
    ("/api/admin/users/<int:user_id>", "PUT"),
    ("/api/admin/users/<int:user_id>/password", "POST"),
}
# Raw bodies that are no JSON object (or no JSON at all).
MALFORMED: list[bytes] = [
    b"",
    b"{",
    b"}",
    b"[]",
    b"null",
    b"42",
    b'"text"',
    b"NaN",
    b'{"a": NaN, "b": -Infinity}',
    b'{"a": 1, "a": 2}',
    b"{'single': 'quotes'}",
    b'{"x": "\\ud800\\udfff\\u0000"}',
    b"\xff\xfe\x00\x00garbage",
    b"\xef\xbb\xbf{}",
    '{"ä": "ü"}'.encode("utf-16"),
    b"[" * 20000 + b"]" * 20000,  # deeper than the parser goes, still under the body limit
    b'{"a":' * 10000 + b"1" + b"}" * 10000,
    b"1" * 30000,  # more digits than int() takes
    b"<xml/>",
    b"a=1&b=2",
]
CONTENT_TYPES = [
    "text/plain",
    "application/xml",
    "multipart/form-data",  # without a boundary
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",
    "application/json; charset=utf-16",
    "application/json; charset=nonsense",
]
PATH_TRICKS = [
    "0",
    "-1",
    "99999999999999999999999",
    "abc",
    "..%2f..%2fwartemarke%2fapp.py",
    "..",
    "%00",
    "%ff%fe",
    "%C3%A4%E2%80%AE%F0%9F%98%80",
    "a%20b%0d%0aSet-Cookie:%20x=1",
    "x" * 5000,
    "%252e%252e",
    "A001",
    "1.5",
]
FILENAME_TRICKS = [
    "../app.py",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e/%2e%2e/wartemarke/app.py",
    "/etc/passwd",
    "i18n/",
    "i18n/../../__init__.py",
]
QUERY_TRICKS = [
    "",
    "x" * 5000,
    "%00",
    "%ff",
    "2030-02-30",
    "9999-12-31",
    "0001-01-01",
    "2030-01-01T00:00",
    "-1",
    "99999999999999999999",
    "%E2%80%AE",
    "<script>",
    "a&from=2030-01-01&from=2031-01-01",
]
HEADERS = [
    {"X-Wartemarke-Device": "x" * 5000},
    {"X-Wartemarke-Device": "ä\u202e".encode()},
    {"X-CSRFToken": "x" * 5000},
    {"X-CSRFToken": "\xff"},
    {"Accept-Language": "\u202e".encode() * 300},
    {"Cookie": "session=" + "A" * 3000},
    {"Cookie": "session=.eJxLLE.x.y; session=z"},
    {"Host": "evil.example"},
    {"Host": "[::1"},
    {"Host": "a b:99999999"},
    {"Host": "x" * 300 + ":-1"},
    {"Content-Length": "0"},
]
STATIC_FILE = {
    "/static/<path:filename>": "js/live.js",
    "/kiosk/static/<path:filename>": "kiosk.js",
    "/counter/static/<path:filename>": "counter.js",
    "/display/static/<path:filename>": "display.js",
    "/admin/static/<path:filename>": "admin.js",
}
# Hostile values one level down, inside fields that are lists or objects.
NESTED = {
    ("/api/admin/counters", "POST"): [lambda base, v: {**base, "services": [1, v]}],
    ("/api/admin/counters/<int:counter_id>", "PUT"): [lambda base, v: {"services": [v]}],
    ("/api/admin/services", "POST"): [
        lambda base, v: {**base, "prefix": "W", "names": {"en": v}},
        lambda base, v: {**base, "prefix": "V", "descriptions": {"tr": v}},
    ],
    ("/api/admin/services/<int:service_id>", "PUT"): [
        lambda base, v: {"names": {"en": v}},
        lambda base, v: {"names": {str(v)[:50]: "x"}},
    ],
    ("/api/admin/venue", "PUT"): [
        lambda base, v: {"opening": {"hours": v}},
        lambda base, v: {"opening": {"weekdays": {"mon": v}}},
        lambda base, v: {"opening": {"weekdays": {str(v)[:20]: "09:00-10:00"}}},
        lambda base, v: {"opening": {"dates": [v]}},
        lambda base, v: {"opening": {"closing_margin_min": v}},
    ],
}
# Site file tables with mistyped values, appended to the server's own site file. TOML has
# types JSON lacks (dates, times), and arrays or tables where text belongs.
TOML_CORE = [
    "99999999999999999999",  # past any database integer
    "-1",
    "inf",
    "nan",
    '"\\u202e\\u0000"',  # a control character, fine in TOML, not in an XLSX export
    '["mon"]',
    "5",
    "1979-05-27T07:32:00Z",
]
TOML_VALUES = TOML_CORE + [
    "true",
    '""',
    '"x"',
    '"2026-13-45"',
    "1979-05-27",
    "07:32:00",
    "[]",
    "[1979-05-27]",
    "[[1], [2]]",
    "{}",
    "{ mon = [1] }",
    '{ "x" = { "y" = 1 } }',
]
TOML_KEYS = {
    "[opening]": ["hours", "weekdays", "dates", "closing_margin_min"],
    "[counter]": ["recalls_before_no_show"],
    "[kiosk]": ["burst", "seconds_per_ticket", "ask_district"],
    "[event]": ["name", "id", "district", "first_day", "last_day"],
    "[[services]]": ["id", "name", "prefix", "minutes", "names", "enabled"],
    "[[counters]]": ["id", "name", "services"],
    "[data]": ["retention_days"],
    "[printer]": ["url"],
}


def site_variants(site: str) -> list[str]:
    """The site file with one more table holding one mistyped value. A new service gets an id
    and a prefix of its own (site files add services, they never delete them), so that every
    variant meets the check under attack, not a clash with the one before."""
    variants = []
    for table, keys in TOML_KEYS.items():
        for key in keys:
            # Each key gets the values that once broke something, and a fixed sample of the rest.
            sample = random.Random(table + key).sample(TOML_VALUES[len(TOML_CORE) :], 4)
            for value in TOML_CORE + sample:
                n = len(variants)
                fields = {}
                if table == "[[services]]":
                    prefix = "Q" + chr(65 + n // 26 % 26) + chr(65 + n % 26)
                    fields = {"id": str(100 + n), "name": '"N"', "prefix": f'"{prefix}"'}
                    fields["minutes"] = "5"
                if table == "[[counters]]":
                    fields = {"id": str(100 + n), "name": '"C"', "services": "[1]"}
                fields[key] = value
                body = "".join(f"{k} = {v}\n" for k, v in fields.items())
                variants.append(f"{site}\n{table}\n{body}")
    return variants


NESTED_CASES = [
    lambda v: {"cases": [{"service": v}]},
    lambda v: {"cases": [{"service": 1, "count": v}]},
    lambda v: {"cases": [v]},
    lambda v: {"services": [v]},
]


@dataclass
class Target:
    """A running server set up for fuzzing: accounts, tickets, a victim user, an event and an
    appointment, so every path argument has a real value to stand next to the attacked one."""

    server: Server
    token: str = ""
    number: str = ""
    victim: int = 0
    event: int = 0
    appointment: int = 0

    def path_values(self, route: Route) -> dict[str, str]:
        return {
            "token": self.token,
            "number": self.number,
            "counter_id": "1",
            "service_id": "3",
            "user_id": str(self.victim),
            "event_id": str(self.event),
            "appointment_id": str(self.appointment),
            "action": "pause",
            "name": "hours",
            "filename": STATIC_FILE.get(route.rule, ""),
        }


@pytest.fixture
def target(make_server) -> Target:
    server = make_server(site=SITE, clerks=1, env=ENV)
    server.add_users([("boss", "secret-boss", "admin"), ("victim", "victim-password", "clerk")])
    boss = server.login("boss", "secret-boss")
    tickets = [server.issue(1 + i % 3) for i in range(6)]
    users = boss.get(server.url + "/api/admin/users").json()
    event = boss.post(server.url + "/api/admin/events", json={"name": "Einsatz", "id": "e1"})
    assert event.status_code == 201, event.text
    booked = boss.post(
        server.url + "/api/admin/appointments",
        json={"day": "2030-01-07", "slot": "09:20", "service": 2},
    )
    assert booked.status_code == 201, booked.text
    return Target(
        server,
        token=tickets[0]["token"],
        number=tickets[0]["number"],
        victim=next(u["id"] for u in users if u["username"] == "victim"),
        event=event.json()["id"],
        appointment=booked.json()["id"],
    )


def allowed_5xx(route: Route, r: requests.Response) -> bool:
    """503 is the contract where a device is away: the printer (test page), and espeak-ng (the
    wall display then speaks with the browser's voice)."""
    return (
        r.status_code == 503
        and route.key in {("/api/admin/printer/test", "POST"), ("/display/announce.wav", "GET")}
        and r.json()["error"] in ("printer_unavailable", "service_unavailable")
    )


def check_answer(route: Route, r: requests.Response, where: str) -> None:
    assert r.status_code < 500 or allowed_5xx(route, r), (where, r.status_code, r.text[:500])
    if r.status_code < 400:
        return
    kind = r.headers.get("Content-Type", "")
    if kind.startswith("application/json"):
        body = r.json()
        assert isinstance(body, dict), (where, r.text[:300])
        assert isinstance(body.get("error"), str) and body["error"], (where, r.text[:300])
        assert isinstance(body.get("message"), str) and body["message"], (where, r.text[:300])
    else:
        # A page for people (the phone's unknown ticket, the admin report): words, no internals.
        assert kind.startswith(("text/html", "text/plain")), (where, kind)
        assert r.text.strip() and "Traceback" not in r.text, (where, r.text[:300])


def json_request(body) -> dict:
    return {"data": json.dumps(body).encode(), "headers": {"Content-Type": "application/json"}}


def junk_query(query: dict, name: str, trick: str) -> str:
    return "&".join(f"{k}={trick if k == name else v}" for k, v in query.items())


# The access levels each role may use (routes.Route.access).
REACH = {
    "anonymous": {"public"},
    "clerk": {"public", "staff"},
    "admin": {"public", "staff", "admin"},
}


def may_use(role: str, route: Route) -> bool:
    return route.access in REACH[role]


@dataclass
class Fuzzer:
    target: Target
    role: str  # "anonymous", "clerk" or "admin"
    session: requests.Session = field(init=False)
    sent: int = 0
    log_seen: int = 0

    def __post_init__(self) -> None:
        self.session = self._login()

    def _login(self) -> requests.Session:
        if self.role == "anonymous":
            return requests.Session()
        name, password = {"clerk": ("clerk1", "secret-1"), "admin": ("boss", "secret-boss")}[
            self.role
        ]
        return self.target.server.login(name, password)

    @property
    def url(self) -> str:
        return self.target.server.url

    def values(self, key: tuple, name: str) -> list:
        """Every hostile value for the anonymous run; a fixed sample per field for staff."""
        if key in SLOW:
            return [v for v in HOSTILE if not isinstance(v, str)] + ["", "x" * 5000, "\ud800"]
        if self.role == "anonymous":
            return HOSTILE
        rest = [v for v in HOSTILE if repr(v) not in {repr(c) for c in CORE}]
        return CORE + random.Random(f"{key}{name}").sample(rest, 6)

    def state(self) -> tuple:
        return (
            requests.get(self.url + "/api/state", timeout=10).json(),
            db_digest(self.target.server.data_dir),
        )

    def send(self, route: Route, path: str, what: str, **kwargs) -> requests.Response:
        where = f"{self.role} {route.method} {path[:200]} ({what}) {repr(kwargs)[:300]}"
        # requests' cookie jar cannot parse a URL with a broken Host: those go without cookies.
        session = requests if "Host" in kwargs.get("headers", {}) else self.session
        try:
            r = session.request(route.method, self.url + path, timeout=30, **kwargs)
        except requests.ConnectionError as exc:
            pytest.fail(f"{where}: {exc}")
        self.sent += 1
        try:
            check_answer(route, r, where)
        except AssertionError as exc:  # with the server's side of the story
            log = self.target.server.log()[-4000:]
            raise AssertionError(f"{exc}\n--- server log:\n{log}") from None
        return r

    def settle(self, where: str) -> None:
        """After each group of requests: still healthy, no traceback, still logged in."""
        r = requests.get(self.url + "/api/health", timeout=10)
        assert r.status_code == 200 and r.json()["ok"] is True, where
        log = self.target.server.log()
        new, self.log_seen = log[self.log_seen :], len(log)
        assert "Traceback" not in new, (where, new[-3000:])
        # Logout (or the admin's own changes) may end the session: log in again.
        if self.role != "anonymous" and self.session.get(self.url + "/api/me").status_code != 200:
            self.session = self._login()

    def batch(self, route: Route, what: str, sends: list[tuple[str, dict]]) -> list[int]:
        """Send all; if none succeeded (or the route only reads), nothing may have changed."""
        before = self.state()
        codes = [self.send(route, path, what, **kwargs).status_code for path, kwargs in sends]
        if route.method == "GET" or all(code >= 400 for code in codes):
            assert self.state() == before, (self.role, route.key, what, codes)
        self.settle(f"{self.role} {route.key} {what}")
        return codes

    def depth(self, route: Route) -> str:
        """ "full" on the routes of the role's own level, "fields" (valid body, one field at a
        time) on the lower levels' routes, which other runs sweep fully, "refused" above."""
        if not may_use(self.role, route):
            return "refused"
        own = {"anonymous": "public", "clerk": "staff", "admin": "admin"}[self.role]
        return "full" if route.access == own else "fields"

    def run(self, route: Route) -> None:
        values = self.target.path_values(route)
        url = route.url(**values)
        depth = self.depth(route)
        if depth == "refused":
            # Checked before anything is read: a few of each kind show that, all must fail.
            sends = [(f"{url}?q={t}", {}) for t in QUERY_TRICKS[1:4]]
            sends += [(url, {"headers": h}) for h in HEADERS[2:6]]
            if route.changing:
                sends += [(url, {"data": b}) for b in MALFORMED[:3] + MALFORMED[15:16]]
                sends.append((url, json_request(BODIES[route.key] or {"confirm": True})))
            if route.arguments:
                sends += [(u, {}) for u in self._path_variants(route, values)]
            codes = self.batch(route, "refused", sends)
            assert all(c in (401, 403, 404, 405) for c in codes), (self.role, route.key, codes)
            return
        if depth == "full":
            self._path_and_query(route, url, values)
        if not route.changing:
            return
        base = BODIES[route.key]
        if base is None:
            # The route reads no body: it may succeed whatever it is sent; only no 5xx.
            for body in MALFORMED[:4] + MALFORMED[15:17]:
                self.send(route, url, "ignored body", data=body)
            self.settle(f"{self.role} {route.key} ignored body")
            return
        if depth == "full":
            typed = {"a": 1} if route.key in SLOW else base
            malformed = [
                (url, {"data": b, "headers": {"Content-Type": "application/json"}})
                for b in MALFORMED
            ]
            malformed += [
                (url, {"data": json.dumps(typed), "headers": {"Content-Type": t}})
                for t in CONTENT_TYPES
            ]
            malformed.append((url, {"data": {"service": "1", "toml": "x", "confirm": "true"}}))
            self.batch(route, "malformed", malformed)
        if route.rule == "/api/counters/<int:counter_id>/<action>":
            self._counter_actions(route, values)
            return
        if "<site>" in base.values():
            base = {k: self.target.server.data_dir.joinpath("site.toml").read_text() for k in base}
        self._fields(route, url, base)
        for nested in NESTED.get(route.key, []):
            for value in self.values(route.key, "nested"):
                self.send(route, url, "nested", **json_request(nested(base, value)))
            self.settle(f"{self.role} {route.key} nested")
        if "toml" in base:
            for text in site_variants(base["toml"]):
                self.send(route, url, "site file", **json_request({"toml": text}))
            self.settle(f"{self.role} {route.key} site files")
            self._after_the_site_files()

    def _after_the_site_files(self) -> None:
        """What the accepted site files left behind must not break the screens and exports."""
        kiosk = {"X-Wartemarke-Device": "kiosk-after-site-files"}
        for method, path, kwargs in (
            ("POST", "/api/tickets", {"json": {"service": 1}, "headers": kiosk}),
            ("POST", "/api/tickets", {"json": {"service": 1}, "headers": kiosk}),
            ("GET", "/api/state", {}),
            ("GET", "/api/services", {}),
            ("GET", "/api/admin/site", {}),
            ("GET", "/api/stats.xlsx", {}),
            ("GET", "/api/stats.csv", {}),
            ("GET", "/admin/report", {}),
            ("GET", "/kiosk/", {}),
            ("GET", "/counter/", {}),
            ("GET", "/display/", {}),
        ):
            route = next(r for r in routes() if r.key == (path.split("?")[0], method))
            self.send(route, path, "after the site files", **kwargs)
        self.settle("after the site files")

    @staticmethod
    def _path_variants(route: Route, values: dict) -> list[str]:
        return [
            route.url(**{**values, name: trick})
            for name in route.arguments
            for trick in PATH_TRICKS + (FILENAME_TRICKS if name == "filename" else [])
        ]

    def _path_and_query(self, route: Route, url: str, values: dict) -> None:
        if route.arguments:
            self.batch(route, "path", [(u, {}) for u in self._path_variants(route, values)])
        query = QUERIES.get(route.key, {})
        sends = [(f"{url}?{junk_query(query, n, t)}", {}) for n in query for t in QUERY_TRICKS]
        sends.append((url + "?%ff=%fe&a=1&a=2&%00=x&q=" + "x" * 3000, {}))
        self.batch(route, "query", sends)
        self.batch(route, "headers", [(url, {"headers": h}) for h in HEADERS])

    def _fields(self, route: Route, url: str, base: dict) -> None:
        # The valid body must pass the route's checks (a 409 on a second create is fine):
        # otherwise each mutation below would only ever meet the first check.
        valid = self.send(route, url, "valid", **json_request(base))
        assert valid.status_code != 400, (self.role, route.key, valid.text)
        for name in base:
            others = {k: v for k, v in base.items() if k != name}
            if route.key in SLOW and name != "password" and route.method == "PUT":
                others.pop("password", None)  # optional there: no hash per mutation
            for value in self.values(route.key, name):
                self.send(route, url, f"field {name}", **json_request({**others, name: value}))
            self.send(route, url, f"without {name}", **json_request(others))
            self.settle(f"{self.role} {route.key} field {name}")

    def _counter_actions(self, route: Route, values: dict) -> None:
        base = BODIES[route.key]
        for action in [*SIMPLE_ACTIONS, *COUNTER_ACTION_FIELDS]:
            url = route.url(**{**values, "action": action})
            fields = {k: base[k] for k in COUNTER_ACTION_FIELDS.get(action, ())}
            valid = self.send(route, url, f"{action} valid", **json_request(fields))
            assert valid.status_code != 400, (action, valid.text)
            for name in fields:
                for value in self.values(route.key, name):
                    body = {**fields, name: value}
                    self.send(route, url, f"{action} {name}", **json_request(body))
            if "cases" in fields or "services" in fields:
                for nested in NESTED_CASES:
                    for value in self.values(route.key, "nested"):
                        self.send(route, url, f"{action} nested", **json_request(nested(value)))
            self.settle(f"{self.role} {action}")


def fuzz_all(target: Target, role: str) -> None:
    fz = Fuzzer(target, role)
    started = time.monotonic()
    for route in routes():
        fz.run(route)
    print(f"\n{role}: {fz.sent} requests in {time.monotonic() - started:.1f} s")
    assert fz.sent > 1000


def test_fuzz_every_route_as_anonymous(target):
    fuzz_all(target, "anonymous")


def test_fuzz_every_route_as_clerk(target):
    fuzz_all(target, "clerk")


def test_fuzz_every_route_as_admin(target):
    fuzz_all(target, "admin")


def test_oversized_bodies_are_refused_with_413(target):
    """Over the 64 KiB limit: 413 wherever a body is read (with or without Content-Length);
    never a 5xx where it is not; refused before the login check is fine (401/403)."""
    sessions = {"anonymous": Fuzzer(target, "anonymous"), "admin": Fuzzer(target, "admin")}
    huge = b'{"service": 1, "pad": "' + b"x" * (BODY_LIMIT + 10) + b'"}'
    for role, fz in sessions.items():
        reading = [r for r in routes() if r.changing and BODIES.get(r.key) is not None]
        ignoring = [r for r in routes() if r.changing and BODIES.get(r.key) is None]
        before = fz.state()
        for route in reading:
            url = route.url(**target.path_values(route))
            r = fz.send(route, url, "huge", data=huge, headers={"Content-Type": "application/json"})
            assert r.status_code == (413 if may_use(role, route) else r.status_code), route.key
            assert r.status_code in (401, 403, 413), (role, route.key, r.status_code)
        fz.settle(f"{role} huge bodies")
        assert fz.state() == before, role
        for route in ignoring:  # never read: answered (or refused) as if it were not there
            fz.send(route, route.url(**target.path_values(route)), "huge ignored", data=huge)
        fz.settle(f"{role} huge bodies ignored")
    # Chunked, so the size is unknown up front: refused once the limit is passed.
    fz = sessions["admin"]
    route = next(r for r in routes() if r.key == ("/api/tickets", "POST"))
    chunks = [b'{"service": 1, "pad": "', *[b"x" * 8192] * 20, b'"}']
    r = fz.send(route, "/api/tickets", "chunked", data=iter(chunks))
    assert r.status_code == 413  # not the first 64 KiB parsed as if they were all
    small = [b'{"service": 1,', b' "lang": "en"}']
    assert fz.send(route, "/api/tickets", "chunked small", data=iter(small)).status_code == 201
    # A request line past gevent's 8 KiB: its own 414, before the app (no JSON there).
    r = requests.get(target.server.url + "/api/state?q=" + "x" * 9000)
    assert r.status_code == 414
    fz.settle("chunked and long lines")


def test_uploads_and_form_bodies(target):
    """The one upload route, with hostile files, names and multipart bodies."""
    fz = Fuzzer(target, "admin")
    route = next(r for r in routes() if r.key == ("/api/admin/appointments/import", "POST"))
    url = route.url()
    files = [
        ("termine.csv", b"Datum;Uhrzeit;Dienst\n07.01.2030;09:40;A\n"),  # valid: books
        ("../../../../tmp/evil.csv", b"Datum;Uhrzeit;Dienst\n07.01.2030;10:00;A\n"),
        ("", b"x"),
        ("t.xlsx", b"PK\x03\x04" + b"\x00" * 200),  # a zip header, no workbook
        ("t.xlsx", b"not a zip at all"),
        ("t.csv", b"PK\x03\x04garbage"),
        ("t.csv", b"\xff\xfe\x00\x00\x81\x8d"),
        ("t.csv", "Datum;Uhrzeit;Dienst\n\ud800;x;y\n".encode("utf-8", "surrogatepass")),
        ("t.csv", b"Datum;Uhrzeit;Dienst\n" + b"07.01.2030;09:00;A;" + b"x" * 40000 + b"\n"),
        ("t.csv", b"Datum;Uhrzeit;Dienst\n" + b"2030-01-07;99:99;9999999999999999999999\n"),
        ("t.csv", b"Datum;Uhrzeit;Dienst\n" + b'"unterminated;09:00;A\n'),
        ("t.csv", b"Datum;Uhrzeit;Dienst;Name\n07.01.2030;11:00;A;=cmd|' /C calc'!A0\n"),
        ("t.csv", b"\n\n\n"),
        ("t.csv", b""),
        ("t.txt", b"Datum\tUhrzeit\tDienst\n07.01.2030\t09:00\tA\n"),
        ("t.exe", b"MZ"),
        ("t.csv" + "ä" * 300, b"Datum;Uhrzeit;Dienst\n"),
    ]
    codes = [
        fz.send(route, url, f"file {name[:40]}", files={"file": (name, data)}).status_code
        for name, data in files
    ]
    assert codes[0] == 200, codes
    sends = [
        (url, {"files": {"other": ("t.csv", b"x")}}),
        (url, {"data": {"file": "not a file"}}),
        (
            url,
            {
                "data": b"--x\r\nContent-Disposition: form-data; name=file; filename=a.csv\r\n"
                b"\r\nabc",
                "headers": {"Content-Type": "multipart/form-data; boundary=x"},
            },
        ),
        (url, {"data": b"--x--", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}),
        (url, {"data": b"garbage", "headers": {"Content-Type": "multipart/form-data; boundary="}}),
        (
            url,
            {
                "data": b"--" + b"x" * 100 + b"\r\n",
                "headers": {"Content-Type": "multipart/form-data; boundary=" + "x" * 100},
            },
        ),
        (url, {"files": [("file", ("a.csv", b"")), ("file", ("b.csv", b""))]}),
    ]
    fz.batch(route, "multipart", sends)
    # Form bodies where JSON is expected: refused cleanly, nothing issued.
    for route in routes():
        if route.changing and BODIES.get(route.key) and route.access != "staff":
            values = target.path_values(route)
            fz.batch(route, "form", [(route.url(**values), {"data": {"service": "1"}})])


def test_hypothesis_tickets_and_counter_actions(target):
    """Generated JSON for the kiosk's POST /api/tickets and a clerk's counter actions."""
    url = target.server.url
    clerk = Fuzzer(target, "clerk")
    anonymous = Fuzzer(target, "anonymous")
    tickets = next(r for r in routes() if r.key == ("/api/tickets", "POST"))
    action = next(r for r in routes() if r.rule == "/api/counters/<int:counter_id>/<action>")
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=30)
        | st.sampled_from([1, 2, 3, "1", "de", "en", "A001", "P002"])
    )
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=10,
    )
    keys = st.sampled_from(["service", "lang", "priority", "cases", "count", "number", "x"])
    bodies = st.dictionaries(keys, values, max_size=4) | values

    @settings(max_examples=120, suppress_health_check=list(HealthCheck))
    @given(body=bodies)
    def issue(body):
        r = anonymous.send(tickets, "/api/tickets", "hypothesis", **json_request(body))
        assert r.status_code in (201, 400, 404, 409), r.text
        if r.status_code == 201:
            assert isinstance(body, dict) and int(str(body["service"]).strip()) in (1, 2, 3)

    @settings(max_examples=120, suppress_health_check=list(HealthCheck))
    @given(
        verb=st.sampled_from([*SIMPLE_ACTIONS, *COUNTER_ACTION_FIELDS]),
        counter=st.sampled_from([1, 2, 0, 3, 2**31 - 1]),
        body=bodies,
    )
    def act(verb, counter, body):
        path = action.url(counter_id=counter, action=verb)
        r = clerk.send(action, path, "hypothesis", **json_request(body))
        assert r.status_code in (200, 400, 404, 409), r.text

    issue()
    anonymous.settle("hypothesis tickets")
    act()
    clerk.settle("hypothesis counter actions")
    assert requests.get(url + "/api/health").json()["ok"] is True
