"""Settings from the command line, the environment and the site file (TOML).

Precedence: command-line option, then environment variable (``WARTEMARKE_*``), then the site
file, then the built-in default. The site file also describes the venue, its services and its
counters; those are written into the database at start, so the admin area and the file agree.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .districts import OUTSIDE, district_of
from .domain.appointments import Rules
from .domain.hours import OpeningHours
from .domain.model import DomainError, Invalid
from .i18n import KIOSK_LANGUAGES, LANGUAGES


class ConfigError(Exception):
    """A setting or site file that cannot be used; the message says what and where."""


PREFIX_RE = re.compile(r"^[A-Z]{1,3}$")
TICKET_TEXT_MAX = 300


@dataclass
class ServiceSpec:
    id: int
    name: str
    prefix: str
    minutes: float
    description: str = ""
    enabled: bool = True
    # Other languages than German: {"en": "ID card"} (see parse_translations).
    names: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    priority: int = 0


@dataclass
class CounterSpec:
    id: int
    name: str
    services: list[int]
    enabled: bool = True


@dataclass
class Site:
    # None: not set by the site file; the database keeps what it has (see bootstrap).
    venue: str | None = None
    # The announcement line running along the bottom of the wall display.
    ticker: str | None = None
    # Printed at the foot of every ticket (None: the built-in two lines, German and English).
    ticket_text: str | None = None
    timezone: str = "Europe/Berlin"
    public_url: str | None = None
    printer: str | None = None
    # A kiosk device gets `burst` tickets at once, then one per `interval` seconds.
    kiosk_burst: int = 3
    kiosk_interval: float = 5.0
    # After a ticket, the kiosk asks (optionally) in which Stadtbezirk the visitor lives.
    ask_district: bool = False
    # What the kiosk offers, in order (the first is its default); the wall display rotates
    # through them (Leichte Sprache is the kiosk's only). Codes: wartemarke.i18n.LANGUAGES.
    languages: tuple[str, ...] = KIOSK_LANGUAGES
    # The counter page suggests "no-show" after this many recalls.
    recalls_before_no_show: int = 2
    # The [opening] table as stored (None: the site file does not set opening hours).
    opening: dict | None = None
    # The [event] table: the pop-up event new tickets belong to (None: the database's current).
    event: dict | None = None
    # [appointments]: slots, check-in window, call order (domain/appointments.py).
    appointments: Rules = field(default_factory=Rules)
    # [data] retention_days: raw rows older than this many days become day aggregates
    # (see retention.py); None: the site file does not set it.
    retention_days: int | None = None
    services: list[ServiceSpec] = field(default_factory=list)
    counters: list[CounterSpec] = field(default_factory=list)


@dataclass
class Settings:
    data_dir: Path
    database: str | None = None
    host: str = "0.0.0.0"
    port: int = 8080
    config_file: Path | None = None
    printer: str | None = None
    public_url: str | None = None
    demo: bool = False
    message_queue: str | None = None
    # Reverse proxies in front of the server (nginx: 1): only then is the client's address taken
    # from X-Forwarded-For (login limits); without one, anybody could spoof it with the header.
    proxy_hops: int = 0
    # HTTPS: the certificate (chain) and its key, PEM; None: plain HTTP (an isolated LAN).
    certfile: str | None = None
    keyfile: str | None = None
    site: Site = field(default_factory=Site)
    # Seconds; Engine.IO's defaults (25 + 20) notice a dead screen only after about 45 s.
    ping_interval: float = 5.0
    ping_timeout: float = 5.0
    login_limit: str = "10 per minute"
    # Check-ins per client address: plenty for a kiosk, far too few to guess booking codes.
    checkin_limit: str = "60 per minute"
    # Tickets per client address for requests without a kiosk's device id (integrations,
    # scripts), e.g. "600 per minute"; off by default, so that other city systems and load
    # tests are never refused. Kiosks are paced per device (Site.kiosk_burst/kiosk_interval).
    ticket_limit: str = "off"
    # Seconds between checks whether the venue's day has changed (housekeeping.py).
    housekeeping_interval: float = 30.0
    # Rehearsal and tests only: the moment the server's clock starts at (see clock.Clock).
    clock_start: datetime | None = None
    # Rehearsal and tests only: the file the server's (frozen) time is read from (clock.Clock).
    clock_file: Path | None = None

    @property
    def kiosk_pace(self) -> dict:
        return {"burst": self.site.kiosk_burst, "interval": self.site.kiosk_interval}

    @property
    def database_url(self) -> str:
        if self.database:
            return self.database
        return f"sqlite:///{self.data_dir / 'wartemarke.sqlite3'}"

    @property
    def printer_url(self) -> str:
        return self.printer or self.site.printer or "virtual"

    @property
    def secure(self) -> bool:
        """Pages are reached over HTTPS (this server's TLS or a proxy's): cookies go over
        TLS only."""
        url = self.public_url or self.site.public_url or ""
        return bool(self.certfile) or url.lower().startswith("https://")


ENV = {
    "data_dir": "WARTEMARKE_DATA_DIR",
    "database": "WARTEMARKE_DATABASE",
    "host": "WARTEMARKE_HOST",
    "port": "WARTEMARKE_PORT",
    "config": "WARTEMARKE_CONFIG",
    "printer": "WARTEMARKE_PRINTER",
    "public_url": "WARTEMARKE_PUBLIC_URL",
    "demo": "WARTEMARKE_DEMO",
    "message_queue": "WARTEMARKE_MESSAGE_QUEUE",
    "proxy_hops": "WARTEMARKE_PROXY_HOPS",
    "certfile": "WARTEMARKE_CERTFILE",
    "keyfile": "WARTEMARKE_KEYFILE",
    "login_limit": "WARTEMARKE_LOGIN_LIMIT",
    "checkin_limit": "WARTEMARKE_CHECKIN_LIMIT",
    "housekeeping_interval": "WARTEMARKE_HOUSEKEEPING_SECONDS",
    "ticket_limit": "WARTEMARKE_TICKET_LIMIT",
    "clock_start": "WARTEMARKE_CLOCK_START",
    "clock_file": "WARTEMARKE_CLOCK_FILE",
}

DEFAULT_DATA_DIR = "wartemarke-data"
# The site file in the data directory, read when no --config is given (the admin saves it).
SITE_FILE = "site.toml"


def env_default(name: str, fallback=None):
    return os.environ.get(ENV[name], fallback)


def _require(table: dict, key: str, kind, where: str):
    if key not in table:
        raise ConfigError(f"{where}: '{key}' is missing")
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            value = float(value)
        except OverflowError:  # TOML's integers are unbounded here
            raise ConfigError(f"{where}: '{key}' is too large") from None
    if kind is int and isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ConfigError(f"{where}: '{key}' is too large")  # no database takes it
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"{where}: '{key}' must be {getattr(kind, '__name__', kind)}")
    return value


def parse_site(text: str, source: str = "site file") -> Site:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    site = Site()
    venue = data.get("venue", {})
    if not isinstance(venue, dict):
        raise ConfigError(f"{source}: [venue] must be a table")
    if "name" in venue:
        site.venue = str(venue["name"])[:200]
    site.timezone = str(venue.get("timezone", site.timezone))
    try:
        ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{source}: [venue] timezone '{site.timezone}' is unknown") from None
    site.public_url = venue.get("public_url")
    if "ticker" in venue:
        site.ticker = str(venue["ticker"])[:500]
    if "ticket_text" in venue:
        site.ticket_text = str(venue["ticket_text"])[:TICKET_TEXT_MAX]
    printer = data.get("printer", {})
    if isinstance(printer, dict) and printer.get("url"):
        site.printer = str(printer["url"])

    kiosk = data.get("kiosk", {})
    if not isinstance(kiosk, dict):
        raise ConfigError(f"{source}: [kiosk] must be a table")
    if "burst" in kiosk:
        site.kiosk_burst = _require(kiosk, "burst", int, f"{source}: [kiosk]")
    if "seconds_per_ticket" in kiosk:
        site.kiosk_interval = _require(kiosk, "seconds_per_ticket", float, f"{source}: [kiosk]")
    if "ask_district" in kiosk:
        site.ask_district = _require(kiosk, "ask_district", bool, f"{source}: [kiosk]")
    if "languages" in kiosk:
        site.languages = _languages(kiosk["languages"], f"{source}: [kiosk] languages")
    if site.kiosk_burst < 1 or not 0 <= site.kiosk_interval < float("inf"):  # nan fails too
        raise ConfigError(f"{source}: [kiosk] burst must be at least 1, seconds_per_ticket >= 0")

    counter = data.get("counter", {})
    if not isinstance(counter, dict):
        raise ConfigError(f"{source}: [counter] must be a table")
    if "recalls_before_no_show" in counter:
        site.recalls_before_no_show = _require(
            counter, "recalls_before_no_show", int, f"{source}: [counter]"
        )
        if not 0 <= site.recalls_before_no_show <= 20:
            raise ConfigError(f"{source}: [counter] recalls_before_no_show must be 0 to 20")

    opening = data.get("opening")
    if opening is not None:
        if not isinstance(opening, dict):
            raise ConfigError(f"{source}: [opening] must be a table")
        try:
            site.opening = OpeningHours.from_json(opening).to_json()
        except DomainError as exc:
            raise ConfigError(f"{source}: [opening] {exc.message}") from None

    event = data.get("event")
    if event is not None:
        if not isinstance(event, dict):
            raise ConfigError(f"{source}: [event] must be a table")
        try:
            site.event = parse_event(event)
        except DomainError as exc:
            raise ConfigError(f"{source}: [event] {exc.message}") from None

    booked = data.get("appointments", {})
    if not isinstance(booked, dict):
        raise ConfigError(f"{source}: [appointments] must be a table")
    site.appointments = parse_appointment_rules(booked, f"{source}: [appointments]")

    data_table = data.get("data", {})
    if not isinstance(data_table, dict):
        raise ConfigError(f"{source}: [data] must be a table")
    if "retention_days" in data_table:
        days = _require(data_table, "retention_days", int, f"{source}: [data]")
        if not 1 <= days <= 3650:
            raise ConfigError(f"{source}: [data] retention_days must be from 1 to 3650")
        site.retention_days = days

    ids: set[int] = set()
    prefixes: set[str] = set()
    for i, item in enumerate(data.get("services", []), start=1):
        where = f"{source}: services #{i}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: must be a table ([[services]])")
        spec = ServiceSpec(
            id=_require(item, "id", int, where),
            name=_require(item, "name", str, where).strip(),
            prefix=_require(item, "prefix", str, where).strip().upper(),
            minutes=_require(item, "minutes", float, where),
            description=str(item.get("description", "")),
            enabled=bool(item.get("enabled", True)),
        )
        if "priority" in item:
            spec.priority = _require(item, "priority", int, where)
            if spec.priority not in (0, 1):
                raise ConfigError(f"{where}: 'priority' must be 0 or 1")
        try:
            spec.names = parse_translations(item.get("names"), "names", 128)
            spec.descriptions = parse_translations(item.get("descriptions"), "descriptions", 500)
        except DomainError as exc:
            raise ConfigError(f"{where}: {exc.message}") from None
        if not spec.name:
            raise ConfigError(f"{where}: 'name' is empty")
        if not PREFIX_RE.match(spec.prefix):
            raise ConfigError(f"{where}: 'prefix' must be 1 to 3 letters A-Z")
        if not 0 < spec.minutes <= 480:
            raise ConfigError(f"{where}: 'minutes' must be between 0 and 480")
        if not 0 <= spec.id < 2**31:  # as the API's ids (api.int_field)
            raise ConfigError(f"{where}: 'id' must be from 0 to {2**31 - 1}")
        if spec.id in ids or spec.prefix in prefixes:
            raise ConfigError(f"{where}: id {spec.id} or prefix {spec.prefix} is used twice")
        ids.add(spec.id)
        prefixes.add(spec.prefix)
        site.services.append(spec)

    counter_ids: set[int] = set()
    for i, item in enumerate(data.get("counters", []), start=1):
        where = f"{source}: counters #{i}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: must be a table ([[counters]])")
        services = _require(item, "services", list, where)
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in services):
            raise ConfigError(f"{where}: 'services' must be a list of service ids")
        spec = CounterSpec(
            id=_require(item, "id", int, where),
            name=_require(item, "name", str, where).strip(),
            services=services,
            enabled=bool(item.get("enabled", True)),
        )
        if not 0 <= spec.id < 2**31 or not all(0 <= s < 2**31 for s in services):
            raise ConfigError(f"{where}: ids must be from 0 to {2**31 - 1}")
        if spec.id in counter_ids:
            raise ConfigError(f"{where}: id {spec.id} is used twice")
        counter_ids.add(spec.id)
        unknown = [s for s in services if site.services and s not in ids]
        if unknown:
            raise ConfigError(f"{where}: unknown service ids {unknown}")
        site.counters.append(spec)
    if site.appointments.prefix in prefixes:
        raise ConfigError(
            f"{source}: [appointments] prefix {site.appointments.prefix} is a service's prefix"
        )
    return site


def _languages(value, where: str) -> tuple[str, ...]:
    known = ", ".join(LANGUAGES)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'{where} must be a list of language codes like ["de", "en"] ({known})')
    unknown = [v for v in value if v not in LANGUAGES]
    if unknown:
        raise ConfigError(f"{where}: unknown {', '.join(unknown)} (known: {known})")
    if len(set(value)) != len(value):
        raise ConfigError(f"{where} names a language twice")
    return tuple(value)


# The languages a service's name and description may be translated into: every visitor
# language but German, whose texts are the service's own ``name`` and ``description``.
TRANSLATED = tuple(code for code in LANGUAGES if code != "de")


def parse_translations(value, name: str, max_len: int) -> dict[str, str]:
    """A text in other languages than German, ``{"en": "ID card", "de-ls": "Ausweis"}``: codes
    of ``TRANSLATED``, empty texts dropped. Raises ``Invalid`` naming ``name`` (and the
    language, for the admin page to point at its input)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 30:
        raise Invalid(f"'{name}' must map language codes to texts, e.g. {{en = \"…\"}}", field=name)
    out = {}
    for lang, text in value.items():
        if lang not in TRANSLATED:
            known = ", ".join(TRANSLATED)
            shown = str(lang)[:32]
            raise Invalid(
                f"'{name}': '{shown}' is not a language to translate into (known: {known}; "
                "German is the service's own text)",
                field=name,
                language=shown,
            )
        if not isinstance(text, str) or len(text.strip()) > max_len:
            message = f"'{name}.{lang}' must be text of at most {max_len} characters"
            raise Invalid(message, field=name, language=lang)
        if text.strip():
            out[lang] = text.strip()
    return out


EVENT_KEY_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def parse_event(table: dict) -> dict:
    """A pop-up event as given in the site file's [event] or by the admin: the stored fields
    (``key`` only if given). Raises ``Invalid`` naming the field."""
    out: dict = {}
    texts = (("name", 200, True), ("place", 200, False), ("address", 300, False))
    for name, limit, required in texts:
        value = table.get(name, "")
        if not isinstance(value, str) or len(value.strip()) > limit:
            raise Invalid(f"'{name}' must be text of at most {limit} characters", field=name)
        if required and not value.strip():
            raise Invalid(f"'{name}' must not be empty", field=name)
        if name in table or required:
            out[name] = value.strip()
    if "id" in table or "key" in table:
        key = table.get("id", table.get("key"))
        if not isinstance(key, str) or not EVENT_KEY_RE.match(key):
            raise Invalid("'id' must be 1 to 64 letters, digits or . _ : -", field="id")
        out["key"] = key
    if "district" in table:
        district = table["district"]
        stored = district_of(str(district)) if isinstance(district, str | int) else None
        if district in ("", None):
            stored = None
        elif stored in (None, OUTSIDE) or isinstance(district, bool):
            raise Invalid("'district' must be a Stadtbezirk 1-10 or a Stadtteil", field="district")
        out["district"] = stored
    for name in ("first_day", "last_day"):
        if name not in table:
            continue
        value = table[name]
        if value in ("", None):
            out[name] = None
            continue
        try:
            out[name] = (value if type(value) is date else date.fromisoformat(value)).isoformat()
        except (TypeError, ValueError):
            raise Invalid(f"'{name}' must be a date YYYY-MM-DD", field=name) from None
    if out.get("first_day") and out.get("last_day") and out["first_day"] > out["last_day"]:
        raise Invalid("'first_day' must not be after 'last_day'", field="last_day")
    return out


# [appointments] key → (lowest, highest) allowed.
APPOINTMENT_LIMITS = {
    "slot_minutes": (5, 240),
    "counters": (1, 100),
    "early_minutes": (0, 480),
    "grace_minutes": (0, 240),
    "walk_in_after": (1, 50),
    "walk_in_wait_limit": (0, 480),
}


def parse_appointment_rules(table: dict, where: str) -> Rules:
    values: dict = {}
    if "prefix" in table:
        prefix = _require(table, "prefix", str, where).strip().upper()
        if not PREFIX_RE.match(prefix):
            raise ConfigError(f"{where}: 'prefix' must be 1 to 3 letters A-Z")
        values["prefix"] = prefix
    for key, (low, high) in APPOINTMENT_LIMITS.items():
        if key in table:
            values[key] = _require(table, key, int, where)
            if not low <= values[key] <= high:
                raise ConfigError(f"{where}: '{key}' must be from {low} to {high}")
    return Rules(**values)


def load_site(path: Path) -> Site:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the site file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"the site file {path} is not UTF-8 text") from None
    return parse_site(text, str(path))


def parse_clock_start(text: str) -> datetime:
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ConfigError(
            f"WARTEMARKE_CLOCK_START must be a date and time with zone, e.g. "
            f"2026-03-30T08:55:00+02:00, not {text!r}"
        )
    return start


def parse_clock_file(text: str) -> Path:
    """The clock file of ``WARTEMARKE_CLOCK_FILE``: it must hold a date and time with zone at
    start (later a missing or half-written file keeps the last good time; see clock.py)."""
    from .clock import ClockFile, ClockFileError

    path = Path(text).expanduser().absolute()
    try:
        ClockFile(path)
    except ClockFileError as exc:
        raise ConfigError(
            f"WARTEMARKE_CLOCK_FILE must name a file holding a date and time with zone, "
            f"e.g. 2026-03-30T08:55:00+02:00: {exc}"
        ) from None
    return path


def prepare_data_dir(path: Path) -> Path:
    """Create the data directory if needed and prove that it is writable."""
    path = path.expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"the data directory {path} is not writable ({exc.strerror}); "
            "choose another with --data-dir or WARTEMARKE_DATA_DIR"
        ) from None
    return path
