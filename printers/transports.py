"""One URL selects the printer transport.

    tcp://192.0.2.10:9100          network printer, raw port 9100 (python-escpos Network)
    usb://04b8:0e15                USB vendor:product in hex (python-escpos Usb, needs pyusb)
    serial:///dev/ttyUSB0?baudrate=19200   (python-escpos Serial, needs pyserial)
    cups://QUEUE                   CUPS raw queue, through the lp command
    file:///dev/usb/lp0            append the raw bytes to a device node or file
    virtual                        PNG + .bin per ticket under <data_dir>/tickets/ (default)

Options shared by all: ``paper=58|80`` (default 80), ``profile=<python-escpos model>``,
``codepage=<ESC t number of CP858>``, ``cut=partial|full``. Per transport: tcp ``timeout``,
``status_timeout``; usb ``timeout``, ``in_ep``, ``out_ep``; serial ``baudrate``,
``bytesize``, ``parity=N|E|O``, ``stopbits``, ``flow=dsrdtr|rtscts|xonxoff|none``,
``timeout``, ``status_timeout``; cups ``server=host:port``, ``timeout``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, unquote, urlsplit

from . import escpos_env
from .errors import PrinterConfigError
from .escpos_transports import SerialTransport, TcpTransport, UsbTransport
from .local_transports import CupsTransport, FileTransport, VirtualTransport, ticket_files
from .transport_base import Options, Transport

__all__ = [
    "CupsTransport",
    "FileTransport",
    "SerialTransport",
    "TcpTransport",
    "Transport",
    "UsbTransport",
    "VirtualTransport",
    "open_transport",
    "ticket_files",
]

DEFAULT_URL = "virtual"
SCHEMES = ("tcp", "usb", "serial", "cups", "file", "virtual")
_USB_IDS = re.compile(r"([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})")
_QUEUE_NAME = re.compile(r"[^\s/#\\'\"]{1,127}")


def open_transport(url: str | None, data_dir: str | os.PathLike[str]) -> Transport:
    """The transport for a printer URL (None or "" = virtual); PrinterConfigError if invalid.

    Also points python-escpos' capabilities cache into data_dir (see escpos_env).
    """
    escpos_env.configure(data_dir)
    url = (url or DEFAULT_URL).strip()
    bare = re.fullmatch(r"virtual:?(\?.*)?", url, re.IGNORECASE)
    try:
        parts = urlsplit(f"virtual://{bare[1] or ''}" if bare else url)
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise PrinterConfigError(f"invalid printer URL {url!r}: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise PrinterConfigError(
            f"invalid printer URL {url!r}: scheme must be one of "
            f"{', '.join(s + '://' for s in SCHEMES)}"
        )
    if parts.fragment:
        raise PrinterConfigError(f"invalid printer URL {url!r}: unexpected '#' part")
    options = Options(url, pairs)
    transport = _build(url, parts.scheme, parts.netloc, parts.path, options, data_dir)
    options.finish()
    return transport


def _build(
    url: str,
    scheme: str,
    netloc: str,
    path: str,
    options: Options,
    data_dir: str | os.PathLike[str],
) -> Transport:
    def bad(why: str) -> PrinterConfigError:
        return PrinterConfigError(f"invalid printer URL {url!r}: {why}")

    match scheme:
        case "tcp":
            host = urlsplit(url).hostname
            try:
                port = urlsplit(url).port
            except ValueError:
                port = 0
            if port is not None and not 1 <= port <= 65535:
                raise bad("port must be a number 1..65535")
            if not host or path not in ("", "/"):
                raise bad("expected tcp://HOST[:PORT]")
            return TcpTransport(url, host, port or 9100, options)
        case "usb":
            ids = _USB_IDS.fullmatch(netloc)
            if not ids or path not in ("", "/"):
                raise bad("expected usb://VID:PID in hex, e.g. usb://04b8:0e15")
            return UsbTransport(url, int(ids[1], 16), int(ids[2], 16), options)
        case "serial":
            if netloc or not path.startswith("/"):
                raise bad("expected serial:///dev/DEVICE (three slashes)")
            return SerialTransport(url, unquote(path), options)
        case "cups":
            if not _QUEUE_NAME.fullmatch(netloc) or path not in ("", "/"):
                raise bad("expected cups://QUEUE (a CUPS queue name: no spaces, / or #)")
            return CupsTransport(url, netloc, options)
        case "file":
            if netloc not in ("", "localhost") or not path.startswith("/"):
                raise bad("expected file:///ABSOLUTE/PATH (three slashes)")
            return FileTransport(url, unquote(path), options)
        case _:  # "virtual" with more than the bare name
            if netloc or path:
                raise bad("the virtual printer takes no address")
            return VirtualTransport(url, data_dir, options)
