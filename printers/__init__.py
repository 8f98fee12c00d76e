"""Thermal receipt printing: ticket layout (ESC/POS and PNG), transports, status, test page.

A library without Flask app or gevent: a ticket's texts come from the gettext catalogues
through wartemarke.i18n, which works outside requests. python-escpos is imported lazily; call
``configure_escpos(data_dir)`` (or ``open_transport``) before the first print job.
"""

from .errors import PrinterConfigError, PrinterError, PrinterUnavailableError
from .escpos_env import configure as configure_escpos
from .layout import render_escpos, render_png
from .profile import PrinterProfile
from .status import PrinterStatus
from .testpage import print_test_page, test_page_bytes
from .ticket import TicketPrint
from .transports import Transport, open_transport, ticket_files

__all__ = [
    "PrinterConfigError",
    "PrinterError",
    "PrinterProfile",
    "PrinterStatus",
    "PrinterUnavailableError",
    "TicketPrint",
    "Transport",
    "configure_escpos",
    "open_transport",
    "print_test_page",
    "render_escpos",
    "render_png",
    "test_page_bytes",
    "ticket_files",
]
