"""The queue ticket's layout, rendered as an ESC/POS job or as a receipt image."""

from __future__ import annotations

import re
from datetime import datetime

from babel.dates import format_date
from PIL import Image

from ..i18n import LANGUAGES, fill
from ..i18n import texts as texts_in
from . import escpos_writer, raster
from .blocks import NBSP, Big, Block, Gap, Qr, Rule, Text, paper
from .profile import PrinterProfile
from .ticket import TicketPrint
from .ticket_texts import TEXTS


def ticket_language(code: str | None) -> str:
    """The language a ticket is printed in: its own if known, else German."""
    return code if code in LANGUAGES else "de"


def issued_text(moment: datetime, lang: str) -> str:
    """Date and time of issue: the language's short date ("04.03.2025", "04/03/2025",
    "2025/03/04") with the full year, and a 24-hour time as on the rest of the ticket."""
    locale = LANGUAGES[lang].babel
    pattern = re.sub(r"(?<!y)yy(?!y)", "y", str(locale.date_formats["short"].pattern))
    return f"{format_date(moment, pattern, locale=locale)} {moment:%H:%M}"


def _fill(template: str, **values: object) -> str:
    """The text with its values, each glued to its neighbouring words by no-break spaces, so
    that "ca. 15 Min." never breaks across lines."""
    for name in values:
        slot = "{" + name + "}"
        template = template.replace(f" {slot}", NBSP + slot).replace(f"{slot} ", slot + NBSP)
    return fill(template, **values)


def ticket_blocks(ticket: TicketPrint) -> list[Block]:
    lang = ticket_language(ticket.lang)
    texts = texts_in(TEXTS, lang)  # printers/ticket_texts.py, kept per process
    code = LANGUAGES[lang].html_lang  # for the fonts and shaping: "ja", "ar"

    def say(text: str, bold: bool = False) -> Text:
        return Text(text, bold=bold, lang=code)

    blocks: list[Block] = [
        Text(ticket.venue, bold=True),
        Rule(),
        Big(ticket.number),
        Text(ticket.service, bold=True, height=2, lang=code),
        say(issued_text(ticket.issued_at, lang)),
        Gap(),
        *(
            # An appointment is called at its slot: the queue's figures do not apply.
            [
                say(_fill(texts["appointment"], time=ticket.appointment), bold=True),
                say(texts["appointment_hint"]),
            ]
            if ticket.appointment
            else [
                say(_fill(texts["ahead"], n=ticket.people_ahead)),
                say(_fill(texts["wait"], min=ticket.estimated_wait_min)),
            ]
        ),
        Gap(),
        Qr(ticket.status_url),
        say(texts["scan_hint"]),
        Gap(),
    ]
    # The venue's own text as written; without one a line in the visitor's language (German
    # alone for German: the visitor chose it, an English line was only a stand-in for choice).
    foot = [say(texts["default_line"])] if ticket.lines is None else [Text(t) for t in ticket.lines]
    if foot:
        blocks += [Rule(), *foot]
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
