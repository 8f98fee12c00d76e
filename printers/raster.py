"""Draw layout blocks as a receipt image: white paper, black text, real width in dots."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from . import glyphs, shaping
from .blocks import (
    FONT_A_DOTS,
    NBSP,
    Big,
    Block,
    Gap,
    Paper,
    Qr,
    Raw,
    Rule,
    Text,
    big_size,
    qr_matrix,
    qr_module_dots,
)

log = logging.getLogger(__name__)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

TEXT_PX = 22  # DejaVu Sans at 22 px is about as tall as printer font A (24 dots)
LINE_PX = 28
MARGIN_PX = 8
WHITE, BLACK = 255, 0
# DejaVu's Arabic letters are small for their size: drawn larger to match the Latin text.
ARABIC_SCALE = 1.1
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")

if not glyphs.RAQM:
    log.warning(
        "Pillow has no libraqm (Debian: apt-get install libraqm0 libfribidi0): Arabic on "
        "tickets is drawn with simple built-in shaping, other complex scripts unshaped"
    )


class Face:
    """Text at one size and weight. A line is drawn in the first font of the chain
    (glyphs.py) that has all its characters, else in runs: each character in the first font
    that has it. Right-to-left lines are shaped and reordered by libraqm (or shaping.py)."""

    def __init__(self, size: int, bold: bool = False, lang: str = "", raqm: bool | None = None):
        self.size, self.bold, self.lang = size, bold, lang
        self.raqm = glyphs.RAQM if raqm is None else raqm
        self.chain = glyphs.bundled(bold)

    def runs(self, text: str) -> list[tuple[glyphs.FontFile | None, str]]:
        """The line cut into (font, text) runs; font None only when no font was found at all."""
        chain = [*self.chain, *glyphs.known_system_fonts(self.bold)]
        for candidate in chain:
            if all(candidate.has(ch) for ch in text):
                return [(candidate, text)]
        runs: list[tuple[glyphs.FontFile | None, str]] = []
        current: glyphs.FontFile | None = None
        for ch in text:
            if not runs or current is None or not current.has(ch):
                current = glyphs.font_for(ch, self.chain, self.bold, self.lang)
                if runs and runs[-1][0] == current:
                    runs[-1] = (current, runs[-1][1] + ch)
                    continue
                runs.append((current, ch))
            else:
                runs[-1] = (current, runs[-1][1] + ch)
        return runs

    def _font(self, font: glyphs.FontFile | None, run: str = "") -> Font:
        if font is None and self.chain:
            font = self.chain[0]  # prints a box: better than losing the character silently
        if font is None:
            return _default_font(self.size)
        scale = font.scale * (ARABIC_SCALE if _ARABIC.search(run) else 1.0)
        return glyphs.load(font, round(self.size * scale), self.raqm)

    def _options(self, text: str) -> tuple[str, dict]:
        """The text as drawn, and the layout options: direction and language for libraqm;
        without it a right-to-left line is shaped and reversed here."""
        rtl = shaping.is_rtl(text)
        if not self.raqm:
            return (shaping.visual_rtl(text) if rtl else text), {}
        options = {"direction": "rtl" if rtl else "ltr"}
        if self.lang:
            options["language"] = self.lang
        return text, options

    def _fake_bold(self, font: glyphs.FontFile | None) -> bool:
        return self.bold and font is not None and not font.bold

    def _pieces(self, text: str) -> list[tuple[glyphs.FontFile | None, str, float]]:
        pieces = []
        for font, run in self.runs(text):
            drawn, options = self._options(run)
            width = self._font(font, run).getlength(drawn, **options)
            pieces.append((font, run, width + self._fake_bold(font)))
        return pieces

    def getlength(self, text: str) -> float:
        return sum(width for *_, width in self._pieces(text))

    def draw(self, draw: ImageDraw.ImageDraw, x: float, middle: float, text: str) -> None:
        """Draws text from x, vertically centred on middle."""
        pieces = self._pieces(text)
        if not pieces:
            return
        ascent, descent = self._font(*pieces[0][:2]).getmetrics()
        baseline = middle + (ascent - descent) / 2
        if len(pieces) > 1 and shaping.is_rtl(text):
            pieces.reverse()  # runs of a right-to-left line go from right to left
        for font, run, width in pieces:
            drawn, options = self._options(run)
            face = self._font(font, run)
            # A font without a bold face (the CJK subset, most system fonts): drawn twice, one
            # dot apart, which thickens the strokes without filling in dense kanji.
            for dx in (0, 1) if self._fake_bold(font) else (0,):
                draw.text((x + dx, baseline), drawn, font=face, fill=BLACK, anchor="ls", **options)
            x += width


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False, lang: str = "") -> Face:
    return Face(size, bold, lang)


def _default_font(size: int) -> Font:
    log.warning("no font found; receipts are drawn with Pillow's default font")
    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        return ImageFont.load_default()


# Characters a Japanese line must not start with (kinsoku): closing brackets, punctuation,
# small kana and the long vowel mark.
_NO_LINE_START = set("、。，．,.）」』】〕〉》！？!?：:；;ー・…‥々")
_NO_LINE_START |= set("ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ")
# A break right after these is natural in Japanese.
_BREAK_AFTER = set("、。：:！？!?）」』")


def _split_point(word: str, face: Face, width: float) -> int:
    """Where to split a word (or a line without spaces, as in Japanese) that is too wide."""
    cut = len(word) - 1
    while cut > 1 and face.getlength(word[:cut]) > width:
        cut -= 1
    natural = max((i + 1 for i in range(cut) if word[i] in _BREAK_AFTER), default=0)
    if natural >= cut * 0.6:
        return natural
    while cut > 1 and word[cut] in _NO_LINE_START:
        cut -= 1
    return cut


def wrap_px(text: str, face: Face, width: int) -> list[str]:
    """Greedy word wrap by rendered width; words longer than a line are split."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in filter(None, paragraph.split(" ")):
            candidate = f"{current} {word}" if current else word
            if face.getlength(candidate) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            while len(word) > 1 and (length := face.getlength(word)) > width:
                # Lines of even length: no last line with a lone character (Japanese has no
                # spaces, so a whole sentence is one "word" here).
                even = min(width, length / math.ceil(length / width) + face.size)
                cut = _split_point(word, face, even)
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return [line.replace(NBSP, " ") for line in lines]


class Canvas:
    """A strip of paper that grows downwards as it is drawn on; crop() returns the used part."""

    def __init__(self, paper_: Paper, top: int = MARGIN_PX) -> None:
        self.paper = paper_
        self.image = Image.new("L", (paper_.dots, 1024), WHITE)
        self.draw = ImageDraw.Draw(self.image)
        self.y = top

    def room(self, height: int) -> None:
        """Make sure height more pixels (plus the bottom margin) fit below y."""
        needed = self.y + height + MARGIN_PX
        if needed > self.image.height:
            grown = Image.new("L", (self.paper.dots, max(needed, 2 * self.image.height)), WHITE)
            grown.paste(self.image, (0, 0))
            self.image, self.draw = grown, ImageDraw.Draw(grown)

    @property
    def inner(self) -> int:
        return self.paper.dots - 2 * MARGIN_PX

    def centered(self, text: str, face: Face, line_px: int) -> None:
        self.room(line_px)
        width = face.getlength(text)
        face.draw(self.draw, (self.paper.dots - width) / 2, self.y + line_px / 2, text)
        self.y += line_px

    def left(self, text: str, face: Face, line_px: int) -> None:
        self.room(line_px)
        face.draw(self.draw, MARGIN_PX, self.y + line_px / 2, text)
        self.y += line_px

    def paste(self, image: Image.Image) -> None:
        self.room(image.height)
        self.image.paste(image, ((self.paper.dots - image.width) // 2, self.y))
        self.y += image.height

    def crop(self) -> Image.Image:
        return self.image.crop((0, 0, self.paper.dots, self.y + MARGIN_PX))


def draw_text(canvas: Canvas, block: Text) -> None:
    # Double height is drawn larger, but never so large that a word has to be split.
    px = TEXT_PX if block.height == 1 else TEXT_PX + 6
    words = block.text.replace(NBSP, " ").split()
    while px > TEXT_PX and any(
        font(px, block.bold, block.lang).getlength(w) > canvas.inner for w in words
    ):
        px -= 1
    face = font(px, block.bold, block.lang)
    line_px = LINE_PX if block.height == 1 else round(px * 1.5)
    for line in wrap_px(block.text, face, canvas.inner):
        canvas.centered(line, face, line_px)


def draw_big(canvas: Canvas, block: Big) -> None:
    size = big_size(block.text, canvas.paper.chars)
    cell_w, cell_h = FONT_A_DOTS[0] * size, FONT_A_DOTS[1] * size
    px = int(cell_h * 0.85)
    while px > 8 and font(px, True).getlength(block.text) > min(
        canvas.inner, cell_w * len(block.text)
    ):
        px -= 2
    canvas.centered(block.text, font(px, True), cell_h)


def qr_image(payload: str, module_px: int) -> Image.Image:
    return qr_matrix(payload, module_px).make_image().get_image().convert("L")


def render_blocks(blocks: Sequence[Block], paper_: Paper) -> Image.Image:
    canvas = Canvas(paper_)
    for block in blocks:
        match block:
            case Text():
                draw_text(canvas, block)
            case Big():
                draw_big(canvas, block)
            case Rule():
                canvas.room(LINE_PX)
                mid = canvas.y + LINE_PX // 2
                for x in range(MARGIN_PX, paper_.dots - MARGIN_PX, 8):
                    canvas.draw.line((x, mid, x + 4, mid), fill=BLACK, width=2)
                canvas.y += LINE_PX
            case Gap():
                canvas.room(LINE_PX * block.lines)
                canvas.y += LINE_PX * block.lines
            case Qr():
                canvas.paste(qr_image(block.payload, qr_module_dots(block.payload, paper_)))
                canvas.y += MARGIN_PX  # air between the code and a line under it
            case Raw():
                face = font(TEXT_PX - 4)
                for line in block.lines:
                    canvas.left(line, face, LINE_PX - 4)
    return canvas.crop()


def text_image(block: Text, paper_: Paper) -> Image.Image:
    """Centered lines of text as a full-width image (printing scripts the code page lacks)."""
    canvas = Canvas(paper_, top=0)
    draw_text(canvas, block)
    return canvas.image.crop((0, 0, paper_.dots, canvas.y))
