"""Data exchange between installations, and the statistics as CSV/xlsx (issue 7).

**Export** (``wartemarke export --out FILE.json``) writes one JSON file::

    {"format": "wartemarke-export", "version": 2, "installation_id": "…", "exported_at": "…",
     "app_version": "…", "venue": "…", "timezone": "Europe/Berlin", "from": "…"|null,
     "to": "…"|null, "services": [{"id","name","prefix","expected_minutes"}],
     "counters": [{"id","name"}],
     "popups": [{"key","name","place","address","district","first_day","last_day"}],
     "tickets": [{…, "popup": key|null}], "events": [{…, "popup": key|null}],
     "visit_cases": [...], "feedback": [...]}

``installation_id`` is a random id created in the ``settings`` table on first use. Tickets keep
id, day, number, service and status fields and all timestamps (ISO 8601, UTC) but **not their
token** (a secret: it opens the visitor's phone page). Events are the ticket events the
statistics read (``reports.STATS_KINDS``); ``user_id`` is **dropped** (not written): a clerk's id
means nothing elsewhere, it would be credited to whichever local account has the same id, and the
file leaves the laptop. No user names, password hashes, admin or counter events are written.
Without ``--from``/``--to`` everything is exported; with them the tickets of those days (and any
ticket an exported event refers to), their events, cases and answers.

**Pop-ups** (version 2): ``popups`` holds the pop-up events the exported tickets and events
belong to, without their local ids; each ticket and each event names its pop-up by ``key`` (the
global id: a UUID, the site file's ``[event] id``, or its name if it has none; up to 64
characters), ``null`` if it has none. An event's pop-up is the one that was current when it was
written (``events.popup_id``), usually its ticket's.

**Import** (``wartemarke import FILE.json``) merges such a file into a central installation in one
transaction, without a schema change:

* Pop-ups map by ``key``: a missing one is created with the file's fields; of a known one, only
  fields the central left empty are filled in from the file (the central's own details win).
  Imported tickets and events get the local id of their pop-up. The import never changes which
  pop-up is *current* at the central (``settings.current_popup``, where its own new tickets go).
  **Version 1 files** (from before pop-ups) are still accepted: their tickets and events go to
  a pop-up created for the file's installation id and venue name (key
  ``import:<installation_id>:<8 hex digits of the venue name's SHA-256>``, name = the venue,
  days = the file's first and last day, widened by later imports of that laptop). So does
  anything of a version 2 file without a pop-up. A ticket imported again with a different
  pop-up (a laptop's version 1 file, later a version 2 file) moves to it with its events.
* Services map by (prefix, name), else by name, to local services; a missing one is created
  *disabled* (it must not appear on the central's kiosk) with its prefix, or ``~1``, ``~2``, …
  when that prefix is taken by another service. Counters map by name, created disabled if
  missing. So "Schalter 1" of two laptops is one counter in the central's figures.
* Every imported row gets a new local id; the pairs (installation, original ticket id) → local
  id are recorded in ``settings`` under ``import:<installation_id>:<day>`` (one small JSON object
  per installation and day, holding also the last original event id imported for that day).
  A ticket seen before is updated (its status may have moved on), a new one inserted; an event
  is inserted only if its original id is above the day's mark (event ids grow, and an export
  always holds whole days). Cases and answers of the file's tickets replace the earlier import's.
  Importing the same file twice therefore changes nothing; a later, longer export of the same
  laptop adds only what is new. A file of the central's own installation id is refused.
* **Numbers.** ``tickets(day, number)`` is unique, and two laptops both hand out A001 on the same
  day; the central may also issue its own A001 that day (its number counter knows nothing of
  imports, so an imported A001 would make its next issue fail). Relaxing the constraint would
  weaken the guarantee the live queue relies on and needs a migration; suffixing the number does
  not fit ``String(8)`` ("ABC1234" is already 7). So an imported ticket's row gets the number
  ``#<local id>``: unique, never produced by the numbering (prefixes are letters) and never
  callable by a clerk (``call`` accepts letters and digits only). The original number is kept
  where it is meaningful: in the imported events (``events.number``, so the CSV of the event log
  shows A001) and in the mapping. Tokens are regenerated (random, never shown).
* Ticket statuses are kept as they were on the laptop. A ticket left waiting there stays
  "waiting": for a past day that is what ``waiting_left`` counts. If the central installation
  itself hands out numbers today, a file with tickets still open today is refused: they would
  join its live queue. Close the day on the laptop first (admin, "Tagesabschluss").
* ``peak_queue`` of a day with several installations replays their events one file after the
  other, so it is not a combined peak; every other figure adds up. Of a single laptop, every
  figure of ``/api/stats`` is the same at the central as on the laptop (services and counters
  matched by name; local ids of services, counters and pop-ups may differ).

**CSV/xlsx** of the event log (anonymous: no user ids) and the statistics tables ``by_service``,
``by_hour``, ``by_day``: CSV is UTF-8 with BOM, ``;`` separated, decimal comma, CRLF lines — what
German Excel opens correctly by double click; xlsx holds one sheet per table with real numbers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import secrets
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from . import __version__
from .config import parse_event
from .districts import OUTSIDE, STADTBEZIRKE
from .domain.model import DomainError
from .stats import UNKNOWN, collect
from .store import schema as s
from .store.reports import STATS_KINDS
from .store.repository import POPUP_FIELDS

FORMAT = "wartemarke-export"
VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: from before pop-ups (see the module docstring)
INSTALLATION_KEY = "installation_id"
INSTALLATION_RE = re.compile(r"^[A-Za-z0-9-]{8,40}$")
ALL_DAYS = ("0000-01-01", "9999-12-31")
TABLES = ("events", "by_service", "by_hour", "by_day", "by_event", "appointments")

TICKET_FIELDS = (
    "id",
    "day",
    "number",
    "service_id",
    "original_service_id",
    "status",
    "priority",
    "lang",
    "issued_at",
    "queued_at",
    "called_at",
    "serving_at",
    "finished_at",
    "counter_id",
    "recalls",
)
TICKET_TIMES = ("issued_at", "queued_at", "called_at", "serving_at", "finished_at")
EVENT_FIELDS = (
    "id",
    "at",
    "day",
    "kind",
    "ticket_id",
    "number",
    "from_status",
    "to_status",
    "service_id",
    "counter_id",
    "data",
)


class ExchangeError(ValueError):
    """A file that cannot be imported; the message says why."""


# --- installation id ----------------------------------------------------------------------


def installation_id(store) -> str:
    """This installation's id, created (random) on first use."""
    with store.read() as tx:
        found = tx.setting(INSTALLATION_KEY)
    if found:
        return found
    with store.write(publish=False) as tx:
        found = tx.setting(INSTALLATION_KEY)
        if not found:
            found = secrets.token_hex(16)
            tx.set_setting(INSTALLATION_KEY, found)
    return found


# --- export -------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ExchangeError(f"time without zone: {value!r}")
    return parsed


def export_data(store, first: str | None = None, last: str | None = None) -> dict:
    """The exchange file's content for the days ``first``..``last`` (both None: everything)."""
    inst = installation_id(store)
    lo, hi = (first, last) if first and last else ALL_DAYS
    t, e = s.tickets, s.events
    with store.read() as tx:
        conn = tx.conn
        venue = tx.setting("venue") or {}
        services = [
            dict(r._mapping)
            for r in conn.execute(
                select(s.services.c.id, s.services.c.name, s.services.c.prefix,
                       s.services.c.expected_minutes).order_by(s.services.c.id)
            )
        ]  # fmt: skip
        counters = [
            dict(r._mapping)
            for r in conn.execute(
                select(s.counters.c.id, s.counters.c.name).order_by(s.counters.c.id)
            )
        ]
        in_range = (e.c.day >= lo) & (e.c.day <= hi) & e.c.kind.in_(STATS_KINDS)
        events = [
            dict(r._mapping)
            for r in conn.execute(
                select(*(e.c[name] for name in EVENT_FIELDS), e.c.popup_id)
                .where(in_range)
                .order_by(e.c.id)
            )
        ]
        referenced = select(e.c.ticket_id).where(in_range & e.c.ticket_id.is_not(None))
        tickets = [
            dict(r._mapping)
            for r in conn.execute(
                select(*(t.c[name] for name in TICKET_FIELDS), t.c.popup_id)
                .where(((t.c.day >= lo) & (t.c.day <= hi)) | t.c.id.in_(referenced))
                .order_by(t.c.id)
            )
        ]
        # The pop-ups those tickets and events belong to, by their global key.
        used = {row["popup_id"] for row in tickets + events} - {None}
        popups = [p for p in tx.popups() if p["id"] in used]
        key_of = {p["id"]: p["key"] for p in popups}
        popups = [{name: p[name] for name in POPUP_FIELDS} for p in popups]
        ids = [row["id"] for row in tickets]
        v, f = s.visit_cases, s.feedback
        cases, answers = [], []
        for start in range(0, len(ids), 500):  # keep the IN lists short
            chunk = ids[start : start + 500]
            cases += [
                dict(r._mapping)
                for r in conn.execute(
                    select(v.c.ticket_id, v.c.service_id, v.c.count)
                    .where(v.c.ticket_id.in_(chunk))
                    .order_by(v.c.ticket_id, v.c.service_id)
                )
            ]
            answers += [
                dict(r._mapping)
                for r in conn.execute(
                    select(f.c.ticket_id, f.c.day, f.c.service_id, f.c.rating, f.c.district, f.c.at)
                    .where(f.c.ticket_id.in_(chunk))
                    .order_by(f.c.ticket_id)
                )
            ]
    for row in tickets:
        for name in TICKET_TIMES:
            row[name] = _iso(row[name])
        row["popup"] = key_of.get(row.pop("popup_id"))
    for row in events:
        row["at"] = _iso(row["at"])
        row["popup"] = key_of.get(row.pop("popup_id"))
    for row in answers:
        row["at"] = _iso(row["at"])
    return {
        "format": FORMAT,
        "version": VERSION,
        "installation_id": inst,
        "exported_at": _iso(datetime.now(UTC)),
        "app_version": __version__,
        "venue": venue.get("name", ""),
        "timezone": venue.get("timezone"),
        "from": first,
        "to": last,
        "services": services,
        "counters": counters,
        "popups": popups,
        "tickets": tickets,
        "events": events,
        "visit_cases": cases,
        "feedback": answers,
    }


def write_json(data: dict, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


# --- import -------------------------------------------------------------------------------


def _check(data) -> str:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ExchangeError("not a Wartemarke export file")
    version = data.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise ExchangeError(f"unsupported export version {version!r}")
    inst = data.get("installation_id")
    if not isinstance(inst, str) or not INSTALLATION_RE.match(inst):
        raise ExchangeError("the file has no valid installation_id")
    lists = ("services", "counters", "tickets", "events", "visit_cases", "feedback")
    for key in lists + (("popups",) if version >= 2 else ()):
        if not isinstance(data.get(key), list):
            raise ExchangeError(f"the file has no list {key!r}")
    return inst


def _file_popups(data: dict) -> dict[str, dict]:
    """The file's pop-ups by key, checked like the site file's [event] (version 1: none)."""
    if data["version"] < 2:
        return {}
    popups: dict[str, dict] = {}
    for item in data["popups"]:
        key = item.get("key") if isinstance(item, dict) else None
        # Any stored key goes: a site file's [event] without an id is keyed by its name.
        if not isinstance(key, str) or not 0 < len(key) <= 64:
            raise ExchangeError("a pop-up in the file has no key (1 to 64 characters)")
        fields = {k: item.get(k) for k in POPUP_FIELDS if k in item and k != "key"}
        for name in ("place", "address"):
            fields[name] = fields.get(name) or ""
        try:
            popups[key] = {"key": key} | parse_event(fields)
        except DomainError as exc:
            raise ExchangeError(f"pop-up {key!r}: {exc.message}") from None
    return popups


def _fallback_popup_key(inst: str, venue: str) -> str:
    digest = hashlib.sha256(venue.encode("utf-8")).hexdigest()[:8]
    return f"import:{inst}:{digest}"


class _Popups:
    """Maps the file's pop-up keys to local pop-up ids, creating missing pop-ups on first use;
    ``None`` (a version 1 file, or a row without pop-up) maps to the file's fallback pop-up."""

    def __init__(self, tx, data: dict, inst: str, created: list[str]) -> None:
        self.tx = tx
        self.file = _file_popups(data)
        self.created = created
        self.now = datetime.now(UTC)
        self.local: dict[str | None, int] = {}
        venue = data.get("venue") if isinstance(data.get("venue"), str) else ""
        self.fallback = {
            "key": _fallback_popup_key(inst, venue),
            "name": venue.strip()[:200] or "Pop-Up-Bürgerbüro",
            "place": "",
            "address": "",
        }
        # The days of what goes to the fallback pop-up, to set or widen its first/last day.
        self.fallback_days: set[str] = set()

    def id(self, key: str | None, day: str | None = None) -> int:
        if key is None:
            if day:
                self.fallback_days.add(day)
        elif key not in self.file:
            raise ExchangeError(f"the file refers to pop-up {key!r}, which it lacks")
        if key not in self.local:
            values = self.fallback if key is None else self.file[key]
            known = self.tx.popup_by_key(values["key"])
            if known is None:
                self.local[key] = self.tx.save_popup(None, values, self.now)
                self.created.append(values["name"])
            else:
                # The central's own details win; only what it left empty is filled in.
                missing = {
                    k: v
                    for k, v in values.items()
                    if k != "key" and v not in (None, "") and known.get(k) in (None, "")
                }
                if missing:
                    self.tx.save_popup(known["id"], missing, self.now)
                self.local[key] = known["id"]
        return self.local[key]

    def finish(self) -> None:
        """Set or widen the fallback pop-up's days to cover what went to it."""
        if None not in self.local or not self.fallback_days:
            return
        popup = self.tx.popup(self.local[None])
        first = min(self.fallback_days | {popup["first_day"] or "9999-12-31"})
        last = max(self.fallback_days | {popup["last_day"] or "0000-01-01"})
        if (first, last) != (popup["first_day"], popup["last_day"]):
            self.tx.save_popup(popup["id"], {"first_day": first, "last_day": last}, self.now)


def _map_services(conn, services: list[dict], created: list[str]) -> dict[int, int]:
    local = [dict(r._mapping) for r in conn.execute(select(s.services))]
    mapping: dict[int, int] = {}
    for svc in services:
        match = next(
            (r for r in local if (r["prefix"], r["name"]) == (svc["prefix"], svc["name"])), None
        ) or next((r for r in local if r["name"] == svc["name"]), None)
        if match is None:
            taken = {r["prefix"] for r in local}
            prefix = svc["prefix"]
            n = 0
            while prefix in taken:
                n += 1
                prefix = f"~{n}"
            row = {
                "name": svc["name"],
                "prefix": prefix,
                "expected_minutes": float(svc.get("expected_minutes") or 10),
                "description": "",
                "enabled": False,
                "manual_open": None,
                "sort": max((r["sort"] for r in local), default=0) + 1,
            }
            row["id"] = conn.execute(
                insert(s.services).values(**row).returning(s.services.c.id)
            ).scalar_one()
            local.append(row)
            created.append(svc["name"])
            match = row
        mapping[svc["id"]] = match["id"]
    return mapping


def _map_counters(conn, counters: list[dict], created: list[str]) -> dict[int, int]:
    local = {r.name: r.id for r in conn.execute(select(s.counters.c.id, s.counters.c.name))}
    mapping: dict[int, int] = {}
    for counter in counters:
        if counter["name"] not in local:
            local[counter["name"]] = conn.execute(
                insert(s.counters)
                .values(name=counter["name"], enabled=False, paused=False)
                .returning(s.counters.c.id)
            ).scalar_one()
            created.append(counter["name"])
        mapping[counter["id"]] = local[counter["name"]]
    return mapping


OPEN = ("waiting", "called", "serving")


def _serving_on(store, day: str) -> bool:
    """Whether this installation handed out numbers of its own that day (imports do not count:
    they never touch the running numbers)."""
    nc = s.number_counters
    with store.read() as tx:
        return tx.conn.execute(select(nc.c.day).where(nc.c.day == day).limit(1)).first() is not None


def import_data(store, data: dict, today: str | None = None) -> dict:
    """Merge an export into ``store`` (see the module docstring); returns what it did."""
    inst = _check(data)
    if inst == installation_id(store):
        raise ExchangeError("this file was exported by this installation itself")
    still_open = [
        t.get("number")
        for t in data["tickets"]
        if t.get("day") == today and t.get("status") in OPEN
    ]
    if still_open and _serving_on(store, today):
        raise ExchangeError(
            f"the file holds tickets still open today ({', '.join(map(str, still_open[:5]))}): "
            "close the day on that laptop first (admin, Tagesabschluss), then export again"
        )
    result = {
        "installation_id": inst,
        "tickets_new": 0,
        "tickets_updated": 0,
        "events_new": 0,
        "services_created": [],
        "counters_created": [],
        "popups_created": [],
    }
    with store.write(publish=False) as tx:
        conn = tx.conn
        svc = _map_services(conn, data["services"], result["services_created"])
        ctr = _map_counters(conn, data["counters"], result["counters_created"])
        popups = _Popups(tx, data, inst, result["popups_created"])

        def service(old):
            if old is None:
                return None
            if old not in svc:
                raise ExchangeError(f"unknown service id {old} in the file")
            return svc[old]

        def counter(old):
            return None if old is None else ctr.get(old)

        days = {t["day"] for t in data["tickets"]} | {e["day"] for e in data["events"]}
        marks: dict[str, dict] = {}
        for day in sorted(days):
            if not isinstance(day, str) or len(day) != 10:
                raise ExchangeError(f"bad day {day!r} in the file")
            marks[day] = tx.setting(f"import:{inst}:{day}") or {"tickets": {}, "last_event": 0}
        before = json.dumps(marks, sort_keys=True)
        local_ticket: dict[int, int] = {}
        for mark in marks.values():
            local_ticket.update({int(k): v[0] for k, v in mark["tickets"].items()})
        popup_of_ticket: dict[int, int] = {}  # original ticket id -> local pop-up id

        archived: set[int] = set()  # the file's tickets whose day the central has archived
        for t in data["tickets"]:
            popup_id = popups.id(t.get("popup"), t["day"])
            popup_of_ticket[t["id"]] = popup_id
            values = {
                "service_id": service(t["service_id"]),
                "original_service_id": service(t.get("original_service_id")),
                "status": t["status"],
                "priority": t.get("priority") or 0,
                "queued_at": _time(t["queued_at"]),
                "called_at": _time(t.get("called_at")),
                "serving_at": _time(t.get("serving_at")),
                "finished_at": _time(t.get("finished_at")),
                "counter_id": counter(t.get("counter_id")),
                "recalls": t.get("recalls") or 0,
                "popup_id": popup_id,
            }
            known = local_ticket.get(t["id"])
            if known is not None:
                row = conn.execute(select(s.tickets).where(s.tickets.c.id == known)).first()
                if row is None:  # no longer at the central: its day was archived (retention)
                    archived.add(t["id"])  # counted in the day's aggregate; nothing to add
                    continue
                if any(getattr(row, k) != v for k, v in values.items()):
                    conn.execute(update(s.tickets).where(s.tickets.c.id == known).values(**values))
                    result["tickets_updated"] += 1
                if row.popup_id != popup_id:
                    # Now with its laptop's own pop-up (e.g. a version 1 file imported before):
                    # its events imported with the old one move along.
                    conn.execute(
                        update(s.events)
                        .where(
                            (s.events.c.ticket_id == known) & (s.events.c.popup_id == row.popup_id)
                        )
                        .values(popup_id=popup_id)
                    )
                continue
            placeholder = "#" + secrets.token_hex(3)
            new_id = conn.execute(
                insert(s.tickets)
                .values(
                    day=t["day"],
                    number=placeholder,
                    token=secrets.token_urlsafe(32),
                    issued_at=_time(t["issued_at"]),
                    lang=t.get("lang") or "de",
                    **values,
                )
                .returning(s.tickets.c.id)
            ).scalar_one()
            conn.execute(
                update(s.tickets).where(s.tickets.c.id == new_id).values(number=f"#{new_id}")
            )
            local_ticket[t["id"]] = new_id
            marks[t["day"]]["tickets"][str(t["id"])] = [new_id, t["number"]]
            result["tickets_new"] += 1

        def ticket(old):
            if old is None:
                return None
            if old not in local_ticket:
                raise ExchangeError(f"event refers to ticket {old}, which the file lacks")
            return local_ticket[old]

        def event_popup(ev) -> int:
            """The event's own pop-up, else its ticket's, else the file's fallback pop-up."""
            if ev.get("popup") is not None:
                return popups.id(ev["popup"])
            old = ev.get("ticket_id")
            if old is not None and old not in popup_of_ticket:
                popup_of_ticket[old] = conn.execute(
                    select(s.tickets.c.popup_id).where(s.tickets.c.id == ticket(old))
                ).scalar()
            if old is not None and popup_of_ticket[old] is not None:
                return popup_of_ticket[old]
            return popups.id(None, ev["day"])

        for ev in sorted(data["events"], key=lambda ev: ev["id"]):
            mark = marks[ev["day"]]
            if ev["id"] <= mark["last_event"] or ev.get("ticket_id") in archived:
                continue
            conn.execute(
                insert(s.events).values(
                    at=_time(ev["at"]),
                    day=ev["day"],
                    kind=ev["kind"],
                    ticket_id=ticket(ev.get("ticket_id")),
                    number=ev.get("number"),
                    from_status=ev.get("from_status"),
                    to_status=ev.get("to_status"),
                    service_id=service(ev.get("service_id")),
                    counter_id=counter(ev.get("counter_id")),
                    user_id=None,
                    data=ev.get("data"),
                    popup_id=event_popup(ev),
                )
            )
            mark["last_event"] = ev["id"]
            result["events_new"] += 1

        # Cases and answers of the file's tickets replace what an earlier import stored.
        cases: dict[int, dict[int, int]] = {t["id"]: {} for t in data["tickets"]}
        for row in data["visit_cases"]:
            per = cases.setdefault(row["ticket_id"], {})
            sid = service(row["service_id"])
            per[sid] = per.get(sid, 0) + row["count"]
        v = s.visit_cases
        for old, wanted in cases.items():
            if old in archived:
                continue
            tid = ticket(old)
            have = dict(
                conn.execute(select(v.c.service_id, v.c.count).where(v.c.ticket_id == tid)).all()
            )
            if have != wanted:
                conn.execute(delete(v).where(v.c.ticket_id == tid))
                for sid, n in wanted.items():
                    conn.execute(insert(v).values(ticket_id=tid, service_id=sid, count=n))
        f = s.feedback
        for row in data["feedback"]:
            if row["ticket_id"] in archived:
                continue
            tid = ticket(row["ticket_id"])
            values = {
                "day": row["day"],
                "service_id": service(row["service_id"]),
                "rating": row.get("rating"),
                "district": row.get("district"),
                "at": _time(row["at"]),
            }
            have = conn.execute(select(f).where(f.c.ticket_id == tid)).first()
            if have is None:
                conn.execute(insert(f).values(ticket_id=tid, **values))
            elif any(getattr(have, k) != val for k, val in values.items()):
                conn.execute(update(f).where(f.c.ticket_id == tid).values(**values))

        popups.finish()
        if json.dumps(marks, sort_keys=True) != before:
            for day, mark in marks.items():
                tx.set_setting(f"import:{inst}:{day}", mark)
    return result


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ExchangeError(f"{path} is not JSON: {exc}") from None


# --- statistics tables as CSV / xlsx --------------------------------------------------------


def _summary_columns(prefix: str) -> list[str]:
    return [f"{prefix}_{k}" for k in ("mean", "median", "p90", "n")]


def stats_tables(
    store, first: str, last: str, tz: tzinfo = UTC, event=None
) -> dict[str, tuple[list, list]]:
    """``{table: (header, rows)}`` for the event log and the statistics of the range; with
    ``event`` (a pop-up's id or key, see ``stats.collect``) those of that pop-up only."""
    stats = collect(store, first, last, tz, event=event)
    e, t = s.events, s.tickets
    where = (e.c.day >= first) & (e.c.day <= last) & e.c.kind.in_(STATS_KINDS)
    if stats["event"] is not None:
        # A ticket's events belong to the ticket's pop-up, a refusal to the one it names.
        owner = func.coalesce(t.c.popup_id, e.c.popup_id)
        where &= owner == stats["event"]["id"]
    with store.read() as tx:
        services = dict(tx.conn.execute(select(s.services.c.id, s.services.c.name)).all())
        counters = dict(tx.conn.execute(select(s.counters.c.id, s.counters.c.name)).all())
        rows = tx.conn.execute(
            select(*(e.c[name] for name in EVENT_FIELDS))
            .select_from(e.outerjoin(t, t.c.id == e.c.ticket_id))
            .where(where)
            .order_by(e.c.id)
        ).all()
    events = [
        [
            r.id,
            r.at.astimezone(tz).replace(tzinfo=None),
            r.day,
            r.kind,
            r.ticket_id,
            r.number,
            r.from_status,
            r.to_status,
            r.service_id,
            services.get(r.service_id),
            r.counter_id,
            counters.get(r.counter_id),
            json.dumps(r.data, ensure_ascii=False) if r.data else None,
        ]
        for r in rows
    ]
    events_header = [
        "id",
        "at_local",
        "day",
        "kind",
        "ticket_id",
        "number",
        "from_status",
        "to_status",
        "service_id",
        "service",
        "counter_id",
        "counter",
        "data",
    ]

    def flat(row: dict, keys: list[str], summaries: list[str]) -> list:
        out = [row[k] for k in keys]
        for name in summaries:
            out += [row[name][k] for k in ("mean", "median", "p90", "n")]
        return out

    service_keys = [
        "id",
        "name",
        "issued",
        "served",
        "no_show",
        "cancelled",
        "waiting_left",
        "turned_away",
        "cases",
    ]
    day_keys = [
        "day",
        "issued",
        "served",
        "no_show",
        "cancelled",
        "waiting_left",
        "turned_away",
        "peak_queue",
    ]
    hour_keys = ["hour", "issued", "called", "served", "wait_mean"]
    event_keys = ["id", "key", "name", "place", "district", "first_day", "last_day"]
    event_keys += [*day_keys[1:], "persons", "cases"]
    homes = [*(str(b) for b in STADTBEZIRKE), OUTSIDE, UNKNOWN]

    def event_row(row: dict) -> list:
        return flat(row, event_keys, ["wait_min", "service_min"]) + [
            row["districts"].get(home, 0) for home in homes
        ]

    # Appointments and walk-ins: one row per figure (figure; value), summaries as 4 rows each
    # (``punctuality_min_median`` …), the two groups prefixed (``walk_ins_issued`` …).
    booked = stats["appointments"]
    summary_keys = ("mean", "median", "p90", "n")
    figures: list[list] = []
    for name, value in booked.items():
        if name == "by_service":
            continue
        if name in ("walk_ins", "with_appointment"):
            for key, part in value.items():
                if isinstance(part, dict):
                    figures += [[f"{name}_{key}_{k}", part[k]] for k in summary_keys]
                else:
                    figures.append([f"{name}_{key}", part])
        elif isinstance(value, dict):
            figures += [[f"{name}_{k}", value[k]] for k in summary_keys]
        else:
            figures.append([name, value])

    return {
        "events": (events_header, events),
        "by_service": (
            service_keys + _summary_columns("wait_min") + _summary_columns("service_min"),
            [flat(r, service_keys, ["wait_min", "service_min"]) for r in stats["by_service"]],
        ),
        "by_hour": (hour_keys, [flat(r, hour_keys, []) for r in stats["by_hour"]]),
        "by_day": (
            day_keys + _summary_columns("wait_min"),
            [flat(r, day_keys, ["wait_min"]) for r in stats["by_day"]],
        ),
        "by_event": (
            event_keys
            + _summary_columns("wait_min")
            + _summary_columns("service_min")
            + [f"from_{home}" for home in homes],
            [event_row(r) for r in stats["by_event"]],
        ),
        "appointments": (["figure", "value"], figures),
    }


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def to_csv(header: list, rows: list) -> bytes:
    """UTF-8 with BOM, ``;`` separated, decimal comma: as German Excel expects it."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(tables: dict[str, tuple[list, list]]) -> bytes:
    """One sheet per table, header row bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    def clean(row: list) -> list:
        # Control characters (a name typed with one) have no place in a sheet's XML: dropped.
        return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row]

    book = Workbook()
    book.remove(book.active)
    for name, (header, rows) in tables.items():
        sheet = book.create_sheet(name)
        sheet.append(clean(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in rows:
            sheet.append(clean(row))
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # a name like "=HYPERLINK(…)" is text, never a formula
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
