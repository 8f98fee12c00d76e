"""Time for the whole application: one place to ask, so tests can move it.

In normal operation the clock is real time (aware UTC) plus the venue's time zone, which decides
what "today" is. Two options exist for rehearsing a pop-up day ahead of time and for tests; they
are never set in normal operation, and the server logs a WARNING at start when one is:

* ``WARTEMARKE_CLOCK_START`` (``start``): the clock begins at that moment and runs on in real
  time.
* ``WARTEMARKE_CLOCK_FILE`` (``file``): the clock stands still at the moment written in that file
  and moves only when the file is rewritten, so a test advances it step by step and knows every
  timestamp. The file holds one ISO 8601 date-time with zone, e.g. ``2026-03-30T09:15:00+02:00``.
  Rewrite it atomically (``write_clock_file``: a temporary file, then ``os.replace``).

Reading the file is cheap: ``now()`` costs one ``stat`` and reads the file again only when its
identity (device, inode), size or modification time changed, or when it was modified so shortly
before the last read that a later rewrite could carry the same timestamp (file systems stamp
modifications with a coarse clock, and an inode freed by ``os.replace`` may be handed out again).
A missing, unreadable, half-written or otherwise unparsable file keeps the last good value; a
bad file that stays bad is logged once.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

# A file modified less than this before it was read is read again on the next ``now()``:
# wider than any file system's timestamp granularity a server runs on (FAT's 2 s included).
RACY_NS = 3_000_000_000
MAX_CLOCK_FILE_BYTES = 200


class ClockFileError(ValueError):
    """The clock file cannot be read or does not hold a date and time with zone."""


def parse_clock_text(text: str) -> datetime:
    """The moment an ISO 8601 date-time with zone names, as aware UTC."""
    value = text.strip()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ClockFileError(
            f"not a date and time with zone (e.g. 2026-03-30T09:15:00+02:00): {value[:60]!r}"
        )
    return at.astimezone(UTC)


def write_clock_file(path: str | Path, at: datetime) -> None:
    """Set a clock file to ``at`` (aware) atomically: a temporary file, then ``os.replace``."""
    if at.tzinfo is None:
        raise ValueError("the clock file needs a time with zone")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(at.isoformat() + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _stamp(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ClockFile:
    """The frozen moment in a clock file, re-read only when the file changed (see above)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.reads = 0  # how often the file was actually read (for tests)
        self._value: datetime | None = None
        self._stamp: tuple | None = None
        self._read_ns = 0
        self._bad: tuple | None = None
        self._bad_read_ns = 0
        self._bad_logged = False
        self._error = "not read yet"
        self._read()
        if self._value is None:
            raise ClockFileError(f"{self.path}: {self._error}")

    def now(self) -> datetime:
        try:
            stamp = _stamp(os.stat(self.path))
        except OSError:
            return self._value  # missing for a moment (or for good): keep the last good time
        mtime = stamp[3]
        if stamp == self._stamp and mtime < self._read_ns - RACY_NS:
            return self._value
        if stamp == self._bad and mtime < self._bad_read_ns - RACY_NS:
            if not self._bad_logged:
                self._bad_logged = True
                log.warning("clock file %s: %s; keeping %s", self.path, self._error, self._value)
            return self._value
        self._read()
        return self._value

    def _read(self) -> None:
        read_ns = time.time_ns()
        try:
            with open(self.path, "rb") as f:
                stamp = _stamp(os.fstat(f.fileno()))
                data = f.read(MAX_CLOCK_FILE_BYTES + 1)
        except OSError as exc:
            self._error = f"cannot read it ({exc.strerror})"
            return
        self.reads += 1
        try:
            if len(data) > MAX_CLOCK_FILE_BYTES:
                raise ClockFileError(f"longer than {MAX_CLOCK_FILE_BYTES} bytes")
            value = parse_clock_text(data.decode("utf-8"))
        except (UnicodeDecodeError, ClockFileError) as exc:
            # Half-written or broken: keep the last good value, look again when it changes.
            self._error = str(exc)
            if stamp != self._bad:
                self._bad, self._bad_logged = stamp, False
            self._bad_read_ns = read_ns
            return
        self._value, self._stamp, self._read_ns = value, stamp, read_ns
        self._bad = None


class Clock:
    """Aware UTC ``now()`` plus the venue's time zone, which decides what "today" is."""

    def __init__(
        self,
        tz: str = "Europe/Berlin",
        start: datetime | None = None,
        file: str | Path | None = None,
    ) -> None:
        self.tz = ZoneInfo(tz)
        if start is not None and file is not None:
            raise ValueError("a clock either starts at a moment or follows a file, not both")
        # With ``start`` the clock begins at that moment and runs on in real time
        # (``WARTEMARKE_CLOCK_START``); with ``file`` it shows the moment in that file
        # (``WARTEMARKE_CLOCK_FILE``). Rehearsals and tests only, never in normal operation.
        self.offset = start - datetime.now(UTC) if start else timedelta(0)
        self.file = ClockFile(file) if file is not None else None

    def now(self) -> datetime:
        if self.file is not None:
            return self.file.now()
        return datetime.now(UTC) + self.offset

    def local(self, at: datetime | None = None) -> datetime:
        return (at or self.now()).astimezone(self.tz)

    def day(self, at: datetime | None = None) -> str:
        return self.local(at).date().isoformat()
