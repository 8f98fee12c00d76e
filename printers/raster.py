"""Draw layout blocks as a receipt image: white paper, black text, real width in dots."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

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

_FONT_DIRS = (Path(__file__).with_name("fonts"), Path("/usr/share/fonts/truetype/dejavu"))
_FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}

TEXT_PX = 22  # DejaVu Sans at 22 px is about as tall as printer font A (24 dots)
LINE_PX = 28
MARGIN_PX = 8
WHITE, BLACK = 255, 0


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> Font:
    """DejaVu Sans (bundled, else the system copy), else Pillow's built-in font."""
    for folder in _FONT_DIRS:
        path = folder / _FONT_FILES[bold]
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            continue
    log.warning("DejaVu Sans not found; receipts are drawn with Pillow's default font")
    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow < 10.1 has only the small bitmap font
        return ImageFont.load_default()


def wrap_px(text: str, face: Font, width: int) -> list[str]:
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
            while len(word) > 1 and face.getlength(word) > width:
                cut = len(word) - 1
                while cut > 1 and face.getlength(word[:cut]) > width:
                    cut -= 1
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

    def centered(self, text: str, face: Font, line_px: int) -> None:
        self.room(line_px)
        width = face.getlength(text)
        x = (self.paper.dots - width) / 2
        self.draw.text((x, self.y + line_px / 2), text, font=face, fill=BLACK, anchor="lm")
        self.y += line_px

    def left(self, text: str, face: Font, line_px: int) -> None:
        self.room(line_px)
        self.draw.text((MARGIN_PX, self.y + line_px / 2), text, font=face, fill=BLACK, anchor="lm")
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
    while px > TEXT_PX and any(font(px, block.bold).getlength(w) > canvas.inner for w in words):
        px -= 1
    face = font(px, block.bold)
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
            case Raw():
                face = font(TEXT_PX - 4)
                for line in block.lines:
                    canvas.left(line, face, LINE_PX - 4)
    return canvas.crop()


def text_image(text: str, paper_: Paper, bold: bool = False, height: int = 1) -> Image.Image:
    """Centered lines of text as a full-width image (printing scripts the code page lacks)."""
    canvas = Canvas(paper_, top=0)
    draw_text(canvas, Text(text, bold, height))
    return canvas.image.crop((0, 0, paper_.dots, canvas.y))
