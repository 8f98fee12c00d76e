"""The queue ticket's layout, rendered as an ESC/POS job or as a receipt image."""

from __future__ import annotations

from PIL import Image

from . import escpos_writer, raster
from .blocks import NBSP, Big, Block, Gap, Qr, Rule, Text, paper
from .profile import PrinterProfile
from .ticket import TicketPrint


def ticket_blocks(ticket: TicketPrint) -> list[Block]:
    blocks: list[Block] = [
        Text(ticket.venue, bold=True),
        Rule(),
        Big(ticket.number),
        Text(ticket.service, bold=True, height=2),
        Text(ticket.issued_at.strftime("%d.%m.%Y %H:%M")),
        Gap(),
        *(
            # An appointment is called at its slot: the queue's figures do not apply.
            [
                Text(f"Ihr Termin: {ticket.appointment}{NBSP}Uhr", bold=True),
                Text("Sie werden zu Ihrer Zeit aufgerufen."),
            ]
            if ticket.appointment
            else [
                Text(f"Personen vor Ihnen: {ticket.people_ahead}"),
                # "ca. 15 Min." stays on one line when the sentence has to wrap
                Text(f"Geschätzte Wartezeit: ca.{NBSP}{ticket.estimated_wait_min}{NBSP}Min."),
            ]
        ),
        Gap(),
        Qr(ticket.status_url),
        Gap(),
    ]
    if ticket.lines:
        blocks.append(Rule())
        blocks += [Text(line) for line in ticket.lines]
    return blocks


def render_escpos(ticket: TicketPrint, profile: PrinterProfile | str = "default") -> bytes:
    """The complete ESC/POS job for the ticket: init, CP858, content, feed and cut.

    ``profile`` is a :class:`PrinterProfile` or a model name from python-escpos' printer
    database; the paper width comes from ``ticket.paper_mm``.
    """
    return escpos_writer.render_blocks(
        ticket_blocks(ticket), paper(ticket.paper_mm), PrinterProfile.coerce(profile)
    )


def render_png(ticket: TicketPrint) -> Image.Image:
    """The ticket as a grayscale receipt image, 384 (58 mm) or 576 (80 mm) pixels wide."""
    return raster.render_blocks(ticket_blocks(ticket), paper(ticket.paper_mm))
