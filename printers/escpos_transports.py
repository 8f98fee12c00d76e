"""Transports through python-escpos' printer classes: network (raw TCP), USB and serial.

python-escpos has no public call for sending a finished job, so ``_raw`` (the hook each of
its printer classes implements) is used for that.
"""

from __future__ import annotations

import socket
import time
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from .errors import DeliveryUnconfirmedError, PrinterConfigError, PrinterUnavailableError
from .status import QUERY_PRINTER, PrinterStatus, pick_status_byte, query
from .ticket import TicketPrint
from .transport_base import Options, Transport, query_status

if TYPE_CHECKING:
    from escpos.escpos import Escpos


def _reason(exc: BaseException) -> str:
    """The underlying error of a python-escpos DeviceNotFoundError, on one line."""
    inner = exc.__context__ if exc.__context__ is not None else exc
    text = getattr(inner, "msg", None) or str(inner) or type(inner).__name__
    return " ".join(str(text).split())


class TcpTransport(Transport):
    """``tcp://host[:9100]``: one connection per job or status query.

    Raw TCP gives no receipt: ``sendall`` returns once the bytes are in the local socket
    buffer, even if the printer has just gone away. So a job to a printer known to answer
    DLE EOT ends with one status request on the same connection; TCP keeps order, so the
    reply proves the printer has read the whole job. A printer that never answers status
    queries cannot confirm anything: its jobs count as delivered once sent, as before.
    """

    scheme = "tcp"

    def __init__(self, url: str, host: str, port: int, options: Options) -> None:
        super().__init__(url, options)
        self.host, self.port = host, port
        # python-escpos' Network defaults to 60 s; a kiosk must not hang that long.
        self.timeout = options.number("timeout", 5.0, 0.1, 120.0)
        self.status_timeout = options.number("status_timeout", 1.5, 0.1, 30.0)
        # Whether the printer answers DLE EOT, from the last status query that got through
        # (None: not asked yet). Only then can its silence after a job mean it was lost.
        self.answers_status: bool | None = None

    def _connect(self, timeout: float) -> Escpos:
        """A python-escpos Network printer on a socket connected here: Network.open() is
        IPv4-only and leaks its socket when the connection fails."""
        from escpos.printer import Network

        printer = Network(self.host, self.port, timeout=timeout, profile=self.profile.model)
        printer.device = socket.create_connection((self.host, self.port), timeout=timeout)
        return printer

    def send(self, job_bytes: bytes, ticket: TicketPrint | None = None) -> None:
        """Deliver the job; PrinterUnavailableError if nothing was sent (safe to send again),
        DeliveryUnconfirmedError if the printer may or may not have received it."""
        with self._lock:
            try:
                printer = self._connect(self.timeout)
            except OSError as exc:
                raise PrinterUnavailableError(
                    f"printer {self.host}:{self.port} unreachable: {_reason(exc)}"
                ) from exc
            device: socket.socket = printer.device
            confirm = self.answers_status is True
            try:
                device.sendall(job_bytes + query(QUERY_PRINTER) if confirm else job_bytes)
                if confirm:
                    self._await_receipt(device)
            except OSError as exc:
                raise DeliveryUnconfirmedError(
                    f"printer {self.host}:{self.port} did not confirm the job: {_reason(exc)}"
                ) from exc
            finally:
                printer.close()

    def _await_receipt(self, device: socket.socket) -> None:
        """Wait for the reply to the DLE EOT after the job; OSError if none comes.

        The printer reads the request only after the whole job, which may wait for room in
        its buffer while it prints: allow the job timeout, not just the status timeout.
        """
        wait = max(self.timeout, self.status_timeout)
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            device.settimeout(left)
            try:
                reply = device.recv(64)
            except TimeoutError:
                break
            if not reply:
                raise ConnectionResetError("printer closed the connection before answering")
            if pick_status_byte(reply) is not None:
                return  # other bytes (Automatic Status Back) prove nothing: keep waiting
        raise TimeoutError(f"no reply to the status request after the job within {wait:g} s")

    def status(self) -> PrinterStatus:
        with self._lock:
            try:
                printer = self._connect(self.status_timeout)
            except OSError as exc:
                return PrinterStatus(online=False, error=f"unreachable: {_reason(exc)}")
            device: socket.socket = printer.device
            answered = False

            def ask(request: bytes) -> bytes:
                nonlocal answered
                device.sendall(request)
                try:
                    reply = device.recv(16)
                except TimeoutError:
                    return b""
                if not reply:
                    raise ConnectionResetError("printer closed the connection")
                answered = answered or pick_status_byte(reply) is not None
                return reply

            try:
                result = query_status(ask, self.status_timeout)
            finally:
                printer.close()
            if answered:
                self.answers_status = True
            elif result.online is None:  # connected, but no reply in time
                self.answers_status = False
            return result


class UsbTransport(Transport):
    """``usb://VID:PID``: the device stays claimed between jobs and is reopened after errors."""

    scheme = "usb"

    def __init__(self, url: str, vendor: int, product: int, options: Options) -> None:
        super().__init__(url, options)
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise PrinterConfigError(f"{url}: USB printing needs pyusb (pip install pyusb)")
        import usb.backend.libusb0
        import usb.backend.libusb1

        if usb.backend.libusb1.get_backend() is None and usb.backend.libusb0.get_backend() is None:
            raise PrinterConfigError(f"{url}: pyusb finds no libusb (apt-get install libusb-1.0-0)")
        self.vendor, self.product = vendor, product
        self.timeout = options.number("timeout", 5.0, 0.1, 120.0)
        self.in_ep = options.integer("in_ep", 0x82, 0x81, 0x8F)
        self.out_ep = options.integer("out_ep", 0x01, 0x01, 0x0F)
        self._printer: Any = None

    def _open(self) -> Any:
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Usb

        if self._printer is None:
            printer = Usb(
                self.vendor,
                self.product,
                timeout=int(self.timeout * 1000),  # pyusb counts milliseconds; 0 = forever
                in_ep=self.in_ep,
                out_ep=self.out_ep,
                profile=self.profile.model,
            )
            try:
                printer.open()
            except DeviceNotFoundError as exc:
                raise PrinterUnavailableError(
                    f"USB printer {self.vendor:04x}:{self.product:04x} not available "
                    f"(unplugged, or no permission: see deploy/PRINTERS.md): {_reason(exc)}"
                ) from exc
            self._printer = printer
        return self._printer

    def _drop(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            with suppress(OSError):  # a vanished device cannot be released cleanly
                printer.close()

    def send(self, job_bytes: bytes, ticket: TicketPrint | None = None) -> None:
        import usb.core

        with self._lock:
            for attempt in (1, 2):  # a stale handle after replugging fails once
                printer = self._open()
                try:
                    printer._raw(job_bytes)
                    return
                except usb.core.USBError as exc:
                    self._drop()
                    if attempt == 2 or isinstance(exc, usb.core.USBTimeoutError):
                        raise PrinterUnavailableError(f"USB printer write failed: {exc}") from exc

    def status(self) -> PrinterStatus:
        import usb.core

        with self._lock:
            try:
                printer = self._open()
            except PrinterUnavailableError as exc:
                return PrinterStatus(online=False, error=str(exc))

            def ask(request: bytes) -> bytes:
                try:
                    printer._raw(request)
                    return bytes(printer.device.read(self.in_ep, 16, 1000))
                except usb.core.USBTimeoutError:
                    return b""
                except usb.core.USBError as exc:
                    self._drop()
                    raise OSError(str(exc)) from exc

            return query_status(ask, 1.0)


class SerialTransport(Transport):
    """``serial:///dev/ttyUSB0?baudrate=19200``: the port is opened per job."""

    scheme = "serial"
    FLOW = ("dsrdtr", "rtscts", "xonxoff", "none")

    def __init__(self, url: str, device: str, options: Options) -> None:
        super().__init__(url, options)
        from escpos.printer.serial import is_usable

        if not is_usable():
            raise PrinterConfigError(
                f"{url}: serial printing needs pyserial (pip install pyserial)"
            )
        self.device = device
        self.baudrate = options.integer("baudrate", 9600, 1200, 921600)
        self.bytesize = options.integer("bytesize", 8, 7, 8)
        self.parity = options.choice("parity", "N", ("N", "E", "O"))
        self.stopbits = options.integer("stopbits", 1, 1, 2)
        self.flow = options.choice("flow", "dsrdtr", self.FLOW)
        self.timeout = options.number("timeout", 5.0, 0.1, 120.0)
        self.status_timeout = options.number("status_timeout", 1.0, 0.1, 30.0)

    def _connect(self, write_timeout: float) -> Any:
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Serial

        printer = Serial(
            self.device,
            baudrate=self.baudrate,
            bytesize=self.bytesize,
            parity=self.parity,
            stopbits=self.stopbits,
            timeout=self.status_timeout,
            xonxoff=self.flow == "xonxoff",
            dsrdtr=self.flow == "dsrdtr",
            profile=self.profile.model,
        )
        try:
            printer.open()
        except DeviceNotFoundError as exc:
            raise PrinterUnavailableError(f"serial printer {self.device}: {_reason(exc)}") from exc
        printer.device.rtscts = self.flow == "rtscts"
        # python-escpos sets no write timeout: with hardware flow control an offline printer
        # would block the write forever.
        printer.device.write_timeout = write_timeout
        return printer

    def send(self, job_bytes: bytes, ticket: TicketPrint | None = None) -> None:
        import serial

        # Allow for the line speed: 10 bits a byte, with 50 % headroom.
        write_timeout = self.timeout + len(job_bytes) * 10 / self.baudrate * 1.5
        with self._lock:
            printer = self._connect(write_timeout)
            try:
                printer._raw(job_bytes)
            except serial.SerialException as exc:
                printer.device.reset_output_buffer()  # or close() waits for it to drain
                raise PrinterUnavailableError(f"serial printer {self.device}: {exc}") from exc
            finally:
                printer.close()  # waits until the kernel has sent everything

    def status(self) -> PrinterStatus:
        import serial

        with self._lock:
            try:
                printer = self._connect(self.status_timeout)
            except PrinterUnavailableError as exc:
                return PrinterStatus(online=False, error=str(exc))

            def ask(request: bytes) -> bytes:
                try:
                    printer._raw(request)
                    return printer.device.read(1)  # b"" after status_timeout
                except serial.SerialException as exc:
                    raise OSError(str(exc)) from exc

            try:
                return query_status(ask, self.status_timeout)
            finally:
                printer.close()
