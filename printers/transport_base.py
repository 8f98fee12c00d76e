"""What every transport offers, and the URL query options they share."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable

from .errors import PrinterConfigError
from .profile import PrinterProfile
from .status import (
    QUERY_ERROR,
    QUERY_OFFLINE_CAUSE,
    QUERY_PAPER,
    QUERY_PRINTER,
    PrinterStatus,
    pick_status_byte,
    query,
    status_from_replies,
)
from .ticket import PAPER_WIDTHS_MM, TicketPrint


class Options:
    """The query options of a printer URL; every option must be used exactly once."""

    def __init__(self, url: str, pairs: list[tuple[str, str]]) -> None:
        self.url = url
        self._values: dict[str, str] = {}
        for key, value in pairs:
            if key in self._values:
                raise PrinterConfigError(f"{url}: option {key!r} given twice")
            self._values[key] = value

    def text(self, key: str, default: str) -> str:
        return self._values.pop(key, default)

    def number(self, key: str, default: float, low: float, high: float) -> float:
        raw = self._values.pop(key, None)
        if raw is None:
            return default
        try:
            value = float(int(raw, 0)) if raw.lower().startswith("0x") else float(raw)
        except ValueError:
            raise PrinterConfigError(f"{self.url}: option {key}={raw!r} is not a number") from None
        if not low <= value <= high:
            raise PrinterConfigError(f"{self.url}: option {key}={raw} must be {low}..{high}")
        return value

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.number(key, default, low, high)
        if value != int(value):
            raise PrinterConfigError(f"{self.url}: option {key} must be a whole number")
        return int(value)

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self._values.pop(key, default)
        if value not in choices:
            raise PrinterConfigError(f"{self.url}: option {key} must be one of {choices}")
        return value

    def finish(self) -> None:
        if self._values:
            raise PrinterConfigError(f"{self.url}: unknown option(s) {', '.join(self._values)}")


class Transport(ABC):
    """Delivers finished ESC/POS jobs to one printer and asks it for its status.

    USB and serial transports block in C code: call ``send`` and ``status`` from a worker
    thread. Under gevent use the hub's native thread pool
    (``gevent.get_hub().threadpool.apply(...)``), since monkey-patched threads are
    greenlets. Calls on one transport are serialised by an internal lock.
    """

    scheme: str = ""

    def __init__(self, url: str, options: Options) -> None:
        self.url = url
        self.paper_mm = options.integer("paper", 80, 58, 80)
        if self.paper_mm not in PAPER_WIDTHS_MM:
            raise PrinterConfigError(f"{url}: paper must be 58 or 80 (mm)")
        table = options.integer("codepage", -1, -1, 255)
        self.profile = PrinterProfile(
            model=options.text("profile", "default"),
            codepage_table=None if table < 0 else table,
            partial_cut=options.choice("cut", "partial", ("partial", "full")) == "partial",
        )
        self._lock = threading.Lock()

    @abstractmethod
    def send(self, job_bytes: bytes, ticket: TicketPrint | None = None) -> None:
        """Deliver one complete job; raises PrinterUnavailableError on failure (its subclass
        DeliveryUnconfirmedError when the bytes may have reached the printer)."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """The printer's state; never raises for an unreachable printer."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


def query_status(ask: Callable[[bytes], bytes], timeout: float) -> PrinterStatus:
    """Ask DLE EOT 1, 2 and 4 (and 3 on an error) through ``ask``.

    ``ask`` sends a request and returns what came back within the timeout (b"" for
    nothing); it raises OSError when the connection is gone.
    """

    def reply(n: int) -> int | None:
        return pick_status_byte(ask(query(n)))

    try:
        printer = reply(QUERY_PRINTER)
        if printer is None:
            return PrinterStatus(
                online=None,
                error=f"no reply to the DLE EOT status query within {timeout:g} s "
                "(busy, or the printer does not support real-time status)",
            )
        cause, paper = reply(QUERY_OFFLINE_CAUSE), reply(QUERY_PAPER)
        error = reply(QUERY_ERROR) if cause is not None and cause & 0x40 else None
    except OSError as exc:
        return PrinterStatus(online=False, error=f"connection lost during status query: {exc}")
    return status_from_replies(printer, cause, paper, error)
