"""58 and 80 mm layouts: nothing wider than the paper, and matching receipt images."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wartemarke.printers import TicketPrint, render_escpos, render_png
from wartemarke.printers.blocks import PAPERS
from wartemarke.printers.decode import decode

LONG = {
    "venue": "Pop-Up Bürgerbüro der Landeshauptstadt Düsseldorf im Museum Kunstpalast, Ehrenhof",
    "service": "Meldeangelegenheiten / Ummeldung / Anmeldung einer Nebenwohnung (Zweitwohnsitz)",
    "lines": [
        "Bitte warten Sie, bis Ihre Nummer aufgerufen wird.",
        "Please wait until your number is called.",
        "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen",
    ],
}


def assert_fits(ticket: TicketPrint) -> None:
    chars = PAPERS[ticket.paper_mm].chars
    job = decode(render_escpos(ticket))
    assert job.lines
    for line in job.lines:
        assert line.columns <= chars, f"{line.text!r} is {line.columns} > {chars} columns"


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("number", ["A017", "B1", "WA-12345"])
def test_no_line_wider_than_the_paper(make_ticket, paper_mm, number):
    assert_fits(make_ticket(paper_mm=paper_mm, number=number, **LONG))


@pytest.mark.parametrize(("paper_mm", "size"), [(58, 7), (80, 8)])
def test_ticket_number_is_as_large_as_fits(make_ticket, paper_mm, size):
    job = decode(render_escpos(make_ticket(paper_mm=paper_mm)))
    number = next(line for line in job.lines if line.text == "A017")
    assert (number.width, number.height) == (size, size)
    assert number.align == "center"


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßÄÖÜ-/", min_size=1, max_size=30)
phrases = st.lists(words, min_size=1, max_size=8).map(" ".join)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    venue=phrases, service=phrases, number=st.from_regex(r"[A-Z]{1,3}[0-9]{1,5}", fullmatch=True)
)
def test_any_names_fit_both_papers(make_ticket, venue, service, number):
    for paper_mm in (58, 80):
        assert_fits(make_ticket(paper_mm=paper_mm, venue=venue, service=service, number=number))


@pytest.mark.parametrize(("paper_mm", "width"), [(58, 384), (80, 576)])
def test_png_has_the_papers_width_in_dots(make_ticket, paper_mm, width):
    image = render_png(make_ticket(paper_mm=paper_mm, **LONG))
    assert image.width == width
    assert image.height > width  # a receipt, taller than wide
    assert image.getpixel((0, 0)) == 255  # white paper
    assert image.getextrema() == (0, 255)  # black ink


def test_png_contains_the_status_url_qr_code(make_ticket):
    from wartemarke.printers.blocks import qr_matrix, qr_module_dots
    from wartemarke.printers.raster import qr_image

    ticket = make_ticket(paper_mm=80)
    module = qr_module_dots(ticket.status_url, PAPERS[80])
    expected = qr_image(ticket.status_url, module)
    side = qr_matrix(ticket.status_url).modules_count * module
    assert expected.size == (side, side)
    assert 200 <= side <= 576 * 0.6

    image = render_png(ticket)
    left = (576 - side) // 2
    first_row = expected.crop((0, 0, side, 1)).tobytes()
    found = [
        y
        for y in range(image.height - side)
        if image.crop((left, y, left + side, y + 1)).tobytes() == first_row
        and image.crop((left, y, left + side, y + side)).tobytes() == expected.tobytes()
    ]
    assert found, "the receipt image does not contain the QR code of status_url"


def test_text_outside_cp858_is_printed_as_an_image(make_ticket):
    ticket = make_ticket(lines=["Будь ласка, зачекайте.", "Lütfen bekleyin — teşekkürler"])
    job = decode(render_escpos(ticket))
    sizes = [c.value for c in job.find("image")]
    assert len(sizes) == 2
    assert all(width == 384 and height > 10 for width, height in sizes)
    assert "?" not in job.text


def test_typographic_characters_are_replaced_not_rasterised(make_ticket):
    ticket = make_ticket(lines=["„Danke“ – bis gleich…"])
    job = decode(render_escpos(ticket))
    assert not job.find("image")
    assert '"Danke" - bis gleich...' in job.text


def test_ticket_validation(make_ticket):
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        make_ticket(issued_at=datetime(2025, 1, 1, 8, 0))
    with pytest.raises(ValueError, match="paper_mm"):
        make_ticket(paper_mm=76)
    with pytest.raises(ValueError, match="negative"):
        make_ticket(people_ahead=-1)
    assert make_ticket(lines=[]).lines == []


def test_default_foot_line_is_in_the_tickets_language(make_ticket):
    fields = make_ticket().__dict__ | {}
    del fields["lines"]
    assert TicketPrint(**fields).lines is None  # None: the default line, printed in German
    job = decode(render_escpos(TicketPrint(**fields)))
    assert "Bitte warten Sie, bis Ihre Nummer aufgerufen wird." in job.text.replace("\n", " ")
    assert "Please wait" not in job.text
