"""Turn layout blocks into an ESC/POS job with python-escpos' Dummy printer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PIL import Image

from .blocks import (
    Big,
    Block,
    Gap,
    Paper,
    Qr,
    Raw,
    Rule,
    Text,
    big_size,
    printable,
    qr_module_dots,
    wrap,
)
from .profile import CodePage, PrinterProfile
from .raster import text_image

INK_THRESHOLD = 160  # gray levels below print as a dot

if TYPE_CHECKING:
    from escpos.printer import Dummy


def render_blocks(blocks: Sequence[Block], paper_: Paper, profile: PrinterProfile) -> bytes:
    """The complete job: init, fixed code page, the blocks centered, feed and cut."""
    from escpos.magicencode import Encoder
    from escpos.printer import Dummy

    page = profile.code_page()
    # An encoder that knows only our code page: python-escpos can never switch tables behind
    # our back, and characters outside the page become "?".
    printer = Dummy(
        profile=profile.model,
        magic_encode_args={"encoder": Encoder({page.name: page.table}), "defaultsymbol": "?"},
    )
    # image() reads the paper width from the profile (and prints a warning to stdout when it
    # is unknown). profile_data is shared by the class, so override it on this instance only.
    printer.profile.profile_data = _with_paper_width(printer.profile.profile_data, paper_.dots)

    printer.hw("INIT")  # ESC @ also resets the code table, so select ours after it
    printer.charcode(page.name)  # emits ESC t n right away and disables auto-switching
    printer.set(align="center")
    for block in blocks:
        _render(printer, block, paper_, page)
    printer.set(normal_textsize=True, bold=False, align="left")
    printer.cut(mode="PART" if profile.partial_cut else "FULL")  # ESC d 6, then GS V
    return printer.output


def _render(printer: Dummy, block: Block, paper_: Paper, page: CodePage) -> None:
    from escpos.constants import QR_ECLEVEL_M

    match block:
        case Text():
            _text(printer, block, paper_, page)
        case Big():
            size = big_size(block.text, paper_.chars)
            printer.set(bold=True, custom_size=True, width=size, height=size)
            printer.textln(printable(block.text, page.codec) or block.text)
            printer.set(bold=False, custom_size=True, width=1, height=1)
        case Rule():
            printer.set(normal_textsize=True, bold=False)
            printer.textln("-" * paper_.chars)
        case Gap():
            printer.ln(block.lines)
        case Qr():
            size = qr_module_dots(block.payload, paper_)
            printer.qr(block.payload, ec=QR_ECLEVEL_M, size=size, native=True)
        case Raw():
            printer.set(normal_textsize=True, bold=False, align="left")
            for line in block.lines:
                printer.textln(line[: paper_.chars])
            printer.set(align="center")


def _text(printer: Dummy, block: Text, paper_: Paper, page: CodePage) -> None:
    printer.set(normal_textsize=block.height == 1, double_height=block.height == 2, bold=block.bold)
    text = printable(block.text, page.codec)
    if text is None:
        # A script the code page lacks (Cyrillic, Greek, Turkish ğ/ş, ...): print it as an image.
        printer.image(dots(text_image(block, paper_)), impl="bitImageRaster")
        return
    for line in wrap(text, paper_.chars):
        printer.textln(line)


def dots(image: Image.Image) -> Image.Image:
    """A grayscale image as the printer prints it: each pixel black (0) or white (255)."""
    return image.point(lambda v: 0 if v < INK_THRESHOLD else 255)


def _with_paper_width(profile_data: dict[str, Any], dots: int) -> dict[str, Any]:
    media = dict(profile_data.get("media", {}))
    media["width"] = {**media.get("width", {}), "pixels": dots}
    return {**profile_data, "media": media}
