"""A receipt as a list of layout blocks, shared by the ESC/POS and the PNG renderer.

Both renderers walk the same blocks, so the printed ticket and its on-screen image always
carry the same content in the same order.
"""

from __future__ import annotations

import textwrap
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from .errors import PrinterConfigError


class Paper(NamedTuple):
    mm: int
    chars: int  # font A (12 x 24 dots) characters per line
    dots: int  # printable dots per line at 203 dpi


PAPERS = {58: Paper(58, 32, 384), 80: Paper(80, 48, 576)}
FONT_A_DOTS = (12, 24)
MAX_SIZE = 8  # GS ! accepts 1..8 times the normal width and height


def paper(mm: int) -> Paper:
    try:
        return PAPERS[mm]
    except KeyError:
        raise PrinterConfigError(f"paper width must be 58 or 80 mm, not {mm}") from None


@dataclass(frozen=True)
class Text:
    """Centered text, wrapped to the paper; height 2 = double height. ``lang``: its language
    when known ("ja"), for the font fallback and shaping of a text printed as an image."""

    text: str
    bold: bool = False
    height: int = 1
    lang: str = ""


@dataclass(frozen=True)
class Big:
    """A short string (the ticket number) as large as fits the paper width."""

    text: str


@dataclass(frozen=True)
class Rule:
    """A separator line across the paper."""


@dataclass(frozen=True)
class Gap:
    lines: int = 1


@dataclass(frozen=True)
class Qr:
    payload: str


@dataclass(frozen=True)
class Raw:
    """Pre-wrapped lines printed as they are, left aligned (test page tables)."""

    lines: tuple[str, ...]


Block = Text | Big | Rule | Gap | Qr | Raw


NBSP = "\u00a0"


def wrap(text: str, width: int) -> list[str]:
    """Wrap text to width characters; explicit newlines are kept, long words are split.

    A no-break space glues words together (it is printed as a plain space).
    """
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width) or [""]
    return [line.replace(NBSP, " ") for line in lines]


def big_size(text: str, chars: int) -> int:
    """Size multiplier for Big text: as large as fits, leaving a column free on each side."""
    return max(1, min(MAX_SIZE, (chars - 2) // max(1, len(text))))


def qr_matrix(payload: str, module_px: int = 1) -> qrcode.QRCode:
    """The QR symbol a printer builds natively: byte mode, error correction M."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=module_px)
    code.add_data(payload, optimize=0)
    code.make(fit=True)
    return code


def qr_module_dots(payload: str, paper_: Paper) -> int:
    """Module size in dots so the symbol spans about half the paper width (1..16)."""
    modules = qr_matrix(payload).modules_count
    return max(1, min(16, (paper_.dots // 2) // modules))


_TYPOGRAPHIC = str.maketrans(
    {
        "\u201e": '"',
        "\u201c": '"',
        "\u201d": '"',
        "\u201a": "'",
        "\u2018": "'",
        "\u2019": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u2022": "*",
        "\u00a0": " ",
        "\u202f": " ",
        "\u1e9e": "SS",
    }
)


def printable(text: str, codec: str) -> str | None:
    """Text as the code page can print it, or None if it needs a raster image.

    Typographic characters the code page lacks (German quotes, dashes, ...) are replaced by
    their ASCII look-alikes; control characters are dropped.
    """
    text = unicodedata.normalize("NFC", text)
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    try:
        text.encode(codec)
        return text
    except UnicodeEncodeError:
        pass
    text = "".join(ch if _encodable(ch, codec) else ch.translate(_TYPOGRAPHIC) for ch in text)
    try:
        text.encode(codec)
        return text
    except UnicodeEncodeError:
        return None


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
        return True
    except UnicodeEncodeError:
        return False
