"""Checks on printed tickets, shared by tests/printers and tests/integration/test_printing.py.

A text is "printed" when the decoded job has it as text lines (the code page could encode it) or
holds a raster image exactly like the one the PNG renderer draws for it, in black and white:
then the printer got those very glyphs, not boxes or question marks.
"""

from __future__ import annotations

from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageChops

from wartemarke.i18n import LANGUAGES, fill, translate
from wartemarke.printers.blocks import NBSP, Text, paper, wrap
from wartemarke.printers.decode import DecodedJob
from wartemarke.printers.escpos_writer import dots
from wartemarke.printers.raster import font, text_image
from wartemarke.printers.ticket_texts import TEXTS


def label(key: str, lang: str, **values) -> str:
    """A ticket text as the catalogue has it (read here independently of printers/layout.py),
    each value glued to its neighbouring words by no-break spaces, as the ticket keeps "ca. 15
    Min." on one line."""
    text = translate(TEXTS[key], lang)
    for name in values:
        slot = "{" + name + "}"
        text = text.replace(f" {slot}", NBSP + slot).replace(f"{slot} ", slot + NBSP)
    return fill(text, **values)


def strip(text: str, paper_mm: int, lang: str = "", bold: bool = False, height: int = 1):
    """The full-width image the renderers draw for one text block (grayscale)."""
    code = LANGUAGES[lang].html_lang if lang else ""
    return text_image(Text(text, bold, height, code), paper(paper_mm))


def same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def printed_as(job: DecodedJob, text: str, paper_mm: int, lang: str = "", **style) -> str:
    """ "text" or "image": how the job prints text; AssertionError if it does not."""
    if " ".join(wrap(text, paper(paper_mm).chars)) in " ".join(line.text for line in job.lines):
        return "text"
    expected = dots(strip(text, paper_mm, lang, **style))
    if any(same(image, expected) for image in job.images()):
        return "image"
    raise AssertionError(f"{text!r} is neither a text line nor a raster image of the job")


def ink(image: Image.Image) -> float:
    """The share of the image's pixels that are (nearly) black."""
    histogram = image.convert("L").histogram()
    return sum(histogram[:128]) / (image.width * image.height)


def contains_strip(image: Image.Image, part: Image.Image) -> bool:
    """Whether the receipt image holds the full-width strip part at some height."""
    if image.width != part.width or image.height < part.height:
        return False
    first = part.crop((0, 0, part.width, 1)).tobytes()
    return any(
        image.crop((0, y, image.width, y + 1)).tobytes() == first
        and same(image.crop((0, y, image.width, y + part.height)), part)
        for y in range(image.height - part.height + 1)
    )


def _cmap(path: str, index: int) -> set[int]:
    if path.lower().endswith((".ttc", ".otc")):
        return set(TTCollection(path, lazy=True).fonts[index].getBestCmap())
    return set(TTFont(path, fontNumber=index, lazy=True).getBestCmap())


_CMAPS: dict[tuple[str, int], set[int]] = {}


def cmap(path: str | Path, index: int = 0) -> set[int]:
    """A font's code points, read with fontTools (not with the application's own reader)."""
    key = (str(path), index)
    if key not in _CMAPS:
        _CMAPS[key] = _cmap(*key)
    return _CMAPS[key]


def missing_glyphs(text: str, size: int = 22, bold: bool = False, lang: str = "") -> list[str]:
    """The characters of text that the receipt renderer would draw with a font lacking them
    (a box, "tofu"); spaces and invisible format characters need no glyph."""
    missing = []
    for chosen, run in font(size, bold, lang).runs(text):
        covered = cmap(chosen.path, chosen.index) if chosen else set()
        missing += [ch for ch in run if ord(ch) not in covered and _visible(ch)]
    return missing


def _visible(ch: str) -> bool:
    import unicodedata

    return not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs")
