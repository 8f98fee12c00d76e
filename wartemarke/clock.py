"""Time for the whole application: one place to ask, so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """Aware UTC ``now()`` plus the venue's time zone, which decides what "today" is."""

    def __init__(self, tz: str = "Europe/Berlin", start: datetime | None = None) -> None:
        self.tz = ZoneInfo(tz)
        # With ``start`` the clock begins at that moment and runs on in real time: for
        # rehearsing a pop-up day ahead of time, and for tests at a chosen hour
        # (``WARTEMARKE_CLOCK_START``). Never set in normal operation.
        self.offset = start - datetime.now(UTC) if start else timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def local(self, at: datetime | None = None) -> datetime:
        return (at or self.now()).astimezone(self.tz)

    def day(self, at: datetime | None = None) -> str:
        return self.local(at).date().isoformat()
