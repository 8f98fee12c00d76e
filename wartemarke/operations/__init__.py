"""The use cases. Each runs in one store transaction and publishes its change after commit.

Routes and socket handlers call these and nothing below them, so the HTTP API, the screens and
the CLI all share one set of rules. Results are plain dicts, ready to be sent as JSON.
"""

from .admin import AdminOps
from .appointments import AppointmentOps
from .common import Actor, Change, QueueFigures, hhmm, iso
from .counters import CounterOps


class Operations(AppointmentOps, CounterOps, AdminOps):
    """All use cases, on one store, clock and live hub."""


__all__ = ["Actor", "Change", "Operations", "QueueFigures", "hhmm", "iso"]
