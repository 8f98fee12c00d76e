"""The data printed on a queue ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PAPER_WIDTHS_MM = (58, 80)

DEFAULT_LINES = (
    "Bitte warten Sie, bis Ihre Nummer aufgerufen wird.",
    "Please wait until your number is called.",
)


MAX_LINES = 6


def ticket_lines(text: str | None) -> list[str] | None:
    """The venue's ticket text as printed lines (blank lines dropped, at most ``MAX_LINES``);
    None for no text, which means the default lines."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[:MAX_LINES] or None


@dataclass(frozen=True)
class TicketPrint:
    """One ticket as the kiosk hands it out.

    ``issued_at`` must be timezone-aware: it is printed in its own timezone, so pass the
    office's local time (e.g. ``datetime.now(ZoneInfo("Europe/Berlin"))``).
    """

    venue: str
    number: str
    service: str
    issued_at: datetime
    people_ahead: int
    estimated_wait_min: int
    status_url: str
    lines: list[str] = field(default_factory=lambda: list(DEFAULT_LINES))
    paper_mm: int = 80
    # An appointment's slot ("09:20"): printed instead of the people ahead and the wait.
    appointment: str | None = None

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("TicketPrint.issued_at must be timezone-aware")
        if self.paper_mm not in PAPER_WIDTHS_MM:
            raise ValueError(f"paper_mm must be one of {PAPER_WIDTHS_MM}, not {self.paper_mm}")
        if not self.number.strip():
            raise ValueError("TicketPrint.number must not be empty")
        if self.people_ahead < 0 or self.estimated_wait_min < 0:
            raise ValueError("people_ahead and estimated_wait_min must not be negative")
