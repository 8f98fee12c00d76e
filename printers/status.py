"""Printer status and the ESC/POS real-time status bytes (DLE EOT n).

Every DLE EOT reply byte has bits 1 and 4 set and bits 0 and 7 clear; anything else is
not a status reply (for instance Automatic Status Back data) and is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PaperState = Literal["ok", "near_end", "out", "unknown"]

DLE_EOT = b"\x10\x04"
QUERY_PRINTER = 1  # bit 3: offline
QUERY_OFFLINE_CAUSE = 2  # bit 2: cover open, bit 5: stopped by paper end, bit 6: error
QUERY_ERROR = 3  # bit 3: autocutter, bit 5: unrecoverable, bit 6: auto-recoverable
QUERY_PAPER = 4  # bits 2+3: roll near end, bits 5+6: roll end

STATUS_BASE = 0x12
_FIXED_MASK = 0x93


@dataclass(frozen=True)
class PrinterStatus:
    """What a transport could learn about the printer; None and "unknown" mean "can't tell"."""

    online: bool | None
    paper: PaperState = "unknown"
    cover_open: bool | None = None
    error: str | None = None

    @property
    def ready(self) -> bool:
        """True unless the printer is known to be unable to print."""
        return self.online is not False and self.paper != "out" and self.cover_open is not True


def query(n: int) -> bytes:
    """The DLE EOT n real-time status request."""
    return DLE_EOT + bytes([n])


def is_status_byte(value: int) -> bool:
    return value & _FIXED_MASK == STATUS_BASE


def pick_status_byte(reply: bytes) -> int | None:
    """The last byte of a reply that looks like a DLE EOT answer, else None."""
    for value in reversed(reply):
        if is_status_byte(value):
            return value
    return None


def status_from_replies(
    printer: int, offline_cause: int | None, paper: int | None, error: int | None = None
) -> PrinterStatus:
    """Combine the DLE EOT 1/2/4 (and optionally 3) reply bytes into a PrinterStatus."""
    online = not printer & 0x08
    cover_open = bool(offline_cause & 0x04) if offline_cause is not None else None
    paper_state: PaperState = "unknown"
    if paper is not None:
        if paper & 0x60:
            paper_state = "out"
        elif paper & 0x0C:
            paper_state = "near_end"
        else:
            paper_state = "ok"
    if offline_cause is not None and offline_cause & 0x20:
        paper_state = "out"

    problems = []
    if cover_open:
        problems.append("cover open")
    if paper_state == "out":
        problems.append("paper out")
    if error is not None:
        problems += [text for bit, text in _ERROR_BITS if error & bit]
    elif offline_cause is not None and offline_cause & 0x40:
        problems.append("printer error")
    if not online and not problems:
        problems.append("printer offline")
    return PrinterStatus(
        online=online,
        paper=paper_state,
        cover_open=cover_open,
        error=", ".join(problems) or None,
    )


_ERROR_BITS = (
    (0x08, "autocutter error"),
    (0x20, "unrecoverable error"),
    (0x40, "auto-recoverable error (e.g. print head too hot)"),
)

# Reply bytes (DLE EOT 1, 2, 3, 4) an Epson TM printer gives in each condition; used by the
# virtual printer to play a real one.
SIMULATED_REPLIES: dict[str, tuple[int, int, int, int]] = {
    "online": (0x12, 0x12, 0x12, 0x12),
    "near_end": (0x12, 0x12, 0x12, 0x1E),
    "paper_out": (0x1A, 0x32, 0x12, 0x72),
    "cover_open": (0x1A, 0x16, 0x12, 0x12),
    "cutter_error": (0x1A, 0x52, 0x1A, 0x12),
}
