"""The public JSON API under /api/. Each route parses, calls one operation, answers.

The contract (documented in the README) is used by other city systems and by our own screens.
"""

from __future__ import annotations

import math
import re
import time

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import RequestEntityTooLarge

from . import __version__
from .auth import authenticate, limiter, staff_required
from .districts import OUTSIDE, STADTBEZIRKE, district_of
from .domain.model import DomainError, Invalid, NotFound
from .operations import Operations
from .qr import qr_svg
from .stats import collect, parse_range

api = Blueprint("api", __name__, url_prefix="/api")

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
NUMBER_RE = re.compile(r"^[A-Za-z]{1,3}\d{1,5}$")


class TooFast(DomainError):
    status = 429

    def __init__(self, wait: float) -> None:
        super().__init__(
            "Too many tickets from this kiosk; please wait a moment.",
            retry_after=math.ceil(wait),
        )


def ops() -> Operations:
    return current_app.extensions["wartemarke"].ops


def json_body() -> dict:
    data = request.get_data()
    if request.content_length is None and len(data) >= current_app.config["MAX_CONTENT_LENGTH"]:
        # Chunked, so no length to refuse up front: werkzeug stops reading at the limit
        # without a word, and half a body would be parsed as if it were all of it.
        raise RequestEntityTooLarge()
    try:
        body = request.get_json(force=True, silent=True)
    except RecursionError:  # "[[[[…" nested deeper than the parser goes; silent= misses it
        raise Invalid("The request body is nested too deeply.") from None
    if body is None and not data:
        return {}
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object.")
    if not _storable(body):
        raise Invalid("The request body contains text that is no valid Unicode.")
    return body


def _storable(value: object) -> bool:
    """No lone surrogates anywhere: "\\ud800" is valid JSON, but no text the database (or any
    UTF-8 output) can take. Iterative: the body may be nested as deep as the parser allows."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif isinstance(item, dict):
            stack.extend(item.items())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return True


def int_field(body: dict, name: str) -> int:
    value = body.get(name)
    # isdecimal, not isdigit: int() refuses "²"; and no more digits than int() takes
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) < 20:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"'{name}' must be a number (an id).", field=name)
    if not 0 <= value < 2**31:
        raise NotFound(f"Unknown {name} {value}.", **{name: value})
    return value


def str_field(body: dict, name: str, pattern: re.Pattern, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not pattern.match(value):
        raise Invalid(f"'{name}' is missing or malformed.", field=name)
    return value


@api.get("/health")
def health():
    return jsonify(ok=True, version=__version__)


@api.get("/services")
def services():
    return jsonify(ops().services())


@api.get("/counters")
def counters():
    return jsonify(ops().counters())


@api.get("/state")
def state():
    return jsonify(ops().state())


DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _slow_down_kiosk() -> None:
    """A kiosk device issuing faster than a person can is held back, then refused (429)."""
    device = request.headers.get("X-Wartemarke-Device", "")
    if not DEVICE_RE.match(device):
        return
    throttle = current_app.extensions["wartemarke"].throttle
    wait = throttle.wait_for(device)
    if wait > throttle.max_delay:
        raise TooFast(wait)
    if wait > 0:
        time.sleep(wait)  # cooperative under gevent: other requests go on meanwhile


@api.post("/tickets")
@limiter.limit(
    lambda: current_app.config["TICKET_LIMIT"] or "1 per second",
    exempt_when=lambda: not current_app.config["TICKET_LIMIT"],
)
def issue_ticket():
    _slow_down_kiosk()
    body = json_body()
    service = int_field(body, "service")
    lang = str_field(body, "lang", LANG_RE, default="de").lower()
    priority = 0
    if current_user.is_authenticated and body.get("priority") in (True, 1):
        priority = 1  # only staff may hand out priority tickets
    return jsonify(ops().issue_ticket(service, lang=lang, priority=priority)), 201


@api.post("/checkin")
@limiter.limit(lambda: current_app.config["CHECKIN_LIMIT"])
def check_in():
    """A booked visitor checks in with the booking code: 201 and the ticket (as POST /tickets,
    plus ``appointment``), 200 with the same ticket when checked in before; unknown code 404,
    another day 409 ``wrong_day`` with ``day``, too early 409 ``too_early``. Codes cannot be
    guessed: failures count against the client's limit. (Not the kiosk's pacing: a code gives
    one ticket however often it is tried, and a mistyped code must not hold a visitor back.)"""
    body = json_body()
    lang = str_field(body, "lang", LANG_RE, default="de").lower()
    status, answer = ops().check_in(body.get("code"), lang=lang)
    return jsonify(answer), status


def _token(token: str) -> str:
    if not TOKEN_RE.match(token):
        raise NotFound("Unknown ticket.")
    return token


@api.get("/tickets/<token>")
def ticket_status(token: str):
    return jsonify(ops().ticket_status(_token(token)))


@api.get("/tickets/<token>/qr.svg")
def ticket_qr(token: str):
    """The ticket's status URL as a QR code, for the kiosk's confirmation screen."""
    url = ops().ticket_status_url(_token(token))
    return Response(qr_svg(url), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@api.post("/tickets/<number>/reprint")
@staff_required()
def reprint(number: str):
    if not NUMBER_RE.match(number):
        raise NotFound(f"No ticket {number} today.")
    return jsonify(ops().reprint(number.upper())), 202


@api.get("/printer")
@staff_required(check_csrf=False)
def printer():
    spooler = ops().spooler
    if spooler is None:
        return jsonify(url="none", online=None, paper="unknown", pending=[], last_error=None)
    return jsonify(spooler.state())


@api.post("/tickets/<token>/feedback")
def feedback(token: str):
    """{"rating": 1-5} and/or {"district": "3" | "Bilk" | "outside"}; nothing personal."""
    body = json_body()
    rating, district = body.get("rating"), body.get("district")
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
    ):
        raise Invalid("'rating' must be a number from 1 to 5.", field="rating")
    if district is not None:
        if not isinstance(district, str) or district_of(district) is None:
            raise Invalid("'district' is not a district of Düsseldorf.", field="district")
        district = district_of(district)
    if rating is None and district is None:
        raise Invalid("Give a 'rating' or a 'district'.")
    return jsonify(ops().give_feedback(_token(token), rating, district))


@api.post("/tickets/<token>/district")
def ticket_district(token: str):
    """{"district": "3" | "Bilk" | "outside"}: the kiosk's optional question right after the
    ticket, before the visit; only the district is stored (answering again overwrites)."""
    token = _token(token)
    district = json_body().get("district")
    if not isinstance(district, str) or district_of(district) is None:
        raise Invalid("'district' is not a district of Düsseldorf.", field="district")
    return jsonify(ops().record_district(token, district_of(district)))


@api.get("/districts")
def districts():
    return jsonify(
        [{"id": str(b), "quarters": q} for b, q in STADTBEZIRKE.items()] + [{"id": OUTSIDE}]
    )


@api.post("/tickets/<token>/cancel")
def cancel_ticket(token: str):
    """The visitor gives up their place; the token is the proof of ownership."""
    return jsonify(ops().cancel_by_visitor(_token(token)))


@api.post("/login")
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT"], deduct_when=lambda r: r.status_code == 401
)
def login():
    if not request.is_json:
        # A cross-site form can post text/plain but not JSON (that needs a CORS preflight),
        # so no other site can log a clerk's browser into an account of its choosing.
        raise Invalid("The login is sent as JSON (Content-Type: application/json).")
    body = json_body()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise Invalid("'username' and 'password' are required.")
    user = authenticate(ops().store, username[:64], password[:1024])
    if user is None:
        return jsonify(error="invalid_credentials", message="Wrong user name or password."), 401
    login_user(user)
    return jsonify(csrf_token=generate_csrf(), user=user.to_json())


@api.post("/logout")
@staff_required()
def logout():
    ops().release_all(current_user.actor)
    logout_user()
    return jsonify(ok=True)


@api.get("/me")
@staff_required(check_csrf=False)
def me():
    return jsonify(user=current_user.to_json(), csrf_token=generate_csrf())


@api.get("/queue")
@staff_required(check_csrf=False)
def waiting_lists():
    return jsonify({str(k): v for k, v in ops().waiting_lists().items()})


@api.get("/counters/<int:counter_id>")
@staff_required(check_csrf=False)
def counter_status(counter_id: int):
    return jsonify(ops().counter_status(counter_id, current_user.actor))


@api.get("/stats")
@staff_required(role="admin", check_csrf=False)
def stats():
    """The statistics of ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (local days; default today), with
    ``&event=<id or key>`` those of one pop-up event only (unknown: 404, malformed: 400)."""
    o = ops()
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), o.clock.day())
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    event = request.args.get("event")
    o.mark_no_shows()  # missed slots are counted up to now
    return jsonify(collect(o.store, first, last, o.clock.tz, event=event))


def _stats_export(extension: str, mimetype: str):
    from .exchange import TABLES, stats_tables, to_csv, to_xlsx

    o = ops()
    try:
        first, last = parse_range(request.args.get("from"), request.args.get("to"), o.clock.day())
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    table = request.args.get("table", "events") if extension == "csv" else "statistik"
    if extension == "csv" and table not in TABLES:
        raise Invalid(f"'table' must be one of {', '.join(TABLES)}.", field="table")
    tables = stats_tables(o.store, first, last, o.clock.tz, event=request.args.get("event"))
    body = to_csv(*tables[table]) if extension == "csv" else to_xlsx(tables)
    name = f"wartemarke-{table}-{first}-{last}.{extension}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@api.get("/stats.csv")
@staff_required(role="admin", check_csrf=False)
def stats_csv():
    """``?from&to[&event]&table=events|by_service|by_hour|by_day|by_event``: UTF-8 with BOM,
    ";", decimal comma."""
    return _stats_export("csv", "text/csv; charset=utf-8")


@api.get("/stats.xlsx")
@staff_required(role="admin", check_csrf=False)
def stats_xlsx():
    """``?from&to``: the event log and the statistics tables, one sheet each."""
    return _stats_export(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


@api.post("/services/<int:service_id>/open")
@staff_required()
def open_service(service_id: int):
    """{"open": true} opens by hand, false closes, null follows the opening hours again."""
    body = json_body()
    if "open" not in body or body["open"] not in (True, False, None):
        raise Invalid("'open' must be true, false or null.", field="open")
    return jsonify(ops().set_service_open(service_id, current_user.actor, body["open"]))


def cases_field(body: dict) -> dict[int, int] | None:
    """[{"service": 1, "count": 2}, {"service": 3}] → {1: 2, 3: 1}; absent → None."""
    if "cases" not in body:
        return None
    items = body["cases"]
    if not isinstance(items, list) or not items or len(items) > 20:
        raise Invalid('\'cases\' must be a list of 1 to 20 {"service", "count"}.', field="cases")
    cases: dict[int, int] = {}
    for item in items:
        if not isinstance(item, dict):
            raise Invalid("each case must be an object with 'service'.", field="cases")
        service = int_field(item, "service")
        count = item.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 20:
            raise Invalid("'count' must be a number from 1 to 20.", field="cases")
        cases[service] = cases.get(service, 0) + count
    return cases


SIMPLE_ACTIONS = {
    "recall": Operations.recall,
    "start": Operations.start,
    "no-show": Operations.no_show,
    "requeue": Operations.requeue,
    "pause": Operations.pause,
    "resume": Operations.resume,
    "release": Operations.release,
}


@api.post("/counters/<int:counter_id>/<action>")
@staff_required()
def counter_action(counter_id: int, action: str):
    actor = current_user.actor
    o = ops()
    if action in SIMPLE_ACTIONS:
        return jsonify(SIMPLE_ACTIONS[action](o, counter_id, actor))
    if action not in ("next", "finish", "transfer", "call", "serve", "cases", "services"):
        raise NotFound(f"Unknown counter action '{action}'.")
    body = json_body()
    if action == "next":
        return jsonify(o.call_next(counter_id, actor, cases_field(body)))
    if action == "finish":
        return jsonify(o.finish(counter_id, actor, cases_field(body)))
    if action == "transfer":
        return jsonify(o.transfer(counter_id, actor, int_field(body, "service")))
    if action == "call":
        number = str_field(body, "number", NUMBER_RE).upper()
        return jsonify(o.call_number(counter_id, actor, number))
    if action == "serve":
        return jsonify(o.serve_without_ticket(counter_id, actor, int_field(body, "service")))
    if action == "cases":
        cases = cases_field(body)
        if cases is None:
            raise Invalid("'cases' is required.", field="cases")
        return jsonify(o.record_cases(counter_id, actor, cases))
    services = body.get("services")
    if not isinstance(services, list) or not all(
        isinstance(x, int) and not isinstance(x, bool) for x in services
    ):
        raise Invalid("'services' must be a list of service ids.", field="services")
    return jsonify(o.set_counter_services(counter_id, actor, services))
