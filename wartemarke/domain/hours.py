"""Opening hours, and whether a service can still hand out numbers.

A pop-up office opens on a few dates, for a few hours. With nothing configured every service is
open around the clock, so a fresh installation (and the test suite) works at any hour.

A service stops issuing numbers when the wait of a newcomer would run past closing time minus
the closing margin: better a clear "no more numbers today" at the kiosk than a visitor who waits
an hour and is sent home.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from .model import Invalid, Service

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Span = tuple[time, time]


def parse_spans(text: str) -> list[Span]:
    """ "09:00-12:00, 13:00-16:00" → [(9:00, 12:00), (13:00, 16:00)]; "" or "closed" → []."""
    text = (text or "").strip()
    if text.lower() in ("", "closed", "geschlossen"):
        return []
    spans = []
    for part in text.split(","):
        m = _SPAN.match(part)
        if not m:
            raise Invalid(f"'{part.strip()}' is not a time span like 09:00-16:00")
        h1, m1, h2, m2 = map(int, m.groups())
        if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60):
            raise Invalid(f"'{part.strip()}' is not a valid time span")
        start = time(h1, m1)
        end = time(23, 59, 59) if (h2, m2) == (24, 0) else time(h2, m2)
        if end <= start:
            raise Invalid(f"'{part.strip()}' ends before it starts")
        spans.append((start, end))
    return sorted(spans)


def format_spans(spans: list[Span]) -> str:
    return ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in spans)


@dataclass
class OpeningHours:
    # Hours for every open day, and per weekday (0 = Monday) where they differ.
    hours: list[Span] = field(default_factory=list)
    weekdays: dict[int, list[Span]] = field(default_factory=dict)
    # The pop-up dates: when given, the office is open on these dates only.
    dates: list[date] = field(default_factory=list)
    closing_margin_min: int = 0

    @property
    def always_open(self) -> bool:
        return not self.hours and not self.weekdays and not self.dates

    def spans_on(self, day: date) -> list[Span]:
        if self.always_open:
            return [(time(0, 0), time(23, 59, 59))]
        if self.dates and day not in self.dates:
            return []
        if day.weekday() in self.weekdays:
            return self.weekdays[day.weekday()]
        return self.hours or [(time(0, 0), time(23, 59, 59))]

    def current_span(self, local: datetime) -> Span | None:
        now = local.time()
        return next((s for s in self.spans_on(local.date()) if s[0] <= now < s[1]), None)

    def next_opening(self, local: datetime) -> time | None:
        """The start of the next span later today, if any."""
        now = local.time()
        return next((s[0] for s in self.spans_on(local.date()) if s[0] > now), None)

    def to_json(self) -> dict:
        return {
            "hours": format_spans(self.hours),
            "weekdays": {WEEKDAYS[d]: format_spans(s) for d, s in sorted(self.weekdays.items())},
            "dates": [d.isoformat() for d in self.dates],
            "closing_margin_min": self.closing_margin_min,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> OpeningHours:
        data = data or {}
        if not isinstance(data, dict):
            raise Invalid("the opening hours must be a table (hours, weekdays, dates, …)")
        margin = data.get("closing_margin_min", 0)
        if isinstance(margin, bool) or not isinstance(margin, int) or not 0 <= margin <= 480:
            raise Invalid("closing_margin_min must be a number of minutes (0-480)")
        if not isinstance(data.get("weekdays") or {}, dict):
            raise Invalid("weekdays must map mon … sun to hours")
        if not isinstance(data.get("dates") or [], list):
            raise Invalid("dates must be a list of dates (YYYY-MM-DD)")
        weekdays = {}
        for key, value in (data.get("weekdays") or {}).items():
            if key not in WEEKDAYS:
                raise Invalid(f"'{key}' is not a weekday ({', '.join(WEEKDAYS)})")
            weekdays[WEEKDAYS.index(key)] = parse_spans(str(value))
        try:
            dates = sorted(date.fromisoformat(str(d)) for d in data.get("dates") or [])
        except ValueError as exc:
            raise Invalid(f"a pop-up date is not a date (YYYY-MM-DD): {exc}") from None
        return cls(parse_spans(str(data.get("hours") or "")), weekdays, dates, margin)


@dataclass(frozen=True)
class Availability:
    state: str  # "open" | "closed" (by staff) | "outside_hours" | "full"
    closes_at: time | None = None

    @property
    def open(self) -> bool:
        return self.state == "open"


def availability(
    service: Service, hours: OpeningHours, local: datetime, estimated_wait_min: int
) -> Availability:
    if not service.enabled or service.manual_open is False:
        return Availability("closed")
    if service.manual_open is True:
        return Availability("open")  # staff opened it by hand: no hours, no cut-off
    span = hours.current_span(local)
    if span is None:
        return Availability("outside_hours")
    closes = None if hours.always_open else span[1]
    if closes is not None:
        cut_off = datetime.combine(local.date(), closes, local.tzinfo) - timedelta(
            minutes=hours.closing_margin_min
        )
        if local + timedelta(minutes=estimated_wait_min) > cut_off:
            return Availability("full", closes)
    return Availability("open", closes)
