"""The site file (TOML) and the database: writing a parsed file into the database (at start and
when the admin applies one), and the database's configuration written back as a site file.

``render()`` gives a file that ``config.parse_site`` reads back to the same configuration, so
the admin can download it, edit it, and apply it (or give it to the next laptop).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import datetime
from pathlib import Path

from .config import TRANSLATED, Settings, Site
from .domain.hours import OpeningHours
from .domain.model import Conflict, Counter, Invalid, Service
from .seed import DEFAULT_TICKER, DEFAULT_VENUE
from .store.repository import Tx

# A key TOML takes unquoted.
BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+")
# Settings that the running server takes over at once when the admin applies a file; the others
# (time zone, printer, public URL) are read at start only.
RESTART_NEEDED = {"timezone": "Zeitzone", "printer": "Drucker", "public_url": "Adresse für Handys"}


def check_site(tx: Tx, site: Site) -> None:
    """Refuse a file that would clash with the database: a prefix of another service, or a
    counter serving a service that exists neither in the file nor in the database."""
    prefixes = {s.id: s.prefix for s in tx.services()}
    prefixes.update({spec.id: spec.prefix for spec in site.services})
    seen: dict[str, int] = {}
    for service_id, prefix in sorted(prefixes.items()):
        if prefix in seen:
            raise Conflict(
                f"The prefix {prefix} of service {service_id} is used by service "
                f"{seen[prefix]} already.",
                field="toml",
            )
        seen[prefix] = service_id
    if site.appointments.prefix in seen:
        raise Conflict(
            f"The appointments' prefix {site.appointments.prefix} is the prefix of service "
            f"{seen[site.appointments.prefix]}.",
            field="toml",
        )
    for spec in site.counters:
        unknown = sorted(set(spec.services) - set(prefixes))
        if unknown:
            raise Invalid(f"Counter {spec.id} names unknown service ids {unknown}.", field="toml")


def write_site(tx: Tx, site: Site, now: datetime) -> None:
    """Write what the site file sets into the database; what it leaves out stays as it is
    (services and counters not named in it too). At start and when the admin applies a file."""
    known = tx.setting("venue") or {}
    # What the site file sets wins; otherwise what the database has; otherwise the default.
    site.venue = site.venue or known.get("name") or DEFAULT_VENUE
    site.ticker = site.ticker if site.ticker is not None else known.get("ticker", DEFAULT_TICKER)
    venue = {**known, "name": site.venue, "timezone": site.timezone, "ticker": site.ticker}
    if site.ticket_text is not None:
        venue["ticket_text"] = site.ticket_text
    tx.set_setting("venue", venue)
    if site.opening is not None:
        tx.set_setting("opening", site.opening)
    if site.retention_days is not None:  # [data] retention_days (see retention.py)
        tx.set_setting("retention_days", site.retention_days)
    for order, spec in enumerate(site.services):
        existing = tx.service(spec.id)
        tx.upsert_service(
            Service(
                id=spec.id,
                name=spec.name,
                prefix=spec.prefix,
                expected_minutes=spec.minutes,
                description=spec.description,
                enabled=spec.enabled,
                manual_open=existing.manual_open if existing else None,
                sort=order,
                names=spec.names,
                descriptions=spec.descriptions,
                priority=spec.priority,
            )
        )
    write_event(tx, site, now)
    current = {c.id: c for c in tx.counters()}
    for spec in site.counters:
        counter = current.get(spec.id) or Counter(spec.id, spec.name)
        counter.name, counter.enabled = spec.name, spec.enabled
        tx.save_counter(counter)
        tx.set_counter_services(counter.id, spec.services)


def write_event(tx: Tx, site: Site, now: datetime) -> None:
    """The site file's [event] becomes (or updates) the current pop-up; without one, a start
    with no current pop-up creates one named after the venue, so that every ticket belongs to
    one. (Pop-ups that came only by import belong to other laptops: never adopted.)"""
    if site.event is not None:
        values = dict(site.event)
        key = values.setdefault("key", values["name"][:64])
        known = tx.popup_by_key(key)
        tx.set_current_popup(tx.save_popup(known["id"] if known else None, values, now))
    elif tx.current_popup_id() is None or tx.popup(tx.current_popup_id()) is None:
        values = {"key": str(uuid.uuid4()), "name": site.venue, "place": "", "address": ""}
        tx.set_current_popup(tx.save_popup(None, values, now))


def take_over(running: Site, applied: Site) -> list[str]:
    """Copy what the running server reads from its ``Site`` at every request; returns the
    names of the settings that differ but apply only after a restart."""
    for name in (
        "venue",
        "ticker",
        "ticket_text",
        "ask_district",
        "languages",
        "recalls_before_no_show",
        "appointments",
    ):
        setattr(running, name, getattr(applied, name))
    running.kiosk_burst, running.kiosk_interval = applied.kiosk_burst, applied.kiosk_interval
    return [
        label
        for name, label in RESTART_NEEDED.items()
        if getattr(applied, name) is not None and getattr(applied, name) != getattr(running, name)
    ]


def save(text: str, path: Path) -> None:
    """Replace the site file atomically, keeping the previous one as ``<name>.bak``."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    if path.exists():
        os.replace(path, path.with_name(path.name + ".bak"))
    os.replace(tmp, path)


# --- rendering --------------------------------------------------------------------------------
def _value(value) -> str:
    """A TOML value: JSON's string escapes are valid TOML basic strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table: {en = "ID card", de-ls = "Ausweis"}
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def _key(key: str) -> str:
    """A TOML key: bare where TOML allows it (de-ls is), quoted otherwise."""
    return key if BARE_KEY_RE.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _translated(texts: dict) -> dict | None:
    """A service's translations as the site file takes them: a language stored before only the
    visitor languages were accepted (e.g. "fr") would make the written file refused at start."""
    return {lang: text for lang, text in (texts or {}).items() if lang in TRANSLATED} or None


def _table(name: str, items: dict, array: bool = False) -> list[str]:
    lines = [f"[[{name}]]" if array else f"[{name}]"]
    lines += [f"{key} = {_value(value)}" for key, value in items.items() if value is not None]
    return [*lines, ""]


def render(tx: Tx, settings: Settings, now: datetime) -> str:
    """The configuration in the database (and the running server's settings) as a site file."""
    site = settings.site
    venue = tx.setting("venue") or {}
    out = [
        "# Wartemarke-Standortdatei (site.toml), geschrieben von der Verwaltung am "
        f"{now.strftime('%d.%m.%Y um %H:%M')}.",
        "# Start: wartemarke serve --config DATEI. Jeder Eintrag ist in der README erklärt.",
        "",
    ]
    out += _table(
        "venue",
        {
            "name": venue.get("name") or site.venue,
            "timezone": venue.get("timezone") or site.timezone,
            "public_url": settings.public_url or site.public_url,
            "ticker": venue.get("ticker", ""),
            "ticket_text": venue.get("ticket_text") or None,
        },
    )
    current = tx.current_popup_id()
    popup = tx.popup(current) if current is not None else None
    if popup is not None:
        keys = ("name", "place", "address", "district", "first_day", "last_day")
        out += _table("event", {"id": popup["key"], **{k: popup[k] for k in keys}})
    opening = OpeningHours.from_json(tx.setting("opening")).to_json()
    weekdays = opening.pop("weekdays")
    out += _table("opening", opening)
    if weekdays:
        out += _table("opening.weekdays", weekdays)
    if settings.printer_url != "virtual":
        out += _table("printer", {"url": settings.printer_url})
    out += _table(
        "kiosk",
        {
            "burst": site.kiosk_burst,
            "seconds_per_ticket": site.kiosk_interval,
            "ask_district": site.ask_district,
            "languages": list(site.languages),
        },
    )
    out += _table("counter", {"recalls_before_no_show": site.recalls_before_no_show})
    rules = site.appointments
    out += _table(
        "appointments",
        {
            "prefix": rules.prefix,
            "slot_minutes": rules.slot_minutes,
            "counters": rules.counters,
            "early_minutes": rules.early_minutes,
            "grace_minutes": rules.grace_minutes,
            "walk_in_after": rules.walk_in_after,
            "walk_in_wait_limit": rules.walk_in_wait_limit,
        },
    )
    retention = tx.setting("retention_days")
    if retention:
        out += _table("data", {"retention_days": retention})
    for service in tx.services():
        out += _table(
            "services",
            {
                "id": service.id,
                "name": service.name,
                "prefix": service.prefix,
                "minutes": service.expected_minutes,
                "description": service.description,
                "enabled": service.enabled,
                "names": _translated(service.names),
                "descriptions": _translated(service.descriptions),
                "priority": service.priority or None,
            },
            array=True,
        )
    for counter in tx.counters():
        out += _table(
            "counters",
            {
                "id": counter.id,
                "name": counter.name,
                "services": sorted(counter.service_ids),
                "enabled": counter.enabled,
            },
            array=True,
        )
    return "\n".join(out)
