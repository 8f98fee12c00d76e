"""A virtual network receipt printer (raw TCP, like port 9100) on 127.0.0.1.

It stores every job it receives (a job ends when the client closes the connection; real-time
status requests in it are answered, not stored) and answers DLE EOT status queries like an
Epson TM printer in the configured state:

    online, near_end, paper_out, cover_open, cutter_error: matching status bytes
    silent:  accepts jobs but never answers status queries
    offline: closes every connection straight away

``fail_next_job()`` plays a printer pulled while a job is on the wire.

Run ``python -m wartemarke.printers.virtual_tcp --port 9100`` to watch tickets arrive; type a
state name and Enter to change the state while it runs.
"""

from __future__ import annotations

import argparse
import signal
import socket
import socketserver
import struct
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from .decode import DecodedJob, decode, iter_commands
from .status import SIMULATED_REPLIES

STATES = (*SIMULATED_REPLIES, "silent", "offline")
FAULTS = ("reset", "hang")

JobCallback = Callable[[bytes], None]


def status_reply(state: str, n: int) -> bytes:
    """The byte a printer in state answers to DLE EOT n (nothing if silent or unknown n)."""
    replies = SIMULATED_REPLIES.get(state)
    if replies is None or not 1 <= n <= len(replies):
        return b""
    return bytes([replies[n - 1]])


class JobStream:
    """Follows one connection's bytes as a printer does: collects the job and answers
    DLE EOT queries as soon as they are complete (not inside other commands' data)."""

    def __init__(self, reply: Callable[[int], bytes]) -> None:
        self._reply = reply
        self._data = bytearray()
        self._job = bytearray()  # the parsed bytes without the status queries
        self._parsed = 0
        self.printed = False  # anything besides status queries?

    @property
    def data(self) -> bytes:
        """The job as printed: status queries (e.g. a sender's receipt request after the job)
        left out, so it decodes the same with or without them."""
        return bytes(self._job + self._data[self._parsed :])

    def feed(self, chunk: bytes) -> bytes:
        """Take the next chunk; returns the status replies it asked for."""
        self._data += chunk
        replies = b""
        for cmd in iter_commands(self._data, self._parsed, final=False):
            self._parsed = cmd.end
            if cmd.name == "status_query":
                replies += self._reply(cmd.value)
            else:
                self._job += self._data[cmd.offset : cmd.end]
                self.printed = True
        return replies


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = False
    block_on_close = True  # server_close() waits for the connection threads

    def __init__(self, printer: VirtualPrinter, address: tuple[str, int]) -> None:
        self.printer = printer
        super().__init__(address, _Handler)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.printer._serve(self.request)


class VirtualPrinter:
    """The server; use as a context manager or call start() and stop()."""

    def __init__(
        self, port: int = 0, state: str = "online", on_job: JobCallback | None = None
    ) -> None:
        self._requested_port = port
        self.state = state
        self.on_job = on_job
        self._jobs: list[bytes] = []
        self._changed = threading.Condition()
        self._fault: tuple[str, threading.Event] | None = None
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        if value not in STATES:
            raise ValueError(f"unknown printer state {value!r}; one of {', '.join(STATES)}")
        self._state = value

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("virtual printer is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def jobs(self) -> list[bytes]:
        with self._changed:
            return list(self._jobs)

    def start(self) -> VirtualPrinter:
        self._stopping.clear()
        self._server = _Server(self, ("127.0.0.1", self._requested_port))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="virtual-printer",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and end open connections (within about 0.2 s)."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next_job(self, how: str = "reset") -> threading.Event:
        """Pull the plug during the next job: the printer reads its first bytes, never answers
        and stores nothing (the ticket does not come out). ``reset``: the connection is dropped
        (printer switched off); ``hang``: it stays open but silent until stop() (cable pulled).
        One job only; the returned event is set when it struck."""
        if how not in FAULTS:
            raise ValueError(f"unknown fault {how!r}; one of {', '.join(FAULTS)}")
        struck = threading.Event()
        with self._changed:
            self._fault = (how, struck)
        return struck

    def _take_fault(self) -> tuple[str, threading.Event] | None:
        with self._changed:
            fault, self._fault = self._fault, None
            return fault

    def wait_for_jobs(self, count: int = 1, timeout: float = 5.0) -> list[bytes]:
        """The stored jobs once there are at least count; TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._jobs) >= count, timeout):
                raise TimeoutError(f"{len(self._jobs)} of {count} print jobs arrived")
            return list(self._jobs)

    def _serve(self, conn: socket.socket) -> None:
        if self.state == "offline":
            return  # socketserver closes the connection
        conn.settimeout(0.2)
        stream = JobStream(lambda n: status_reply(self.state, n))
        while not self._stopping.is_set():
            try:
                # Small reads while a fault waits, so that it strikes with most of the job unread.
                chunk = conn.recv(64 if self._fault else 65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            reply = stream.feed(chunk)
            if stream.printed and self._fault and (fault := self._take_fault()):
                self._die(conn, *fault)
                return
            if reply:
                conn.sendall(reply)
        if stream.printed:  # connections that only asked for status are no jobs
            self._store(stream.data)

    def _die(self, conn: socket.socket, how: str, struck: threading.Event) -> None:
        struck.set()
        if how == "hang":
            self._stopping.wait()  # reads and answers nothing more
        else:  # drop the connection at once (RST: linger 0), as a printer switched off
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def _store(self, job: bytes) -> None:
        with self._changed:
            self._jobs.append(job)
            self._changed.notify_all()
        if self.on_job is not None:
            self.on_job(job)


def describe(job: DecodedJob) -> str:
    """A job as console text: its lines, with QR codes, images and cuts where they occur."""
    events = [(line.offset, line.text) for line in job.lines]
    for cmd in job.commands:
        if cmd.name == "qr_store":
            events.append((cmd.offset, f"[QR: {cmd.value}]"))
        elif cmd.name == "image":
            events.append((cmd.offset, f"[image {cmd.value[0]}x{cmd.value[1]}]"))
        elif cmd.name == "cut":
            events.append((cmd.offset, f"[{cmd.value} cut]"))
    return "\n".join(text for _, text in sorted(events, key=lambda e: e[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--state", choices=STATES, default="online")
    parser.add_argument("--save-dir", type=Path, help="also write each job's bytes here")
    args = parser.parse_args(argv)
    count = 0

    def show(job: bytes) -> None:
        nonlocal count
        count += 1
        print(f"--- job {count}: {len(job)} bytes ---\n{describe(decode(job))}\n", flush=True)
        if args.save_dir:
            args.save_dir.mkdir(parents=True, exist_ok=True)
            (args.save_dir / f"job-{count:04d}.bin").write_bytes(job)

    printer = VirtualPrinter(args.port, args.state, on_job=show)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop cleanly, like Ctrl-C
    with printer:
        print(f"virtual printer at {printer.url}, state {printer.state}", flush=True)
        print(f"type a state to change it: {', '.join(STATES)}", flush=True)
        try:
            for line in sys.stdin:
                try:
                    printer.state = line.strip()
                    print(f"state: {printer.state}", flush=True)
                except ValueError as exc:
                    print(exc, flush=True)
            threading.Event().wait()  # stdin closed: serve until interrupted
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
