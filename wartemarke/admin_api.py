"""The admin's JSON API under /api/admin/: services, counters, staff accounts, the venue and its
opening hours, the end of the day, and the printer (test page, the virtual printer's tickets).
Admins only; every change needs the CSRF token.

Each route checks the shape of its input (4xx JSON otherwise) and calls one operation
(``operations/admin.py``), which logs an event and updates the screens live.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_login import current_user, login_user

from .api import int_field, json_body, ops, str_field
from .appointment_files import read_bookings
from .auth import (
    MIN_PASSWORD,
    ROLES,
    USERNAME_RE,
    hash_password,
    staff_required,
    user_by_id,
    validate_new_user,
)
from .config import (
    PREFIX_RE,
    SITE_FILE,
    TICKET_TEXT_MAX,
    ConfigError,
    parse_event,
    parse_site,
    parse_translations,
)
from .domain.model import Invalid
from .printers import PrinterError
from .printers.transports import VirtualTransport
from .retention import run_configured as run_retention
from .sitefile import render as render_site
from .sitefile import save as save_site
from .sitefile import take_over

log = logging.getLogger(__name__)

admin_api = Blueprint("admin_api", __name__, url_prefix="/api/admin")

PREFIX_INPUT_RE = re.compile(r"^\s*[A-Za-z]{1,3}\s*$")
ROLE_RE = re.compile(rf"^({'|'.join(ROLES)})$")
MAX_MINUTES = 480
# What ticket_files() names a virtual printer's ticket: <YYYY-MM-DD>_<number>.png, the number
# reduced to A-Z a-z 0-9 _ -. Nothing else is ever served (no dots, no slashes).
TICKET_PNG_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})_([A-Za-z0-9_-]{1,32})\.png$")
LAST_TICKETS = 20
MAX_SITE_FILE = 50_000


# Control characters but tab and line feed (the ticket text and the ticker may have lines).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def text_field(body: dict, name: str, max_len: int, required: bool = True) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise Invalid(f"'{name}' must be text.", field=name)
    value = value.strip().replace("\r\n", "\n")
    if CONTROL_RE.search(value):  # they would reach the receipt printer and the SVG charts
        raise Invalid(f"'{name}' contains control characters.", field=name)
    if required and not value:
        raise Invalid(f"'{name}' must not be empty.", field=name)
    if len(value) > max_len:
        raise Invalid(f"'{name}' is longer than {max_len} characters.", field=name)
    return value


def bool_field(body: dict, name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise Invalid(f"'{name}' must be true or false.", field=name)
    return value


def ids_field(body: dict, name: str) -> list[int]:
    value = body.get(name)
    if (
        not isinstance(value, list)
        or len(value) > 200
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in value)
    ):
        raise Invalid(f"'{name}' must be a list of service ids.", field=name)
    return value


def password_field(body: dict, name: str = "password") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= 1024:
        raise Invalid(f"The password needs at least {MIN_PASSWORD} characters.", field=name)
    return value


def service_fields(body: dict) -> dict:
    """The fields present in ``body``, checked like the site file's [[services]]."""
    fields: dict = {}
    if "name" in body:
        fields["name"] = text_field(body, "name", 128)
    if "prefix" in body:
        prefix = str_field(body, "prefix", PREFIX_INPUT_RE).strip().upper()
        if not PREFIX_RE.match(prefix):
            raise Invalid("'prefix' must be 1 to 3 letters A-Z.", field="prefix")
        fields["prefix"] = prefix
    if "minutes" in body:
        minutes = body["minutes"]
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int | float)
            or not 0 < minutes <= MAX_MINUTES
        ):
            raise Invalid(f"'minutes' must be between 0 and {MAX_MINUTES}.", field="minutes")
        fields["minutes"] = float(minutes)
    if "description" in body:
        fields["description"] = text_field(body, "description", 500, required=False)
    if "names" in body:
        fields["names"] = parse_translations(body["names"], "names", 128)
    if "descriptions" in body:
        fields["descriptions"] = parse_translations(body["descriptions"], "descriptions", 500)
    if "enabled" in body:
        fields["enabled"] = bool_field(body, "enabled")
    if "priority" in body:
        if body["priority"] not in (0, 1) or isinstance(body["priority"], bool):
            raise Invalid("'priority' must be 0 or 1.", field="priority")
        fields["priority"] = body["priority"]
    if "sort" in body:
        sort = body["sort"]
        if isinstance(sort, bool) or not isinstance(sort, int) or not 0 <= sort <= 10000:
            raise Invalid("'sort' must be a number from 0 to 10000.", field="sort")
        fields["sort"] = sort
    return fields


def counter_fields(body: dict) -> dict:
    fields: dict = {}
    if "name" in body:
        fields["name"] = text_field(body, "name", 64)
    if "enabled" in body:
        fields["enabled"] = bool_field(body, "enabled")
    if "services" in body:
        fields["services"] = ids_field(body, "services")
    return fields


def _nothing_to_change(fields: dict) -> None:
    if not fields:
        raise Invalid("Nothing to change: give at least one field.")


# --- services ---------------------------------------------------------------------------------
@admin_api.get("/services")
@staff_required(role="admin", check_csrf=False)
def list_services():
    return jsonify(ops().admin_services())


@admin_api.post("/services")
@staff_required(role="admin")
def create_service():
    return jsonify(ops().save_service(current_user.actor, None, service_fields(json_body()))), 201


@admin_api.put("/services/<int:service_id>")
@staff_required(role="admin")
def update_service(service_id: int):
    fields = service_fields(json_body())
    _nothing_to_change(fields)
    return jsonify(ops().save_service(current_user.actor, service_id, fields))


# --- counters ---------------------------------------------------------------------------------
@admin_api.get("/counters")
@staff_required(role="admin", check_csrf=False)
def list_counters():
    return jsonify(ops().admin_counters())


@admin_api.post("/counters")
@staff_required(role="admin")
def create_counter():
    return jsonify(ops().save_counter(current_user.actor, None, counter_fields(json_body()))), 201


@admin_api.put("/counters/<int:counter_id>")
@staff_required(role="admin")
def update_counter(counter_id: int):
    fields = counter_fields(json_body())
    _nothing_to_change(fields)
    return jsonify(ops().save_counter(current_user.actor, counter_id, fields))


# --- users ------------------------------------------------------------------------------------
@admin_api.get("/users")
@staff_required(role="admin", check_csrf=False)
def list_users():
    return jsonify(ops().admin_users())


@admin_api.post("/users")
@staff_required(role="admin")
def create_user():
    body = json_body()
    username = str_field(body, "username", USERNAME_RE)
    role = str_field(body, "role", ROLE_RE, default="clerk")
    password = body.get("password")
    validate_new_user(username, password if isinstance(password, str) else "", role)
    password = password_field(body)
    name = text_field(body, "name", 128, required=False) if "name" in body else ""
    user = ops().create_user(current_user.actor, username, hash_password(password), role, name)
    return jsonify(user), 201


@admin_api.put("/users/<int:user_id>")
@staff_required(role="admin")
def update_user(user_id: int):
    body = json_body()
    fields: dict = {}
    if "name" in body:
        fields["name"] = text_field(body, "name", 128, required=False)
    if "role" in body:
        fields["role"] = str_field(body, "role", ROLE_RE)
    if "active" in body:
        fields["active"] = bool_field(body, "active")
    if "password" in body:
        fields["password_hash"] = hash_password(password_field(body))
    _nothing_to_change(fields)
    user = ops().update_user(current_user.actor, user_id, fields)
    if fields.get("active") is False:  # its session is refused from now on; so are its sockets
        current_app.extensions["wartemarke"].hub.drop_user(user_id)
    elif "password_hash" in fields:
        _sessions_end(user_id)
    return jsonify(user)


def _sessions_end(user_id: int) -> None:
    """After a new password the account's older sessions are refused (the session id carries a
    stamp of the password hash) and its live screens closed; an admin changing their own
    password stays logged in here."""
    if user_id == current_user.id:
        login_user(user_by_id(ops().store, user_id))
    else:
        current_app.extensions["wartemarke"].hub.drop_user(user_id)


@admin_api.post("/users/<int:user_id>/password")
@staff_required(role="admin")
def reset_password(user_id: int):
    password = password_field(json_body())
    user = ops().update_user(
        current_user.actor, user_id, {"password_hash": hash_password(password)}
    )
    _sessions_end(user_id)
    return jsonify(user)


# --- venue and opening hours ------------------------------------------------------------------
@admin_api.get("/venue")
@staff_required(role="admin", check_csrf=False)
def venue():
    return jsonify(ops().venue_settings())


@admin_api.put("/venue")
@staff_required(role="admin")
def save_venue():
    body = json_body()
    fields: dict = {}
    if "name" in body:
        fields["name"] = text_field(body, "name", 200)
    if "ticker" in body:
        fields["ticker"] = text_field(body, "ticker", 500, required=False)
    if "ticket_text" in body:
        fields["ticket_text"] = text_field(body, "ticket_text", TICKET_TEXT_MAX, required=False)
    if "opening" in body:
        if not isinstance(body["opening"], dict):
            raise Invalid("'opening' must be an object (hours, weekdays, dates, …).")
        opening = body["opening"]
        if not isinstance(opening.get("weekdays") or {}, dict):
            raise Invalid("'opening.weekdays' must map mon … sun to hours.", field="opening")
        if not isinstance(opening.get("dates") or [], list):
            raise Invalid("'opening.dates' must be a list of dates.", field="opening")
        fields["opening"] = opening
    _nothing_to_change(fields)
    return jsonify(ops().save_venue(current_user.actor, fields))


# --- pop-up events ----------------------------------------------------------------------------
def event_fields(body: dict, creating: bool) -> dict:
    known = ("id", "name", "place", "address", "district", "first_day", "last_day")
    given = {k: body[k] for k in known if k in body}
    if creating and "name" not in given:
        raise Invalid("'name' must not be empty.", field="name")
    if not creating:
        given.setdefault("name", "-")  # parse_event requires it; dropped below if not given
    fields = parse_event(given)
    if not creating and "name" not in body:
        fields.pop("name")
    return fields


def current_flag(body: dict, default: bool) -> bool:
    return bool_field(body, "current") if "current" in body else default


@admin_api.get("/events")
@staff_required(role="admin", check_csrf=False)
def list_events():
    return jsonify(ops().popups_view())


@admin_api.post("/events")
@staff_required(role="admin")
def create_event():
    body = json_body()
    fields = event_fields(body, creating=True)
    view = ops().save_popup(current_user.actor, None, fields, current_flag(body, True))
    return jsonify(view), 201


@admin_api.put("/events/<int:event_id>")
@staff_required(role="admin")
def update_event(event_id: int):
    body = json_body()
    fields = event_fields(body, creating=False)
    current = current_flag(body, False)
    if not fields and not current:
        _nothing_to_change(fields)
    return jsonify(ops().save_popup(current_user.actor, event_id, fields, current))


# --- the site file -----------------------------------------------------------------------------
def site_file_path() -> Path:
    """The file the server reads at start: --config, else <data dir>/site.toml."""
    settings = current_app.extensions["wartemarke"].settings
    return settings.config_file or settings.data_dir / SITE_FILE


@admin_api.get("/site")
@staff_required(role="admin", check_csrf=False)
def site_file():
    state = current_app.extensions["wartemarke"]
    with state.store.read() as tx:
        text = render_site(tx, state.settings, state.ops.clock.local())
    return jsonify(toml=text, path=str(site_file_path()))


@admin_api.get("/site.toml")
@staff_required(role="admin", check_csrf=False)
def site_file_download():
    state = current_app.extensions["wartemarke"]
    with state.store.read() as tx:
        text = render_site(tx, state.settings, state.ops.clock.local())
    return Response(
        text,
        mimetype="application/toml",
        headers={
            "Content-Disposition": 'attachment; filename="site.toml"',
            "Cache-Control": "no-store",
        },
    )


@admin_api.put("/site")
@staff_required(role="admin")
def apply_site_file():
    """Check and apply a site file (``{"toml": "…"}``), then save it as the server's site file
    so that the next start reads the same."""
    state = current_app.extensions["wartemarke"]
    text = json_body().get("toml")
    if not isinstance(text, str) or not text.strip():
        raise Invalid("'toml' must be the text of a site file.", field="toml")
    if len(text) > MAX_SITE_FILE:
        raise Invalid(f"The site file is longer than {MAX_SITE_FILE} characters.", field="toml")
    try:
        site = parse_site(text, "Standortdatei")
    except ConfigError as exc:
        raise Invalid(str(exc), field="toml") from None
    ops().apply_site(current_user.actor, site)
    restart = take_over(state.settings.site, site)
    state.throttle.burst, state.throttle.interval = site.kiosk_burst, site.kiosk_interval
    path = site_file_path()
    try:
        save_site(text, path)
        saved, problem = True, None
    except OSError as exc:
        log.warning("site file %s not saved: %s", path, exc)
        saved, problem = False, exc.strerror or str(exc)
    if saved and state.settings.config_file is None:
        state.settings.config_file = path
    log.info("site file applied by %s (saved: %s)", current_user.username, saved)
    return jsonify(applied=True, saved=saved, path=str(path), error=problem, restart=restart)


# --- appointments ------------------------------------------------------------------------------
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@admin_api.get("/appointments")
@staff_required(role="admin", check_csrf=False)
def list_appointments():
    day = request.args.get("day") or ops().clock.day()
    if not DAY_RE.match(day):
        raise Invalid("'day' must be a date as YYYY-MM-DD.", field="day")
    ops().mark_no_shows()
    return jsonify(ops().appointments_view(day))


@admin_api.post("/appointments")
@staff_required(role="admin")
def book_appointment():
    body = json_body()
    fields = {
        "day": str_field(body, "day", DAY_RE),
        "slot": text_field(body, "slot", 5),
        "service": int_field(body, "service"),
        "name": text_field(body, "name", 128, required=False) if body.get("name") else None,
        "code": text_field(body, "code", 16, required=False) if body.get("code") else None,
    }
    return jsonify(ops().book(current_user.actor, fields)), 201


@admin_api.post("/appointments/<int:appointment_id>/cancel")
@staff_required(role="admin")
def cancel_appointment(appointment_id: int):
    return jsonify(ops().cancel_appointment(current_user.actor, appointment_id))


@admin_api.post("/appointments/import")
@staff_required(role="admin")
def import_appointments():
    """A .csv or .xlsx upload (form field ``file``): all rows booked, or none and every bad row
    named with its line (400 ``bad_rows``)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("Choose a .csv or .xlsx file (form field 'file').", field="file")
    rows = read_bookings(upload.read(), upload.filename)  # the request limit (413) caps its size
    return jsonify(ops().import_appointments(current_user.actor, rows))


# --- end of the day ---------------------------------------------------------------------------
@admin_api.post("/day/close")
@staff_required(role="admin")
def close_day():
    if json_body().get("confirm") is not True:
        raise Invalid('Closing the day needs {"confirm": true}.', field="confirm")
    closed = ops().close_day(current_user.actor)
    run_retention(ops().store, ops().clock)  # old days become aggregates, if configured
    return jsonify(closed)


# --- printer ----------------------------------------------------------------------------------
def virtual_tickets_folder() -> Path | None:
    """<data_dir>/tickets when the configured printer is the virtual one, else None."""
    spooler = ops().spooler
    if spooler is None or not isinstance(spooler.transport, VirtualTransport):
        return None
    return spooler.transport.folder


@admin_api.post("/printer/test")
@staff_required(role="admin")
def printer_test():
    spooler = ops().spooler
    if spooler is None:
        return jsonify(error="no_printer", message="No printer is configured (printer none)."), 409
    try:
        state = spooler.print_test_page()
    except (PrinterError, OSError, ValueError) as exc:
        log.warning("test page on %s failed: %s", spooler.transport.url, exc)
        return jsonify(
            error="printer_unavailable",
            message=f"The test page was not printed: {exc}",
            printer=spooler.state(),
        ), 503
    log.info("test page printed on %s by %s", spooler.transport.url, current_user.username)
    return jsonify(state)


@admin_api.get("/printer/tickets")
@staff_required(role="admin", check_csrf=False)
def printer_tickets():
    """The virtual printer's last tickets as images, newest first ([] for other printers)."""
    folder = virtual_tickets_folder()
    found: list[tuple[float, str, re.Match]] = []
    if folder is not None:
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    match = TICKET_PNG_RE.match(entry.name)
                    if match and entry.is_file(follow_symlinks=False):
                        found.append((entry.stat().st_mtime, entry.name, match))
        except FileNotFoundError:  # nothing printed yet
            pass
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return jsonify(
        [
            {
                "name": name,
                "number": match[2],
                "day": match[1],
                "url": url_for("admin.ticket_image", name=name),
            }
            for _, name, match in found[:LAST_TICKETS]
        ]
    )


# --- devices ----------------------------------------------------------------------------------
@admin_api.get("/devices/urls")
@staff_required(role="admin", check_csrf=False)
def device_urls():
    """The addresses tablets open, each screen's with its QR code (tab "Geräte einrichten").
    The admin reached the server by the same scheme and port as the devices will."""
    from .mdns import device_urls as urls
    from .mdns import port_of

    settings = current_app.extensions["wartemarke"].settings
    port = port_of(request.host, request.scheme)
    announced = current_app.extensions.get("wartemarke_mdns")
    return jsonify(urls(settings, request.scheme, port, announced))
