"""A printer test page: code page check, character sizes, QR code and cut."""

from __future__ import annotations

import os
from datetime import datetime

from . import escpos_writer
from .blocks import Big, Block, Gap, Qr, Raw, Rule, Text, paper
from .errors import PrinterError
from .profile import PrinterProfile
from .status import PrinterStatus
from .transports import open_transport

TEST_QR_PAYLOAD = "Wartemarke Testseite / test page"
GERMAN = "ÄÖÜ äöü ß €"
OTHERS = "é è ê à ç ñ å æ ø £ ¥ µ ° ± ² ³ ½ § © ® « »"


def page_blocks(profile: PrinterProfile, paper_mm: int = 80) -> list[Block]:
    page = profile.code_page()
    width = paper(paper_mm)
    upper_half = bytes(range(0x80, 0x100)).decode(page.codec, errors="replace")
    table = tuple(f"{row:X}x {upper_half[(row - 8) * 16 : (row - 7) * 16]}" for row in range(8, 16))
    ruler = "".join(str(i % 10) for i in range(1, width.chars + 1))
    return [
        Text("Wartemarke Druckertest", bold=True, height=2),
        Text(datetime.now().astimezone().strftime("%d.%m.%Y %H:%M")),
        Text(
            f"Profil {profile.model}, {page.name} (ESC t {page.table}), "
            f"{width.mm} mm = {width.chars} Zeichen"
        ),
        Rule(),
        Text(GERMAN, bold=True, height=2),
        Text(OTHERS),
        Text("Weichen die Zeichen oben ab, stimmt die Codepage nicht (deploy/PRINTERS.md)."),
        Gap(),
        Raw((f"{page.name} 0x80-0xFF:", *table, ruler)),
        Gap(),
        Big("A017"),
        Gap(),
        Qr(TEST_QR_PAYLOAD),
        Gap(),
        Text("Wenn der QR-Code lesbar ist und das Papier abgeschnitten wird, ist alles gut."),
    ]


def test_page_bytes(profile: PrinterProfile | str = "default", paper_mm: int = 80) -> bytes:
    """The test page job: all CP858 characters, big text, a QR code and a cut."""
    profile = PrinterProfile.coerce(profile)
    return escpos_writer.render_blocks(page_blocks(profile, paper_mm), paper(paper_mm), profile)


def print_test_page(url: str | None, data_dir: str | os.PathLike[str]) -> PrinterStatus:
    """Print the test page on the printer at url and return its status afterwards.

    Raises PrinterConfigError for a bad URL. A printer known to be offline gets no job; a
    failed delivery is reported in the returned status' ``error``.
    """
    transport = open_transport(url, data_dir)
    before = transport.status()
    if before.online is False:
        return before
    job = test_page_bytes(transport.profile, transport.paper_mm)
    try:
        transport.send(job)
    except PrinterError as exc:
        return PrinterStatus(online=False, paper=before.paper, error=str(exc))
    return transport.status()


# Not tests, despite the names the CLI asks for: keep pytest from collecting them on import.
test_page_bytes.__test__ = False  # type: ignore[attr-defined]
print_test_page.__test__ = False  # type: ignore[attr-defined]
