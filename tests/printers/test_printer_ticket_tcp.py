"""A rendered ticket travels over the tcp:// transport to the virtual printer intact."""

from __future__ import annotations

from datetime import UTC

from wartemarke.printers import open_transport, render_escpos
from wartemarke.printers.decode import decode

ESC_T_CP858 = b"\x1bt\x13"  # ESC t 19: CP858 on Epson and the default profile


def test_ticket_over_tcp_decodes_with_cp858(make_ticket, virtual_printer, data_dir):
    ticket = make_ticket()
    transport = open_transport(virtual_printer.url + "?paper=58", data_dir)
    transport.send(render_escpos(ticket, transport.profile), ticket)

    (raw,) = virtual_printer.wait_for_jobs(1)
    job = decode(raw)

    assert raw.startswith(b"\x1b@" + ESC_T_CP858)  # init, then the code page, explicitly
    assert job.code_pages == [19]
    selected = raw.index(ESC_T_CP858)
    assert raw.index("ü".encode("cp858")) > selected
    assert b"\x81" in raw and b"\xe1" in raw and b"\x84" in raw  # ü, ß, ä in CP858
    assert "Bürgerbüro".encode() not in raw  # no UTF-8 leaks through

    lines = [line.text for line in job.lines]
    assert "A017" in lines
    big = next(line for line in job.lines if line.text == "A017")
    assert big.width >= 2 and big.height >= 2
    assert "Pop-Up Bürgerbüro im Museum" in lines
    assert "Meldeangelegenheiten / Ummeldung" in lines
    assert "04.03.2025 09:07" in lines
    assert "Personen vor Ihnen: 3" in lines
    assert "Geschätzte Wartezeit: ca. 15 Min." in job.text.replace("\n", " ")
    assert "Schöne Grüße vom Bürgerbüro" in lines

    assert job.qr_payloads == [ticket.status_url]
    assert job.names.index("qr_store") < job.names.index("qr_print")
    assert job.cut and job.commands[-1].name == "cut"
    assert raw.endswith(b"\x1dV\x01")  # GS V 1: partial cut


def test_full_cut_and_codepage_override_from_url(make_ticket, virtual_printer, data_dir):
    ticket = make_ticket(paper_mm=80)
    transport = open_transport(f"{virtual_printer.url}?cut=full&codepage=53", data_dir)
    transport.send(render_escpos(ticket, transport.profile))

    (raw,) = virtual_printer.wait_for_jobs(1)
    assert raw.startswith(b"\x1b@\x1bt\x35")
    assert raw.endswith(b"\x1dV\x00")
    job = decode(raw, code_pages={53: "cp858"})
    assert "Pop-Up Bürgerbüro im Museum Kunstpalast" in job.text


def test_date_is_printed_in_the_datetimes_own_timezone(make_ticket):
    from datetime import datetime, timedelta, timezone

    tokyo = timezone(timedelta(hours=9))
    ticket = make_ticket(issued_at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC).astimezone(tokyo))
    assert "01.01.2026 08:30" in decode(render_escpos(ticket)).text
