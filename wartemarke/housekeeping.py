"""What the server does by itself when the day changes: close a day nobody closed, mark missed
bookings, archive old days. A laptop left running (or asleep) across midnight thus starts the
new day clean, as if the admin had closed the last one."""

from __future__ import annotations

import logging

from .retention import run_configured
from .store.database import StorageError

log = logging.getLogger(__name__)


def tidy(ops) -> bool:
    """One round: each step on its own, so one failing does not stop the others. False when
    the database could not take a step (disk full, locked): the loop tries again."""
    stored = True
    for step in (
        ops.close_past_days,
        ops.mark_no_shows,
        lambda: run_configured(ops.store, ops.clock),
    ):
        try:
            done = step()
        except StorageError as exc:
            log.error("housekeeping step failed (%s); it runs again at the next check", exc)
            stored = False
            continue
        except Exception:
            log.exception("housekeeping step failed; it runs again at the next day change")
            continue
        if isinstance(done, dict) and done.get("days"):
            log.info("housekeeping: %s", done)
    return stored


def start(socketio, ops, interval: float) -> None:
    """Tidy now, then check every ``interval`` seconds whether the venue's day has changed."""

    def loop(again: bool) -> None:
        day = ops.clock.day()
        while True:
            socketio.sleep(interval)
            today = ops.clock.day()
            if today != day or again:  # a new day, or the database refused the last round
                day = today
                again = not tidy(ops)

    socketio.start_background_task(loop, not tidy(ops))
