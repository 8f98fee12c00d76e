"""The data printed on a queue ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PAPER_WIDTHS_MM = (58, 80)

MAX_LINES = 6


def ticket_lines(text: str | None) -> list[str] | None:
    """The venue's ticket text as printed lines (blank lines dropped, at most ``MAX_LINES``);
    None for no text, which means the default line (in the ticket's language)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[:MAX_LINES] or None


@dataclass(frozen=True)
class TicketPrint:
    """One ticket as the kiosk hands it out.

    ``issued_at`` must be timezone-aware: it is printed in its own timezone, so pass the
    office's local time (e.g. ``datetime.now(ZoneInfo("Europe/Berlin"))``).

    ``lang`` is the visitor's language (wartemarke.i18n.LANGUAGES; unknown codes print German):
    the labels, the date and the default foot line are printed in it. ``service`` is passed
    already in that language; ``venue`` and ``lines`` (the venue's own text) print as written.
    ``lines`` None: the default line; [] none at all.
    """

    venue: str
    number: str
    service: str
    issued_at: datetime
    people_ahead: int
    estimated_wait_min: int
    status_url: str
    lines: list[str] | None = None
    paper_mm: int = 80
    # An appointment's slot ("09:20"): printed instead of the people ahead and the wait.
    appointment: str | None = None
    lang: str = "de"

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("TicketPrint.issued_at must be timezone-aware")
        if self.paper_mm not in PAPER_WIDTHS_MM:
            raise ValueError(f"paper_mm must be one of {PAPER_WIDTHS_MM}, not {self.paper_mm}")
        if not self.number.strip():
            raise ValueError("TicketPrint.number must not be empty")
        if self.people_ahead < 0 or self.estimated_wait_min < 0:
            raise ValueError("people_ahead and estimated_wait_min must not be negative")
