"""Transports without a status channel: device file, CUPS raw queue and the virtual printer."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from .errors import PrinterConfigError, PrinterUnavailableError
from .layout import render_png
from .status import PrinterStatus
from .ticket import TicketPrint
from .transport_base import Options, Transport


class FileTransport(Transport):
    """``file:///dev/usb/lp0`` or ``file:///path/jobs.bin``: appends each job's bytes."""

    scheme = "file"

    def __init__(self, url: str, path: str, options: Options) -> None:
        super().__init__(url, options)
        self.path = Path(path)
        # Never create files under /dev: an unplugged printer's node must stay absent so
        # that udev can create it again.
        self._create = not self.path.is_relative_to("/dev")

    def send(self, job_bytes: bytes, ticket: TicketPrint | None = None) -> None:
        flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT if self._create else 0)
        with self._lock:
            try:
                fd = os.open(self.path, flags, 0o644)
            except OSError as exc:
                raise PrinterUnavailableError(f"cannot open {self.path}: {exc.strerror}") from exc
            try:
                view = memoryview(job_bytes)
                while view:
                    view = view[os.write(fd, view) :]
            except OSError as exc:
                raise PrinterUnavailableError(f"writing {self.path} failed: {exc}") from exc
            finally:
                os.close(fd)

    def status(self) -> PrinterStatus:
        if self.path.exists():
            if not os.access(self.path, os.W_OK):
                return PrinterStatus(online=False, error=f"{self.path} is not writable")
            return PrinterStatus(online=True, paper="ok")
        if self._create and os.access(self.path.parent, os.W_OK):
            return PrinterStatus(online=True, paper="ok")
        return PrinterStatus(online=False, error=f"{self.path} does not exist")


class CupsTransport(Transport):
    """``cups://QUEUE[?server=host:631]``: submits a raw job with CUPS' ``lp`` command."""

    scheme = "cups"

    def __init__(self, url: str, queue: str, options: Options) -> None:
        super().__init__(url, options)
        self.lp = shutil.which("lp")
        if self.lp is None:
            raise PrinterConfigError(
                f"{url}: the lp command is missing (apt-get install cups-client)"
            )
        self.queue = queue
        self.server = options.text("server", "")
        self.timeout = options.number("timeout", 10.0, 1.0, 120.0)

    def _server_args(self) -> list[str]:
        return ["-h", self.server] if self.server else []

    def send(self, job_bytes: bytes, ticket: TicketPrint | None = None) -> None:
        title = f"Wartemarke {ticket.number}" if ticket else "Wartemarke"
        command = [
            self.lp or "lp",
            *self._server_args(),
            "-d",
            self.queue,
            "-o",
            "raw",
            "-t",
            title,
        ]
        with self._lock:
            try:
                done = subprocess.run(
                    command, input=job_bytes, capture_output=True, timeout=self.timeout
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise PrinterUnavailableError(
                    f"lp for CUPS queue {self.queue} failed: {exc}"
                ) from exc
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip()
            raise PrinterUnavailableError(f"CUPS queue {self.queue}: {message}")

    def status(self) -> PrinterStatus:
        """CUPS cannot tell the printer's state; only a missing or disabled queue is reported."""
        lpstat = shutil.which("lpstat")
        if lpstat is None:
            return PrinterStatus(online=None)
        try:
            done = subprocess.run(
                [lpstat, *self._server_args(), "-p", self.queue],
                capture_output=True,
                timeout=self.timeout,
                env={**os.environ, "LC_ALL": "C"},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return PrinterStatus(online=None, error=f"lpstat failed: {exc}")
        output = (done.stdout + done.stderr).decode(errors="replace").strip()
        if done.returncode != 0:
            return PrinterStatus(online=None, error=f"CUPS queue {self.queue}: {output}")
        if " disabled" in output:
            return PrinterStatus(online=None, error=f"CUPS queue {self.queue} is disabled")
        return PrinterStatus(online=None)


class VirtualTransport(Transport):
    """``virtual``: keeps each ticket as PNG and raw .bin under ``<data_dir>/tickets/``."""

    scheme = "virtual"

    def __init__(self, url: str, data_dir: str | os.PathLike[str], options: Options) -> None:
        super().__init__(url, options)
        self.folder = Path(data_dir) / "tickets"

    def send(self, job_bytes: bytes, ticket: TicketPrint | None = None) -> None:
        with self._lock:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                if ticket is None:
                    stamp = datetime.now().astimezone().strftime("%Y-%m-%d_%H%M%S-%f")
                    _write_atomic(self.folder / f"{stamp}_job.bin", job_bytes)
                    return
                png, raw = ticket_files(self.folder.parent, ticket)
                image = render_png(ticket)
                _write_atomic(raw, job_bytes)
                with _atomic(png) as handle:
                    image.save(handle, format="PNG", optimize=True)
            except OSError as exc:
                raise PrinterUnavailableError(
                    f"cannot store ticket in {self.folder}: {exc}"
                ) from exc

    def status(self) -> PrinterStatus:
        return PrinterStatus(online=True, paper="ok")


def ticket_files(data_dir: str | os.PathLike[str], ticket: TicketPrint) -> tuple[Path, Path]:
    """Where the virtual printer keeps a ticket: ``tickets/<YYYY-MM-DD>_<number>.png/.bin``."""
    safe_number = re.sub(r"[^A-Za-z0-9_-]", "_", ticket.number)
    stem = f"{ticket.issued_at.strftime('%Y-%m-%d')}_{safe_number}"
    folder = Path(data_dir) / "tickets"
    return folder / f"{stem}.png", folder / f"{stem}.bin"


@contextmanager
def _atomic(target: Path) -> Iterator[BinaryIO]:
    """Write to a temporary file beside target, then rename it over target (mode 0600)."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(temp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _write_atomic(target: Path, data: bytes) -> None:
    with _atomic(target) as handle:
        handle.write(data)
