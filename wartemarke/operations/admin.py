"""The admin's use cases: services, counters, staff accounts, the venue and its opening hours,
and the end of the day.

Like every use case: one transaction, an event in the log for every change (``service_saved``,
``counter_saved``, ``user_saved``, ``venue_saved``, ``day_closed``), then a ``Change`` published
after commit. An admin change may alter anything a screen shows (names, prefixes, hours), so
the change asks every screen for a fresh snapshot (``Change.resync``).

The API layer (``admin_api``) checks the shape of the input; the rules that need the database
(a prefix used twice, the last active admin) are checked here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ..domain.appointments import BOOKED, NO_SHOW
from ..domain.hours import OpeningHours
from ..domain.model import Conflict, Counter, Invalid, NotFound, Service, Status, Transition
from ..sitefile import check_site, write_site
from ..store.repository import POPUP_FIELDS, Tx
from .common import Actor, Base, Change, iso


class AdminOps(Base):
    # --- shared ---------------------------------------------------------------------------
    def _admin_log(self, tx: Tx, kind: str, actor: Actor, now: datetime, **fields) -> None:
        data = fields.pop("data", None)
        tx.log(
            Transition(kind, None, now, None, None, user_id=actor.id, data=data, **fields),
            self.clock.day(now),
        )

    def _admin_change(self, tx: Tx, tickets=(), **extra) -> Change:
        figures = self._figures(tx)
        return Change(
            tx.seq,
            self._services_view(figures),
            tickets=[self.ticket_view(tx, t, figures.services) for t in tickets],
            tokens=[t.token for t in tickets],
            counters_changed=True,
            resync=True,
            **extra,
        )

    def _free_counter(self, tx: Tx, counter: Counter, actor: Actor, now: datetime) -> list:
        """Release a counter: a visitor being served is finished, one only called goes back to
        the queue in place. Returns the tickets that changed."""
        changed = []
        if counter.current_ticket_id is not None:
            ticket = tx.ticket(counter.current_ticket_id)
            if ticket is not None and ticket.status.is_open_at_counter:
                if ticket.status is Status.SERVING:
                    transition = ticket.finish(now, actor.id)
                else:
                    transition = ticket.requeue(now, actor.id)
                tx.log(transition, ticket.day, ticket.number)
                tx.save_ticket(ticket)
                changed.append(ticket)
        held_by = counter.held_by
        counter.current_ticket_id = None
        counter.held_by = None
        counter.paused = False
        tx.save_counter(counter)
        if held_by is not None:
            tx.log(
                Transition(
                    "counter_released",
                    None,
                    now,
                    None,
                    None,
                    counter.id,
                    user_id=actor.id,
                    data={"by_admin": True, "held_by": held_by},
                ),
                self.clock.day(now),
            )
        return changed

    # --- services -------------------------------------------------------------------------
    @staticmethod
    def _service_admin_view(s: Service) -> dict:
        return {
            "id": s.id,
            "name": s.name,
            "prefix": s.prefix,
            "minutes": s.expected_minutes,
            "description": s.description,
            "enabled": s.enabled,
            "manual_open": s.manual_open,
            "sort": s.sort,
            "names": dict(s.names),
            "descriptions": dict(s.descriptions),
            "priority": s.priority,
        }

    def admin_services(self) -> list[dict]:
        with self.store.read() as tx:
            return [self._service_admin_view(s) for s in tx.services()]

    def save_service(self, actor: Actor, service_id: int | None, fields: dict) -> dict:
        """Create (``service_id`` None) or update a service. ``fields``: name, prefix, minutes,
        description, enabled, sort (already checked for type and range by the API)."""
        now = self.clock.now()
        with self.store.write() as tx:
            services = tx.services()
            if service_id is None:
                missing = [k for k in ("name", "prefix", "minutes") if k not in fields]
                if missing:
                    raise Invalid(f"Missing {', '.join(missing)}.", fields=missing)
                service = Service(
                    id=max((s.id for s in services), default=0) + 1,
                    name="",
                    prefix="",
                    expected_minutes=0,
                    sort=max((s.sort for s in services), default=-1) + 1,
                )
            else:
                service = next((s for s in services if s.id == service_id), None)
                if service is None:
                    raise NotFound(f"Unknown service {service_id}.", service=service_id)
            before = self._service_admin_view(service)
            for key, attr in (
                ("name", "name"),
                ("prefix", "prefix"),
                ("minutes", "expected_minutes"),
                ("description", "description"),
                ("enabled", "enabled"),
                ("sort", "sort"),
                ("names", "names"),
                ("descriptions", "descriptions"),
                ("priority", "priority"),
            ):
                if key in fields:
                    setattr(service, attr, fields[key])
            if any(s.prefix == service.prefix and s.id != service.id for s in services):
                raise Conflict(
                    f"The prefix {service.prefix} is used by another service.",
                    field="prefix",
                )
            tx.upsert_service(service)
            view = self._service_admin_view(service)
            changed = {k: v for k, v in view.items() if before.get(k) != v or service_id is None}
            self._admin_log(
                tx,
                "service_saved",
                actor,
                now,
                service_id=service.id,
                data={"created": service_id is None, "changed": changed},
            )
            change = self._admin_change(tx)
        self.publish(change)
        return view

    # --- counters -------------------------------------------------------------------------
    def admin_counters(self) -> list[dict]:
        with self.store.read() as tx:
            names = {u.id: u.display_name for u in tx.users()}
            return [
                {
                    "id": c.id,
                    "name": c.name,
                    "enabled": c.enabled,
                    "services": c.service_ids,
                    "held_by": names.get(c.held_by),
                    "held_by_id": c.held_by,
                    "paused": c.paused,
                }
                for c in tx.counters()
            ]

    def save_counter(self, actor: Actor, counter_id: int | None, fields: dict) -> dict:
        """Create or update a counter: name, enabled, services (the admin's base setting; a
        clerk's change for today stays until the day ends)."""
        now = self.clock.now()
        with self.store.write() as tx:
            counters = tx.counters()
            if counter_id is None:
                missing = [k for k in ("name", "services") if k not in fields]
                if missing:
                    raise Invalid(f"Missing {', '.join(missing)}.", fields=missing)
                counter = Counter(max((c.id for c in counters), default=0) + 1, "")
            else:
                counter = next((c for c in counters if c.id == counter_id), None)
                if counter is None:
                    raise NotFound(f"Unknown counter {counter_id}.", counter=counter_id)
            if "services" in fields:
                known = {s.id for s in tx.services()}
                unknown = [sid for sid in fields["services"] if sid not in known]
                if unknown:
                    raise NotFound(f"Unknown services {unknown}.", services=unknown)
            changed_tickets = []
            counter.name = fields.get("name", counter.name)
            if fields.get("enabled") is False and counter.enabled:
                changed_tickets = self._free_counter(tx, counter, actor, now)
            counter.enabled = fields.get("enabled", counter.enabled)
            tx.save_counter(counter)
            if "services" in fields:
                counter.service_ids = sorted(set(fields["services"]))
                tx.set_counter_services(counter.id, counter.service_ids)
            self._admin_log(
                tx,
                "counter_saved",
                actor,
                now,
                counter_id=counter.id,
                data={
                    "created": counter_id is None,
                    "name": counter.name,
                    "enabled": counter.enabled,
                    "services": counter.service_ids,
                },
            )
            view = {
                "id": counter.id,
                "name": counter.name,
                "enabled": counter.enabled,
                "services": counter.service_ids,
            }
            change = self._admin_change(tx, changed_tickets)
        self.publish(change)
        return view

    # --- users ----------------------------------------------------------------------------
    @staticmethod
    def _user_view(row, holds: list[str]) -> dict:
        return {
            "id": row.id,
            "username": row.username,
            "name": row.display_name,
            "role": row.role,
            "active": bool(row.active),
            "created_at": iso(row.created_at),
            "counters": holds,
        }

    def admin_users(self) -> list[dict]:
        """Every account, without password hashes."""
        with self.store.read() as tx:
            holds: dict[int, list[str]] = {}
            for c in tx.counters():
                if c.held_by is not None:
                    holds.setdefault(c.held_by, []).append(c.name)
            return [self._user_view(u, holds.get(u.id, [])) for u in tx.users()]

    def create_user(
        self, actor: Actor, username: str, password_hash: str, role: str, name: str
    ) -> dict:
        now = self.clock.now()
        with self.store.write(publish=False) as tx:
            if tx.user_by_name(username) is not None:
                raise Conflict(f"The user name {username} is taken.", field="username")
            user_id = tx.add_user(username, password_hash, role, now, name)
            self._admin_log(
                tx,
                "user_saved",
                actor,
                now,
                data={"user": user_id, "created": True, "role": role},
            )
            return self._user_view(tx.user(user_id), [])

    def update_user(self, actor: Actor, user_id: int, fields: dict) -> dict:
        """Some of: name, role, active, password_hash. Disabling releases the user's counters;
        the last active admin can be neither disabled nor demoted."""
        now = self.clock.now()
        with self.store.write() as tx:
            row = tx.user(user_id)
            if row is None:
                raise NotFound(f"Unknown user {user_id}.", user=user_id)
            role = fields.get("role", row.role)
            active = fields.get("active", bool(row.active))
            if row.role == "admin" and row.active and (role != "admin" or not active):
                admins = [u for u in tx.users() if u.role == "admin" and u.active]
                if len(admins) <= 1:
                    raise Conflict(
                        "This is the last active admin; make another admin first.",
                        field="role" if role != "admin" else "active",
                    )
            values = {}
            if "name" in fields:
                values["display_name"] = fields["name"] or row.username
            if role != row.role:
                values["role"] = role
            if active != bool(row.active):
                values["active"] = active
            if "password_hash" in fields:
                values["password_hash"] = fields["password_hash"]
            if values:
                tx.update_user(user_id, **values)
            changed_tickets = []
            if not active:
                for counter in tx.counters():
                    if counter.held_by == user_id:
                        changed_tickets += self._free_counter(tx, counter, actor, now)
            logged = {k: v for k, v in values.items() if k != "password_hash"}
            self._admin_log(
                tx,
                "user_saved",
                actor,
                now,
                data={
                    "user": user_id,
                    "changed": logged,
                    "password_reset": "password_hash" in values,
                },
            )
            view = self._user_view(tx.user(user_id), [])
            change = self._admin_change(tx, changed_tickets)
        self.publish(change)
        return view

    # --- venue and opening hours ----------------------------------------------------------
    def venue_settings(self) -> dict:
        with self.store.read() as tx:
            venue = tx.setting("venue") or {}
            return {
                "name": venue.get("name", ""),
                "ticker": venue.get("ticker", ""),
                "ticket_text": venue.get("ticket_text", ""),
                "timezone": venue.get("timezone", str(self.clock.tz)),
                "opening": OpeningHours.from_json(tx.setting("opening")).to_json(),
            }

    def save_venue(self, actor: Actor, fields: dict) -> dict:
        """Some of: name, ticker, opening (the JSON of ``OpeningHours``)."""
        now = self.clock.now()
        opening = None
        if "opening" in fields:
            opening = OpeningHours.from_json(fields["opening"]).to_json()  # Invalid → 400
        with self.store.write() as tx:
            venue = dict(tx.setting("venue") or {})
            for key in ("name", "ticker", "ticket_text"):
                if key in fields:
                    venue[key] = fields[key]
            tx.set_setting("venue", venue)
            if opening is not None:
                tx.set_setting("opening", opening)
            data = {k: v for k, v in fields.items() if k != "opening"}
            if opening is not None:
                data["opening"] = opening
            self._admin_log(tx, "venue_saved", actor, now, data=data)
            change = self._admin_change(tx)
        self.publish(change)
        return self.venue_settings()

    # --- pop-up events --------------------------------------------------------------------
    @staticmethod
    def _popup_view(row: dict, current: int | None) -> dict:
        view = {k: row[k] for k in ("id", *POPUP_FIELDS)}
        return {**view, "current": row["id"] == current, "created_at": iso(row["created_at"])}

    def popups_view(self) -> dict:
        with self.store.read() as tx:
            current = tx.current_popup_id()
            return {
                "current": current,
                "events": [self._popup_view(r, current) for r in reversed(tx.popups())],
            }

    def save_popup(
        self, actor: Actor, popup_id: int | None, fields: dict, make_current: bool
    ) -> dict:
        """Create or change a pop-up event (the fields of ``config.parse_event``); with
        ``make_current`` new tickets belong to it from now on."""
        now = self.clock.now()
        with self.store.write() as tx:
            if popup_id is not None and tx.popup(popup_id) is None:
                raise NotFound("No such pop-up event.", event=popup_id)
            if popup_id is None:
                fields = {"place": "", "address": "", **fields}
                fields.setdefault("key", str(uuid.uuid4()))
            key = fields.get("key")
            if key is not None:
                other = tx.popup_by_key(key)
                if other is not None and other["id"] != popup_id:
                    raise Conflict(f"The id '{key}' belongs to another pop-up event.", field="id")
            merged = {**(tx.popup(popup_id) or {}), **fields}
            first, last = merged.get("first_day"), merged.get("last_day")
            if first and last and first > last:
                raise Invalid("'first_day' must not be after 'last_day'.", field="last_day")
            saved = tx.save_popup(popup_id, fields, now)
            if make_current:
                tx.set_current_popup(saved)
            self._admin_log(
                tx,
                "event_saved",
                actor,
                now,
                data={"event": saved, "created": popup_id is None, "current": make_current},
            )
            view = self._popup_view(tx.popup(saved), tx.current_popup_id())
            change = self._admin_change(tx)
        self.publish(change)
        return view

    # --- the site file --------------------------------------------------------------------
    def apply_site(self, actor: Actor, site) -> None:
        """Write a parsed site file (``config.Site``) into the database, as at start."""
        now = self.clock.now()
        with self.store.write() as tx:
            check_site(tx, site)
            write_site(tx, site, now)
            self._admin_log(
                tx,
                "site_applied",
                actor,
                now,
                data={"services": len(site.services), "counters": len(site.counters)},
            )
            change = self._admin_change(tx)
        self.publish(change)

    # --- end of the day -------------------------------------------------------------------
    def close_past_days(self) -> dict | None:
        """A day nobody closed (the laptop ran, or slept, past midnight) is closed as the admin
        would have: its open tickets end (served → done, the others cancelled, reason
        "day_closed", logged on their own day), counters still held or pointing at them are
        released. Runs at start and whenever the day changes (``housekeeping``). None when
        there was nothing to do."""
        now = self.clock.now()
        today = self.clock.day(now)
        with self.store.read() as tx:
            stale = tx.open_tickets_before(today)
            held = [
                c
                for c in tx.counters()
                if c.held_by is not None
                and (since := tx.held_since(c.id)) is not None
                and self.clock.day(since) < today
            ]
        if not stale and not held:
            return None
        counts = {"cancelled": 0, "finished": 0, "counters_released": 0}
        system = Actor(None, "system", "admin")
        with self.store.write() as tx:
            changed = []
            for ticket in tx.open_tickets_before(today):
                transition = ticket.close_day(now, None)
                tx.log(transition, ticket.day, ticket.number)
                tx.save_ticket(ticket)
                counts[transition.kind] += 1
                changed.append(ticket)
            stale_ids = {t.id for t in changed}
            for counter in tx.counters():
                since = tx.held_since(counter.id)
                old_hold = counter.held_by is not None and since and self.clock.day(since) < today
                if old_hold or counter.current_ticket_id in stale_ids:
                    counts["counters_released"] += counter.held_by is not None
                    counter.current_ticket_id = None
                    self._free_counter(tx, counter, system, now)
            days = sorted({t.day for t in changed})
            self._admin_log(
                tx, "day_closed", system, now, data={**counts, "auto": True, "days": days}
            )
            change = self._admin_change(tx, changed)
        self.publish(change)
        return {"days": days, **counts}

    def close_day(self, actor: Actor) -> dict:
        """Every ticket of today still open ends (served → done, waiting/called → cancelled,
        reason "day_closed"); every counter is released and unpaused. Numbers restart by
        themselves tomorrow (they count per day and prefix). Appointments nobody came for are
        no-shows, and the names of the day's bookings are deleted (GDPR)."""
        now = self.clock.now()
        day = self.clock.day(now)
        counts = {"cancelled": 0, "finished": 0, "counters_released": 0}
        counts.update(appointments_missed=0, names_deleted=0)
        with self.store.write() as tx:
            changed = []
            for counter in tx.counters():
                if counter.held_by is not None or counter.paused:
                    counts["counters_released"] += counter.held_by is not None
                    counter.current_ticket_id = None  # its ticket is closed below
                    self._free_counter(tx, counter, actor, now)
            for ticket in tx.open_tickets(day):
                transition = ticket.close_day(now, actor.id)
                tx.log(transition, ticket.day, ticket.number)
                tx.save_ticket(ticket)
                counts[transition.kind] += 1
                changed.append(ticket)
            for a in tx.appointments(day, status=BOOKED):
                a.status = NO_SHOW
                tx.save_appointment(a)
                data = {"appointment": a.id, "day": a.day, "slot": a.slot, "status": a.status}
                transition = Transition(
                    "appointment_no_show", None, now, None, None, service_id=a.service_id, data=data
                )
                tx.log(transition, day)
                counts["appointments_missed"] += 1
            counts["names_deleted"] = tx.forget_names(day)
            self._admin_log(tx, "day_closed", actor, now, data=counts)
            change = self._admin_change(tx, changed)
        self.publish(change)
        return {"day": day, **counts}
