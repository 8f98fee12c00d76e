"""First-start work: write the site's services and counters into the database, make sure an
admin can log in, and (with ``--demo``) create the demo accounts."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .auth import hash_password
from .clock import Clock
from .config import Settings
from .domain.model import Counter, Service
from .seed import DEFAULT_TICKER, DEFAULT_VENUE, DEMO_USERS, starting_site
from .store import Store


@dataclass
class StartReport:
    """What start-up did that the person starting the server must be told."""

    lines: list[str] = field(default_factory=list)


def apply_site(store: Store, settings: Settings, clock: Clock) -> None:
    with store.read() as tx:
        empty = not tx.services()
    site = settings.site  # completed in place: the screens read the venue from it
    if empty:
        starting_site(site, settings.demo)
    with store.write(publish=True) as tx:
        known = tx.setting("venue") or {}
        # What the site file sets wins; otherwise what the database has; otherwise the default.
        site.venue = site.venue or known.get("name") or DEFAULT_VENUE
        site.ticker = (
            site.ticker if site.ticker is not None else known.get("ticker", DEFAULT_TICKER)
        )
        tx.set_setting(
            "venue", {"name": site.venue, "timezone": site.timezone, "ticker": site.ticker}
        )
        if site.opening is not None:
            tx.set_setting("opening", site.opening)
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
                )
            )
        apply_event(tx, site, clock.now())
        current = {c.id: c for c in tx.counters()}
        for spec in site.counters:
            counter = current.get(spec.id) or Counter(spec.id, spec.name)
            counter.name, counter.enabled = spec.name, spec.enabled
            tx.save_counter(counter)
            tx.set_counter_services(counter.id, spec.services)


def apply_event(tx, site, now) -> None:
    """The site file's [event] becomes (or updates) the current pop-up; without one, a first
    start creates a pop-up named after the venue, so that every ticket belongs to one."""
    if site.event is not None:
        values = dict(site.event)
        key = values.setdefault("key", values["name"][:64])
        known = tx.popup_by_key(key)
        tx.set_current_popup(tx.save_popup(known["id"] if known else None, values, now))
    elif tx.current_popup_id() is None or tx.popup(tx.current_popup_id()) is None:
        popups = tx.popups()
        if popups:
            tx.set_current_popup(popups[-1]["id"])
        else:
            values = {"key": str(uuid.uuid4()), "name": site.venue, "place": "", "address": ""}
            tx.set_current_popup(tx.save_popup(None, values, now))


def ensure_accounts(store: Store, settings: Settings, clock: Clock) -> StartReport:
    report = StartReport()
    with store.read() as tx:
        users = tx.users()
    if settings.demo and not users:
        with store.write(publish=False) as tx:
            for username, name, role, password in DEMO_USERS:
                tx.add_user(username, hash_password(password), role, clock.now(), name)
        report.lines.append("Demo accounts (for trying Wartemarke out only):")
        report.lines += [f"  {u:8} {role:6} password: {pw}" for u, _n, role, pw in DEMO_USERS]
    elif not users:
        password = secrets.token_urlsafe(9)
        with store.write(publish=False) as tx:
            tx.add_user("admin", hash_password(password), "admin", clock.now(), "Admin")
        note = Path(settings.data_dir) / "initial-admin-password.txt"
        note.write_text(f"admin\n{password}\n", encoding="utf-8")
        note.chmod(0o600)
        report.lines.append(
            f"Created the account 'admin' with password {password} (also in {note}). "
            "Add clerks with: wartemarke user add NAME --role clerk --password-stdin"
        )
    return report
