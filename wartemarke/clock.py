"""Time for the whole application: one place to ask, so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """Aware UTC ``now()`` plus the venue's time zone, which decides what "today" is."""

    def __init__(self, tz: str = "Europe/Berlin", offset_seconds: float = 0.0) -> None:
        self.tz = ZoneInfo(tz)
        # A shift applied to the real time. Only the test and benchmark harness sets it
        # (WARTEMARKE_CLOCK_OFFSET), to play a day in compressed time.
        self.offset = timedelta(seconds=offset_seconds)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def local(self, at: datetime | None = None) -> datetime:
        return (at or self.now()).astimezone(self.tz)

    def day(self, at: datetime | None = None) -> str:
        return self.local(at).date().isoformat()
