"""Which font draws which character on a receipt image: a font chain over the cmaps.

Pillow draws a text with one font and prints a box (tofu) for characters the font lacks, so a
line is drawn with the first font of the chain that has all its characters:

1. DejaVu Sans (bundled): Latin, Greek, Cyrillic, Arabic, Hebrew, ...
2. Noto Sans JP Wartemarke (bundled subset, see make_cjk_font.py): kana and the common kanji
3. a system font fontconfig finds for the rest (``fc-match``), e.g. a rare kanji an admin typed
   into a service name.

A line no single font covers is drawn in runs, each character in the first font that has it.
The cmaps are read here (a few dozen lines) rather than with fontTools, which the application
does not depend on.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import struct
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont, features

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).with_name("fonts")
SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
DEJAVU = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
CJK = FONT_DIR / "NotoSansJP-Wartemarke.otf"

# Kanji need 24 dots (as a printer's own kanji font has) to stay legible once printed in black
# and white: Japanese fonts are drawn this much larger than the 22 px text.
CJK_SCALE = 1.1

# Pillow shapes (Arabic joining, marks) and reorders right-to-left text only with libraqm.
RAQM = features.check("raqm")


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0  # the face in a collection (.ttc)
    bold: bool = False  # a real bold face: others are drawn twice, a dot apart, for bold
    scale: float = 1.0  # drawn this much larger than the size asked for

    @property
    def chars(self) -> frozenset[int]:
        return read_cmap(self.path, self.index)

    def has(self, ch: str) -> bool:
        return ord(ch) in self.chars or not needs_glyph(ch)


def needs_glyph(ch: str) -> bool:
    """False for spaces and invisible format characters (RLM, ZWJ), which need no glyph."""
    return not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs")


# --- reading a cmap -------------------------------------------------------------------------
@cache
def read_cmap(path: str, index: int = 0) -> frozenset[int]:
    """The code points a font file (TrueType, OpenType or a collection's face) maps to a glyph.
    Empty if the file cannot be read."""
    try:
        with open(path, "rb") as file:
            return frozenset(_cmap(file, index))
    except (OSError, struct.error, ValueError) as exc:
        log.warning("cannot read the character map of %s: %s", path, exc)
        return frozenset()


def _cmap(file, index: int) -> set[int]:
    def read(offset: int, size: int) -> bytes:
        file.seek(offset)
        data = file.read(size)
        if len(data) != size:
            raise ValueError("truncated font file")
        return data

    start = 0
    if read(0, 4) == b"ttcf":
        (count,) = struct.unpack(">I", read(8, 4))
        if not 0 <= index < count:
            raise ValueError(f"no face {index} in the collection")
        (start,) = struct.unpack(">I", read(12 + 4 * index, 4))
    (tables,) = struct.unpack(">H", read(start + 4, 2))
    directory = read(start + 12, 16 * tables)
    for i in range(tables):
        tag, _sum, offset, length = struct.unpack(">4sIII", directory[16 * i : 16 * i + 16])
        if tag == b"cmap":
            return _parse_cmap(read(offset, length))
    raise ValueError("no cmap table")


# Unicode subtables, best first: (platform, encoding, format)
_PREFERRED = ((3, 10, 12), (0, 6, 12), (0, 4, 12), (3, 1, 4), (0, 3, 4), (0, 2, 4), (0, 1, 4))


def _parse_cmap(cmap: bytes) -> set[int]:
    (count,) = struct.unpack(">H", cmap[2:4])
    found: dict[tuple[int, int, int], int] = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack(">HHI", cmap[4 + 8 * i : 12 + 8 * i])
        (fmt,) = struct.unpack(">H", cmap[offset : offset + 2])
        found.setdefault((platform, encoding, fmt), offset)
    for key in _PREFERRED:
        if key in found:
            offset = found[key]
            return _format12(cmap, offset) if key[2] == 12 else _format4(cmap, offset)
    raise ValueError("no Unicode cmap subtable")


def _format12(cmap: bytes, offset: int) -> set[int]:
    (groups,) = struct.unpack(">I", cmap[offset + 12 : offset + 16])
    chars: set[int] = set()
    for i in range(groups):
        at = offset + 16 + 12 * i
        first, last, glyph = struct.unpack(">III", cmap[at : at + 12])
        chars.update(range(first if glyph else first + 1, last + 1))
    return chars


def _format4(cmap: bytes, offset: int) -> set[int]:
    (seg2,) = struct.unpack(">H", cmap[offset + 6 : offset + 8])
    segs = seg2 // 2

    def array(at: int) -> tuple[int, ...]:
        return struct.unpack(f">{segs}H", cmap[at : at + seg2])

    ends = array(offset + 14)
    starts = array(offset + 16 + seg2)
    deltas = array(offset + 16 + 2 * seg2)
    range_at = offset + 16 + 3 * seg2
    ranges = array(range_at)
    chars: set[int] = set()
    for i in range(segs):
        for code in range(starts[i], ends[i] + 1):
            if code == 0xFFFF:
                continue
            if ranges[i] == 0:
                glyph = (code + deltas[i]) & 0xFFFF
            else:
                at = range_at + 2 * i + ranges[i] + 2 * (code - starts[i])
                (glyph,) = struct.unpack(">H", cmap[at : at + 2])
                glyph = (glyph + deltas[i]) & 0xFFFF if glyph else 0
            if glyph:
                chars.add(code)
    return chars


# --- the chain ------------------------------------------------------------------------------
def bundled(bold: bool) -> list[FontFile]:
    """DejaVu Sans (bundled, else the system copy), then the Japanese subset."""
    chain = []
    for folder in (FONT_DIR, SYSTEM_DEJAVU):
        if (folder / DEJAVU[bold]).exists():
            chain.append(FontFile(str(folder / DEJAVU[bold]), bold=bold))
            break
    else:
        log.warning("DejaVu Sans not found; receipts are drawn with the fonts fontconfig finds")
    if CJK.exists():
        chain.append(FontFile(str(CJK), scale=CJK_SCALE))
    return chain


_system: dict[bool, list[FontFile]] = {False: [], True: []}
_asked: set[tuple[str, bool]] = set()


def system_font_for(ch: str, bold: bool, lang: str = "") -> FontFile | None:
    """A font installed on this machine that has ch, found by fontconfig (None if none)."""
    for known in _system[bold]:
        if known.has(ch):
            return known
    if (ch, bold) in _asked:
        return None
    _asked.add((ch, bold))
    for found in _fc_match(ch, bold, lang):
        if found.has(ch):
            if ord(ch) >= 0x2E80:  # CJK: drawn as large as the bundled subset
                found = dataclasses.replace(found, scale=CJK_SCALE)
            _system[bold].append(found)
            return found
    log.warning("no installed font has %r (U+%04X): it is printed as a box", ch, ord(ch))
    return None


def _fc_match(ch: str, bold: bool, lang: str) -> list[FontFile]:
    fc_match = _fc_match_command()
    if fc_match is None:
        return []
    pattern = "sans-serif" + (f":lang={lang}" if lang.isalpha() else "")
    pattern += f":weight={'bold' if bold else 'regular'}:charset={ord(ch):x}"
    try:
        out = subprocess.run(
            [fc_match, "-s", "-f", "%{file}\t%{index}\t%{weight}\n", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("fc-match failed: %s", exc)
        return []
    fonts = []
    for line in out.splitlines()[:30]:
        path, index, weight = [*line.split("\t"), "", ""][:3]
        if path.startswith("/") and index.isdigit():
            fonts.append(FontFile(path, int(index), bold=weight.isdigit() and int(weight) >= 180))
    return fonts


@cache
def _fc_match_command() -> str | None:
    found = shutil.which("fc-match")
    if found is None:
        log.warning(
            "fc-match (fontconfig) is missing: characters the bundled fonts lack are "
            "printed as boxes"
        )
    return found


def font_for(ch: str, chain: list[FontFile], bold: bool, lang: str = "") -> FontFile | None:
    for candidate in chain:
        if candidate.has(ch):
            return candidate
    return system_font_for(ch, bold, lang)


def known_system_fonts(bold: bool) -> list[FontFile]:
    """The system fonts found so far (tried after the bundled ones)."""
    return list(_system[bold])


@lru_cache(maxsize=128)
def load(font: FontFile, size: int, raqm: bool = RAQM) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
    return ImageFont.truetype(font.path, size, index=font.index, layout_engine=engine)
